"""Completions over the public gRPC API beside the SSE route: TTFT and streamed tokens per second.

Starts a whole stack of its own (SecantusDB, every service, one gateway, N workers) with the fake
OpenAI-compatible LLM of tests/fake_llm.py at zero delay per token (a process of its own), and
asks the same chat through both transports of the same gateway in the same run, alternating
request by request so both see the same machine load:

- SSE: ``POST /api/v1/chats/{id}/completions`` (httpx), TTFT = POST to the first delta event;
- gRPC: ``ragchat.api.v1.Completions/Ask`` (ragchat-client stubs, grpc.aio), TTFT = call to the
  first ``delta`` message.

    .venv/bin/python bench/bench_grpc_completions.py [--requests 200] [--concurrency 16] [--workers 2]

Prints TTFT p50/p99 at 1 client and at N concurrent clients per transport, the LLM alone, and
tokens/s delivered by N concurrent long answers per transport. Target: gRPC TTFT overhead p50 <=
the SSE route's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_llm import tokenize

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack, StackConfig
from ragchat_client import bearer
from ragchat_client.api.v1 import api_pb2, api_pb2_grpc

FIRST_TOKEN_MARK = b'"final": false'

Ask = Callable[[str], Awaitable[float]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def describe(name: str, samples_s: list[float]) -> str:
    ms = [s * 1000 for s in samples_s]
    return (
        f"{name:<40} n={len(ms):<5} p50={percentile(ms, 50):7.2f} ms  p99={percentile(ms, 99):7.2f} ms  "
        f"mean={statistics.fmean(ms):7.2f} ms"
    )


class Transports:
    def __init__(self, stack: Stack, key: str, chat_id: str, fake_url: str) -> None:
        limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
        self.http = httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=300, limits=limits)
        self.sse_url = f"{stack.gateway_url}/api/v1/chats/{chat_id}/completions"
        self.llm_url = f"{fake_url}/chat/completions"
        self.channel = grpc.aio.insecure_channel(stack.grpc_address)
        self.completions = api_pb2_grpc.CompletionsStub(self.channel)
        self.auth = bearer(key)
        self.chat_id = chat_id

    async def close(self) -> None:
        await self.http.aclose()
        await self.channel.close()

    async def sse(self, question: str) -> float:
        started = time.perf_counter()
        first: float | None = None
        async with self.http.stream("POST", self.sse_url, json={"question": question, "stream": True}) as response:
            async for chunk in response.aiter_raw():
                if first is None and FIRST_TOKEN_MARK in chunk:
                    first = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
        assert first is not None
        return first

    async def grpc(self, question: str) -> float:
        started = time.perf_counter()
        first: float | None = None
        call = self.completions.Ask(api_pb2.AskRequest(chat_id=self.chat_id, question=question), metadata=self.auth)
        async for event in call:
            if first is None and event.HasField("delta"):
                first = time.perf_counter() - started
        assert first is not None
        return first

    async def llm(self, question: str) -> float:
        started = time.perf_counter()
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": question}]}
        first: float | None = None
        async with self.http.stream("POST", self.llm_url, json=body) as response:
            async for chunk in response.aiter_raw():
                if first is None and b'"content": "' in chunk.replace(b'"content": ""', b""):
                    first = time.perf_counter() - started
        assert first is not None
        return first

    async def sse_tokens(self, question: str) -> int:
        async with self.http.stream("POST", self.sse_url, json={"question": question, "stream": True}) as response:
            body = b"".join([chunk async for chunk in response.aiter_raw()])
        assert body.endswith(b"data: [DONE]\n\n")
        return 1

    async def grpc_tokens(self, question: str) -> int:
        call = self.completions.Ask(api_pb2.AskRequest(chat_id=self.chat_id, question=question), metadata=self.auth)
        finals = [event async for event in call if event.HasField("final")]
        assert len(finals) == 1
        return 1


async def alternate(asks: dict[str, Ask], total: int, concurrency: int) -> dict[str, list[float]]:
    """``total`` samples of each transport, ``concurrency`` clients, transports taking turns."""
    samples: dict[str, list[float]] = {name: [] for name in asks}
    queue = [(name, index) for index in range(total) for name in asks]
    queue.reverse()

    async def one_client() -> None:
        while queue:
            name, index = queue.pop()
            samples[name].append(await asks[name](f"bench question {index}"))

    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return samples


async def throughput(stream: Callable[[str], Awaitable[int]], streams: int) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(stream("throughput") for _ in range(streams)))
    return time.perf_counter() - started


async def bench(args: argparse.Namespace, stack: Stack, fake_url: str) -> None:
    key = mint_key(stack.mongo_url, "bench")
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        chat = (await client.post(f"{stack.gateway_url}/api/v1/chats", json={"name": "bench"})).json()["data"]
    t = Transports(stack, key, chat["id"], fake_url)
    try:
        await alternate({"sse": t.sse, "grpc": t.grpc}, 20, 4)  # warm up connections and caches
        llm_1 = (await alternate({"llm": t.llm}, args.requests, 1))["llm"]
        one = await alternate({"sse": t.sse, "grpc": t.grpc}, args.requests, 1)
        many = await alternate({"sse": t.sse, "grpc": t.grpc}, args.requests, args.concurrency)

        answer = " ".join(f"tok{i}" for i in range(args.answer_words))
        tokens_per_answer = len(tokenize(answer))
        control = fake_url.rsplit("/v1", 1)[0] + "/_fake/script"
        async with httpx.AsyncClient(timeout=30) as client:
            (await client.post(control, json={"match": "throughput", "answer": answer})).raise_for_status()
        await throughput(t.sse_tokens, 4)
        await throughput(t.grpc_tokens, 4)
        rates: dict[str, list[float]] = {"sse": [], "grpc": []}
        for _ in range(args.rounds):  # alternating rounds, so both see the same load
            rates["sse"].append(args.streams * tokens_per_answer / await throughput(t.sse_tokens, args.streams))
            rates["grpc"].append(args.streams * tokens_per_answer / await throughput(t.grpc_tokens, args.streams))
    finally:
        await t.close()

    print(f"\nragchat completions over gRPC vs SSE — 1 gateway, {args.workers} worker(s), fake LLM at zero delay")
    print(describe("LLM alone, TTFT, 1 client", llm_1))
    for label, samples, clients in (("1 client", one, 1), (f"{args.concurrency} concurrent", many, args.concurrency)):
        print(describe(f"SSE route, TTFT, {label}", samples["sse"]))
        print(describe(f"gRPC Completions.Ask, TTFT, {label}", samples["grpc"]))
        if clients == 1:
            base = percentile(llm_1, 50)
            sse_over = percentile(samples["sse"], 50) - base
            grpc_over = percentile(samples["grpc"], 50) - base
            print(
                f"{'=> TTFT overhead p50, 1 client':<40} SSE {sse_over * 1000:.2f} ms, gRPC {grpc_over * 1000:.2f} ms "
                f"(target: gRPC <= SSE)"
            )
    for name, label in (("sse", "SSE route"), ("grpc", "gRPC Completions.Ask")):
        print(
            f"{f'{label}, tokens/s':<40} median {statistics.median(rates[name]):,.0f} tokens/s "
            f"({args.rounds} rounds of {args.streams} streams x {tokens_per_answer} tokens)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="TTFT samples per transport and scenario")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--streams", type=int, default=16, help="concurrent streams of a throughput round")
    parser.add_argument("--answer-words", type=int, default=4000, help="words per answer in the throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds per transport")
    args = parser.parse_args()
    fake = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve().parents[1] / "tests" / "fake_llm.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fake.stdout is not None
    fake_url = fake.stdout.readline().strip()
    try:
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
    finally:
        fake.terminate()
        fake.wait(10)


if __name__ == "__main__":
    main()
