"""Error codes of the public contract (API.md §1) and the exceptions that carry them.

Domain code raises these; each transport (HTTP envelope, gRPC status, SSE error event)
translates them at its edge, so no domain function knows about HTTP or gRPC.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    SUCCESS = 0
    ARGUMENT = 102
    AUTHENTICATION = 103
    PERMISSION = 104
    NOT_FOUND = 105
    RATE_LIMITED = 429
    SERVER = 500
    UNAVAILABLE = 503


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.SUCCESS: 200,
    ErrorCode.ARGUMENT: 400,
    ErrorCode.AUTHENTICATION: 401,
    ErrorCode.PERMISSION: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVER: 500,
    ErrorCode.UNAVAILABLE: 503,
}


class RagchatError(Exception):
    """An error whose message is safe to show to the caller."""

    code: ErrorCode = ErrorCode.SERVER

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self._http_status = http_status

    @property
    def http_status(self) -> int:
        return self._http_status or HTTP_STATUS[self.code]


class InvalidArgument(RagchatError):
    code = ErrorCode.ARGUMENT


class PayloadTooLarge(InvalidArgument):
    def __init__(self, message: str) -> None:
        super().__init__(message, http_status=413)


class Unauthenticated(RagchatError):
    code = ErrorCode.AUTHENTICATION


class PermissionDenied(RagchatError):
    code = ErrorCode.PERMISSION


class NotFound(RagchatError):
    code = ErrorCode.NOT_FOUND


class RateLimited(RagchatError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(RagchatError):
    code = ErrorCode.UNAVAILABLE


class InternalError(RagchatError):
    code = ErrorCode.SERVER

    def __init__(self, message: str = "Internal server error.") -> None:
        super().__init__(message)


_BY_CODE: dict[ErrorCode, type[RagchatError]] = {
    ErrorCode.ARGUMENT: InvalidArgument,
    ErrorCode.AUTHENTICATION: Unauthenticated,
    ErrorCode.PERMISSION: PermissionDenied,
    ErrorCode.NOT_FOUND: NotFound,
    ErrorCode.RATE_LIMITED: RateLimited,
    ErrorCode.UNAVAILABLE: Unavailable,
    ErrorCode.SERVER: InternalError,
}


def error_for_code(code: ErrorCode, message: str) -> RagchatError:
    return _BY_CODE.get(code, InternalError)(message)


def envelope(data: object = None) -> dict[str, object]:
    """The success envelope of API.md §1."""
    return {"code": int(ErrorCode.SUCCESS), "message": "", "data": data}


def error_envelope(code: ErrorCode | int, message: str) -> dict[str, object]:
    return {"code": int(code), "message": message, "data": None}
