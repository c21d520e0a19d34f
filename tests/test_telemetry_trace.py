"""One completion is one trace across the real processes: gateway → session-service (gRPC) →
RabbitMQ → inference-worker → retrieval-service (gRPC) → LLM (HTTP) → Redis.

A stack of its own with tracing on (``RAGCHAT_TRACE_FILE``: every process appends its spans to
one JSON-lines file) and a fake OpenAI-compatible LLM.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from knowledge import parsed_dataset
from redis import Redis

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.events import LOG_FIELD, decode_event, stream_log_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_llm import FakeLLM

Span = dict[str, Any]


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Path]]:
    state = Path(tmp_path_factory.mktemp("traced"))
    trace_file = state / "spans.jsonl"
    with FakeLLM() as fake:
        fake.script("", answer="Traced answer.")
        config = StackConfig(
            state_dir=state,
            env={
                "RAGCHAT_TRACE_FILE": str(trace_file),
                "RAGCHAT_LLM_BASE_URL": fake.url,
                "RAGCHAT_LLM_MODEL": "fake-model",
            },
        )
        with Stack(config) as running:
            yield running, trace_file


def _spans(trace_file: Path) -> list[Span]:
    return [json.loads(line) for line in trace_file.read_text().splitlines() if line.strip()]


def _ancestors(span: Span, by_id: dict[str, Span]) -> list[Span]:
    chain = []
    current = span
    while current.get("parent_id") and current["parent_id"] in by_id:
        current = by_id[current["parent_id"]]
        chain.append(current)
    return chain


def test_one_completion_is_one_trace_across_every_hop(traced: tuple[Stack, Path]) -> None:
    stack, trace_file = traced
    headers = {"Authorization": f"Bearer {mint_key(stack.mongo_url, 'traced')}"}
    api = stack.gateway_url + "/api/v1"
    with httpx.Client(base_url=api, headers=headers, timeout=30) as http:
        dataset = parsed_dataset(http)  # a chat over a dataset needs a parsed document in it
    chat = httpx.post(
        api + "/chats",
        json={"name": "traced", "dataset_ids": [dataset["id"]], "prompt": {"empty_response": ""}},
        headers=headers,
        timeout=30,
    ).json()
    assert chat["code"] == 0, chat
    reply = httpx.post(
        f"{api}/chats/{chat['data']['id']}/completions",
        json={"question": "Is this traced?", "stream": True},
        headers={**headers, "X-Request-ID": "trace-me-1"},
        timeout=60,
    )
    assert reply.status_code == 200 and "data: [DONE]" in reply.text, reply.text
    assert reply.headers["x-request-id"] == "trace-me-1"

    deadline = time.monotonic() + 15
    while True:
        spans = _spans(trace_file)
        roots = [
            s
            for s in spans
            if s["service"] == "gateway"
            and s["kind"] == "SERVER"
            and s["attributes"].get("http.route") == "/api/v1/chats/{chat_id}/completions"
        ]
        assert len(roots) <= 1, roots
        # The request span ends just after the last byte; the worker's once the job is acked.
        trace = [s for s in spans if roots and s["trace_id"] == roots[0]["trace_id"]]
        services = {s["service"] for s in trace}
        if {"gateway", "session-service", "inference-worker", "retrieval-service"} <= services:
            break
        assert time.monotonic() < deadline, f"completion spans: {len(roots)}; services in its trace: {sorted(services)}"
        time.sleep(0.3)

    root = roots[0]
    assert root["parent_id"] is None
    by_id = {s["span_id"]: s for s in trace}
    # Every span of the trace hangs off the gateway's request span (no orphan, no second root).
    for span in trace:
        if span is not root:
            assert root in _ancestors(span, by_id), span

    def first(service: str, kind: str) -> Span:
        matches = [s for s in trace if s["service"] == service and s["kind"] == kind]
        assert matches, f"no {kind} span from {service}: {[(s['service'], s['kind'], s['name']) for s in trace]}"
        return min(matches, key=lambda s: s["start_ns"])

    # gateway → session-service over gRPC
    session_call = first("session-service", "SERVER")
    chain = [s["service"] for s in _ancestors(session_call, by_id)]
    assert chain and chain[0] == "gateway", chain
    # gateway → AMQP → worker → retrieval-service → (LLM, Redis), in parent order
    search = next(
        s for s in trace if s["service"] == "retrieval-service" and s["kind"] == "SERVER" and "Search" in s["name"]
    )
    path = [search, *_ancestors(search, by_id)]
    services_up = [s["service"] for s in path]
    assert services_up[0] == "retrieval-service"
    worker_at = services_up.index("inference-worker")
    gateway_at = services_up.index("gateway")
    assert 0 < worker_at < gateway_at, services_up
    assert all(s == "gateway" for s in services_up[gateway_at:]), services_up
    consumer = next(s for s in path if s["service"] == "inference-worker" and s["kind"] == "CONSUMER")
    producer = by_id[consumer["parent_id"]]
    assert producer["service"] == "gateway" and producer["kind"] == "PRODUCER", producer
    assert producer["start_ns"] <= consumer["start_ns"] <= search["start_ns"]
    # The stream events carry the trace context of the worker span that emitted them.
    message_id = next(
        json.loads(line[5:])["data"]["id"]
        for line in reply.text.splitlines()
        if line.startswith("data: {") and isinstance(json.loads(line[5:]).get("data"), dict)
    )
    log = Redis.from_url(stack.config.redis_url).xrange(stream_log_key(stack.config.namespace, message_id))
    events = [decode_event(fields[LOG_FIELD]) for _, fields in log]
    assert events and all(e.traceparent.split("-")[1] == root["trace_id"] for e in events), events
    emitters = {e.traceparent.split("-")[2] for e in events}
    assert all(by_id[span_id]["service"] == "inference-worker" for span_id in emitters), emitters
    # The worker's outbound hops are in the same trace: the LLM over HTTP and the Redis publish.
    worker_clients = [s for s in trace if s["service"] == "inference-worker" and s["kind"] == "CLIENT"]
    assert any(s["name"].startswith("POST") for s in worker_clients), [s["name"] for s in worker_clients]
    assert any("PUBLISH" in s["name"] or "EVALSHA" in s["name"] or "XADD" in s["name"] for s in worker_clients), [
        s["name"] for s in worker_clients
    ]
