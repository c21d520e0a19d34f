"""Concurrent-stream leases on the real completions route, across gateway replicas.

Gateways and a worker of their own (own namespace and queue, tests/fake_llm.py as the LLM,
streaming slowly) run on the session stack's services. The lease sets in Redis are inspected
directly: `{namespace}:streams:{key_id}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_llm import FakeLLM, start_completion_group
from redis.asyncio import Redis

from ragchat_cli.endpoints import DEFAULT_MONGO_DB
from ragchat_cli.keys import run_with_db
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.principal import KeyLimits
from ragchat_gateway.ratelimit.leases import lease_set_key

SLOW_ANSWER = " ".join(f"w{i}" for i in range(40))  # 40 tokens, 30 ms apart: ~1.2 s per stream


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM(delay_s=0.03) as server:
        yield server


def _group(stack: Stack, tmp: Path, fake: FakeLLM, gateways: int, env: dict[str, str]) -> Stack:
    group: Stack = start_completion_group(
        stack,
        tmp,
        fake,
        gateways=gateways,
        workers=1,
        env={
            "RAGCHAT_RATELIMIT_RPM": "1000000",
            "RAGCHAT_RATELIMIT_BURST": "0",
            "RAGCHAT_RATELIMIT_MAX_STREAMS": "10",
            "RAGCHAT_PREFETCH": "64",
            **env,
        },
    )
    return group


@pytest.fixture(scope="module")
def replicas(stack: Stack, fake: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # A TTL far longer than the test: a slot that comes back here was released, not expired.
    group = _group(stack, tmp_path_factory.mktemp("leases"), fake, 3, {"RAGCHAT_RATELIMIT_LEASE_TTL_S": "600"})
    yield group
    group.stop()


@pytest.fixture(scope="module")
def short_ttl(stack: Stack, fake: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    group = _group(stack, tmp_path_factory.mktemp("leases-ttl"), fake, 2, {"RAGCHAT_RATELIMIT_LEASE_TTL_S": "3"})
    yield group
    group.stop()


@pytest.fixture
async def redis(stack: Stack) -> Any:
    client = Redis.from_url(stack.config.redis_url)
    yield client
    await client.aclose()


def _mint(stack: Stack, limits: KeyLimits) -> tuple[str, str]:
    tenant = "leases-" + new_id()[:8]
    minted = run_with_db(stack.mongo_url, DEFAULT_MONGO_DB, lambda db: domain.create_key(db, tenant, limits))
    return minted.key, minted.key_id


def _make_chat(url: str, key: str) -> str:
    response = httpx.post(
        url + "/api/v1/chats",
        json={"name": "leases-" + new_id()[:12], "dataset_ids": []},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    chat_id: str = response.json()["data"]["id"]
    return chat_id


class Streams:
    def __init__(self, urls: list[str], key: str, chat_id: str, question: str) -> None:
        self.urls = itertools.cycle(urls)
        self.path = f"/api/v1/chats/{chat_id}/completions"
        self.question = question
        self.client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {key}"},
            timeout=httpx.Timeout(60.0),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=0),
        )

    async def open(self, progress: dict[str, Any], until_bytes: int | None = None) -> int:
        """Opens one stream; reads it to the end (or until `until_bytes`, then leaves)."""
        url = next(self.urls) + self.path
        async with self.client.stream("POST", url, json={"question": self.question, "stream": True}) as response:
            progress["status"] = response.status_code
            if response.status_code != 200:
                progress["body"] = (await response.aread()).decode()
                return response.status_code
            async for chunk in response.aiter_bytes():
                progress["bytes"] = progress.get("bytes", 0) + len(chunk)
                if until_bytes is not None and progress["bytes"] >= until_bytes:
                    return 200
            progress["finished"] = True
        return 200

    async def aclose(self) -> None:
        await self.client.aclose()


async def _zcard(redis: Redis, key: str) -> int:
    return int(await redis.zcard(key))


async def _settles_to_zero(redis: Redis, key: str, within_s: float) -> float:
    started = time.monotonic()
    while (held := await _zcard(redis, key)) != 0:
        assert time.monotonic() - started < within_s, f"{held} leases still held after {within_s} s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def test_a_thousand_streams_cancelled_at_random_points_leave_no_lease(
    stack: Stack, replicas: Stack, fake: FakeLLM, redis: Redis
) -> None:
    # no slot limit in the way: what is measured is that every slot comes back
    key, key_id = _mint(stack, KeyLimits(max_streams=1000))
    leases = lease_set_key(replicas.config.namespace, key_id)
    chat_id = _make_chat(replicas.gateway_url, key)
    question = "lease churn " + new_id()
    fake.script(question, answer=SLOW_ANSWER, delay_s=0.03)
    streams = Streams(replicas.gateway_urls, key, chat_id, question)
    rng = random.Random(5)
    outcomes: Counter[str] = Counter()
    concurrency = asyncio.Semaphore(40)
    peak = 0
    running = True

    async def sample_peak() -> None:
        nonlocal peak
        while running:
            peak = max(peak, await _zcard(redis, leases))
            await asyncio.sleep(0.05)

    async def one() -> None:
        async with concurrency:
            progress: dict[str, Any] = {}
            # 40 % leave before or while the headers come (they come in ~10-80 ms, depending on
            # load), the rest somewhere in the stream
            delay = rng.uniform(0.0, 0.05) if rng.random() < 0.4 else rng.uniform(0.08, 3.0)
            task = asyncio.create_task(streams.open(progress))
            done, _ = await asyncio.wait({task}, timeout=delay)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            elif task.exception() is not None:
                outcomes["client error: " + type(task.exception()).__name__] += 1
                return
            if progress.get("status") not in (None, 200):
                outcomes[f"status {progress['status']}"] += 1
            elif progress.get("finished"):
                outcomes["read to the end"] += 1
            elif "status" in progress:
                outcomes["cancelled mid-stream"] += 1
            else:
                outcomes["cancelled before the headers"] += 1

    sampler = asyncio.create_task(sample_peak())
    started = time.monotonic()
    try:
        await asyncio.gather(*(one() for _ in range(1000)))
    finally:
        running = False
        await sampler
        await streams.aclose()
    elapsed = time.monotonic() - started
    settle = await _settles_to_zero(redis, leases, within_s=10.0)
    print(
        f"\n1000 streams over 3 replicas in {elapsed:.1f} s: {dict(outcomes)}; "
        f"peak leases held {peak}; 0 held {settle:.2f} s after the last client left"
    )
    assert sum(outcomes.values()) == 1000
    assert set(outcomes) <= {"cancelled mid-stream", "cancelled before the headers", "read to the end"}, outcomes
    # Both ways of leaving were exercised (how many leave before the headers depends on load).
    assert outcomes["cancelled mid-stream"] >= 150 and outcomes["cancelled before the headers"] >= 50
    # The peak exceeds the 40 open client streams: a gateway still preparing an abandoned
    # request holds its slot until it notices the client is gone. 0 at the end, 10 min before
    # any lease could expire: every slot was released, none leaked.
    assert await redis.exists(leases) == 0


async def test_the_eleventh_concurrent_stream_is_refused_naming_the_limit(
    stack: Stack, replicas: Stack, fake: FakeLLM, redis: Redis
) -> None:
    key, key_id = _mint(stack, KeyLimits())  # the default: 10 streams
    leases = lease_set_key(replicas.config.namespace, key_id)
    chat_id = _make_chat(replicas.gateway_url, key)
    question = "eleven " + new_id()
    fake.script(question, answer=" ".join(f"w{i}" for i in range(200)), delay_s=0.05)  # ~10 s
    streams = Streams(replicas.gateway_urls, key, chat_id, question)
    progress: list[dict[str, Any]] = [{} for _ in range(10)]
    holders = [asyncio.create_task(streams.open(p)) for p in progress]
    try:
        deadline = time.monotonic() + 30
        while not all(p.get("bytes") for p in progress):
            assert time.monotonic() < deadline, progress
            await asyncio.sleep(0.05)
        assert await _zcard(redis, leases) == 10
        eleventh: dict[str, Any] = {}
        assert await streams.open(eleventh) == 429
        body = eleventh["body"]
        assert '"code":429' in body.replace(" ", "") and "concurrency limit is 10" in body
    finally:
        for task in holders:
            task.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
    await _settles_to_zero(redis, leases, within_s=5.0)
    again: dict[str, Any] = {}
    assert await streams.open(again, until_bytes=1) == 200
    await streams.aclose()
    await _settles_to_zero(redis, leases, within_s=5.0)


async def test_a_killed_gateways_leases_expire_within_the_ttl(
    stack: Stack, short_ttl: Stack, fake: FakeLLM, redis: Redis
) -> None:
    ttl_s = 3.0
    key, key_id = _mint(stack, KeyLimits(max_streams=5))
    leases = lease_set_key(short_ttl.config.namespace, key_id)
    victim, survivor = short_ttl.find("gateway")
    victim_url, survivor_url = (f"http://127.0.0.1:{p.port}" for p in (victim, survivor))
    chat_id = _make_chat(survivor_url, key)
    question = "crash " + new_id()
    fake.script(question, answer=" ".join(f"w{i}" for i in range(400)), delay_s=0.05)  # ~20 s
    on_victim = Streams([victim_url], key, chat_id, question)
    on_survivor = Streams([survivor_url], key, chat_id, question)
    progress: list[dict[str, Any]] = [{} for _ in range(5)]
    holders = [asyncio.create_task(on_victim.open(p)) for p in progress]
    try:
        deadline = time.monotonic() + 30
        while not all(p.get("bytes") for p in progress):
            assert time.monotonic() < deadline, progress
            await asyncio.sleep(0.05)
        # renewals keep the slots past their TTL while the gateway lives
        await asyncio.sleep(ttl_s + 1)
        assert await _zcard(redis, leases) == 5
        refused: dict[str, Any] = {}
        assert await on_survivor.open(refused) == 429

        short_ttl.kill(victim)  # SIGKILL: no finally runs, nothing is released
        killed_at = time.monotonic()
        await asyncio.gather(*holders, return_exceptions=True)
        assert await _zcard(redis, leases) == 5  # still there: only expiry can free them now

        while True:
            admitted: dict[str, Any] = {}
            attempt_started = time.monotonic()  # the slot is taken right after auth: a refusal is quick
            if await on_survivor.open(admitted, until_bytes=1) == 200:
                break
            assert admitted["status"] == 429
            assert time.monotonic() - killed_at < ttl_s + 2.0, "dead gateway's leases outlived their TTL"
            await asyncio.sleep(0.1)
        freed_after = attempt_started - killed_at
        print(f"\nleases of the SIGKILLed gateway stopped counting {freed_after:.2f} s after the kill (TTL {ttl_s} s)")
        assert freed_after <= ttl_s + 2.0
    finally:
        for task in holders:
            task.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
        await on_victim.aclose()
        await on_survivor.aclose()
    await _settles_to_zero(redis, leases, within_s=ttl_s + 2.0)
