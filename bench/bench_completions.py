"""Completion benchmark: where an answer's cost goes, scale-out, TTFT and streamed tokens/s.

Starts whole stacks of its own (SecantusDB, every service, gateways, workers, and by default a
redis-server of its own; RabbitMQ is the machine's) with the fake OpenAI-compatible LLM of
tests/fake_llm.py, so the figures are the pipeline's own cost:
gateway → session-service → RabbitMQ → worker → LLM → Redis → gateway → SSE.

    .venv/bin/python bench/bench_completions.py [--sections cost,steps,scale,latency]

Sections (API.md §9, issue 15; see bench/README.md for figures):

- ``cost``: 200-token answers streamed one after another on the native and the OpenAI route;
  CPU milliseconds per answer of every process of the stack (utime+stime from /proc, before and
  after), Redis and RabbitMQ included (labelled when shared with the machine).
- ``steps``: the same answers on a stack with tracing on (``RAGCHAT_TRACE_FILE``): the
  wall-clock of each step (auth+limiter, GetChat, AppendUserMessage, publish+confirm, consume,
  LLM first byte, first Redis batch, StoreAnswer, relay tail) and every span per answer.
- ``scale``: a paced fake LLM (20 ms per token), each worker holding ``--scale-slots`` jobs:
  completions/s with 1 and 2 workers, and 1 and 2 gateways.
- ``latency``: TTFT p50/p99 from the POST to the first SSE token (1 client, then N concurrent),
  the same for the LLM alone (the overhead is the difference), tokens/s through one gateway, and
  the durable streams' stop and resume latencies on answers paced at 20 ms per token.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import costs
from fake_llm import tokenize
from motor.motor_asyncio import AsyncIOMotorClient

from ragchat.chat.v1 import chat_pb2
from ragchat.chat.v1.chat_pb2_grpc import ChatServiceStub
from ragchat.session.v1 import session_pb2
from ragchat.session.v1.session_pb2_grpc import SessionServiceStub
from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack, StackConfig, free_port, tcp_answers
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


async def run_ttft(
    call: object, client: httpx.AsyncClient, url: str, total: int, concurrency: int, mark: str = ""
) -> list[float]:
    samples: list[float] = []
    queue = list(range(total))

    async def one_client() -> None:
        while queue:
            index = queue.pop()
            samples.append(await call(client, url, f"{mark} bench question {index}".strip()))  # type: ignore[operator]

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

        # Issue 15's measure: N streams of 200-token answers at once, each client asking again when
        # its answer ends; TTFT of every answer and the tokens/s of all of them.
        control = fake_url.rsplit("/v1", 1)[0] + "/_fake/script"
        (await client.post(control, json={"match": "[streams 200]", "answer": COST_ANSWER})).raise_for_status()
        await run_ttft(ttft_gateway, client, url, args.streams, args.streams, "[streams 200]")  # warm up
        streamed = max(args.requests, args.streams * 4)
        started = time.perf_counter()
        concurrent_200 = await run_ttft(ttft_gateway, client, url, streamed, args.streams, "[streams 200]")
        tokens_per_s_200 = streamed * 200 / (time.perf_counter() - started)

        calls = await internal_calls(stack, key, chat["id"], min(args.requests, 100))

        answer = " ".join(f"tok{i}" for i in range(args.answer_words))
        tokens_per_answer = len(tokenize(answer))
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
    print(
        describe(f"{args.streams} streams of 200-token answers, TTFT", concurrent_200)
        + f"  (target p99 <= 120 ms)\n{'  tokens/s of those streams':<44} {tokens_per_s_200:,.0f} tokens/s"
        + " (target >= 40,000)"
    )
    total_tokens = streams * tokens_per_answer
    print(
        f"{'streamed tokens/s through one gateway':<44} {total_tokens / elapsed:,.0f} tokens/s "
        f"({streams} streams x {tokens_per_answer} tokens in {elapsed:.2f} s; target >= 50,000)"
    )
    print(describe("stop request → final event, 1 client", stops) + "  (target p50 <= 20 ms)")
    print(describe("  of which: the stop request answered", STOP_ANSWERED))
    print(describe("resume: reconnect → first replayed event", resumes) + "  (target p50 <= 20 ms)")


SECTIONS = ("cost", "steps", "scale", "latency")
COST_ANSWER = " ".join(f"c{i}" for i in range(200))  # 200 tokens (tests/fake_llm.py tokenize)


async def _stream_answer(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> bytes:
    async with client.stream("POST", url, json=body) as response:
        data = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.status_code == 200 and data.rstrip().endswith(b"[DONE]"), data[-300:]
    return data


def _watched(stack: Stack, fake: subprocess.Popen[str], redis: subprocess.Popen[bytes] | None) -> list[costs.Watched]:
    rows = []
    for name in (
        "gateway",
        "chat-service",
        "session-service",
        "retrieval-service",
        "inference-worker",
        "ingest-worker",
    ):
        procs = stack.find(name)
        copies = f"({len(procs)} processes)" if len(procs) > 1 else ""
        rows.append(costs.Watched(name, sessions=tuple(p.popen.pid for p in procs), note=copies))
    rows.append(
        costs.Watched("SecantusDB (Mongo stand-in)", sessions=tuple(p.popen.pid for p in stack.find("secantusdb")))
    )
    if redis is not None:
        rows.append(costs.Watched("Redis", pids=(redis.pid,), note="the bench's own redis-server"))
    else:
        rows.append(costs.Watched("Redis", pids=costs.pids_named("redis-server"), note="the machine's SHARED Redis"))
    rows.append(
        costs.Watched(
            "RabbitMQ",
            pids=costs.pids_named("beam.smp", "erl_child_setup", "epmd"),
            note="the machine's SHARED RabbitMQ (other runs' load counts too)",
        )
    )
    rows.append(costs.Watched("fake LLM", pids=(fake.pid,), note="not the stack (the model)"))
    rows.append(costs.Watched("bench client", pids=(os.getpid(),), note="not the stack (the HTTP client)"))
    return rows


async def bench_cost(args: argparse.Namespace, stack: Stack, fake_url: str, rows: list[costs.Watched]) -> None:
    """Sequential answers of each length in ``--cost-tokens``, native route then OpenAI route: CPU
    per answer per process; with two lengths or more, also what an answer costs before its first
    token (fixed) and per token."""
    key = mint_key(stack.mongo_url, "bench-cost")
    lengths = [int(n) for n in args.cost_tokens.split(",") if n.strip()]
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=300) as client:
        chat = (await client.post(f"{stack.gateway_url}/api/v1/chats", json={"name": "cost"})).json()["data"]
        control = fake_url.rsplit("/v1", 1)[0] + "/_fake/script"
        for tokens in lengths:
            answer = " ".join(f"c{i}" for i in range(tokens))  # tests/fake_llm.py: one token per word
            (await client.post(control, json={"match": _cost_mark(tokens), "answer": answer})).raise_for_status()
        native = f"{stack.gateway_url}/api/v1/chats/{chat['id']}/completions"
        openai = f"{stack.gateway_url}/api/v1/chats_openai/{chat['id']}/chat/completions"
        routes: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
            "native route (POST /chats/{id}/completions, stream)": (
                native,
                lambda question: {"question": question, "stream": True},
            ),
            "OpenAI route (POST /chats_openai/{id}/chat/completions, stream)": (
                openai,
                lambda question: {"model": "m", "stream": True, "messages": [{"role": "user", "content": question}]},
            ),
        }
        for title, (url, body) in routes.items():
            per_length: dict[int, dict[str, float]] = {}
            for tokens in lengths:
                mark = _cost_mark(tokens)
                for i in range(10):  # warm up
                    await _stream_answer(client, url, body(f"{mark} {i}"))
                profilers = costs.start_profiles(args.py_spy, stack, title) if args.py_spy else []
                before = costs.cpu_seconds(rows)
                started = time.perf_counter()
                for i in range(args.cost_answers):
                    await _stream_answer(client, url, body(f"{mark} {i}"))
                elapsed = time.perf_counter() - started
                after = costs.cpu_seconds(rows)
                costs.stop_profiles(profilers)
                per_length[tokens] = costs.print_cpu_table(
                    f"{title}, {tokens}-token answers", rows, before, after, args.cost_answers
                )
                print(f"  (1 client, sequential; {elapsed / args.cost_answers * 1000:.1f} ms wall per answer)")
            if len(per_length) > 1:
                costs.print_fixed_and_per_token(title, rows, per_length)


def _cost_mark(tokens: int) -> str:
    """The words in a question that make the fake LLM answer with ``tokens`` tokens."""
    return f"[cost {tokens} tokens]"


async def bench_steps(args: argparse.Namespace, stack: Stack, fake_url: str, trace_file: Path) -> None:
    key = mint_key(stack.mongo_url, "bench-steps")
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=300) as client:
        chat = (await client.post(f"{stack.gateway_url}/api/v1/chats", json={"name": "steps"})).json()["data"]
        control = fake_url.rsplit("/v1", 1)[0] + "/_fake/script"
        (await client.post(control, json={"match": "cost", "answer": COST_ANSWER})).raise_for_status()
        url = f"{stack.gateway_url}/api/v1/chats/{chat['id']}/completions"
        for i in range(5):
            await _stream_answer(client, url, {"question": f"cost warm {i}", "stream": True})
        await asyncio.sleep(1.0)
        trace_file.write_text("")  # noqa: ASYNC240 (only the measured answers; nothing else runs)
        for i in range(args.step_answers):
            await _stream_answer(client, url, {"question": f"cost {i}", "stream": True})
    await asyncio.sleep(2.0)  # the worker's last spans (StoreAnswer, ack) are written after the stream ends
    spans = costs.read_spans(trace_file)
    route = "/api/v1/chats/{chat_id}/completions"
    steps = costs.step_times(spans, route)
    traces = len(steps.get("whole request (gateway server span)", []))
    costs.print_steps(steps, costs.span_census(spans, route), traces)


async def bench_scale_run(stack: Stack, fake_url: str, clients: int, answers: int) -> float:
    key = mint_key(stack.mongo_url, "bench-scale")
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=300, limits=limits) as client:
        chat = (await client.post(f"{stack.gateway_url}/api/v1/chats", json={"name": "scale"})).json()["data"]
        urls = [f"{gateway}/api/v1/chats/{chat['id']}/completions" for gateway in stack.gateway_urls]
        for i, url in enumerate(urls * 2):
            await _stream_answer(client, url, {"question": f"scale warm {i}", "stream": True})
        queue = list(range(answers))

        failures: list[str] = []

        async def one_client(index: int) -> None:
            while queue:
                n = queue.pop()
                url = urls[(index + n) % len(urls)]
                try:
                    await _stream_answer(client, url, {"question": f"scale {n}", "stream": True})
                except (httpx.HTTPError, AssertionError) as exc:  # counted and reported, not hidden
                    failures.append(f"{url.split('/api')[0]}: {exc!r}"[:200])

        started = time.perf_counter()
        await asyncio.gather(*(one_client(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
        for failure in failures:
            print(f"  FAILED stream: {failure}")
        return (answers - len(failures)) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of {SECTIONS}")
    parser.add_argument("--requests", type=int, default=200, help="TTFT samples per scenario")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--streams", type=int, default=32, help="concurrent streams of the throughput run")
    parser.add_argument("--answer-words", type=int, default=8000, help="words per answer in the throughput run")
    parser.add_argument("--control-samples", type=int, default=100, help="stops and resumes timed")
    parser.add_argument("--cost-answers", type=int, default=200, help="answers measured per route and length (cost)")
    parser.add_argument(
        "--cost-tokens",
        default="200",
        help="answer lengths in tokens (cost), comma-separated; two or more split fixed/per-token",
    )
    parser.add_argument("--step-answers", type=int, default=50, help="traced answers (steps)")
    parser.add_argument("--scale-answers", type=int, default=96, help="paced answers per scale-out run")
    parser.add_argument("--scale-clients", type=int, default=16)
    parser.add_argument("--scale-setups", default="1x1,1x2,2x2", help="GATEWAYSxWORKERS, comma-separated")
    parser.add_argument("--scale-slots", type=int, default=4, help="jobs one worker holds at once (RAGCHAT_PREFETCH)")
    parser.add_argument("--scale-tokens", type=int, default=50, help="tokens per paced answer (20 ms each)")
    parser.add_argument("--py-spy", default="", help="py-spy binary: profile gateway and worker during the cost runs")
    parser.add_argument(
        "--shared-redis", action="store_true", help="use the machine's Redis, not one of the bench's own"
    )
    args = parser.parse_args()
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]

    # The fake LLM runs in a process of its own, so it does not share the client's interpreter.
    fake = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve().parents[1] / "tests" / "fake_llm.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    redis: subprocess.Popen[bytes] | None = None
    redis_url = "redis://127.0.0.1:6379/0"
    if not args.shared_redis:
        port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
        )
        redis_url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while not tcp_answers("127.0.0.1", port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    assert fake.stdout is not None
    fake_url = fake.stdout.readline().strip()
    print(
        f"bench_completions — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start; Redis: {'own' if redis else 'shared'}; RabbitMQ: shared"
    )
    try:
        if "cost" in sections:
            with open_stack(args, fake_url, redis_url, workers=1) as stack:
                asyncio.run(bench_cost(args, stack, fake_url, _watched(stack, fake, redis)))
        if "steps" in sections:
            with tempfile.TemporaryDirectory(prefix="ragchat-spans-") as spans_dir:
                trace_file = Path(spans_dir) / "spans.jsonl"
                with open_stack(
                    args, fake_url, redis_url, workers=1, env={"RAGCHAT_TRACE_FILE": str(trace_file)}
                ) as stack:
                    asyncio.run(bench_steps(args, stack, fake_url, trace_file))
        if "scale" in sections:
            bench_scale(args, fake_url, redis_url)
        if "latency" in sections:
            with open_stack(args, fake_url, redis_url, workers=args.workers) as stack:
                asyncio.run(bench(args, stack, fake_url))
    finally:
        fake.terminate()
        fake.wait(10)
        if redis is not None:
            redis.terminate()
            redis.wait(10)


def bench_scale(args: argparse.Namespace, fake_url: str, redis_url: str) -> None:
    """The LLM is the bottleneck (20 ms per token, each worker holds ``scale_slots`` jobs): completions/s."""
    answer = " ".join(f"s{i}" for i in range(args.scale_tokens))
    httpx.post(
        fake_url.rsplit("/v1", 1)[0] + "/_fake/script", json={"match": "scale", "answer": answer, "delay_s": 0.02}
    ).raise_for_status()
    print(
        f"\nscale-out: paced fake LLM (20 ms/token, {args.scale_tokens} tokens), {args.scale_slots} jobs per worker, "
        f"{args.scale_clients} clients, {args.scale_answers} answers"
    )
    results: dict[tuple[int, int], float] = {}
    setups = [tuple(int(n) for n in setup.split("x")) for setup in args.scale_setups.split(",")]
    for gateways, workers in setups:
        env = {"RAGCHAT_PREFETCH": str(args.scale_slots)}
        with open_stack(args, fake_url, redis_url, workers=workers, gateways=gateways, env=env) as stack:
            rate = asyncio.run(bench_scale_run(stack, fake_url, args.scale_clients, args.scale_answers))
        results[(gateways, workers)] = rate
        ideal = 1000 / (20 * args.scale_tokens) * args.scale_slots * workers
        print(f"  {gateways} gateway(s), {workers} worker(s): {rate:6.2f} completions/s (LLM-bound ideal {ideal:.2f})")
    if (1, 1) in results and (1, 2) in results:
        print(f"  => 1 -> 2 workers: {results[(1, 2)] / results[(1, 1)]:.2f}x (target >= 1.8x)")
    if (1, 2) in results and (2, 2) in results:
        print(f"  => 1 -> 2 gateways (2 workers): {results[(2, 2)] / results[(1, 2)]:.2f}x")


@contextmanager
def open_stack(
    args: argparse.Namespace,
    fake_url: str,
    redis_url: str,
    *,
    workers: int,
    gateways: int = 1,
    env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="ragchat-bench-") as state:
        config = StackConfig(
            state_dir=Path(state),
            workers=workers,
            gateways=gateways,
            redis_url=redis_url,
            env={
                "RAGCHAT_LLM_BASE_URL": fake_url,
                "RAGCHAT_LLM_MODEL": "fake-model",
                "RAGCHAT_LOG_LEVEL": "WARNING",
                "RAGCHAT_RATELIMIT_RPM": "10000000",
                "RAGCHAT_RATELIMIT_BURST": "10000000",
                "RAGCHAT_RATELIMIT_MAX_STREAMS": "100000",
                "RAGCHAT_PREFETCH": "64",
                **(env or {}),
            },
        )
        with Stack(config) as stack:
            yield stack


if __name__ == "__main__":
    main()
