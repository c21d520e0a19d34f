"""Streams survive crashes (API.md §9.2): every process is killed mid-answer, on real processes.

A stack of its own (SecantusDB, chat, session and retrieval services) so its services can be
killed without touching the run's shared stack; on it, two gateways and two workers answer from
the paced fake LLM (answers take a second or more). A second group has a Redis and a RabbitMQ of
its own (started here, never the machine's) to restart them. Each case checks what the client
read, what the session stored, and the stream-slot counters in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
import redis
from fake_llm import FakeLLM, start_completion_group
from sse_client import Answer, aread, message_path, read, resume

from ragchat_cli import dev
from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Process, Stack, StackConfig
from ragchat_common.ids import new_id
from ragchat_common.jobs import completion_queue

PACED = " ".join(f"w{i}" for i in range(60)) + "."  # 61 tokens, 30 ms apart: ~1.8 s
DELAY_S = 0.03
GROUP_ENV = {
    "RAGCHAT_RATELIMIT_LEASE_TTL_S": "3",  # a killed gateway's slots come back within 3 s
    "RAGCHAT_SSE_PING_S": "1",
    "RAGCHAT_COMPLETION_TIMEOUT_S": "60",
    "RAGCHAT_SHUTDOWN_GRACE_S": "2",
}
NEVER_HANG_S = 30.0  # well under the read timeout of a real client


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig(
        state_dir=Path(tmp_path_factory.mktemp("crash-base")),
        only=("chat-service", "session-service", "retrieval-service"),
    )
    with Stack(config) as running:
        yield running


@pytest.fixture(scope="module")
def group(base: Stack, fake: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_completion_group(
        base, Path(tmp_path_factory.mktemp("crash-group")), fake, gateways=2, workers=2, env=GROUP_ENV
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def key(base: Stack) -> str:
    return mint_key(base.mongo_url, "crash-" + new_id()[:8])


@pytest.fixture(scope="module")
def chat_id(group: Stack, key: str) -> str:
    return make_chat(group.gateway_urls[0], key)


def make_chat(gateway_url: str, key: str, **fields: Any) -> str:
    response = httpx.post(
        gateway_url + "/api/v1/chats",
        json={"name": "crash-" + new_id()[:12], "dataset_ids": [], **fields},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 200 and response.json()["code"] == 0, response.text
    return str(response.json()["data"]["id"])


def client(gateway_url: str, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=NEVER_HANG_S
    )


def ask(
    api: httpx.Client, fake: FakeLLM, chat_id: str, *, deltas: int | None = None, body: dict[str, Any] | None = None
) -> tuple[Answer, str]:
    question = "crash " + new_id()
    fake.script(question, answer=PACED, delay_s=DELAY_S)
    answer = Answer()
    request = {"question": question, **(body or {})}
    with api.stream("POST", f"/chats/{chat_id}/completions", json=request) as response:
        assert response.status_code == 200, response.read()
        read(response, answer, deltas=deltas)
    return answer, question


def answers_stored(api: httpx.Client, chat_id: str, answer: Answer) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    # 503 while the gateway reconnects to a restarted service (gRPC reconnect backoff).
    while (response := api.get(f"/chats/{chat_id}/sessions/{answer.session_id}")).status_code == 503:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.2)
    assert response.status_code == 200, response.text
    return [m for m in response.json()["data"]["messages"] if m["id"] == answer.message_id and m["role"] == "assistant"]


def held_slots(redis_url: str, namespace: str) -> int:
    with contextlib.closing(redis.Redis.from_url(redis_url)) as r:
        return sum(int(r.zcard(k)) for k in r.scan_iter(match=f"{namespace}:streams:*"))


def wait_no_slots(redis_url: str, namespace: str, within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while (held := held_slots(redis_url, namespace)) != 0:
        assert time.monotonic() < deadline, f"{held} stream slots still held"
        time.sleep(0.1)


def owner_of_connection(local_port: int, candidates: list[Process]) -> Process:
    """The process among ``candidates`` holding the TCP socket bound to ``local_port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                    inodes.add(fields[9])
    for proc in candidates:
        for fd in Path(f"/proc/{proc.popen.pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = fd.readlink().name
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return proc
    raise AssertionError(f"no candidate holds the connection from port {local_port}")


# -- gateway and worker ---------------------------------------------------------------------------


def test_a_killed_gateways_client_resumes_on_the_other_one_and_gets_the_whole_answer_once(
    group: Stack, fake: FakeLLM, key: str, chat_id: str
) -> None:
    first = group.find("gateway")[0]
    with client(group.gateway_urls[0], key) as api, client(group.gateway_urls[1], key) as other:
        question = "crash " + new_id()
        fake.script(question, answer=PACED, delay_s=DELAY_S)
        answer = Answer()
        with api.stream("POST", f"/chats/{chat_id}/completions", json={"question": question}) as response:
            read(response, answer, deltas=5)
            group.kill(first, signal.SIGKILL)
            with contextlib.suppress(httpx.HTTPError):
                read(response, answer)
        assert not answer.finished and answer.text
        resume(other, chat_id, answer)
        assert answer.finished and answer.error is None and answer.resets == 0
        assert answer.text == PACED
        assert [m["content"] for m in answers_stored(other, chat_id, answer)] == [PACED]
    group.restart(first)
    # The dead gateway's slot expires (lease TTL); the others were released.
    wait_no_slots(group.config.redis_url, group.config.namespace)


def test_a_killed_worker_s_job_is_redelivered_reset_and_answered_once(
    group: Stack, fake: FakeLLM, key: str, chat_id: str
) -> None:
    with client(group.gateway_urls[1], key) as api:
        question = "crash " + new_id()
        fake.script(question, answer=PACED, delay_s=DELAY_S)
        answer = Answer()
        with api.stream("POST", f"/chats/{chat_id}/completions", json={"question": question}) as response:
            read(response, answer, deltas=5)
            holder = owner_of_connection(fake.peer_ports[question], group.find("inference-worker"))
            group.kill(holder, signal.SIGKILL)
            read(response, answer)
        assert answer.finished and answer.error is None
        assert answer.resets == 1 and answer.text == PACED
        assert [m["content"] for m in answers_stored(api, chat_id, answer)] == [PACED]
    group.restart(holder)
    wait_no_slots(group.config.redis_url, group.config.namespace)


# -- the services behind them ---------------------------------------------------------------------


def _finishes(api: httpx.Client, chat_id: str, answer: Answer, response: httpx.Response) -> None:
    started = time.monotonic()
    read(response, answer)
    assert answer.finished, "the stream ended without its terminators"
    assert time.monotonic() - started < NEVER_HANG_S


def test_a_killed_chat_service_does_not_stop_an_answer_under_way(
    base: Stack, group: Stack, fake: FakeLLM, key: str, chat_id: str
) -> None:
    (chat_service,) = base.find("chat-service")
    uncached_chat = make_chat(group.gateway_urls[0], key)  # never read for an answer: not cached
    with client(group.gateway_urls[0], key) as api:
        question = "crash " + new_id()
        fake.script(question, answer=PACED, delay_s=DELAY_S)
        answer = Answer()
        try:
            with api.stream("POST", f"/chats/{chat_id}/completions", json={"question": question}) as response:
                read(response, answer, deltas=3)
                base.kill(chat_service, signal.SIGKILL)
                _finishes(api, chat_id, answer, response)
            assert answer.error is None and answer.text == PACED
            # Meanwhile the chat this gateway has cached goes on answering (its settings need no
            # chat-service); another chat is refused cleanly (503 before any stream), not left hanging.
            cached = api.post(f"/chats/{chat_id}/completions", json={"question": "still here?", "stream": False})
            assert cached.status_code == 200 and cached.json()["code"] == 0, cached.text
            refused = api.post(f"/chats/{uncached_chat}/completions", json={"question": "q", "stream": True})
            assert refused.status_code == 503 and refused.json()["code"] == 503
        finally:
            if chat_service.popen.poll() is not None:  # the next tests need it back
                base.restart(chat_service)
        assert [m["content"] for m in answers_stored(api, chat_id, answer)] == [PACED]
    wait_no_slots(group.config.redis_url, group.config.namespace)


def test_a_killed_session_service_mid_answer_ends_in_the_answer_or_an_error_event(
    base: Stack, group: Stack, fake: FakeLLM, key: str, chat_id: str
) -> None:
    (session_service,) = base.find("session-service")
    with client(group.gateway_urls[0], key) as api:
        question = "crash " + new_id()
        fake.script(question, answer=PACED, delay_s=DELAY_S)
        answer = Answer()
        with api.stream("POST", f"/chats/{chat_id}/completions", json={"question": question}) as response:
            read(response, answer, deltas=3)
            base.kill(session_service, signal.SIGKILL)
            _finishes(api, chat_id, answer, response)
        restarted = base.restart(session_service)
        stored = answers_stored(api, chat_id, answer)
        if answer.error is None:  # stored once the service was back (the store call is retried)
            assert answer.text == PACED and [m["content"] for m in stored] == [PACED]
        else:  # the contract's error event, and nothing half-stored
            assert answer.error["code"] == 500 and answer.error["data"]["answer"].startswith("**ERROR**")
            assert stored == []
        # Answers right after the restart are stored, on both workers (each waits for its channel
        # to session-service to reconnect instead of failing while it does).
        for _ in range(4):
            after, _question = ask(api, fake, chat_id)
            assert after.finished and after.error is None, after.error
            assert [m["content"] for m in answers_stored(api, chat_id, after)] == [PACED]
    assert restarted.popen.poll() is None
    wait_no_slots(group.config.redis_url, group.config.namespace)


def test_a_killed_retrieval_service_is_an_error_event_not_a_hang(
    base: Stack, group: Stack, fake: FakeLLM, key: str
) -> None:
    (retrieval,) = base.find("retrieval-service")
    with client(group.gateway_urls[0], key) as api:
        dataset = api.post("/datasets", json={"name": "crash-" + new_id()[:12]}).json()["data"]["id"]
        # A chat needs a dataset with chunks: one document, one chunk added by hand (no ingest worker).
        files = {"file": ("lamp.txt", b"The lamp has three brightness levels.", "text/plain")}
        document = api.post(f"/datasets/{dataset}/documents", files=files).json()["data"][0]["id"]
        added = api.post(f"/datasets/{dataset}/documents/{document}/chunks", json={"content": "Three levels."})
        assert added.status_code == 200 and added.json()["code"] == 0, added.text
        chat_id = make_chat(group.gateway_urls[0], key, dataset_ids=[dataset])
        base.kill(retrieval, signal.SIGKILL)
        answer = Answer()
        question = "crash " + new_id()
        fake.script(question, answer=PACED, delay_s=DELAY_S)
        with api.stream("POST", f"/chats/{chat_id}/completions", json={"question": question}) as response:
            assert response.status_code == 200
            _finishes(api, chat_id, answer, response)
        assert answer.error is not None and answer.error["code"] == 500
        assert "etrieval" in answer.error["message"]
        assert answers_stored(api, chat_id, answer) == []
    base.restart(retrieval)
    wait_no_slots(group.config.redis_url, group.config.namespace)


# -- a thousand stops and resumes -----------------------------------------------------------------


async def test_a_thousand_stops_and_resumes_interleaved_leak_no_slot_and_store_each_answer_once(
    group: Stack, fake: FakeLLM, key: str, chat_id: str
) -> None:
    fake.script("storm ", answer=" ".join(f"s{i}" for i in range(30)) + ".", delay_s=0.04)  # ~1.2 s
    urls = [url + "/api/v1" for url in group.gateway_urls]
    rng = random.Random(17)
    operations = {"stop": 0, "resume": 0}
    results: list[tuple[Answer, bool]] = []
    gate = asyncio.Semaphore(24)
    headers = {"Authorization": f"Bearer {key}"}
    # 503 means "safe to retry" (API.md §1): a busy machine may answer it now and then; counted.
    unavailable: list[str] = []

    async def retried(call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        for _ in range(20):
            reply = await call()
            if reply.status_code != 503:
                return reply
            unavailable.append(reply.text)
            await asyncio.sleep(0.2)
        return reply

    async def resume_from(http: httpx.AsyncClient, url: str, answer: Answer, deltas: int | None) -> None:
        for _ in range(20):
            headers_ = {"Last-Event-ID": answer.last_event_id} if answer.last_event_id else {}
            async with http.stream("GET", f"{url}/events", headers=headers_) as response:
                if response.status_code == 503:
                    unavailable.append((await response.aread()).decode())
                    await asyncio.sleep(0.2)
                    continue
                assert response.status_code == 200, await response.aread()
                await aread(response, answer, deltas=deltas)
                return
        raise AssertionError(f"no resume after 20 tries: {unavailable[-1]}")

    async def one(http: httpx.AsyncClient, index: int) -> None:
        async with gate:
            answer = Answer()
            stop_said_true = False
            body = {"question": f"storm {index} {new_id()}"}
            async with http.stream("POST", f"{rng.choice(urls)}/chats/{chat_id}/completions", json=body) as response:
                assert response.status_code == 200
                await aread(response, answer, deltas=rng.randint(1, 4))
            path = message_path(chat_id, answer.session_id, answer.message_id)
            for _ in range(5):
                if rng.random() < 0.3 and not stop_said_true:
                    operations["stop"] += 1
                    reply = await retried(lambda: http.post(f"{rng.choice(urls)}{path}/stop"))
                    assert reply.status_code == 200, reply.text
                    stop_said_true = reply.json()["data"]["stopped"]
                else:
                    operations["resume"] += 1
                    await resume_from(http, f"{rng.choice(urls)}{path}", answer, rng.randint(1, 3))
                if answer.finished:
                    break
            if not answer.finished:
                await resume_from(http, f"{urls[0]}{path}", answer, None)
            results.append((answer, stop_said_true))

    async with httpx.AsyncClient(headers=headers, timeout=NEVER_HANG_S) as http:
        index = 0
        while operations["stop"] + operations["resume"] < 1000:
            batch = [one(http, index + i) for i in range(48)]
            index += len(batch)
            await asyncio.gather(*batch)

    assert operations["stop"] + operations["resume"] >= 1000 and operations["stop"] > 100
    assert len(unavailable) <= 50, unavailable[:3]
    stopped = 0
    async with httpx.AsyncClient(base_url=urls[1], headers=headers, timeout=NEVER_HANG_S) as http:
        for answer, stop_said_true in results:
            assert answer.finished and answer.error is None and answer.final is not None, answer
            session = (await http.get(f"/chats/{chat_id}/sessions/{answer.session_id}")).json()["data"]
            stored = [m for m in session["messages"] if m["id"] == answer.message_id and m["role"] == "assistant"]
            assert len(stored) == 1, f"answer {answer.message_id} stored {len(stored)} times"
            assert stored[0]["content"] == answer.text
            assert bool(stored[0].get("stopped")) == bool(answer.final.get("stopped"))
            if stop_said_true:  # a stop that said "stopped" ended that answer as stopped
                assert answer.final.get("stopped") is True
                stopped += 1
    assert stopped > 20  # (how many stops land mid-answer depends on the machine's speed)
    wait_no_slots(group.config.redis_url, group.config.namespace, within_s=5)


# -- Redis and RabbitMQ restarted -----------------------------------------------------------------


@pytest.fixture(scope="module")
def brokers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str, str]]:
    """A Redis (fsynced append-only file) and a RabbitMQ node of this module's own."""
    home = Path(tmp_path_factory.mktemp("crash-brokers"))
    own = Stack(StackConfig(state_dir=home))
    try:
        redis_url = dev.start_redis(own, home / "redis", persistent=True)
        amqp_url = dev.start_rabbitmq(own, home / "rabbitmq")
        yield own, redis_url, amqp_url
    finally:
        own.stop()


@pytest.fixture(scope="module")
def broker_group(
    base: Stack, fake: FakeLLM, brokers: tuple[Stack, str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    _, redis_url, amqp_url = brokers
    running = start_completion_group(
        base,
        Path(tmp_path_factory.mktemp("crash-brokers-group")),
        fake,
        workers=2,
        env=GROUP_ENV,
        redis_url=redis_url,
        amqp_url=amqp_url,
    )
    yield running
    running.stop()


def wait_queued(amqp_url: str, namespace: str, count: int, within_s: float = 30.0) -> None:
    """Until ``count`` completion jobs wait in the queue."""

    async def depth() -> int:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(completion_queue(namespace), passive=True)
            return int(queue.declaration_result.message_count or 0)

    deadline = time.monotonic() + within_s
    while (queued := asyncio.run(depth())) < count:
        assert time.monotonic() < deadline, f"{queued} of {count} jobs queued"
        time.sleep(0.1)


def _ask_in_thread(api: httpx.Client, fake: FakeLLM, chat_id: str, into: list[Answer]) -> threading.Thread:
    def run() -> None:
        try:
            into.append(ask(api, fake, chat_id)[0])
        except httpx.HTTPError as exc:  # recorded: the test fails on it below
            into.append(Answer(error={"transport": repr(exc)}))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _each_answered_once(api: httpx.Client, chat_id: str, answers: list[Answer], expected: int) -> None:
    assert len(answers) == expected
    for answer in answers:
        assert answer.finished, answer.error
        stored = answers_stored(api, chat_id, answer)
        if answer.error is None:
            assert answer.text == PACED and [m["content"] for m in stored] == [PACED]
        else:  # failed, with the contract's error event
            assert answer.error["code"] == 500 and stored == []


def test_redis_restarted_mid_stream_loses_no_answer(
    brokers: tuple[Stack, str, str], broker_group: Stack, fake: FakeLLM, key: str
) -> None:
    own, redis_url, _ = brokers
    (redis_proc,) = own.find("redis")
    url = broker_group.gateway_url
    chat_id = make_chat(url, key)
    answers: list[Answer] = []
    with client(url, key) as api:
        threads = [_ask_in_thread(api, fake, chat_id, answers) for _ in range(4)]
        time.sleep(0.8)  # the answers are under way
        own.kill(redis_proc, signal.SIGKILL)
        own.restart(redis_proc)
        for thread in threads:
            thread.join(NEVER_HANG_S)
        _each_answered_once(api, chat_id, answers, 4)
        assert sum(answer.error is None for answer in answers) >= 1
    wait_no_slots(redis_url, broker_group.config.namespace)


def test_rabbitmq_restarted_with_jobs_queued_loses_no_job(
    brokers: tuple[Stack, str, str], broker_group: Stack, fake: FakeLLM, key: str
) -> None:
    own, redis_url, amqp_url = brokers
    (rabbit,) = own.find("rabbitmq")
    url = broker_group.gateway_url
    chat_id = make_chat(url, key)
    workers = broker_group.find("inference-worker")
    for worker in workers:  # nobody takes the jobs: they wait in the queue
        broker_group.kill(worker, signal.SIGTERM)
    answers: list[Answer] = []
    with client(url, key) as api:
        threads = [_ask_in_thread(api, fake, chat_id, answers) for _ in range(4)]
        # One more, in a session of its own, is stopped while it waits in the queue.
        session_id = api.post(f"/chats/{chat_id}/sessions", json={"name": "queued"}).json()["data"]["id"]
        stopped: list[Answer] = []
        threads.append(
            threading.Thread(target=lambda: stopped.append(ask(api, fake, chat_id, body={"session_id": session_id})[0]))
        )
        threads[-1].start()
        wait_queued(amqp_url, broker_group.config.namespace, 5)  # confirmed: durable queue, persistent
        messages = api.get(f"/chats/{chat_id}/sessions/{session_id}").json()["data"]["messages"]
        queued = next(m for m in messages if m["role"] == "user")  # its id is the answer's
        stop = api.post(message_path(chat_id, session_id, queued["id"]) + "/stop")
        assert stop.json()["data"] == {"stopped": True}, stop.text
        own.kill(rabbit, signal.SIGTERM)
        own.restart(rabbit)
        for worker in workers:
            broker_group.restart(worker)
        for thread in threads:
            thread.join(NEVER_HANG_S * 2)
        _each_answered_once(api, chat_id, answers, 4)
        assert all(answer.error is None for answer in answers)
        # The stopped one was never started: no LLM call, an empty answer stored as stopped.
        (dropped,) = stopped
        assert dropped.finished and dropped.final is not None and dropped.final["stopped"] is True
        assert dropped.text == "" and dropped.message_id == queued["id"]
        assert not fake.requests_mentioning(queued["content"])
        assert [(m["content"], m["stopped"]) for m in answers_stored(api, chat_id, dropped)] == [("", True)]
        # The gateway publishes again after the restart (503, "retry", until it has reconnected).
        question = "crash after " + new_id()
        fake.script(question, answer="Back.")
        deadline = time.monotonic() + 20
        while (
            reply := api.post(f"/chats/{chat_id}/completions", json={"question": question, "stream": False})
        ).status_code == 503:
            assert time.monotonic() < deadline, reply.text
            time.sleep(0.5)
        assert reply.status_code == 200 and reply.json()["data"]["answer"] == "Back.", reply.text
    wait_no_slots(redis_url, broker_group.config.namespace)


LONG = " ".join(f"l{i}" for i in range(800)) + "."  # 801 tokens, 30 ms apart: ~24 s


def test_rabbitmq_restarted_mid_answer_generates_each_answer_once(
    brokers: tuple[Stack, str, str], broker_group: Stack, fake: FakeLLM, key: str
) -> None:
    """A restarted broker hands the running jobs (never acked) out again while their workers are
    still answering them: each answer is generated once, streamed once and stored once."""
    own, redis_url, _ = brokers
    (rabbit,) = own.find("rabbitmq")
    url = broker_group.gateway_url
    chat_id = make_chat(url, key)
    questions = ["long " + new_id() for _ in range(2)]
    answers: dict[str, Answer] = {}

    def ask_long(api: httpx.Client, question: str) -> None:
        fake.script(question, answer=LONG, delay_s=DELAY_S)
        answer = Answer()
        try:
            with api.stream("POST", f"/chats/{chat_id}/completions", json={"question": question}) as response:
                assert response.status_code == 200, response.read()
                read(response, answer)
        except httpx.HTTPError as exc:  # recorded: the test fails on it below
            answer.error = {"transport": repr(exc)}
        answers[question] = answer

    with client(url, key) as api:
        threads = [threading.Thread(target=ask_long, args=(api, q)) for q in questions]
        for thread in threads:
            thread.start()
        time.sleep(1.5)  # both answers are under way
        own.kill(rabbit, signal.SIGTERM)
        own.restart(rabbit)  # ~7 s: the workers are back well before the answers end
        for thread in threads:
            thread.join(NEVER_HANG_S * 2)
        for question in questions:
            answer = answers[question]
            assert answer.finished and answer.error is None, answer.error
            assert answer.text == LONG
            assert [m["content"] for m in answers_stored(api, chat_id, answer)] == [LONG]
            assert len(fake.requests_mentioning(question)) == 1, "the answer was generated twice"
    wait_no_slots(redis_url, broker_group.config.namespace)
