"""The limiter's scripts against the machine's real Redis, each test in its own namespace."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from ragchat_common.ids import new_id
from ragchat_gateway.ratelimit.leases import StreamLimitReached, acquire_lease, lease_set_key
from ragchat_gateway.ratelimit.limiter import RequestLimits, bucket_key, frozen_clock_key, take_request_token
from ragchat_gateway.ratelimit.scripts import LuaScript

REDIS_URL = "redis://127.0.0.1:6379/0"
US = 1_000_000


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def namespace(redis: Redis) -> AsyncIterator[str]:
    ns = "test-rl-" + new_id()[:10]
    try:
        yield ns
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{ns}:*")]
        if keys:
            await redis.delete(*keys)


async def _freeze(redis: Redis, namespace: str, now_us: int) -> None:
    await redis.set(frozen_clock_key(namespace), str(now_us))


async def _redis_now_us(redis: Redis) -> int:
    seconds, micros = await redis.time()
    return int(seconds) * US + int(micros)


async def test_full_bucket_admits_capacity_then_refills_at_the_rate(redis: Redis, namespace: str) -> None:
    limits = RequestLimits(rate=100, burst=50, period_s=60.0)
    t0 = await _redis_now_us(redis)
    await _freeze(redis, namespace, t0)

    decisions = [await take_request_token(redis, namespace, "k1", limits, use_test_clock=True) for _ in range(200)]
    admitted = [d for d in decisions if d.admitted]
    assert len(admitted) == 150
    assert all(d.admitted for d in decisions[:150]) and not any(d.admitted for d in decisions[150:])
    assert [d.remaining for d in decisions[:3]] == [149, 148, 147]
    assert decisions[149].remaining == 0
    refused = decisions[150]
    # one token comes back every 0.6 s: the wait rounds up to 1 s
    assert refused.retry_after_s == 1 and refused.remaining == 0
    # the bucket is full again once 150 tokens have come back: 150 * 0.6 s = 90 s
    assert refused.reset_at_s == math.ceil((t0 + 90 * US) / US)
    assert refused.limit == 100 and refused.headers()["Retry-After"] == "1"

    # 30 s later exactly 50 more are admitted; a minute later exactly 100
    await _freeze(redis, namespace, t0 + 30 * US)
    later = [await take_request_token(redis, namespace, "k1", limits, use_test_clock=True) for _ in range(80)]
    assert sum(d.admitted for d in later) == 50
    await _freeze(redis, namespace, t0 + 90 * US)
    later = [await take_request_token(redis, namespace, "k1", limits, use_test_clock=True) for _ in range(150)]
    assert sum(d.admitted for d in later) == 100


async def test_retry_after_is_the_computed_wait(redis: Redis, namespace: str) -> None:
    limits = RequestLimits(rate=2, burst=0, period_s=10.0)  # one token every 5 s
    t0 = await _redis_now_us(redis)
    await _freeze(redis, namespace, t0)
    assert (await take_request_token(redis, namespace, "k", limits, use_test_clock=True)).admitted
    assert (await take_request_token(redis, namespace, "k", limits, use_test_clock=True)).admitted
    refused = await take_request_token(redis, namespace, "k", limits, use_test_clock=True)
    assert not refused.admitted and refused.retry_after_s == 5
    await _freeze(redis, namespace, t0 + 3_200_000)
    refused = await take_request_token(redis, namespace, "k", limits, use_test_clock=True)
    assert refused.retry_after_s == 2  # 1.8 s rounded up
    await _freeze(redis, namespace, t0 + 5 * US)
    assert (await take_request_token(redis, namespace, "k", limits, use_test_clock=True)).admitted


async def test_keys_are_independent_and_the_bucket_expires_when_idle(redis: Redis, namespace: str) -> None:
    limits = RequestLimits(rate=100, burst=50, period_s=3600.0)  # one token back every 36 s
    for _ in range(150):
        await take_request_token(redis, namespace, "a", limits)
    assert not (await take_request_token(redis, namespace, "a", limits)).admitted
    assert (await take_request_token(redis, namespace, "b", limits)).admitted
    ttl_ms = await redis.pttl(bucket_key(namespace, "a"))
    # the key lives exactly as long as the bucket needs to fill up again (150 * 36 s)
    assert 5_300_000 < ttl_ms <= 5_400_000 + 1_000


async def test_zero_rate_key_is_always_refused(redis: Redis, namespace: str) -> None:
    decision = await take_request_token(redis, namespace, "z", RequestLimits(rate=0, burst=0, period_s=60.0))
    assert not decision.admitted and decision.retry_after_s >= 1
    assert decision.headers()["X-RateLimit-Remaining"] == "0" and int(decision.headers()["X-RateLimit-Reset"]) > 0


async def test_concurrent_takers_never_exceed_capacity(redis: Redis, namespace: str) -> None:
    limits = RequestLimits(rate=100, burst=50, period_s=3600.0)  # no refill to speak of
    clients = [Redis.from_url(REDIS_URL) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(take_request_token(clients[i % 4], namespace, "c", limits) for i in range(400))
        )
    finally:
        for client in clients:
            await client.aclose()
    assert sum(d.admitted for d in results) == 150


async def test_leases_admit_up_to_the_limit_and_free_on_release(redis: Redis, namespace: str) -> None:
    leases = [await acquire_lease(redis, namespace, "s", max_streams=3, ttl_s=30) for _ in range(3)]
    with pytest.raises(StreamLimitReached) as refused:
        await acquire_lease(redis, namespace, "s", max_streams=3, ttl_s=30)
    assert "concurrency limit is 3" in refused.value.message and refused.value.retry_after_s == 1
    assert await redis.zcard(lease_set_key(namespace, "s")) == 3
    await leases[0].release()
    await leases[0].release()  # idempotent
    again = await acquire_lease(redis, namespace, "s", max_streams=3, ttl_s=30)
    for lease in [*leases[1:], again]:
        await lease.release()
    assert await redis.zcard(lease_set_key(namespace, "s")) == 0


async def test_an_unrenewed_lease_expires_and_stops_counting(redis: Redis, namespace: str) -> None:
    lease = await acquire_lease(redis, namespace, "e", max_streams=1, ttl_s=0.6)
    lease._renewer.cancel()  # type: ignore[union-attr]  # what a crashed gateway looks like
    with pytest.raises(StreamLimitReached):
        await acquire_lease(redis, namespace, "e", max_streams=1, ttl_s=0.6)
    await asyncio.sleep(0.8)
    fresh = await acquire_lease(redis, namespace, "e", max_streams=1, ttl_s=0.6)
    await fresh.release()


async def test_a_renewed_lease_outlives_its_ttl(redis: Redis, namespace: str) -> None:
    lease = await acquire_lease(redis, namespace, "r", max_streams=1, ttl_s=0.6)
    await asyncio.sleep(1.5)  # renewed every 0.2 s
    with pytest.raises(StreamLimitReached):
        await acquire_lease(redis, namespace, "r", max_streams=1, ttl_s=0.6)
    await lease.release()
    assert await redis.zcard(lease_set_key(namespace, "r")) == 0


async def test_release_finishes_even_when_the_caller_is_cancelled(redis: Redis, namespace: str) -> None:
    lease = await acquire_lease(redis, namespace, "x", max_streams=2, ttl_s=30)

    async def stream() -> None:
        async with lease:
            await asyncio.sleep(10)

    task = asyncio.create_task(stream())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    assert await redis.zcard(lease_set_key(namespace, "x")) == 0


async def test_an_abandoned_guard_releases_the_lease_and_closes_its_body(redis: Redis, namespace: str) -> None:
    # What EventStreamResponse does when the client left: it closes the guard at a yield.
    lease = await acquire_lease(redis, namespace, "g", max_streams=1, ttl_s=30)
    body_closed = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"event"
        finally:
            body_closed.set()

    guarded = lease.guard(body())
    assert await anext(guarded) == b"event"
    await guarded.aclose()  # type: ignore[attr-defined]
    assert body_closed.is_set()  # now, not when the body is garbage-collected
    assert await redis.zcard(lease_set_key(namespace, "g")) == 0


async def test_a_script_missing_from_the_server_cache_falls_back_to_eval(redis: Redis) -> None:
    script = LuaScript(f"return {{7, '{new_id()}'}}")  # a source no server has seen: NOSCRIPT first
    assert await redis.script_exists(script.sha) == [False]
    first = await script(redis, [], [])
    assert first[0] == 7
    assert await redis.script_exists(script.sha) == [True]  # EVAL cached it: EVALSHA from now on
    assert (await script(redis, [], []))[0] == 7


async def test_a_frozen_test_clock_keeps_the_bucket_while_real_time_passes(redis: Redis, namespace: str) -> None:
    # 20 ms per token: with expiry measured on the frozen clock the key would vanish after ~21 ms
    # of real time and the bucket would wrongly refill.
    limits = RequestLimits(rate=100, burst=50, period_s=2.0)
    await _freeze(redis, namespace, await _redis_now_us(redis))
    assert (await take_request_token(redis, namespace, "f", limits, use_test_clock=True)).admitted
    await asyncio.sleep(0.1)
    later = [await take_request_token(redis, namespace, "f", limits, use_test_clock=True) for _ in range(200)]
    assert sum(d.admitted for d in later) == 149
