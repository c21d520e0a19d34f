"""Every failure leaves the gateway in the contract's envelope (API.md §1), never as HTML."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ragchat_common.errors import ErrorCode, RagchatError, RateLimited, error_envelope
from ragchat_gateway.dialect import reword
from ragchat_gateway.ratelimit.http import limit_state
from ragchat_gateway.request_models.errors import describe

log = logging.getLogger(__name__)


def error_response(
    code: ErrorCode | int, message: str, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_envelope(code, message), status_code=status, headers=headers)


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
        if exc.status_code == 404:
            return error_response(ErrorCode.NOT_FOUND, f"No route for {request.method} {request.url.path}.", 404)
        if exc.status_code == 405:
            return error_response(
                ErrorCode.ARGUMENT, f"Method {request.method} is not allowed on {request.url.path}.", 405
            )
        code = ErrorCode.ARGUMENT if 400 <= exc.status_code < 500 else ErrorCode.SERVER
        return error_response(code, str(exc.detail), exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        # This handler answers outside the middleware stack: add the limiter's headers here.
        return error_response(ErrorCode.SERVER, "Internal server error.", 500, limit_state(request.scope).headers())
