"""SIGTERM is a graceful stop: readiness off at once, in-flight work finished or handed back, exit 0.

Runs a gateway and two inference workers of their own (own queue namespace) against the session
stack's services, with a fake LLM that streams slowly enough to signal a process mid-answer.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ragchat_cli.stack import Process, Stack, StackConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_llm import FakeLLM

TOKENS = 30
DELAY_S = 0.1  # a whole answer takes ~3 s
ANSWER = " ".join(f"word{i}" for i in range(TOKENS)) + "."


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM(delay_s=DELAY_S) as fake:
        fake.script("", answer=ANSWER)
        yield fake


@pytest.fixture(scope="module")
def ops_stack(stack: Stack, fake_llm: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    addresses = {"RAGCHAT_" + name.upper().replace("-", "_") + "_ADDR": addr for name, addr in stack.addresses.items()}
    own = Stack(
        StackConfig(
            state_dir=Path(tmp_path_factory.mktemp("shutdown")),
            mongo_url=stack.mongo_url,
            service_token=stack.config.service_token,
            redis_url=stack.config.redis_url,
            amqp_url=stack.config.amqp_url,
            gateways=1,
            workers=2,
            only=("gateway", "inference-worker"),
            namespace=stack.config.namespace + "-shutdown",
            env={
                **addresses,
                "RAGCHAT_LLM_BASE_URL": fake_llm.url,
                "RAGCHAT_LLM_MODEL": "fake-model",
                "RAGCHAT_SHUTDOWN_DRAIN_S": "1.0",
                "RAGCHAT_SHUTDOWN_GRACE_S": "20",
            },
        )
    )
    with own:
        yield own


@pytest.fixture(scope="module")
def chat(ops_stack: Stack, make_key: Callable[[str], str]) -> dict[str, str]:
    key = make_key("shutdown-" + ops_stack.config.namespace)
    headers = {"Authorization": f"Bearer {key}"}
    reply = httpx.post(
        ops_stack.gateway_url + "/api/v1/chats",
        json={"name": "shutdown", "dataset_ids": [], "prompt": {"empty_response": ""}},
        headers=headers,
        timeout=30,
    ).json()
    assert reply["code"] == 0, reply
    return {"chat_id": reply["data"]["id"], "key": key}


class StreamReader(threading.Thread):
    """Reads one SSE completion in the background, recording events as they arrive."""

    def __init__(self, url: str, chat: dict[str, str], question: str) -> None:
        super().__init__(daemon=True)
        self.url, self.chat, self.question = url, chat, question
        self.events: list[Any] = []
        self.first_event = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.stream(
                "POST",
                f"{self.url}/api/v1/chats/{self.chat['chat_id']}/completions",
                json={"question": self.question, "stream": True},
                headers={"Authorization": f"Bearer {self.chat['key']}"},
                timeout=60,
            ) as response:
                assert response.status_code == 200, response.read()
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    self.events.append(payload if payload == "[DONE]" else json.loads(payload))
                    if len(self.events) >= 2:
                        self.first_event.set()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.first_event.set()

    def resets(self) -> int:
        return sum(1 for d in self._data() if d.get("reset"))

    def final_answer(self) -> str:
        """The answer as a client assembles it: deltas appended, a reset voids what came before."""
        text = ""
        data = self._data()
        assert any(d.get("final") for d in data), self.events
        for item in data:
            if item.get("reset"):
                text = ""
            elif not item.get("final"):
                text += str(item.get("answer", ""))
        return text

    def _data(self) -> list[dict[str, Any]]:
        return [e["data"] for e in self.events if isinstance(e, dict) and isinstance(e.get("data"), dict)]


def _wait_exit(proc: Process, timeout: float) -> int:
    return proc.popen.wait(timeout=timeout)


def test_sigterm_gateway_finishes_its_open_stream_and_exits_0(ops_stack: Stack, chat: dict[str, str]) -> None:
    gateway = ops_stack.find("gateway")[0]
    url = ops_stack.gateway_url
    reader = StreamReader(url, chat, "Tell me everything.")
    reader.start()
    assert reader.first_event.wait(30) and reader.error is None, reader.error
    started = time.monotonic()
    gateway.popen.send_signal(signal.SIGTERM)
    # Readiness turns 503 at once, while the process still serves (the drain window).
    ready = httpx.get(url + "/readyz", timeout=5)
    assert ready.status_code == 503, ready.text
    reader.join(30)
    assert reader.error is None, reader.error
    assert reader.events[-1] == "[DONE]", reader.events[-3:]
    assert reader.final_answer() == ANSWER
    assert _wait_exit(gateway, 30) == 0
    assert time.monotonic() - started >= 1.0  # listener kept open for the drain window
    # New work is refused once it has stopped.
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/healthz", timeout=2)
    ops_stack.restart(gateway)


def test_sigterm_worker_completes_the_job_it_holds(ops_stack: Stack, chat: dict[str, str]) -> None:
    holder, idle = ops_stack.find("inference-worker")
    # An idle worker stops at once and cleanly.
    idle.popen.send_signal(signal.SIGTERM)
    assert _wait_exit(idle, 30) == 0
    reader = StreamReader(ops_stack.gateway_url, chat, "Complete this one.")
    reader.start()
    assert reader.first_event.wait(30) and reader.error is None, reader.error
    holder.popen.send_signal(signal.SIGTERM)
    # Readiness off at once while it finishes the job it holds.
    assert httpx.get(f"http://127.0.0.1:{holder.port}/readyz", timeout=5).status_code == 503
    reader.join(30)
    assert reader.error is None, reader.error
    assert reader.final_answer() == ANSWER
    assert reader.resets() == 0  # finished by the worker that held it
    assert reader.events[-1] == "[DONE]"
    assert _wait_exit(holder, 30) == 0
    ops_stack.restart(idle)
    ops_stack.restart(holder)


def test_worker_stopped_past_its_grace_hands_the_job_back_and_another_answers(
    ops_stack: Stack, chat: dict[str, str]
) -> None:
    first, second = ops_stack.find("inference-worker")
    second.popen.send_signal(signal.SIGTERM)
    assert _wait_exit(second, 30) == 0
    # The holder gets less time than the answer needs: it must requeue the job, not drop it.
    first.popen.send_signal(signal.SIGTERM)
    assert _wait_exit(first, 30) == 0
    first.env["RAGCHAT_SHUTDOWN_GRACE_S"] = "0.5"
    holder = ops_stack.restart(first)
    reader = StreamReader(ops_stack.gateway_url, chat, "Redeliver this one.")
    reader.start()
    assert reader.first_event.wait(30) and reader.error is None, reader.error
    taker = ops_stack.restart(second)
    holder.popen.send_signal(signal.SIGTERM)
    assert _wait_exit(holder, 30) == 0
    reader.join(60)
    assert reader.error is None, reader.error
    assert reader.events[-1] == "[DONE]"
    assert reader.resets() == 1  # the restart is announced, never silently duplicated text
    assert reader.final_answer() == ANSWER  # answered in full by the other worker
    assert taker.popen.poll() is None


def test_sigterm_grpc_service_reports_not_serving_then_exits_0(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    addresses = {"RAGCHAT_" + name.upper().replace("-", "_") + "_ADDR": addr for name, addr in stack.addresses.items()}
    own = Stack(
        StackConfig(
            state_dir=Path(tmp_path_factory.mktemp("grpc-shutdown")),
            mongo_url=stack.mongo_url,
            service_token=stack.config.service_token,
            only=("chat-service",),
            namespace=stack.config.namespace + "-grpc-shutdown",
            env={**addresses, "RAGCHAT_SHUTDOWN_DRAIN_S": "2.0"},
        )
    )
    with own:
        service = own.find("chat-service")[0]
        with grpc.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            serving = health_pb2.HealthCheckResponse.SERVING
            assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == serving
            service.popen.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 1.5
            status = serving
            while status == serving and time.monotonic() < deadline:
                status = health.Check(health_pb2.HealthCheckRequest(), timeout=5).status
                time.sleep(0.05)
            # NOT_SERVING while still answering (the drain window), so balancers move away first.
            assert status == health_pb2.HealthCheckResponse.NOT_SERVING
        metrics_port = service.env["RAGCHAT_METRICS_PORT"]
        assert httpx.get(f"http://127.0.0.1:{metrics_port}/readyz", timeout=5).status_code == 503
        assert _wait_exit(service, 30) == 0
