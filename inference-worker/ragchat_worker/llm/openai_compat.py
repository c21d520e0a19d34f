"""An OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, Ollama, ...) over httpx, streaming."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import suppress
from typing import Any

import httpx

from ragchat_worker.domain.types import GenerationParams, LLMError, LLMUsage, PromptMessage, TokenCounter

log = logging.getLogger(__name__)

# Seconds to wait for the end of the body after ``[DONE]`` (normally already received).
DRAIN_AFTER_DONE_S = 0.5


class OpenAICompatibleLLM:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        context_window: int,
        tokens: TokenCounter,
        connect_timeout_s: float,
        read_timeout_s: float,
        max_connections: int = 64,
    ) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._context_window = context_window
        self._tokens = tokens
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    @property
    def default_model(self) -> str:
        return self._model

    @property
    def context_window(self) -> int:
        return self._context_window

    @property
    def tokens(self) -> TokenCounter:
        return self._tokens

    async def close(self) -> None:
        await self._client.aclose()

    def _body(self, messages: Sequence[PromptMessage], params: GenerationParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": params.model or self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": params.max_tokens,
        }
        for key in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
            value = getattr(params, key)
            if value is not None:
                body[key] = value
        return body

    async def stream(
        self, messages: Sequence[PromptMessage], params: GenerationParams, usage: LLMUsage
    ) -> AsyncIterator[str]:
        try:
            async with self._client.stream("POST", self._url, json=self._body(messages, params)) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise LLMError(f"The language model answered HTTP {response.status_code}: {_error_text(response)}")
                finished = False
                events = _sse_data(response)
                async for data in events:
                    if data == b"[DONE]":
                        await _read_to_end(events)
                        return
                    piece, finish_reason = _parse_chunk(data, usage)
                    finished = finished or finish_reason is not None
                    if piece:
                        yield piece
                if not finished:
                    # Neither [DONE] nor a finish_reason: the answer was cut off.
                    raise LLMError("The language model closed the stream before finishing.")
        except httpx.TimeoutException:
            raise LLMError("The language model did not answer in time.") from None
        except httpx.HTTPError as exc:
            log.warning("LLM request failed", extra={"error": repr(exc)})
            raise LLMError("The language model is unreachable or closed the connection.") from None


async def _read_to_end(events: AsyncIterator[bytes]) -> None:
    """Reads what follows ``[DONE]`` (the body's end), so the connection goes back to the pool.

    A body left unread closes the connection, and the next answer would wait for a new one.
    A server that keeps the body open after ``[DONE]`` gets ``DRAIN_AFTER_DONE_S``, then the close.
    """

    async def drain() -> None:
        async for _ in events:
            pass

    with suppress(Exception):
        await asyncio.wait_for(drain(), DRAIN_AFTER_DONE_S)


async def _sse_data(response: httpx.Response) -> AsyncIterator[bytes]:
    """The ``data:`` payloads of an SSE body, split on raw bytes (the hot loop of a fast model)."""
    pending = b""
    async for chunk in response.aiter_bytes():
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.startswith(b"data:"):
                yield line[5:].strip()
    if pending.startswith(b"data:"):
        yield pending[5:].strip()


def _parse_chunk(data: bytes, usage: LLMUsage) -> tuple[str, str | None]:
    """The text of one streamed chunk and its finish_reason (None while the answer goes on)."""
    try:
        chunk = json.loads(data)
    except json.JSONDecodeError:
        raise LLMError("The language model sent a malformed stream.") from None
    if not isinstance(chunk, dict):
        return "", None
    if "error" in chunk:
        error = chunk["error"]
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise LLMError(f"The language model failed: {message}")
    reported = chunk.get("usage")
    if isinstance(reported, dict):
        usage.prompt_tokens = int(reported.get("prompt_tokens") or 0)
        usage.completion_tokens = int(reported.get("completion_tokens") or 0)
    choices = chunk.get("choices") or []
    if not choices:
        return "", None
    choice = choices[0]
    delta = choice.get("delta") or {}
    content = delta.get("content")
    finish_reason = choice.get("finish_reason")
    return (content if isinstance(content, str) else ""), (str(finish_reason) if finish_reason else None)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return str(body["error"].get("message", ""))[:200]
    except ValueError:
        pass
    return response.text[:200]
