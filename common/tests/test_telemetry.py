"""Tracing is off by default and costs nothing; when on, context crosses AMQP-style headers.

Each scenario runs in a fresh interpreter: a tracer provider is process-global state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ragchat_common.telemetry import configured_exporters


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_") and k != "RAGCHAT_TRACE_FILE"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_exporters_follow_the_standard_variables() -> None:
    assert configured_exporters({}) == []
    # The SDK's own default would be "otlp"; ragchat only traces when asked to.
    assert configured_exporters({"OTEL_TRACES_EXPORTER": "none"}) == []
    assert configured_exporters({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}) == ["otlp"]
    assert configured_exporters({"OTEL_TRACES_EXPORTER": "console,otlp"}) == ["console", "otlp"]
    assert configured_exporters({"RAGCHAT_TRACE_FILE": "/tmp/x"}) == ["file"]
    assert configured_exporters({"OTEL_SDK_DISABLED": "true", "RAGCHAT_TRACE_FILE": "/tmp/x"}) == []


def test_off_by_default_installs_nothing() -> None:
    result = _run(
        """
        import sys
        from opentelemetry import trace
        from ragchat_common import telemetry
        assert telemetry.setup_telemetry("svc") is False
        assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
        assert telemetry.grpc_server_interceptors() == [] and telemetry.grpc_client_interceptors() == []
        with telemetry.span("work"):
            headers = telemetry.inject_headers({})
        assert headers == {}, headers
        assert telemetry.current_traceparent() is None
        # no SDK, no instrumentation imported when off
        loaded = [m for m in sys.modules if m.startswith(("opentelemetry.sdk", "opentelemetry.instrumentation"))]
        print(len(loaded))
        """,
        {},
    )
    assert result.stdout.strip() == "0"


def test_file_exporter_links_spans_across_a_header_hop(tmp_path: Path) -> None:
    trace_file = tmp_path / "spans.jsonl"
    producer = _run(
        """
        import json
        from opentelemetry.trace import SpanKind
        from ragchat_common import telemetry
        assert telemetry.setup_telemetry("producer")
        with telemetry.span("publish job", kind=SpanKind.PRODUCER):
            headers = telemetry.inject_headers({"x-other": "kept"})
        print(json.dumps(headers))
        """,
        {"RAGCHAT_TRACE_FILE": str(trace_file)},
    )
    headers = json.loads(producer.stdout.strip().splitlines()[-1])
    assert headers["x-other"] == "kept" and headers["traceparent"].startswith("00-")
    # AMQP may hand header values back as bytes.
    encoded = {k: v.encode() for k, v in headers.items()}
    consumer = _run(
        f"""
        from ragchat_common import telemetry
        assert telemetry.setup_telemetry("consumer")
        with telemetry.consumer_span("handle job", {encoded!r}):
            with telemetry.span("inner"):
                print(telemetry.current_traceparent())
        """,
        {"RAGCHAT_TRACE_FILE": str(trace_file), "OTEL_SERVICE_NAME": "worker-override"},
    )
    spans = [json.loads(line) for line in trace_file.read_text().splitlines()]
    by_name = {s["name"]: s for s in spans}
    publish, handle, inner = by_name["publish job"], by_name["handle job"], by_name["inner"]
    assert publish["service"] == "producer"
    assert handle["service"] == "worker-override"  # OTEL_SERVICE_NAME wins
    assert publish["trace_id"] == handle["trace_id"] == inner["trace_id"]
    assert handle["parent_id"] == publish["span_id"] and handle["kind"] == "CONSUMER"
    assert inner["parent_id"] == handle["span_id"]
    assert consumer.stdout.strip().startswith(f"00-{inner['trace_id']}-{inner['span_id']}-")
    assert publish["pid"] != handle["pid"]
