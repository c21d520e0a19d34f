"""Refuses request bodies over the JSON limit (413 / code 102) before any route reads them.

Multipart uploads (datasets' documents) pass through untouched and unbuffered: their routes
enforce the per-file limit while streaming. A body without Content-Length is read up to the
limit (small by definition) and replayed to the app.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragchat_common.errors import ErrorCode, error_envelope
from ragchat_gateway.openai_errors import is_openai_path, openai_error_body


def _describe(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit} bytes"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_multipart(scope):
            await self.app(scope, receive, send)
            return
        length = self._content_length(scope)
        if length is not None:
            if length > self.max_bytes:
                await self._refuse(scope, send)
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): read at most the limit, then replay what was read.
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _header(scope: Scope, name: bytes) -> str | None:
        for key, value in scope.get("headers", []):
            if key.lower() == name:
                return bytes(value).decode("latin-1")
        return None

    def _is_multipart(self, scope: Scope) -> bool:
        content_type = self._header(scope, b"content-type") or ""
        return content_type.lower().startswith("multipart/")

    def _content_length(self, scope: Scope) -> int | None:
        raw = self._header(scope, b"content-length")
        try:
            return int(raw) if raw is not None else None
        except ValueError:
            return None

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = f"Request body is too large: the limit is {_describe(self.max_bytes)}."
        # The OpenAI-compatible routes answer in OpenAI's error body, this one included.
        shape = openai_error_body if is_openai_path(scope.get("path", "")) else error_envelope
        body = json.dumps(shape(ErrorCode.ARGUMENT, message)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
