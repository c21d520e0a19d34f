"""Every process serves Prometheus /metrics, and the key series move with real traffic.

A gateway and an inference worker of their own (own queue namespace, fake LLM) in front of the
session stack's gRPC services and ingest worker, which serve /metrics on their RAGCHAT_METRICS_PORT.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ragchat_cli.stack import Process, Stack, StackConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_llm import FakeLLM

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
ANSWER = "Metrics are moving nicely today, thank you for asking."


@pytest.fixture(scope="module")
def front(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    addresses = {"RAGCHAT_" + name.upper().replace("-", "_") + "_ADDR": addr for name, addr in stack.addresses.items()}
    with FakeLLM(delay_s=0.01) as fake:
        fake.script("", answer=ANSWER)
        own = Stack(
            StackConfig(
                state_dir=Path(tmp_path_factory.mktemp("metrics")),
                mongo_url=stack.mongo_url,
                service_token=stack.config.service_token,
                redis_url=stack.config.redis_url,
                amqp_url=stack.config.amqp_url,
                only=("gateway", "inference-worker"),
                namespace=stack.config.namespace + "-metrics",
                env={**addresses, "RAGCHAT_LLM_BASE_URL": fake.url, "RAGCHAT_LLM_MODEL": "fake-model"},
            )
        )
        with own:
            yield own


def metrics_url(proc: Process) -> str:
    port = proc.env.get("RAGCHAT_METRICS_PORT") or str(proc.port)
    return f"http://127.0.0.1:{port}/metrics"


def scrape(proc: Process) -> Samples:
    deadline = time.monotonic() + 30
    while True:  # a process without a readiness probe (the ingest worker) may still be starting
        try:
            reply = httpx.get(metrics_url(proc), timeout=10)
            break
        except httpx.ConnectError:
            assert time.monotonic() < deadline, f"{proc.spec.name} serves no /metrics"
            time.sleep(0.3)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels`` (0 when absent)."""
    want = set(labels.items())
    return sum(v for (n, lbls), v in samples.items() if n == name and want <= lbls)


def has(samples: Samples, name: str) -> bool:
    return any(n == name for n, _ in samples)


def test_every_process_exposes_the_key_series_and_they_move(
    stack: Stack, front: Stack, make_key: Callable[[str], str]
) -> None:
    gateway = front.find("gateway")[0]
    worker = front.find("inference-worker")[0]
    services = {
        name: stack.find(name)[0] for name in ("chat-service", "session-service", "retrieval-service", "ingest-worker")
    }
    processes = {"gateway": gateway, "inference-worker": worker, **services}
    before = {name: scrape(proc) for name, proc in processes.items()}

    headers = {"Authorization": f"Bearer {make_key('metrics-' + front.config.namespace)}"}
    api = front.gateway_url + "/api/v1"
    dataset = httpx.post(api + "/datasets", json={"name": "metrics-kb"}, headers=headers, timeout=30).json()
    assert dataset["code"] == 0, dataset
    dataset_id = dataset["data"]["id"]
    uploaded = httpx.post(
        f"{api}/datasets/{dataset_id}/documents",
        files={"file": ("metrics.txt", b"Prometheus scrapes every ragchat process. " * 20, "text/plain")},
        headers=headers,
        timeout=30,
    ).json()
    assert uploaded["code"] == 0, uploaded
    document_id = uploaded["data"][0]["id"]
    parse = httpx.post(
        f"{api}/datasets/{dataset_id}/chunks", json={"document_ids": [document_id]}, headers=headers, timeout=30
    ).json()
    assert parse["code"] == 0, parse
    deadline = time.monotonic() + 90
    while True:
        docs = httpx.get(f"{api}/datasets/{dataset_id}/documents", headers=headers, timeout=30).json()["data"]["docs"]
        if docs[0]["run"] in ("DONE", "FAIL"):
            break
        assert time.monotonic() < deadline, docs
        time.sleep(0.5)
    assert docs[0]["run"] == "DONE", docs
    # A chat over a dataset needs a parsed document in it (as RAGFlow).
    chat = httpx.post(
        api + "/chats",
        json={"name": "metrics", "dataset_ids": [dataset["data"]["id"]], "prompt": {"empty_response": ""}},
        headers=headers,
        timeout=30,
    ).json()
    assert chat["code"] == 0, chat
    chat_id = chat["data"]["id"]
    reply = httpx.post(
        f"{api}/chats/{chat_id}/completions", json={"question": "How are metrics?"}, headers=headers, timeout=60
    )
    assert reply.status_code == 200 and "data: [DONE]" in reply.text, reply.text
    assert httpx.get(api + "/no/such/route", timeout=10).status_code == 404
    assert httpx.get(f"{api}/chats/{'0' * 32}", headers=headers, timeout=10).status_code == 404

    after = {name: scrape(proc) for name, proc in processes.items()}

    def moved(process: str, name: str, **labels: str) -> float:
        return value(after[process], name, **labels) - value(before[process], name, **labels)

    completion_route = {"route": "/api/v1/chats/{chat_id}/completions", "method": "POST", "code": "200"}
    # gateway: rate and latency by route template (never the raw path), streams, limiter
    assert moved("gateway", "ragchat_http_requests_total", **completion_route) == 1, "\n".join(
        str(k) for k in after["gateway"] if k[0] == "ragchat_http_requests_total"
    )
    assert moved("gateway", "ragchat_http_request_duration_seconds_count", **completion_route) == 1
    assert moved("gateway", "ragchat_http_requests_total", route="<unmatched>", code="404") == 1
    assert chat_id not in httpx.get(metrics_url(gateway), timeout=10).text
    assert value(after["gateway"], "ragchat_active_streams") == 0  # the stream ended
    assert moved("gateway", "ragchat_ratelimit_decision_seconds_count") >= 3
    assert has(after["gateway"], "ragchat_stream_leases_active")
    # gRPC services: latency and outcome by method and code
    assert moved("chat-service", "ragchat_grpc_server_handled_total", code="OK") >= 2  # create + get
    assert moved("chat-service", "ragchat_grpc_server_handling_seconds_count", code="OK") >= 2
    get_chat = "/ragchat.chat.v1.ChatService/GetChat"
    assert moved("chat-service", "ragchat_grpc_server_handled_total", method=get_chat, code="NOT_FOUND") == 1
    session_append = "/ragchat.session.v1.SessionService/AppendUserMessage"
    assert moved("session-service", "ragchat_grpc_server_handled_total", method=session_append, code="OK") == 1
    search = "/ragchat.retrieval.v1.RetrievalService/Search"
    assert moved("retrieval-service", "ragchat_grpc_server_handled_total", method=search, code="OK") == 1
    # ingest worker: parse tasks by result, their duration, none left running
    assert moved("ingest-worker", "ragchat_ingest_documents_total", result="done") == 1
    assert moved("ingest-worker", "ragchat_ingest_duration_seconds_count") == 1
    assert value(after["ingest-worker"], "ragchat_ingest_documents_in_progress") == 0
    # worker: jobs, consumer lag, time to first token, tokens per second, queue depth
    assert moved("inference-worker", "ragchat_jobs_total", outcome="completed") == 1
    assert moved("inference-worker", "ragchat_job_lag_seconds_count") == 1
    assert moved("inference-worker", "ragchat_completion_time_to_first_token_seconds_count") == 1
    assert moved("inference-worker", "ragchat_completion_tokens_per_second_count") == 1
    assert moved("inference-worker", "ragchat_completion_tokens_total") >= 5
    assert value(after["inference-worker"], "ragchat_jobs_in_progress") == 0
    queue = front.config.namespace + ".completions"
    assert has(after["inference-worker"], "ragchat_queue_depth_messages")
    assert value(after["inference-worker"], "ragchat_queue_consumers", queue=queue) >= 1
