"""OpenTelemetry tracing for every ragchat process: off by default, one call to turn it on.

``setup_telemetry(service_name)`` installs a tracer provider and the maintained
instrumentations (gRPC aio server and client, redis, pymongo, aio-pika, httpx) only when an
exporter is configured; otherwise nothing is imported beyond the API and every helper below is a
no-op, so tracing costs nothing when off.

Configuration is the standard ``OTEL_*`` environment:

- ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``: export OTLP there
  (``OTEL_EXPORTER_OTLP_PROTOCOL`` ``grpc`` (default) or ``http/protobuf``).
- ``OTEL_TRACES_EXPORTER``: ``otlp``, ``console``, ``none`` (comma-separated). Unlike the SDK's
  own default, an unset value with no endpoint means *off*: operators opt in.
- ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER[_ARG]``,
  ``OTEL_SDK_DISABLED`` as the SDK defines them.
- ``RAGCHAT_TRACE_FILE=path``: also write every finished span as one JSON line to ``path``
  (synchronously, so spans of a process that is stopped are not lost); used by the tests to
  collect spans from all processes of a stack.

Context crosses process boundaries as W3C ``traceparent``: HTTP and gRPC metadata through the
instrumentations, AMQP message headers through ``inject_headers``/``extract_context`` (the
aio-pika instrumentation does the same for ``Exchange.publish`` and ``Queue.consume``), and
stream events through ``current_traceparent``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger(__name__)

TRACE_FILE_ENV = "RAGCHAT_TRACE_FILE"
_TRACER_NAME = "ragchat"
_lock = threading.Lock()
_enabled = False


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def configured_exporters(environ: Mapping[str, str] | None = None) -> list[str]:
    """The exporters the environment asks for (empty: tracing stays off)."""
    env = os.environ if environ is None else environ
    if _truthy(env.get("OTEL_SDK_DISABLED")):
        return []
    names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names and (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        names = ["otlp"]
    names = [n for n in names if n != "none"]
    if env.get(TRACE_FILE_ENV):
        names.append("file")
    return names


def tracing_enabled() -> bool:
    return _enabled


def setup_telemetry(service_name: str) -> bool:
    """Install tracing for this process when configured; idempotent. Returns whether it is on."""
    global _enabled
    with _lock:
        if _enabled:
            return True
        exporters = configured_exporters()
        if not exporters:
            return False
        _install_provider(service_name, exporters)
        _instrument_libraries()
        _enabled = True
    log.info("tracing on", extra={"exporters": exporters})
    return True


def _install_provider(service_name: str, exporters: Sequence[str]) -> None:
    from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES take precedence over the built-in name.
    resource = Resource.create({SERVICE_NAME: service_name}).merge(OTELResourceDetector().detect())
    provider = TracerProvider(resource=resource)
    for name in exporters:
        if name == "otlp":
            provider.add_span_processor(BatchSpanProcessor(_otlp_exporter()))
        elif name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name == "file":
            provider.add_span_processor(SimpleSpanProcessor(json_lines_exporter(os.environ[TRACE_FILE_ENV])))
        else:
            log.warning("unknown trace exporter ignored", extra={"exporter": name})
    trace.set_tracer_provider(provider)


def _otlp_exporter() -> SpanExporter:
    protocol = (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "grpc"
    )
    if protocol.startswith("http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        return HttpExporter()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

    return GrpcExporter()


def _instrument_libraries() -> None:
    """The maintained instrumentations of the client libraries every service uses."""
    from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (RedisInstrumentor(), PymongoInstrumentor(), AioPikaInstrumentor(), HTTPXClientInstrumentor()):
        try:
            instrumentor.instrument()
        except Exception:  # a missing optional library must not stop the service
            log.warning("instrumentation unavailable", extra={"instrumentor": type(instrumentor).__name__})


# -- hooks used by the shared plumbing ---------------------------------------------------------


def grpc_server_interceptors() -> list[Any]:
    """Interceptors a ``grpc.aio.server`` needs for tracing (none when off)."""
    if not _enabled:
        return []
    from opentelemetry.instrumentation.grpc import aio_server_interceptor

    return [aio_server_interceptor()]  # type: ignore[no-untyped-call]


def grpc_client_interceptors() -> list[Any]:
    """Interceptors a ``grpc.aio`` channel needs to carry the trace context (none when off)."""
    if not _enabled:
        return []
    from opentelemetry.instrumentation.grpc import aio_client_interceptors

    return list(aio_client_interceptors())  # type: ignore[no-untyped-call]


def instrument_fastapi(app: FastAPI) -> None:
    """Server spans for the gateway's routes; one span per request, not per SSE chunk."""
    if not _enabled:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"])


# -- context propagation across AMQP and Redis ----------------------------------------------


def inject_headers(headers: MutableMapping[str, Any] | None = None) -> MutableMapping[str, Any]:
    """Write the current trace context (``traceparent``, ``tracestate``) into ``headers``.

    Use on AMQP message headers before publishing; returns the mapping (a new dict when None).
    """
    carrier: MutableMapping[str, Any] = {} if headers is None else headers
    if _enabled:
        propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, Any] | None) -> otel_context.Context:
    """The trace context carried by AMQP headers or a stream event (empty when absent)."""
    if not headers:
        return otel_context.get_current()
    carrier = {str(k): (v.decode() if isinstance(v, bytes) else str(v)) for k, v in headers.items() if v is not None}
    return propagate.extract(carrier)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, for fields of Redis stream events."""
    if not _enabled:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def span(
    name: str,
    *,
    parent: otel_context.Context | None = None,
    kind: trace.SpanKind = trace.SpanKind.INTERNAL,
    attributes: Mapping[str, str | int | float | bool] | None = None,
) -> Iterator[trace.Span]:
    """A span around a unit of work, optionally continuing a context from ``extract_context``.

    When ``parent`` is given it becomes the current context for the block too, so nested calls
    (gRPC, Redis, httpx) join the same trace.
    """
    tracer = trace.get_tracer(_TRACER_NAME)
    token = otel_context.attach(parent) if parent is not None else None
    try:
        with tracer.start_as_current_span(name, kind=kind, attributes=dict(attributes or {})) as current:
            yield current
    finally:
        if token is not None:
            otel_context.detach(token)


def consumer_span(name: str, headers: Mapping[str, Any] | None) -> Any:
    """A CONSUMER span continuing the trace of an AMQP message's headers."""
    return span(name, parent=extract_context(headers), kind=trace.SpanKind.CONSUMER)


def current_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) of the current span as hex, or (None, None)."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


# -- the file exporter -----------------------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Sequence):
        return list(value)
    return str(value)


def span_to_dict(item: ReadableSpan) -> dict[str, Any]:
    ctx = item.get_span_context()
    parent = item.parent
    resource = item.resource.attributes if item.resource is not None else {}
    return {
        "name": item.name,
        "service": resource.get("service.name"),
        "trace_id": format(ctx.trace_id, "032x") if ctx else None,
        "span_id": format(ctx.span_id, "016x") if ctx else None,
        "parent_id": format(parent.span_id, "016x") if parent is not None else None,
        "kind": item.kind.name,
        "start_ns": item.start_time,
        "end_ns": item.end_time,
        "status": item.status.status_code.name,
        "attributes": {k: _plain(v) for k, v in (item.attributes or {}).items()},
        "pid": os.getpid(),
    }


def json_lines_exporter(path: str) -> SpanExporter:
    """An exporter appending each span as one JSON line to ``path``.

    Several processes may share the file: it is opened with O_APPEND and each batch is one
    write, so lines of concurrent writers do not interleave.
    """
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class JsonLinesSpanExporter(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            data = "".join(json.dumps(span_to_dict(s), default=str) + "\n" for s in spans).encode()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            return SpanExportResult.SUCCESS

    return JsonLinesSpanExporter()
