"""HTTP edges answered before any route runs (issue 11, point 3).

- ``TrailingSlashMiddleware``: ``/api/v1/chats/`` is ``/api/v1/chats`` (Starlette would answer
  an empty 307 that clients sending a body do not follow).
- ``EnvelopeHttpProtocol``: a request uvicorn cannot parse still gets the contract's envelope
  (102), not uvicorn's plain-text 400.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from ragchat_common.errors import ErrorCode, error_envelope

MALFORMED_MESSAGE = "Malformed HTTP request: it could not be parsed."


class TrailingSlashMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope)
                scope["path"] = path.rstrip("/") or "/"
                raw = scope.get("raw_path")
                if isinstance(raw, bytes):
                    scope["raw_path"] = raw.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)


class EnvelopeHttpProtocol(HttpToolsProtocol):
    """uvicorn's default (httptools) protocol; its parse-error answer is a JSON envelope."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps(error_envelope(ErrorCode.ARGUMENT, MALFORMED_MESSAGE)).encode()
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
