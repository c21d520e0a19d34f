"""Per-key rate limits across three gateway processes behind a round-robin client.

The group runs with a short period (100 requests per 2 s instead of per minute) so refill shows
in seconds, and with the limiter's test clock: while `{namespace}:ratelimit:test-clock` holds a
time, every replica's script uses it instead of Redis TIME, so the burst is counted exactly.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits
from ragchat_gateway.ratelimit.limiter import frozen_clock_key

PERIOD_S = 2.0  # 100 requests per 2 s: one token back every 20 ms
ROUTE = "/api/v1/chats"


@pytest.fixture(scope="module")
def replicas(gateway_group: Callable[..., Stack]) -> Stack:
    return gateway_group(
        3,
        {
            "RAGCHAT_RATELIMIT_PERIOD_S": str(PERIOD_S),
            "RAGCHAT_RATELIMIT_TEST_CLOCK": "true",
        },
    )


@pytest.fixture
async def redis(stack: Stack) -> AsyncIterator[Redis]:
    client = Redis.from_url(stack.config.redis_url)
    try:
        yield client
    finally:
        await client.delete(frozen_clock_key(stack.config.namespace))
        await client.aclose()


class RoundRobin:
    """Sends each request to the next gateway in turn, as a load balancer would."""

    def __init__(self, urls: list[str], key: str) -> None:
        self._urls = itertools.cycle(urls)
        self.client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {key}"},
            timeout=30.0,
            limits=httpx.Limits(max_connections=60, max_keepalive_connections=60),
        )

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(next(self._urls) + path)

    async def burst(self, count: int, path: str = ROUTE) -> list[httpx.Response]:
        return list(await asyncio.gather(*(self.get(path) for _ in range(count))))

    async def aclose(self) -> None:
        await self.client.aclose()


def _admitted(responses: list[httpx.Response]) -> int:
    unexpected = [r.status_code for r in responses if r.status_code not in (200, 429)]
    assert not unexpected, f"unexpected statuses {unexpected[:5]}: {responses[0].text[:300]}"
    return sum(r.status_code == 200 for r in responses)


async def _redis_now_us(redis: Redis) -> int:
    seconds, micros = await redis.time()
    return int(seconds) * 1_000_000 + int(micros)


async def test_three_replicas_admit_exactly_the_burst_then_the_rate(
    stack: Stack, replicas: Stack, redis: Redis
) -> None:
    key = mint_key(stack.mongo_url, "rl-exact-" + new_id()[:8])
    clock = frozen_clock_key(stack.config.namespace)
    t0 = await _redis_now_us(redis)
    await redis.set(clock, str(t0))
    client = RoundRobin(replicas.gateway_urls, key)
    try:
        first = await client.burst(300)
        admitted = _admitted(first)
        print(f"\nfirst second: {admitted} of 300 admitted across 3 replicas")
        assert admitted == 150
        refused = next(r for r in first if r.status_code == 429)
        assert refused.json()["code"] == 429 and refused.headers["Retry-After"] == "1"
        assert {r.headers["X-RateLimit-Limit"] for r in first} == {"100"}
        remaining = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in first if r.status_code == 200)
        assert remaining == list(range(150))  # every admitted request saw its own place in the bucket

        await redis.set(clock, str(t0 + 1_000_000))  # half a period: 50 tokens back
        admitted = _admitted(await client.burst(100))
        print(f"after 1 s more: {admitted} of 100 admitted")
        assert admitted == 50

        await redis.set(clock, str(t0 + 3_000_000))  # a whole period more: 100 tokens back
        admitted = _admitted(await client.burst(150))
        print(f"after 2 s more: {admitted} of 150 admitted")
        assert admitted == 100
    finally:
        await client.aclose()


async def test_real_clock_admits_about_the_rate_per_period(stack: Stack, replicas: Stack, redis: Redis) -> None:
    await redis.delete(frozen_clock_key(stack.config.namespace))
    key = mint_key(stack.mongo_url, "rl-rate-" + new_id()[:8])
    client = RoundRobin(replicas.gateway_urls, key)
    admitted = sent = 0
    try:
        started = time.monotonic()
        while time.monotonic() - started < 4.0:
            wave = await client.burst(80)  # more than comes back during a wave, on a machine that keeps up
            sent += len(wave)
            admitted += _admitted(wave)
        elapsed = time.monotonic() - started
    finally:
        await client.aclose()
    ceiling = 150 + 100 * elapsed / PERIOD_S
    print(f"\nreal clock: {admitted} of {sent} admitted in {elapsed:.2f} s (bucket allows at most {ceiling:.0f})")
    assert admitted <= ceiling + 1
    # Asked for more than the bucket allows, it admits about the rate; on a machine too busy to
    # send that many in time, it must have refused nothing.
    assert admitted >= min(sent, 0.8 * ceiling)


async def test_429_carries_retry_after_and_waiting_that_long_is_admitted(
    stack: Stack, replicas: Stack, redis: Redis
) -> None:
    await redis.delete(frozen_clock_key(stack.config.namespace))
    # one request per period (2 s) plus one of burst: a full bucket admits 2
    key = mint_key(stack.mongo_url, "rl-retry-" + new_id()[:8], KeyLimits(requests_per_minute=1, burst=1))
    client = RoundRobin(replicas.gateway_urls, key)
    try:
        assert [r.status_code for r in [await client.get(ROUTE), await client.get(ROUTE)]] == [200, 200]
        refused = await client.get(ROUTE)
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == 429 and body["data"] is None and "Rate limit exceeded" in body["message"]
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 2
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert int(refused.headers["X-RateLimit-Reset"]) >= int(time.time())
        await asyncio.sleep(retry_after)
        admitted = await client.get(ROUTE)
        assert admitted.status_code == 200, admitted.text
    finally:
        await client.aclose()


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAGCHAT_GATEWAY_URL": stack.gateway_url, "RAGCHAT_ADMIN_TOKEN": stack.config.admin_token}
    return subprocess.run(
        [sys.executable, "-m", "ragchat_cli.main", "keys", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_limits_set_with_the_cli_apply_per_key(stack: Stack, replicas: Stack, redis: Redis) -> None:
    await redis.delete(frozen_clock_key(stack.config.namespace))
    tenant = "rl-cli-" + new_id()[:8]
    created = _cli(stack, "create", "--tenant", tenant, "--rpm", "1", "--burst", "2", "--max-streams", "4")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    listed = _cli(stack, "list", "--tenant", tenant, "--json")
    rows: list[dict[str, Any]] = json.loads(listed.stdout)
    assert (rows[0]["rpm"], rows[0]["burst"], rows[0]["max_streams"]) == (1, 2, 4)

    client = RoundRobin(replicas.gateway_urls, key)
    try:
        assert _admitted(await client.burst(6)) == 3
        updated = _cli(stack, "update", rows[0]["id"], "--burst", "20")
        assert updated.returncode == 0, updated.stderr
        assert "burst=20" in updated.stderr and "rpm=1" in updated.stderr and "max_streams=4" in updated.stderr
        # No wait: the change is announced to every replica, which drops the key from its cache.
        assert _admitted(await client.burst(30)) >= 18
    finally:
        await client.aclose()
    bad = _cli(stack, "update", rows[0]["id"], "--rpm", "-3")
    assert bad.returncode != 0 and "negative" in bad.stderr
