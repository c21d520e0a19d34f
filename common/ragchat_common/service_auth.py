"""The service token: internal gRPC services accept only calls from ragchat's own processes.

Every process of a deployment shares one secret (``RAGCHAT_SERVICE_TOKEN``: a Kubernetes Secret
in the Helm chart, generated per stack by ``ragchat dev`` and the test stack). Clients attach it
to every call as the ``x-ragchat-service-token`` metadata (``service_token_interceptors``,
added by ``insecure_channel``); servers refuse a call without it with UNAUTHENTICATED
(``ServiceTokenInterceptor``, added by ``GrpcServer``).

The gRPC health protocol stays open: Kubernetes probes and load balancers call it without
credentials, and it reveals nothing but SERVING / NOT_SERVING.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from ragchat_common.grpc_handlers import StreamBehaviour, UnaryBehaviour, rewrap_handler

SERVICE_TOKEN_METADATA = "x-ragchat-service-token"
# Methods callable without the token: the health protocol (probes carry no credentials).
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/",)
REFUSAL = "This internal service accepts only calls from ragchat's own services (service token missing or wrong)."


class MissingServiceToken(ValueError):
    """The process was started without RAGCHAT_SERVICE_TOKEN."""

    def __init__(self) -> None:
        super().__init__(
            "RAGCHAT_SERVICE_TOKEN is not set: ragchat's internal gRPC calls need the deployment's "
            "service token (the Helm chart's Secret; `ragchat dev` generates one)."
        )


def require_token(token: str) -> str:
    if not token:
        raise MissingServiceToken()
    return token


def carries_token(metadata: Any, token: bytes) -> bool:
    """Whether the call's metadata holds ``token`` (compared in constant time)."""
    for key, value in metadata or ():
        if key == SERVICE_TOKEN_METADATA:
            given = value.encode() if isinstance(value, str) else bytes(value)
            return hmac.compare_digest(given, token)
    return False


MAX_REFUSED_STREAM_MESSAGES = 16
REFUSED_STREAM_DRAIN_S = 1.0


async def _refuse_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, REFUSAL)


async def _refuse_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, REFUSAL)
    yield  # pragma: no cover - abort raises; this only makes the function a generator


async def _refuse_bidi_stream(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
    # Aborting while the caller is still writing makes its client report INTERNAL instead of our
    # status (a race in grpc's client): read what it sends first, a bounded number of messages.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(REFUSED_STREAM_DRAIN_S):
            received = 0
            async for _ in requests:
                received += 1
                if received >= MAX_REFUSED_STREAM_MESSAGES:
                    break
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, REFUSAL)
    yield  # pragma: no cover - abort raises; this only makes the function a generator


def _refusing_unary(_: UnaryBehaviour) -> UnaryBehaviour:
    return _refuse_unary


def _refusing_stream(_: StreamBehaviour) -> StreamBehaviour:
    return _refuse_stream


class ServiceTokenInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Refuses (UNAUTHENTICATED) every call that does not carry the service token."""

    def __init__(self, token: str) -> None:
        self._token = require_token(token).encode()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        if carries_token(handler_call_details.invocation_metadata, self._token):
            return handler
        if handler.stream_stream:  # server reflection
            return grpc.stream_stream_rpc_method_handler(
                _refuse_bidi_stream,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return rewrap_handler(handler, _refusing_unary, _refusing_stream)


def with_token(metadata: Any, token: str) -> tuple[tuple[str, str | bytes], ...]:
    """``metadata`` (None, pairs or grpc.aio.Metadata) plus the service token."""
    return (*tuple(metadata or ()), (SERVICE_TOKEN_METADATA, token))


class _AttachToken:
    def __init__(self, token: str) -> None:
        self._token = require_token(token)

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        return grpc.aio.ClientCallDetails(
            details.method,
            details.timeout,
            grpc.aio.Metadata(*with_token(details.metadata, self._token)),
            details.credentials,
            details.wait_for_ready,
        )


# One class per kind of call: grpc.aio files an interceptor under the first kind it implements only.
class _UnaryUnary(_AttachToken, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _UnaryStream(_AttachToken, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _StreamUnary(_AttachToken, grpc.aio.StreamUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_unary(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await continuation(self._details(details), request_iterator)


class _StreamStream(_AttachToken, grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_stream(self, continuation: Any, details: Any, request_iterator: Any) -> Any:
        return await continuation(self._details(details), request_iterator)


def service_token_interceptors(token: str) -> list[grpc.aio.ClientInterceptor]:
    """Client interceptors of an asyncio channel that attach the service token to every call."""
    return [kind(token) for kind in (_UnaryUnary, _UnaryStream, _StreamUnary, _StreamStream)]
