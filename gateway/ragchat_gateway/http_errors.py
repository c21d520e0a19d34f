"""Every failure leaves the gateway in the contract's envelope (API.md §1), never as HTML."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from ragchat_common.errors import ErrorCode, RagchatError, RateLimited, error_envelope
from ragchat_gateway.dialect import reword
from ragchat_gateway.openai_errors import is_openai_path, openai_error_body
from ragchat_gateway.ratelimit.http import limit_state
from ragchat_gateway.request_models.errors import describe

log = logging.getLogger(__name__)


def error_response(
    code: ErrorCode | int, message: str, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_envelope(code, message), status_code=status, headers=headers)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods some route serves at ``path`` (for a 405's ``Allow``)."""
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "route_methods", None)
    if table is None:
        table = [
            (compile_path(context.path_format)[0], set(context.methods or ()))
            for context in iter_route_contexts(app.routes)
            if context.path_format
        ]
        app.state.route_methods = table
    return sorted({method for pattern, methods in table if pattern.match(path) for method in methods})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RagchatError)
    async def _domain(request: Request, exc: RagchatError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
            headers = {"Retry-After": str(exc.retry_after_s)}
        # The services word errors as RAGFlow v0.22.1; a ragflow-0.27 key reads v0.27's words.
        message = reword(getattr(request.state, "principal", None), exc.message)
        return error_response(exc.code, message, exc.http_status, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(ErrorCode.ARGUMENT, describe(exc.errors()), 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        path = request.url.path
        if exc.status_code == 404:
            code, message = ErrorCode.NOT_FOUND, f"No route for {request.method} {path}."
        elif exc.status_code == 405:
            code, message = ErrorCode.ARGUMENT, f"Method {request.method} is not allowed on {path}."
        else:
            code = ErrorCode.ARGUMENT if 400 <= exc.status_code < 500 else ErrorCode.SERVER
            message = str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(allowed_methods(request.app, path)) or headers.get("Allow", "")
        if is_openai_path(path):
            return JSONResponse(openai_error_body(code, message), status_code=exc.status_code, headers=headers)
        return error_response(code, message, exc.status_code, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        # This handler answers outside the middleware stack: add the limiter's headers here.
        return error_response(ErrorCode.SERVER, "Internal server error.", 500, limit_state(request.scope).headers())
