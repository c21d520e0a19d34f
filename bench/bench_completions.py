"""Completion benchmark: time to first token and streamed tokens per second through one gateway.

Starts a whole stack of its own (SecantusDB, every service, one gateway, N workers) with the fake
OpenAI-compatible LLM of tests/fake_llm.py at zero delay per token, so the figures are the
pipeline's own cost: gateway → session-service → RabbitMQ → worker → LLM → Redis → gateway → SSE.

    .venv/bin/python bench/bench_completions.py [--requests 200] [--concurrency 64] [--workers 2]

Prints TTFT p50/p99 from the POST to the first SSE token (1 client, then N concurrent), the same
for the LLM alone (the overhead is the difference), and tokens/s delivered through the gateway.
Targets: TTFT overhead p50 <= 10 ms at 1 client; >= 50k tokens/s.

Durable streams (API.md §9.2), on answers the fake LLM paces at 20 ms per token: the time from a
stop request to the final event on the open stream, and the resume latency (reconnect with
Last-Event-ID → first replayed event). Targets: both p50 <= 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_llm import tokenize
from motor.motor_asyncio import AsyncIOMotorClient

from ragchat.chat.v1 import chat_pb2
from ragchat.chat.v1.chat_pb2_grpc import ChatServiceStub
from ragchat.session.v1 import session_pb2
from ragchat.session.v1.session_pb2_grpc import SessionServiceStub
from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.grpc_utils import insecure_channel
from ragchat_gateway.auth.domain import lookup_key

FIRST_TOKEN_MARK = b'"final": false'


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def describe(name: str, samples_s: list[float]) -> str:
    ms = [s * 1000 for s in samples_s]
    return (
        f"{name:<44} n={len(ms):<5} p50={percentile(ms, 50):7.2f} ms  p99={percentile(ms, 99):7.2f} ms  "
        f"mean={statistics.fmean(ms):7.2f} ms"
    )


HEADERS_AT: list[float] = []


SESSION: dict[str, str] = {}


async def ttft_gateway(client: httpx.AsyncClient, url: str, question: str) -> float:
    started = time.perf_counter()
    body = {"question": question, "stream": True, **SESSION}
    async with client.stream("POST", url, json=body) as response:
        # Headers leave once the session, the question and the job are written (the gateway's part).
        HEADERS_AT.append(time.perf_counter() - started)
        first: float | None = None
        async for chunk in response.aiter_raw():
            if first is None and FIRST_TOKEN_MARK in chunk:
                first = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
    assert first is not None
    return first


async def ttft_llm(client: httpx.AsyncClient, url: str, question: str) -> float:
    started = time.perf_counter()
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": question}]}
    async with client.stream("POST", url, json=body) as response:
        first: float | None = None
        async for chunk in response.aiter_raw():
            if first is None and b'"content": "' in chunk.replace(b'"content": ""', b""):
                first = time.perf_counter() - started
    assert first is not None
    return first


async def run_ttft(call: object, client: httpx.AsyncClient, url: str, total: int, concurrency: int) -> list[float]:
    samples: list[float] = []
    queue = list(range(total))

    async def one_client() -> None:
        while queue:
            index = queue.pop()
            samples.append(await call(client, url, f"bench question {index}"))  # type: ignore[operator]

    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return samples


async def internal_calls(stack: Stack, key: str, chat_id: str, samples: int) -> dict[str, list[float]]:
    """The gateway's own gRPC calls before a job exists, timed alone (services + database)."""
    mongo: AsyncIOMotorClient[dict[str, object]] = AsyncIOMotorClient(stack.mongo_url)
    principal = await lookup_key(mongo["ragchat"], key)
    mongo.close()
    assert principal is not None
    tenant = principal.tenant_id
    token = stack.config.service_token
    chats = ChatServiceStub(insecure_channel(stack.addresses["chat-service"], service_token=token))
    sessions = SessionServiceStub(insecure_channel(stack.addresses["session-service"], service_token=token))
    timings: dict[str, list[float]] = {
        "GetChat": [],
        "CreateSession": [],
        "AppendUserMessage": [],
        "AppendUserMessage, new session": [],  # what a completion without session_id does
    }
    for _ in range(samples):
        started = time.perf_counter()
        await chats.GetChat(chat_pb2.GetChatRequest(tenant_id=tenant, chat_id=chat_id, skip_dataset_names=True))
        timings["GetChat"].append(time.perf_counter() - started)
        started = time.perf_counter()
        session = await sessions.CreateSession(
            session_pb2.CreateSessionRequest(tenant_id=tenant, chat_id=chat_id, name="bench", opener="Hi!")
        )
        timings["CreateSession"].append(time.perf_counter() - started)
        started = time.perf_counter()
        await sessions.AppendUserMessage(
            session_pb2.AppendUserMessageRequest(
                tenant_id=tenant, chat_id=chat_id, session_id=session.id, content="bench question"
            )
        )
        timings["AppendUserMessage"].append(time.perf_counter() - started)
        started = time.perf_counter()
        first = session_pb2.AppendUserMessageRequest(tenant_id=tenant, chat_id=chat_id, content="bench question")
        first.new_session.name, first.new_session.opener = "bench", "Hi!"
        await sessions.AppendUserMessage(first)
        timings["AppendUserMessage, new session"].append(time.perf_counter() - started)
    return timings


async def run_throughput(client: httpx.AsyncClient, url: str, streams: int, question: str) -> tuple[float, int]:
    async def one() -> bytes:
        async with client.stream("POST", url, json={"question": question, "stream": True}) as response:
            return b"".join([chunk async for chunk in response.aiter_raw()])

    started = time.perf_counter()
    bodies = await asyncio.gather(*(one() for _ in range(streams)))
    elapsed = time.perf_counter() - started
    assert all(body.endswith(b"data: [DONE]\n\n") for body in bodies)
    return elapsed, len(bodies)


PACED_ANSWER = " ".join(f"p{i}" for i in range(400))  # 20 ms per token: 8 s unless stopped


async def _first_event(lines: AsyncIterator[str]) -> tuple[dict[str, Any], str]:
    """The first answer event of a stream: its data and its id line."""
    event_id = ""
    async for line in lines:
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            return json.loads(line[6:])["data"], event_id
    raise AssertionError("the stream ended before its first event")


STOP_ANSWERED: list[float] = []


async def stop_latency(client: httpx.AsyncClient, api: str, chat_id: str, samples: int) -> list[float]:
    """A stop request sent (the stream open, the answer under way) → the final event arrives."""
    timings: list[float] = []
    STOP_ANSWERED.clear()
    for index in range(samples):
        body = {"question": f"paced stop {index}", "stream": True}
        async with client.stream("POST", f"{api}/chats/{chat_id}/completions", json=body) as response:
            lines = response.aiter_lines()
            first, _ = await _first_event(lines)
            stop_url = f"{api}/chats/{chat_id}/sessions/{first['session_id']}/messages/{first['id']}/stop"
            started = time.perf_counter()
            reply = await client.post(stop_url)
            STOP_ANSWERED.append(time.perf_counter() - started)
            assert reply.json()["data"] == {"stopped": True}, reply.text
            async for line in lines:
                if line.startswith("data: ") and '"final": true' in line:
                    timings.append(time.perf_counter() - started)
                    assert '"stopped": true' in line
                    break
    return timings


async def resume_latency(client: httpx.AsyncClient, api: str, chat_id: str, samples: int) -> list[float]:
    """A client that lost its stream reconnects with Last-Event-ID → the first replayed event."""
    timings: list[float] = []
    for index in range(samples):
        body = {"question": f"paced resume {index}", "stream": True}
        async with client.stream("POST", f"{api}/chats/{chat_id}/completions", json=body) as response:
            first, last_id = await _first_event(response.aiter_lines())
        await asyncio.sleep(0.05)  # the connection is gone; the answer goes on (a few events in the log)
        path = f"{api}/chats/{chat_id}/sessions/{first['session_id']}/messages/{first['id']}"
        started = time.perf_counter()
        async with client.stream("GET", path + "/events", headers={"Last-Event-ID": last_id}) as resumed:
            replayed, _ = await _first_event(resumed.aiter_lines())
            timings.append(time.perf_counter() - started)
            assert replayed["answer"] and not replayed["final"]
        await client.post(path + "/stop")  # frees the worker for the next sample
    return timings


async def bench(args: argparse.Namespace, stack: Stack, fake_url: str) -> None:
    key = mint_key(stack.mongo_url, "bench")
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    async with httpx.AsyncClient(headers=headers, timeout=300, limits=limits) as client:
        chat = (await client.post(f"{stack.gateway_url}/api/v1/chats", json={"name": "bench"})).json()["data"]
        url = f"{stack.gateway_url}/api/v1/chats/{chat['id']}/completions"
        llm_url = f"{fake_url}/chat/completions"

        await run_ttft(ttft_gateway, client, url, 20, 4)  # warm up connections and caches
        llm_1 = await run_ttft(ttft_llm, client, llm_url, args.requests, 1)
        HEADERS_AT.clear()
        gw_1 = await run_ttft(ttft_gateway, client, url, args.requests, 1)
        headers_1 = list(HEADERS_AT)
        # A conversation: the same session each time (no session to create; history up to the cap).
        session = (await client.post(f"{stack.gateway_url}/api/v1/chats/{chat['id']}/sessions", json={})).json()
        SESSION["session_id"] = session["data"]["id"]
        HEADERS_AT.clear()
        gw_1_session = await run_ttft(ttft_gateway, client, url, args.requests, 1)
        headers_1_session = list(HEADERS_AT)
        SESSION.clear()
        llm_n = await run_ttft(ttft_llm, client, llm_url, args.requests, args.concurrency)
        HEADERS_AT.clear()
        gw_n = await run_ttft(ttft_gateway, client, url, max(args.requests, args.concurrency * 3), args.concurrency)
        headers_n = list(HEADERS_AT)

        calls = await internal_calls(stack, key, chat["id"], min(args.requests, 100))

        answer = " ".join(f"tok{i}" for i in range(args.answer_words))
        tokens_per_answer = len(tokenize(answer))
        control = fake_url.rsplit("/v1", 1)[0] + "/_fake/script"
        (await client.post(control, json={"match": "throughput", "answer": answer})).raise_for_status()
        await run_throughput(client, url, 4, "throughput warmup")
        elapsed, streams = await run_throughput(client, url, args.streams, "throughput run")

        (
            await client.post(control, json={"match": "paced", "answer": PACED_ANSWER, "delay_s": 0.02})
        ).raise_for_status()
        api = f"{stack.gateway_url}/api/v1"
        await stop_latency(client, api, chat["id"], 5)  # warm up
        stops = await stop_latency(client, api, chat["id"], args.control_samples)
        resumes = await resume_latency(client, api, chat["id"], args.control_samples)

    print(f"\nragchat completions bench — 1 gateway, {args.workers} worker(s), fake LLM at zero delay")
    print(describe("LLM alone, TTFT, 1 client", llm_1))
    print(describe("through ragchat, TTFT, 1 client", gw_1))
    print(describe("  of which: POST to response headers", headers_1))
    overhead_1 = percentile(gw_1, 50) - percentile(llm_1, 50)
    print(f"{'=> TTFT overhead p50, 1 client':<44} {overhead_1 * 1000:.2f} ms (target <= 10 ms)")
    print(describe("through ragchat, TTFT, 1 client, same session", gw_1_session))
    print(describe("  of which: POST to response headers", headers_1_session))
    overhead_s = percentile(gw_1_session, 50) - percentile(llm_1, 50)
    print(f"{'=> TTFT overhead p50, 1 client, same session':<44} {overhead_s * 1000:.2f} ms (target <= 10 ms)")
    for name, samples in calls.items():
        print(describe(f"  {name} alone (gRPC + database)", samples))
    print(describe(f"LLM alone, TTFT, {args.concurrency} concurrent", llm_n))
    print(describe(f"through ragchat, TTFT, {args.concurrency} concurrent", gw_n))
    print(describe("  of which: POST to response headers", headers_n))
    overhead_n = percentile(gw_n, 50) - percentile(llm_n, 50)
    print(f"{f'=> TTFT overhead p50, {args.concurrency} concurrent':<44} {overhead_n * 1000:.2f} ms")
    total_tokens = streams * tokens_per_answer
    print(
        f"{'streamed tokens/s through one gateway':<44} {total_tokens / elapsed:,.0f} tokens/s "
        f"({streams} streams x {tokens_per_answer} tokens in {elapsed:.2f} s; target >= 50,000)"
    )
    print(describe("stop request → final event, 1 client", stops) + "  (target p50 <= 20 ms)")
    print(describe("  of which: the stop request answered", STOP_ANSWERED))
    print(describe("resume: reconnect → first replayed event", resumes) + "  (target p50 <= 20 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="TTFT samples per scenario")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--streams", type=int, default=32, help="concurrent streams of the throughput run")
    parser.add_argument("--answer-words", type=int, default=8000, help="words per answer in the throughput run")
    parser.add_argument("--control-samples", type=int, default=100, help="stops and resumes timed")
    args = parser.parse_args()

    # The fake LLM runs in a process of its own, so it does not share the client's interpreter.
    fake = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve().parents[1] / "tests" / "fake_llm.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None
    fake_url = fake.stdout.readline().strip()
    try:
        run_stack(args, fake_url)
    finally:
        fake.terminate()
        fake.wait(10)


def run_stack(args: argparse.Namespace, fake_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="ragchat-bench-") as state:
        config = StackConfig(
            state_dir=Path(state),
            workers=args.workers,
            env={
                "RAGCHAT_LLM_BASE_URL": fake_url,
                "RAGCHAT_LLM_MODEL": "fake-model",
                "RAGCHAT_LOG_LEVEL": "WARNING",
                "RAGCHAT_RATELIMIT_RPM": "10000000",
                "RAGCHAT_RATELIMIT_BURST": "10000000",
                "RAGCHAT_RATELIMIT_MAX_STREAMS": "100000",
                "RAGCHAT_PREFETCH": "64",
            },
        )
        with Stack(config) as stack:
            asyncio.run(bench(args, stack, fake_url))


if __name__ == "__main__":
    main()
