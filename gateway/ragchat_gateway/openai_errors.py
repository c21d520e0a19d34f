"""The OpenAI error body (API.md §6), for every answer under the OpenAI-compatible prefixes:
the routes' own errors, and what the edge answers before a route runs (413, 404, 405)."""

from __future__ import annotations

from typing import Any

from ragchat_common.errors import ErrorCode

OPENAI_PREFIXES = ("/api/v1/openai/", "/api/v1/chats_openai/")

_ERROR_TYPES = {
    ErrorCode.ARGUMENT: ("invalid_request_error", "invalid_argument"),
    ErrorCode.AUTHENTICATION: ("authentication_error", "invalid_api_key"),
    ErrorCode.PERMISSION: ("permission_error", "permission_denied"),
    ErrorCode.NOT_FOUND: ("not_found_error", "not_found"),
    ErrorCode.RATE_LIMITED: ("rate_limit_error", "rate_limit_exceeded"),
    ErrorCode.UNAVAILABLE: ("server_error", "service_unavailable"),
    ErrorCode.SERVER: ("server_error", "internal_error"),
}


def is_openai_path(path: str) -> bool:
    return path.startswith(OPENAI_PREFIXES)


def openai_error_body(code: ErrorCode | int, message: str) -> dict[str, Any]:
    try:
        known = ErrorCode(code)
    except ValueError:
        known = ErrorCode.SERVER
    kind, name = _ERROR_TYPES.get(known, _ERROR_TYPES[ErrorCode.SERVER])
    return {"error": {"message": message, "type": kind, "param": None, "code": name}}
