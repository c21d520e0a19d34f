"""The Prometheus series of every ragchat process, defined once so all services share the names.

Conventions: prefix ``ragchat_``, base units (seconds, tokens), ``_total`` on counters, and only
bounded labels (route *templates*, gRPC method names, fixed outcome vocabularies; never ids,
raw paths, tenants or keys). Each process exposes the default registry: the gateway on its HTTP
port (``GET /metrics``), gRPC services and workers on their ops/metrics port.

Who records what:

- HTTP (gateway): ``ObservabilityMiddleware`` in the gateway records requests, latency and
  active streams.
- gRPC servers: ``GrpcMetricsInterceptor`` (installed by ``GrpcServer``).
- Rate limiter: ``ragchat_ratelimit_rejections_total{reason}`` (defined beside the limiter).
- Inference worker: ``CompletionMeter`` per answer (TTFT, tokens/s, outcome),
  ``observe_job_received`` (consumer lag), ``QUEUE_DEPTH`` (sampled).
- Ingest worker (Celery): ``INGEST_DOCUMENTS``, ``INGEST_IN_PROGRESS``, ``INGEST_DURATION``,
  served on its ``RAGCHAT_METRICS_PORT``; per-document progress itself is on the document.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Gauge, Histogram

from ragchat_common.grpc_handlers import rewrap_handler

# Latency buckets (seconds) for request-like work: 5 ms .. 60 s.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Whole completions and streams last longer.
_LONG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

# -- HTTP (gateway) ----------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "ragchat_http_requests_total",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "code"],
)
HTTP_REQUEST_DURATION = Histogram(
    "ragchat_http_request_duration_seconds",
    "Time from request to the end of the response (streams: to the last byte), by route template.",
    ["route", "method", "code"],
    buckets=_LATENCY_BUCKETS,
)
HTTP_IN_FLIGHT = Gauge("ragchat_http_requests_in_flight", "HTTP requests being served.")
ACTIVE_STREAMS = Gauge("ragchat_active_streams", "Streaming (SSE) responses open on this process.")

# Route label of a request that matched no route (404/405): one value, never the raw path.
UNMATCHED_ROUTE = "<unmatched>"

# -- gRPC servers ------------------------------------------------------------------------------
GRPC_SERVER_HANDLED = Counter(
    "ragchat_grpc_server_handled_total",
    "gRPC calls completed by the server, by method and status code.",
    ["method", "code"],
)
GRPC_SERVER_DURATION = Histogram(
    "ragchat_grpc_server_handling_seconds",
    "Server-side duration of gRPC calls, by method and status code.",
    ["method", "code"],
    buckets=_LATENCY_BUCKETS,
)

# -- rate limiting (gateway) -------------------------------------------------------------------
# The limiter's series live with it in ``ragchat_gateway.ratelimit.metrics`` (only the gateway
# limits): ``ragchat_ratelimit_rejections_total{reason="rate"|"streams"|"redis_unavailable"}``,
# ``ragchat_stream_leases_active``, ``ragchat_ratelimit_decision_seconds``, ...

# -- completion queue and worker ---------------------------------------------------------------
QUEUE_DEPTH = Gauge("ragchat_queue_depth_messages", "Messages ready in a work queue (sampled).", ["queue"])
QUEUE_CONSUMERS = Gauge("ragchat_queue_consumers", "Consumers attached to a work queue (sampled).", ["queue"])
JOB_LAG = Histogram(
    "ragchat_job_lag_seconds",
    "Consumer lag: time from a job's publication to a worker starting it.",
    buckets=_LATENCY_BUCKETS,
)
JOB_OUTCOMES = ("completed", "failed", "requeued", "superseded")
JOBS = Counter("ragchat_jobs_total", "Completion jobs finished by a worker, by outcome.", ["outcome"])
JOBS_IN_PROGRESS = Gauge("ragchat_jobs_in_progress", "Completion jobs this worker holds (unacked).")
JOBS_REDELIVERED = Counter("ragchat_jobs_redelivered_total", "Jobs received again after a worker failure.")
TIME_TO_FIRST_TOKEN = Histogram(
    "ragchat_completion_time_to_first_token_seconds",
    "Time from a worker starting a job to its first answer token.",
    buckets=_LATENCY_BUCKETS,
)
TOKENS_PER_SECOND = Histogram(
    "ragchat_completion_tokens_per_second",
    "Generation speed of an answer: completion tokens over the time from first to last token.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
COMPLETION_TOKENS = Counter("ragchat_completion_tokens_total", "Answer tokens generated.")
COMPLETION_DURATION = Histogram(
    "ragchat_completion_duration_seconds",
    "Time from a worker starting a job to its final event.",
    buckets=_LONG_BUCKETS,
)

# -- ingestion (retrieval-service) -------------------------------------------------------------
INGEST_DOCUMENTS = Counter(
    "ragchat_ingest_documents_total",
    "Parse tasks finished by the ingest worker, by result (done, failed, superseded).",
    ["result"],
)
INGEST_IN_PROGRESS = Gauge("ragchat_ingest_documents_in_progress", "Documents being parsed now.")
INGEST_DURATION = Histogram(
    "ragchat_ingest_duration_seconds", "Time to parse, chunk, embed and index one document.", buckets=_LONG_BUCKETS
)


def observe_job_received(published_at: float | None, redelivered: bool = False) -> None:
    """Record a job's consumer lag (``published_at``: unix seconds, e.g. the AMQP timestamp)."""
    if published_at:
        JOB_LAG.observe(max(0.0, time.time() - published_at))
    if redelivered:
        JOBS_REDELIVERED.inc()


class CompletionMeter:
    """Measures one answer in the worker: TTFT, tokens per second, duration, outcome.

    ``meter = CompletionMeter()`` when the job starts; ``meter.tokens(n)`` for each batch of
    generated tokens; ``meter.finish("completed")`` (or another of ``JOB_OUTCOMES``) once.
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.first_token_at: float | None = None
        self.last_token_at: float | None = None
        self.count = 0
        self._finished = False
        JOBS_IN_PROGRESS.inc()

    def tokens(self, n: int = 1) -> None:
        if n <= 0:
            return
        now = time.monotonic()
        if self.first_token_at is None:
            self.first_token_at = now
            TIME_TO_FIRST_TOKEN.observe(now - self.started)
        self.last_token_at = now
        self.count += n
        COMPLETION_TOKENS.inc(n)

    def finish(self, outcome: str = "completed") -> None:
        if self._finished:
            return
        self._finished = True
        JOBS_IN_PROGRESS.dec()
        JOBS.labels(outcome=outcome if outcome in JOB_OUTCOMES else "failed").inc()
        if outcome != "completed":
            return
        COMPLETION_DURATION.observe(time.monotonic() - self.started)
        if self.first_token_at is not None and self.last_token_at is not None and self.count > 1:
            span = self.last_token_at - self.first_token_at
            if span > 0:
                # The first token's arrival starts the clock, so it is not counted in the rate.
                TOKENS_PER_SECOND.observe((self.count - 1) / span)


# -- gRPC server interceptor -------------------------------------------------------------------


def _code_name(context: grpc.aio.ServicerContext, failed: bool) -> str:
    try:
        code = context.code()
    except Exception:  # older runtimes: no code() on the context
        code = None
    if code is None:
        return "UNKNOWN" if failed else "OK"
    if isinstance(code, grpc.StatusCode):
        return str(code.name)
    # grpc.aio may hand back the raw integer of the status code
    for status in grpc.StatusCode:
        if status.value[0] == code:
            return str(status.name)
    return "UNKNOWN"


def _record(method: str, context: grpc.aio.ServicerContext, started: float, failed: bool) -> None:
    code = _code_name(context, failed)
    GRPC_SERVER_HANDLED.labels(method=method, code=code).inc()
    GRPC_SERVER_DURATION.labels(method=method, code=code).observe(time.perf_counter() - started)


class GrpcMetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Counts and times every call by method (``/package.Service/Method``) and status code."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method: str = handler_call_details.method
        if method.startswith("/grpc.health.") or method.startswith("/grpc.reflection."):
            return handler  # probes would drown the signal
        return rewrap_handler(
            handler, lambda inner: _timed_unary(inner, method), lambda inner: _timed_stream(inner, method)
        )


def _timed_unary(
    inner: Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]], method: str
) -> Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]:
    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        started, failed = time.perf_counter(), False
        try:
            return await inner(request, context)
        except BaseException:
            failed = True
            raise
        finally:
            _record(method, context, started, failed)

    return call


def _timed_stream(
    inner: Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]], method: str
) -> Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]:
    async def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        started, failed = time.perf_counter(), False
        try:
            async for item in inner(request, context):
                yield item
        except BaseException:
            failed = True
            raise
        finally:
            _record(method, context, started, failed)

    return call
