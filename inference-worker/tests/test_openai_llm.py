"""The OpenAI-compatible backend over real HTTP: connection reuse and the end of a stream."""

from __future__ import annotations

import asyncio
import time

from fake_llm import FakeLLM

from ragchat_worker.domain.types import GenerationParams, LLMUsage, PromptMessage
from ragchat_worker.llm import openai_compat
from ragchat_worker.llm.openai_compat import OpenAICompatibleLLM


class WordCounter:
    def count(self, text: str) -> int:
        return len(text.split())


class CountingFakeLLM(FakeLLM):
    """Counts the TCP connections the client opened."""

    connections = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await super()._handle(reader, writer)


def backend(base_url: str) -> OpenAICompatibleLLM:
    return OpenAICompatibleLLM(
        base_url=base_url,
        api_key="",
        model="fake-model",
        context_window=4096,
        tokens=WordCounter(),
        connect_timeout_s=5,
        read_timeout_s=5,
    )


async def answer(llm: OpenAICompatibleLLM, question: str) -> str:
    pieces = llm.stream(
        [PromptMessage("user", question)], GenerationParams(model="fake-model", max_tokens=64), LLMUsage()
    )
    return "".join([piece async for piece in pieces])


async def test_answers_reuse_one_connection() -> None:
    # An answer that leaves its body unread closes the connection: the next one waits for a new one.
    with CountingFakeLLM() as fake:
        llm = backend(fake.url)
        try:
            for index in range(3):
                assert await answer(llm, f"question {index}") == f"Echo: question {index}"
        finally:
            await llm.close()
        assert fake.connections == 1


async def test_a_body_left_open_after_done_ends_the_answer_soon() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        data = (
            b'data: {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}\n\n'
            b"data: [DONE]\n\n"
        )
        writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")  # and never the final chunk
        await writer.drain()
        await asyncio.sleep(10)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    llm = backend(f"http://127.0.0.1:{port}/v1")
    started = time.monotonic()
    try:
        assert await answer(llm, "q") == "Hi"
    finally:
        await llm.close()
        server.close()
    assert time.monotonic() - started < openai_compat.DRAIN_AFTER_DONE_S + 2
