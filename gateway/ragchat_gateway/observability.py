"""Operations plumbing of the gateway: request ids, HTTP metrics, access log, /metrics, graceful
shutdown.

``ObservabilityMiddleware`` is plain ASGI (not ``BaseHTTPMiddleware``) so it never buffers a
streamed response: it stamps ``X-Request-ID`` on every response, times each request by its
route *template*, counts open SSE streams and, when asked, writes one access-log line per
request as its last byte goes out (a stream's line comes at its end, with its whole duration).
``serve`` runs uvicorn so that SIGTERM first turns readiness to 503 and only then, after
``shutdown_drain_s``, stops accepting connections; in-flight streams then get
``shutdown_grace_s`` to finish and the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import time
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragchat_common import metrics
from ragchat_common.ids import new_id
from ragchat_common.logging import request_id_var
from ragchat_gateway.protocol_edges import EnvelopeHttpProtocol

REQUEST_ID_HEADER = "X-Request-ID"
# A client's request id is echoed when it is a sane token; anything else is replaced.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

# Probes and scrapes come every few seconds from the kubelet and Prometheus; an access log of
# them would bury the requests of users.
_NOT_ACCESS_LOGGED = frozenset({"/healthz", "/readyz", "/metrics"})
access_logger = logging.getLogger("ragchat.access")

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class RouteTemplates:
    """The full path template (``/api/v1/chats/{chat_id}``) of the route a request matched.

    FastAPI sets ``scope["route"]`` to the route as its router declared it (without the prefix
    of ``include_router``); the full template comes from the app's route contexts, mapped once.
    """

    def __init__(self) -> None:
        self._by_route: dict[int, str] | None = None

    def __call__(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return metrics.UNMATCHED_ROUTE
        if self._by_route is None and "app" in scope:
            self._by_route = self._map(scope["app"])
        template = (self._by_route or {}).get(id(route)) or getattr(route, "path", None)
        return template if isinstance(template, str) else metrics.UNMATCHED_ROUTE

    @staticmethod
    def _map(app: Any) -> dict[int, str]:
        try:
            from fastapi.routing import iter_route_contexts
        except ImportError:  # older FastAPI: routes already carry their full path
            return {}
        mapping: dict[int, str] = {}
        for context in iter_route_contexts(getattr(app, "routes", [])):
            mapping.setdefault(id(context.original_route), str(context.path_format))
        return mapping


def _client_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text if _REQUEST_ID_RE.match(text) else None
    return None


def _log_access(scope: Scope, route: str, status: int, duration_s: float, body_bytes: int) -> None:
    path = scope.get("path", "")
    if path in _NOT_ACCESS_LOGGED:
        return
    method = scope.get("method", "")
    duration_ms = round(duration_s * 1000, 1)
    client = scope.get("client")
    # Set by the auth dependency once the key is known; a refused key leaves it out.
    principal = scope.get("state", {}).get("principal")
    access_logger.info(
        "%s %s %d %.1fms",
        method,
        path,
        status,
        duration_ms,
        extra={
            "method": method,
            "path": path,  # without the query string, which may carry names and filters
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "bytes": body_bytes,
            "client": client[0] if client else None,
            "tenant_id": getattr(principal, "tenant_id", None),
            "key_id": getattr(principal, "key_id", None),
        },
    )


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, access_log: bool = False) -> None:
        self.app = app
        self.route_template = RouteTemplates()
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _client_request_id(scope) or new_id()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        streaming = False
        recorded = False
        body_bytes = 0

        def record() -> None:
            # Once per request, just before its last byte goes out: a client that has the whole
            # response can already see it counted (and the stream no longer active).
            nonlocal recorded, streaming
            if recorded:
                return
            recorded = True
            if streaming:
                streaming = False
                metrics.ACTIVE_STREAMS.dec()
            route = self.route_template(scope)
            duration_s = time.perf_counter() - started
            labels = {"route": route, "method": scope.get("method", ""), "code": str(status)}
            metrics.HTTP_REQUESTS.labels(**labels).inc()
            metrics.HTTP_REQUEST_DURATION.labels(**labels).observe(duration_s)
            if self.access_log:
                _log_access(scope, route, status, duration_s, body_bytes)

        async def send_with_id(message: Message) -> None:
            nonlocal status, streaming, body_bytes
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
                if any(k.lower() == b"content-type" and v.startswith(b"text/event-stream") for k, v in headers):
                    streaming = True
                    metrics.ACTIVE_STREAMS.inc()
            elif message["type"] == "http.response.body":
                body_bytes += len(message.get("body", b""))
                if not message.get("more_body", False):
                    record()
            await send(message)

        metrics.HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.HTTP_IN_FLIGHT.dec()
            record()  # failed or abandoned responses are counted too
            request_id_var.reset(token)


def install_observability(app: FastAPI, *, access_log: bool = False) -> None:
    """Mount /metrics and the middleware (outermost, so it sees every response)."""
    app.include_router(router)
    app.add_middleware(ObservabilityMiddleware, access_log=access_log)


class DrainingServer(uvicorn.Server):
    """uvicorn, with readiness off *before* the listener closes.

    First SIGTERM/SIGINT: ``on_drain()`` (readiness → 503) at once; the server keeps serving
    for ``drain_s`` (load balancers stop routing to it meanwhile), then stops accepting and lets
    in-flight requests finish within uvicorn's ``timeout_graceful_shutdown``. A second signal
    stops at once (SIGINT twice forces). Unlike plain uvicorn it does not re-raise the signal
    after a clean shutdown, so the process exits 0.
    """

    def __init__(self, config: uvicorn.Config, on_drain: Callable[[], None], drain_s: float) -> None:
        super().__init__(config)
        self._on_drain = on_drain
        self._drain_s = drain_s
        self._drain_deadline: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_deadline is None:
            self._drain_deadline = time.monotonic() + self._drain_s
            self._on_drain()
            return
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        if await super().on_tick(counter):
            return True
        return self._drain_deadline is not None and time.monotonic() >= self._drain_deadline


_background_tasks: set[asyncio.Task[None]] = set()


def _background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(work)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


def serve(app: FastAPI, *, host: str, port: int, drain_s: float, grace_s: float, keepalive_s: int) -> None:
    def mark_draining() -> None:
        backends: Any = getattr(app.state, "backends", None)
        if backends is not None:
            backends.draining = True
        app.state.draining = True
        public_grpc: Any = getattr(app.state, "public_grpc", None)
        loop: asyncio.AbstractEventLoop | None = getattr(app.state, "loop", None)
        if public_grpc is not None and loop is not None:
            # The public gRPC health turns NOT_SERVING with readiness (called from a signal handler).
            loop.call_soon_threadsafe(lambda: _background(public_grpc.health.enter_graceful_shutdown()))

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(1, int(grace_s)),
        timeout_keep_alive=keepalive_s,
        http=EnvelopeHttpProtocol,
    )
    DrainingServer(config, on_drain=mark_draining, drain_s=drain_s).run()
