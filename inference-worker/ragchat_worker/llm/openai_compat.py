"""An OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, Ollama, ...) over aiohttp, streaming.

aiohttp rather than httpx: its HTTP parser is C and a read is one callback, where httpx + httpcore
+ h11 + anyio spent a cancel scope and h11's event machinery per read. With the chunks decoded as
str below, a 200-token answer from tests/fake_llm.py costs the client about 0.75 ms of CPU (1.7 ms
with httpx and json.loads on bytes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import urllib.request
from collections.abc import AsyncIterator, Sequence
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from opentelemetry.trace import SpanKind
from pydantic_core import from_json

from ragchat_common.telemetry import inject_headers, span, tracing_enabled
from ragchat_worker.domain.types import GenerationParams, LLMError, LLMUsage, PromptMessage, TokenCounter

log = logging.getLogger(__name__)

# Seconds to wait for the end of the body after ``[DONE]`` (normally already received).
DRAIN_AFTER_DONE_S = 0.5

_MALFORMED = "The language model sent a malformed stream."
# One JSON value from the start of a string and where it ended: json's parser, for what
# pydantic-core's refuses (a lone surrogate escape) and for the error.
_decode = json.JSONDecoder().raw_decode


def _load_chunk(data: str) -> Any:
    """One chunk's JSON. pydantic-core's parser first: 1.8 against 3.1 µs for json's on a typical
    chunk, the hottest line of an answer from a fast model (bench/README.md)."""
    try:
        return from_json(data)
    except ValueError:
        value, end = _decode(data)  # ValueError when malformed
        if end != len(data):
            raise ValueError("trailing characters") from None
        return _without_lone_surrogates(value)


def _without_lone_surrogates(value: Any) -> Any:
    """``value`` with each lone surrogate as U+FFFD: a server holding text as UTF-16 may split a
    character between two chunks, and such text can be neither stored nor sent on."""
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, dict):
        return {key: _without_lone_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    return value


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
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # sock_read bounds the wait for the response head and every silence within the body.
        # The wait for a pooled connection is not bounded: the pool holds twice the jobs a
        # worker takes at once (main.build_llm).
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=connect_timeout_s, sock_read=read_timeout_s
        )
        self._max_connections = max_connections
        # The environment's proxy for the model's URL, once (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY
        # as httpx honoured them; aiohttp's trust_env would look them and ~/.netrc up per request).
        self._proxy = _env_proxy(self._url)
        self._session: aiohttp.ClientSession | None = None

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
        if self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use: aiohttp binds a session to the running event loop.
        if self._session is None:
            tls = _tls_context() if urlsplit(self._url).scheme == "https" else True
            self._session = aiohttp.ClientSession(
                # An idle connection is dropped after 4 s, before servers drop theirs (uvicorn,
                # under vLLM, after 5 s): a request on a connection the server is closing fails.
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections, limit_per_host=0, keepalive_timeout=4.0, ssl=tls
                ),
                headers=self._headers,
                timeout=self._timeout,
            )
        return self._session

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

    async def _post(self, body: dict[str, Any]) -> aiohttp.ClientResponse:
        """The response once its head is in (a CLIENT span until then, when tracing is on)."""
        session = self._client()
        if not tracing_enabled():
            return await session.post(self._url, json=body, proxy=self._proxy)
        attributes = {"http.request.method": "POST", "url.full": self._url}
        with span("POST", kind=SpanKind.CLIENT, attributes=attributes) as current:
            response = await session.post(self._url, json=body, proxy=self._proxy, headers=inject_headers({}))
            current.set_attribute("http.response.status_code", response.status)
            return response

    async def stream(
        self, messages: Sequence[PromptMessage], params: GenerationParams, usage: LLMUsage
    ) -> AsyncIterator[str]:
        try:
            response = await self._post(self._body(messages, params))
            async with response:  # leaving it unfinished (a stop, a failure) closes the connection
                if response.status != 200:
                    text = _error_text(await response.read())
                    raise LLMError(f"The language model answered HTTP {response.status}: {text}")
                finished = False
                pending = b""
                async for received in response.content.iter_any():
                    pending += received
                    end = pending.rfind(b"\n") + 1
                    if not end:
                        continue
                    lines, pending = pending[:end], pending[end:]
                    for data in _data_lines(lines):
                        if data == "[DONE]":
                            await _read_to_end(response)
                            return
                        piece, finish_reason = _parse_chunk(data, usage)
                        finished = finished or finish_reason is not None
                        if piece:
                            yield piece
                for data in _data_lines(pending):  # a last line without its newline
                    if data == "[DONE]":
                        return
                    piece, finish_reason = _parse_chunk(data, usage)
                    finished = finished or finish_reason is not None
                    if piece:
                        yield piece
                if not finished:
                    # Neither [DONE] nor a finish_reason: the answer was cut off.
                    raise LLMError("The language model closed the stream before finishing.")
        except TimeoutError:  # aiohttp's connect and read timeouts are TimeoutErrors
            raise LLMError("The language model did not answer in time.") from None
        except (aiohttp.ClientError, OSError) as exc:
            log.warning("LLM request failed", extra={"error": repr(exc)})
            raise LLMError("The language model is unreachable or closed the connection.") from None


async def _read_to_end(response: aiohttp.ClientResponse) -> None:
    """Reads what follows ``[DONE]`` (the body's end), so the connection goes back to the pool.

    A body left unread closes the connection, and the next answer would wait for a new one.
    A server that keeps the body open after ``[DONE]`` gets ``DRAIN_AFTER_DONE_S``, then the close.
    """
    if response.content.at_eof():  # the usual case: the body's end came with [DONE]
        return

    async def drain() -> None:
        while await response.content.readany():
            pass

    with suppress(Exception):
        await asyncio.wait_for(drain(), DRAIN_AFTER_DONE_S)


def _data_lines(lines: bytes) -> list[str]:
    """The ``data:`` payloads of complete SSE lines (split on raw bytes: the hot loop of a fast model)."""
    try:
        text = lines.decode()
    except UnicodeDecodeError:
        raise LLMError(_MALFORMED) from None
    return [line[5:].strip() for line in text.split("\n") if line.startswith("data:")]


def _parse_chunk(data: str, usage: LLMUsage) -> tuple[str, str | None]:
    """The text of one streamed chunk and its finish_reason (None while the answer goes on)."""
    try:
        chunk = _load_chunk(data)
    except ValueError:
        raise LLMError(_MALFORMED) from None
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


def _error_text(body: bytes) -> str:
    try:
        error = json.loads(body)
        if isinstance(error, dict) and isinstance(error.get("error"), dict):
            return str(error["error"].get("message", ""))[:200]
    except ValueError:
        pass
    return body.decode(errors="replace")[:200]


def _env_proxy(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme) or proxies.get("all")


def _tls_context() -> ssl.SSLContext:
    """Certificates as httpx chose them: SSL_CERT_FILE or SSL_CERT_DIR when set, else certifi's."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
