"""ragchat beside a peer gateway: the same fake LLM through a LiteLLM proxy and through ragchat.

    bench/peer/setup.sh                                  # once: LiteLLM (pinned) in bench/peer/.venv
    .venv/bin/python bench/peer/bench_peer.py [--requests 100] [--streams 32] [--tokens 200]

One run starts tests/fake_llm.py (zero delay per token), a LiteLLM proxy in front of it (its own
virtualenv, one process) and a ragchat stack (every process, its own Redis; the machine's
RabbitMQ) in front of it, then for each: TTFT at 1 client (its overhead over the LLM alone),
streamed tokens/s with ``--streams`` concurrent streams, and CPU per token (utime+stime of the
gateway's processes over the throughput run, from /proc). ragchat is measured on its OpenAI route
(the same request and the same stream format as the proxy) and on its native route.

What each does per answer is not the same: LiteLLM relays the model's stream; ragchat also
authenticates a key, stores the question and the answer durably, queues the job, and keeps a
replayable stream log. The ratios say what that costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1] / "tests"))

import costs  # noqa: E402
from bench_completions import open_stack  # noqa: E402
from fake_llm import tokenize  # noqa: E402

from ragchat_cli.keys import mint_key  # noqa: E402
from ragchat_cli.stack import free_port, tcp_answers  # noqa: E402

Body = Callable[[int], dict[str, Any]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def openai_body(words: str) -> Body:
    return lambda i: {"model": "fake-model", "stream": True, "messages": [{"role": "user", "content": f"{words} {i}"}]}


async def ttft(client: httpx.AsyncClient, url: str, body: dict[str, Any], marker: bytes) -> float:
    started = time.perf_counter()
    first: float | None = None
    async with client.stream("POST", url, json=body) as response:
        async for chunk in response.aiter_raw():
            if first is None and marker in chunk:
                first = time.perf_counter() - started
    assert response.status_code == 200 and first is not None, response.status_code
    return first


async def ttfts(client: httpx.AsyncClient, url: str, body: Body, marker: bytes, n: int) -> list[float]:
    for i in range(10):
        await ttft(client, url, body(i), marker)
    return [await ttft(client, url, body(i), marker) for i in range(n)]


async def throughput(client: httpx.AsyncClient, url: str, body: Body, streams: int) -> tuple[float, int]:
    async def one(i: int) -> int:
        async with client.stream("POST", url, json=body(i)) as response:
            return len(b"".join([chunk async for chunk in response.aiter_raw()]))

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(streams)))
    return time.perf_counter() - started, streams


def start_litellm(fake_url: str, state: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = HERE / ".venv" / "bin" / "litellm"
    if not binary.exists():
        raise SystemExit("LiteLLM is not installed: run bench/peer/setup.sh first")
    config = state / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        "  - model_name: fake-model\n"
        "    litellm_params:\n"
        "      model: openai/fake-model\n"
        f"      api_base: {fake_url}\n"
        "      api_key: fake\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
        "  drop_params: true\n"
    )
    port = free_port()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
    proc = subprocess.Popen(
        [str(binary), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"],
        stdout=(state / "litellm.log").open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while True:
        if tcp_answers("127.0.0.1", port):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/liveliness", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("LiteLLM did not start:\n" + (state / "litellm.log").read_text()[-3000:])
        time.sleep(0.5)
    return proc, f"http://127.0.0.1:{port}"


async def measure(
    args: argparse.Namespace, fake_url: str, litellm_url: str, stack: Any, litellm_pid: int, redis_pid: int
) -> None:
    control = fake_url.rsplit("/v1", 1)[0] + "/_fake/script"
    short = " ".join(f"t{i}" for i in range(args.tokens))
    long = " ".join(f"l{i}" for i in range(args.stream_tokens))
    key = mint_key(stack.mongo_url, "peer")
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        (await client.post(control, json={"match": "short", "answer": short})).raise_for_status()
        (await client.post(control, json={"match": "long", "answer": long})).raise_for_status()
        auth = {"Authorization": f"Bearer {key}"}
        chat = (await client.post(f"{stack.gateway_url}/api/v1/chats", json={"name": "peer"}, headers=auth)).json()
        chat_id = chat["data"]["id"]
        marker = b"t0"  # the first token of the short answer, in every stream format
        targets: dict[str, tuple[str, dict[str, str], Callable[[str], Body], list[costs.Watched]]] = {
            "LLM alone": (f"{fake_url}/chat/completions", {}, openai_body, []),
            "LiteLLM proxy": (
                f"{litellm_url}/v1/chat/completions",
                {"Authorization": "Bearer sk-anything"},
                openai_body,
                [costs.Watched("LiteLLM", sessions=(litellm_pid,))],
            ),
            "ragchat, OpenAI route": (
                f"{stack.gateway_url}/api/v1/chats_openai/{chat_id}/chat/completions",
                auth,
                openai_body,
                _ragchat_rows(stack, redis_pid),
            ),
            "ragchat, native route": (
                f"{stack.gateway_url}/api/v1/chats/{chat_id}/completions",
                auth,
                lambda words: lambda i: {"question": f"{words} {i}", "stream": True},
                _ragchat_rows(stack, redis_pid),
            ),
        }
        results: dict[str, dict[str, float]] = {}
        for name, (url, headers, body, rows) in targets.items():
            client.headers.clear()
            client.headers.update(headers)
            samples = await ttfts(client, url, body("short"), marker, args.requests)
            await throughput(client, url, body("long"), 4)  # warm up
            before = costs.cpu_seconds(rows)
            elapsed, streams = await throughput(client, url, body("long"), args.streams)
            after = costs.cpu_seconds(rows)
            tokens = streams * len(tokenize(long))
            cpu = sum(after[r.name] - before[r.name] for r in rows)
            results[name] = {
                "ttft_p50": percentile(samples, 50) * 1000,
                "ttft_p99": percentile(samples, 99) * 1000,
                "tokens_s": tokens / elapsed,
                "cpu_us_per_token": cpu / tokens * 1e6,
                "cpu_ms_per_answer": cpu / streams * 1000,
            }
    base = results["LLM alone"]
    print(
        f"\npeer bench — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; TTFT over {args.requests} answers of {args.tokens} tokens "
        f"(1 client); tokens/s and CPU over {args.streams} concurrent streams of {args.stream_tokens} tokens"
    )
    print(
        f"{'':<24}{'TTFT p50':>10}{'p99':>9}{'overhead p50':>14}{'tokens/s':>12}"
        f"{'CPU µs/token':>14}{'CPU ms/answer':>15}"
    )
    for name, r in results.items():
        overhead = r["ttft_p50"] - base["ttft_p50"]
        cpu = (
            f"{r['cpu_us_per_token']:14.2f}{r['cpu_ms_per_answer']:15.2f}"
            if name != "LLM alone"
            else f"{'-':>14}{'-':>15}"
        )
        print(f"{name:<24}{r['ttft_p50']:10.2f}{r['ttft_p99']:9.2f}{overhead:14.2f}{r['tokens_s']:12,.0f}{cpu}")
    peer = results["LiteLLM proxy"]
    for name in ("ragchat, OpenAI route", "ragchat, native route"):
        r = results[name]
        over_peer = peer["ttft_p50"] - base["ttft_p50"]
        over = r["ttft_p50"] - base["ttft_p50"]
        print(
            f"{name} / LiteLLM: TTFT overhead {over / over_peer if over_peer > 0 else float('nan'):.2f}x, "
            f"tokens/s {r['tokens_s'] / peer['tokens_s']:.2f}x, "
            f"CPU per token {r['cpu_us_per_token'] / peer['cpu_us_per_token']:.2f}x"
        )


def _ragchat_rows(stack: Any, redis_pid: int) -> list[costs.Watched]:
    rows = [
        costs.Watched(name, sessions=tuple(p.popen.pid for p in stack.find(name)))
        for name in (
            "gateway",
            "chat-service",
            "session-service",
            "retrieval-service",
            "inference-worker",
            "secantusdb",
        )
    ]
    return [*rows, costs.Watched("Redis", pids=(redis_pid,))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--stream-tokens", type=int, default=2000)
    args = parser.parse_args()
    fake = subprocess.Popen(
        [sys.executable, str(HERE.parents[1] / "tests" / "fake_llm.py")], stdout=subprocess.PIPE, text=True
    )
    assert fake.stdout is not None
    fake_url = fake.stdout.readline().strip()
    redis_port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
    )
    litellm: subprocess.Popen[bytes] | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="ragchat-peer-") as state:
            litellm, litellm_url = start_litellm(fake_url, Path(state))
            ns = argparse.Namespace()
            with open_stack(ns, fake_url, f"redis://127.0.0.1:{redis_port}/0", workers=1) as stack:
                asyncio.run(measure(args, fake_url, litellm_url, stack, litellm.pid, redis.pid))
    finally:
        if litellm is not None:
            os.killpg(litellm.pid, 15)
            litellm.wait(20)
        fake.terminate()
        redis.terminate()
        fake.wait(10)
        redis.wait(10)


if __name__ == "__main__":
    main()
