"""gRPC plumbing shared by every server and client.

Servers: domain errors (``RagchatError``) become gRPC statuses with the safe message as
details; anything else becomes INTERNAL without internals. Clients: ``rpc()`` turns a failed
call back into the same domain error, so the gateway answers in the contract's envelope.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ragchat_common import telemetry
from ragchat_common.errors import (
    ErrorCode,
    InternalError,
    InvalidArgument,
    RagchatError,
    RateLimited,
    Unavailable,
    error_for_code,
)
from ragchat_common.grpc_handlers import StreamBehaviour, UnaryBehaviour, rewrap_handler
from ragchat_common.metrics import GrpcMetricsInterceptor
from ragchat_common.ops_http import OpsHttpServer
from ragchat_common.service_auth import ServiceTokenInterceptor, service_token_interceptors
from ragchat_common.settings import ServiceSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

_TO_GRPC: dict[ErrorCode, grpc.StatusCode] = {
    ErrorCode.ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.AUTHENTICATION: grpc.StatusCode.UNAUTHENTICATED,
    ErrorCode.PERMISSION: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.RATE_LIMITED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ErrorCode.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.SERVER: grpc.StatusCode.INTERNAL,
}
_FROM_GRPC: dict[grpc.StatusCode, ErrorCode] = {v: k for k, v in _TO_GRPC.items()}
_FROM_GRPC[grpc.StatusCode.ALREADY_EXISTS] = ErrorCode.ARGUMENT
_FROM_GRPC[grpc.StatusCode.FAILED_PRECONDITION] = ErrorCode.ARGUMENT
_FROM_GRPC[grpc.StatusCode.OUT_OF_RANGE] = ErrorCode.ARGUMENT
_FROM_GRPC[grpc.StatusCode.DEADLINE_EXCEEDED] = ErrorCode.UNAVAILABLE
# No internal service rate-limits: RESOURCE_EXHAUSTED between services is gRPC's own (a message
# or its metadata over a limit), a server fault, never a 429 for the client.
_FROM_GRPC[grpc.StatusCode.RESOURCE_EXHAUSTED] = ErrorCode.SERVER

# A status message travels percent-encoded in a trailer (and again, base64, inside the status
# details), and gRPC refuses metadata over 8 KiB (the call then fails as RESOURCE_EXHAUSTED):
# messages are cut to this many UTF-8 bytes, which keeps all of it under the limit even when
# every byte is escaped.
STATUS_MESSAGE_MAX_BYTES = 1000

# Trailing metadata key of a serialized google.rpc.Status (what grpcio-status reads).
STATUS_DETAILS_KEY = "grpc-status-details-bin"
# Uploads travel over gRPC (files up to 50 MiB by default), so the message limit is raised.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """Transparent retries of an internal call, as gRPC service config (data, not code)."""

    max_attempts: int = 3
    initial_backoff_s: float = 0.05
    max_backoff_s: float = 0.5
    backoff_multiplier: float = 2.0
    retryable_status_codes: tuple[str, ...] = ("UNAVAILABLE",)

    def service_config(self) -> str:
        return json.dumps(
            {
                # Spread calls over every address the name resolves to (a headless Kubernetes
                # Service lists one per pod); with a single address this is pick-first.
                "loadBalancingConfig": [{"round_robin": {}}],
                "methodConfig": [
                    {
                        "name": [{}],
                        "retryPolicy": {
                            "maxAttempts": self.max_attempts,
                            "initialBackoff": f"{self.initial_backoff_s}s",
                            "maxBackoff": f"{self.max_backoff_s}s",
                            "backoffMultiplier": self.backoff_multiplier,
                            "retryableStatusCodes": list(self.retryable_status_codes),
                        },
                    }
                ],
            }
        )


def bounded_message(message: str, max_bytes: int = STATUS_MESSAGE_MAX_BYTES) -> str:
    """``message`` cut to ``max_bytes`` of UTF-8 (on a character boundary), marked with "…"."""
    encoded = message.encode("utf-8", "replace")
    if len(encoded) <= max_bytes:
        return message
    return encoded[: max_bytes - 3].decode("utf-8", "ignore") + "…"


def grpc_status_for(code: ErrorCode) -> grpc.StatusCode:
    return _TO_GRPC.get(code, grpc.StatusCode.INTERNAL)


def error_from_rpc(err: grpc.aio.AioRpcError | grpc.RpcError, service: str) -> RagchatError:
    status = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    code = _FROM_GRPC.get(status, ErrorCode.SERVER)
    if code is ErrorCode.UNAVAILABLE:
        return Unavailable(f"{service} is unavailable; please retry.")
    if code is ErrorCode.SERVER:
        return InternalError()
    details = err.details() if hasattr(err, "details") else None
    return error_for_code(code, details or "Request failed.")


async def rpc(call: Awaitable[T], service: str) -> T:
    """Await a client call; a failure comes back as the domain error it stands for."""
    try:
        return await call
    except grpc.aio.AioRpcError as err:
        raise error_from_rpc(err, service) from None


def insecure_channel(addr: str, *, service_token: str, retry: RetryPolicy = RetryPolicy()) -> grpc.aio.Channel:
    """A channel to an internal service; every call carries the deployment's service token."""
    return grpc.aio.insecure_channel(
        addr,
        options=[
            ("grpc.service_config", retry.service_config()),
            ("grpc.enable_retries", 1),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.keepalive_time_ms", 30_000),
            # A restarted pod is found again within ~2 s (gRPC's default backoff grows to 120 s).
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 2_000),
        ],
        interceptors=[*service_token_interceptors(service_token), *telemetry.grpc_client_interceptors()],
    )


Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


# A field named in a validation message ("`page_size` must be ..."): the BadRequest detail's field.
_FIELD_IN_MESSAGE = re.compile(r"`([A-Za-z_][A-Za-z0-9_.]*)`")


def status_details(exc: RagchatError, status: grpc.StatusCode) -> tuple[tuple[str, str | bytes], ...]:
    """Trailing metadata of a refused call: google.rpc status details where they add something
    (RetryInfo and a ``retry-after`` trailer when rate limited, BadRequest naming the field at
    fault for a validation error)."""
    details: list[Message] = []
    trailers: list[tuple[str, str | bytes]] = []
    if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
        trailers.append(("retry-after", str(exc.retry_after_s)))
        details.append(error_details_pb2.RetryInfo(retry_delay=Duration(seconds=exc.retry_after_s)))
    elif isinstance(exc, InvalidArgument) and (field := _FIELD_IN_MESSAGE.search(exc.message)):
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=field.group(1), description=bounded_message(exc.message)
        )
        details.append(error_details_pb2.BadRequest(field_violations=[violation]))
    if details:
        packed = []
        for detail in details:
            any_detail = any_pb2.Any()
            any_detail.Pack(detail)
            packed.append(any_detail)
        status_proto = status_pb2.Status(code=status.value[0], message=bounded_message(exc.message), details=packed)
        trailers.append((STATUS_DETAILS_KEY, status_proto.SerializeToString()))
    return tuple(trailers)


async def _abort_for(exc: BaseException, context: grpc.aio.ServicerContext, method: str) -> None:
    if isinstance(exc, RagchatError):
        status = grpc_status_for(exc.code)
        await context.abort(status, bounded_message(exc.message), status_details(exc, status))
    log.exception("unhandled error in %s", method)
    await context.abort(grpc.StatusCode.INTERNAL, "Internal server error.")


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Turns domain errors into statuses; hides everything else behind INTERNAL."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method: str = handler_call_details.method
        return rewrap_handler(
            handler,
            lambda inner: _translating_unary(inner, method),
            lambda inner: _translating_stream(inner, method),
        )


def _is_translated(exc: BaseException) -> bool:
    # Cancellation and an abort already under way pass through untouched.
    return isinstance(exc, Exception) and not isinstance(exc, grpc.aio.AbortError)


def _translating_unary(inner: UnaryBehaviour, method: str) -> UnaryBehaviour:
    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await inner(request, context)
        except BaseException as exc:
            if not _is_translated(exc):
                raise
            await _abort_for(exc, context, method)

    return call


def _translating_stream(inner: StreamBehaviour, method: str) -> StreamBehaviour:
    async def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        try:
            async for item in inner(request, context):
                yield item
        except BaseException as exc:
            if not _is_translated(exc):
                raise
            await _abort_for(exc, context, method)

    return call


class GrpcServer:
    """A gRPC server with health, reflection and the error interceptor, stopped gracefully.

    ``service_token``: an internal service's server refuses every call without it (health
    excepted, for probes); None only for the gateway's public server, whose every method
    authenticates its caller's API key instead.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        service_token: str | None,
        interceptors: Iterable[grpc.aio.ServerInterceptor] = (),
    ) -> None:
        token_check = [] if service_token is None else [ServiceTokenInterceptor(service_token)]
        self.server = grpc.aio.server(
            # Outermost first: trace span, then metrics (they see the final status), then the
            # service token (a refused call runs nothing), then errors.
            interceptors=[
                *telemetry.grpc_server_interceptors(),
                GrpcMetricsInterceptor(),
                *token_check,
                DomainErrorInterceptor(),
                *interceptors,
            ],
            options=[
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
                # Clients reconnect (and re-resolve) every few minutes, so new replicas get traffic.
                ("grpc.max_connection_age_ms", 300_000),
                ("grpc.max_connection_age_grace_ms", 60_000),
            ],
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self._service_names: list[str] = [health.SERVICE_NAME, reflection.SERVICE_NAME]
        self.address = f"{host}:{port}"
        self.port = self.server.add_insecure_port(self.address)

    def add(self, register: Callable[[Any, grpc.aio.Server], None], servicer: Any, full_name: str) -> None:
        register(servicer, self.server)
        self._service_names.append(full_name)

    async def start(self) -> None:
        reflection.enable_server_reflection(self._service_names, self.server)
        await self.server.start()
        for name in ["", *self._service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def drain_and_stop(self, grace_s: float, drain_s: float = 0.0) -> None:
        """Readiness off first (NOT_SERVING), keep serving ``drain_s`` while balancers notice,
        then refuse new calls and finish in-flight ones within the grace period."""
        await self.health.enter_graceful_shutdown()
        if drain_s > 0:
            await asyncio.sleep(drain_s)
        await self.server.stop(grace_s)


async def serve_until_signalled(
    server: GrpcServer,
    grace_s: float,
    on_stop: Callable[[], Awaitable[None]] | None = None,
    *,
    settings: ServiceSettings | None = None,
) -> None:
    """Start the server, wait for SIGTERM/SIGINT, drain, run cleanup.

    With ``settings``: serves /healthz, /readyz and /metrics on ``settings.metrics_port`` (when
    not 0) and waits ``settings.shutdown_drain_s`` between readiness off and refusing calls.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    ops: OpsHttpServer | None = None
    if settings is not None and settings.metrics_port:
        ops = OpsHttpServer(settings.metrics_host, settings.metrics_port, ready=lambda: not stop.is_set())
        await ops.start()
    log.info("gRPC server listening", extra={"address": server.address, "metrics_port": ops.port if ops else None})
    await stop.wait()
    log.info("stopping gRPC server", extra={"grace_s": grace_s})
    await server.drain_and_stop(grace_s, settings.shutdown_drain_s if settings is not None else 0.0)
    if on_stop is not None:
        await on_stop()
    if ops is not None:
        await ops.stop()
