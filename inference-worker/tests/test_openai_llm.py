"""The OpenAI-compatible backend over real HTTP: connection reuse, the end of a stream, failures."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable

import pytest
from fake_llm import FakeLLM

from ragchat_worker.domain.types import GenerationParams, LLMError, LLMUsage, PromptMessage
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


def backend(
    base_url: str,
    *,
    api_key: str = "",
    connect_timeout_s: float = 5,
    read_timeout_s: float = 5,
    max_connections: int = 64,
) -> OpenAICompatibleLLM:
    return OpenAICompatibleLLM(
        base_url=base_url,
        api_key=api_key,
        model="fake-model",
        context_window=4096,
        tokens=WordCounter(),
        connect_timeout_s=connect_timeout_s,
        read_timeout_s=read_timeout_s,
        max_connections=max_connections,
    )


async def answer(llm: OpenAICompatibleLLM, question: str, usage: LLMUsage | None = None) -> str:
    pieces = llm.stream(
        [PromptMessage("user", question)], GenerationParams(model="fake-model", max_tokens=64), usage or LLMUsage()
    )
    return "".join([piece async for piece in pieces])


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """The request line and headers, lower-cased (the body is left unread)."""
    head = b""
    while (line := await reader.readline()) not in (b"\r\n", b""):
        head += line
    return head.lower()


async def serving(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"


def sse(*events: bytes) -> bytes:
    """One chunk of a chunked body holding these SSE events."""
    data = b"".join(b"data: " + event + b"\n\n" for event in events)
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


# These servers answer one request per connection, and say so.
STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
)


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


async def test_usage_comes_from_the_final_chunk_and_the_key_is_sent() -> None:
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await read_head(reader))
        writer.write(STREAM_HEAD)
        writer.write(sse(b'{"choices": [{"delta": {"content": "H\\u00e9 "}, "finish_reason": null}]}'))
        writer.write(sse(b'{"choices": [{"delta": {"content": "\xc3\xa0 \\"x\\""}, "finish_reason": "stop"}]}'))
        writer.write(sse(b'{"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}}', b"[DONE]"))
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    server, url = await serving(handle)
    llm = backend(url, api_key="sk-test")
    usage = LLMUsage()
    try:
        assert await answer(llm, "q", usage) == 'H\u00e9 \u00e0 "x"'
    finally:
        await llm.close()
        server.close()
    assert (usage.prompt_tokens, usage.completion_tokens) == (7, 2)
    assert heads[0].startswith(b"post /v1/chat/completions ")
    assert b"authorization: bearer sk-test\r\n" in heads[0]


async def test_an_http_error_is_an_llm_error_with_the_servers_message() -> None:
    with FakeLLM() as fake:
        fake.script("broken", status=503)
        llm = backend(fake.url)
        try:
            with pytest.raises(LLMError, match="HTTP 503: scripted failure"):
                await answer(llm, "broken")
            assert await answer(llm, "after") == "Echo: after"
        finally:
            await llm.close()


async def test_an_error_chunk_and_a_malformed_chunk_are_llm_errors() -> None:
    first = b'{"choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": null}]}'
    bodies = [
        sse(first, b'{"error": {"message": "overloaded"}}'),
        sse(first, b'{"choices": [}'),
        sse(b'{"choices": []} trailing'),
        sse(b'{"choices": [{"delta": {"content": "\xff"}}]}'),
    ]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(STREAM_HEAD + bodies.pop(0) + b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    server, url = await serving(handle)
    llm = backend(url)
    try:
        for expected in ("failed: overloaded", "malformed", "malformed", "malformed"):
            pieces = llm.stream([PromptMessage("user", "q")], GenerationParams(model="m", max_tokens=8), LLMUsage())
            received: list[str] = []
            with pytest.raises(LLMError, match=expected):
                async for piece in pieces:
                    received.append(piece)
            assert received == (["a"] if len(bodies) >= 2 else [])
    finally:
        await llm.close()
        server.close()


async def test_a_character_split_between_chunks_streams_as_replacement_characters() -> None:
    # A server holding text as UTF-16 sent half an emoji per chunk (lone surrogate escapes): such
    # text can be neither stored nor sent on, so each half becomes U+FFFD and the answer goes on.
    body = sse(
        b'{"choices": [{"index": 0, "delta": {"content": "a\\ud83d"}, "finish_reason": null}]}',
        b'{"choices": [{"index": 0, "delta": {"content": "\\ude00b"}, "finish_reason": null}]}',
        b'{"choices": [{"index": 0, "delta": {"content": "\\ud83d\\ude00"}, "finish_reason": "stop"}]}',
        b"[DONE]",
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(STREAM_HEAD + body + b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    server, url = await serving(handle)
    llm = backend(url)
    try:
        text = await answer(llm, "q")
        assert text == "a\ufffd\ufffdb\U0001f600"
        text.encode("utf-8")  # storable: no surrogate left
    finally:
        await llm.close()
        server.close()


async def test_a_stream_cut_off_is_an_llm_error() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)  # a complete body, but neither a finish_reason nor [DONE]
        writer.write(STREAM_HEAD + sse(b'{"choices": [{"index": 0, "delta": {"content": "a"}}]}') + b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    server, url = await serving(handle)
    with FakeLLM() as fake:
        fake.script("dies", answer="one two three four", fail_after=2)  # the connection drops mid-body
        cases = ((url, "q", "before finishing"), (fake.url, "dies", "closed the connection"))
        for base_url, question, expected in cases:
            llm = backend(base_url)
            try:
                with pytest.raises(LLMError, match=expected):
                    await answer(llm, question)
            finally:
                await llm.close()
    server.close()


async def test_silence_and_a_refused_connection_are_llm_errors() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        path = (await read_head(reader)).split(b" ")[1]
        if b"mid" in path:  # the head and one token, then silence
            writer.write(STREAM_HEAD + sse(b'{"choices": [{"index": 0, "delta": {"content": "a"}}]}'))
            await writer.drain()
        await asyncio.sleep(5)  # silence (no head at all for the other path)
        writer.close()

    server, url = await serving(handle)
    try:
        for base_url in (url, url + "/mid"):
            await _times_out(backend(base_url, read_timeout_s=0.3))
    finally:
        server.close()
    refused, url = await serving(handle)
    refused.close()
    await refused.wait_closed()
    llm = backend(url)
    try:
        with pytest.raises(LLMError, match="unreachable"):
            await answer(llm, "q")
    finally:
        await llm.close()


async def test_closing_the_stream_closes_the_request() -> None:
    # A stop closes the stream mid-answer: the model must see its request end (it stops generating).
    with FakeLLM(delay_s=0.02) as fake:
        llm = backend(fake.url)
        try:
            pieces = llm.stream([PromptMessage("user", "long")], GenerationParams(model="m", max_tokens=64), LLMUsage())
            fake.script("long", answer=" ".join(["word"] * 200))
            assert await anext(pieces) == "word"
            await pieces.aclose()  # type: ignore[attr-defined]
            deadline = time.monotonic() + 3
            while "long" not in fake.abandoned:
                assert time.monotonic() < deadline, "the model's request was not closed"
                await asyncio.sleep(0.02)
        finally:
            await llm.close()


async def test_concurrent_answers_share_at_most_max_connections() -> None:
    with CountingFakeLLM(delay_s=0.01) as fake:
        llm = backend(fake.url, max_connections=2)
        try:
            answers = await asyncio.gather(*(answer(llm, f"question {index}") for index in range(6)))
            assert answers == [f"Echo: question {index}" for index in range(6)]
        finally:
            await llm.close()
        assert fake.connections == 2


async def test_a_connection_never_accepted_is_an_llm_error_after_the_connect_timeout() -> None:
    # A listening socket whose accept queue is full: Linux drops further SYNs, so connects hang.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
            await asyncio.sleep(0.1)
            await _times_out(backend(f"http://127.0.0.1:{port}/v1", connect_timeout_s=0.3))
        finally:
            for filler in fillers:
                filler.close()


async def _times_out(llm: OpenAICompatibleLLM) -> None:
    """The answer fails with the timeout's LLMError, well within 2 s; the backend is closed."""
    started = time.monotonic()
    try:
        with pytest.raises(LLMError, match="did not answer in time"):
            await answer(llm, "q")
    finally:
        await llm.close()
    assert time.monotonic() - started < 2
