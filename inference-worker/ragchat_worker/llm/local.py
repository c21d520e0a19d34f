"""The local default model: a GGUF file run by llama-cpp-python, loaded once, run in a thread.

llama.cpp contexts are not thread-safe, so generations run one at a time; pieces cross from the
generation thread to the event loop through a queue, and a consumer that goes away stops the
generation at the next piece.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

from ragchat_worker.domain.types import GenerationParams, LLMError, LLMUsage, PromptMessage, TokenCounter
from ragchat_worker.llm.tokens import GgufTokenCounter

_END = object()
log = logging.getLogger(__name__)


class LocalLlamaLLM:
    def __init__(self, *, model_path: str, model_name: str, context_window: int, threads: int) -> None:
        from llama_cpp import Llama

        self._llama = Llama(model_path=model_path, n_ctx=context_window, n_threads=threads, verbose=False)
        self._name = model_name
        self._context_window = context_window
        self._tokens = GgufTokenCounter(model_path, llama=self._llama)
        self._busy = asyncio.Lock()

    @property
    def default_model(self) -> str:
        return self._name

    @property
    def context_window(self) -> int:
        return self._context_window

    @property
    def tokens(self) -> TokenCounter:
        return self._tokens

    async def close(self) -> None:
        self._llama.close()

    async def stream(
        self, messages: Sequence[PromptMessage], params: GenerationParams, usage: LLMUsage
    ) -> AsyncIterator[str]:
        async with self._busy:
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[object] = asyncio.Queue()
            stop = threading.Event()
            kwargs: dict[str, Any] = {"max_tokens": params.max_tokens, "stream": True}
            for key in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
                value = getattr(params, key)
                if value is not None:
                    kwargs[key] = value
            chat: list[Any] = [{"role": m.role, "content": m.content} for m in messages]

            def generate() -> None:
                try:
                    chunks: Any = self._llama.create_chat_completion(messages=chat, **kwargs)
                    for chunk in chunks:
                        if stop.is_set():
                            break
                        content = chunk["choices"][0]["delta"].get("content")
                        if content:
                            loop.call_soon_threadsafe(queue.put_nowait, content)
                except Exception as exc:  # crosses the thread boundary as a value
                    loop.call_soon_threadsafe(queue.put_nowait, exc)
                finally:
                    loop.call_soon_threadsafe(queue.put_nowait, _END)

            worker = loop.run_in_executor(None, generate)
            try:
                while True:
                    item = await queue.get()
                    if item is _END:
                        break
                    if isinstance(item, Exception):
                        # llama.cpp's own words are internals: logged, not shown to the client.
                        log.warning("local model failed", extra={"error": repr(item)})
                        raise LLMError("The local model could not generate an answer.")
                    usage.completion_tokens += 1
                    yield str(item)
            finally:
                stop.set()
                await asyncio.shield(worker)
