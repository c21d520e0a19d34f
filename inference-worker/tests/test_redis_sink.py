"""The sink against the machine's real Redis (unique namespace per run)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from ragchat_common.events import DeltaEvent, DoneEvent, decode_event, job_claim_key, stream_channel, stream_log_key
from ragchat_worker.domain.types import ClaimLost, Prior
from ragchat_worker.redis_sink import RedisEventSink


async def test_each_batch_is_published_live_and_logged_with_expiry() -> None:
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    namespace = "test-sink-" + secrets.token_hex(4)
    sink = RedisEventSink(redis, namespace, log_max_events=100, log_ttl_s=600)
    pubsub = redis.pubsub()
    try:
        await pubsub.subscribe(stream_channel(namespace, "m"))
        assert (await pubsub.get_message(timeout=1))["type"] == "subscribe"  # type: ignore[index]
        assert await sink.first_look("m", "run-1") == Prior(None, stop_asked=False)

        await sink.emit("m", [DeltaEvent(seq=0, text="Hello")])
        await sink.emit("m", [DeltaEvent(seq=1, text=" world"), DoneEvent(seq=2)])

        live = []
        while len(live) < 3:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message:
                live.append(decode_event(message["data"]))
        assert [e.seq for e in live] == [0, 1, 2]
        logged = [decode_event(f[b"e"]) for _, f in await redis.xrange(stream_log_key(namespace, "m"))]
        assert logged == live
        assert 590 <= await redis.ttl(stream_log_key(namespace, "m")) <= 600
        assert await sink.first_look("m", "run-1") == Prior(DoneEvent(seq=2), stop_asked=False)
    finally:
        await pubsub.aclose()
        await redis.delete(stream_log_key(namespace, "m"))
        await redis.aclose()
        await asyncio.sleep(0)


@dataclass
class Claims:
    """A Redis client, a namespace of its own and the claim key of message "m" in it."""

    redis: Redis
    namespace: str
    key: str

    def sink(self, claim_ttl_s: float) -> RedisEventSink:
        return RedisEventSink(self.redis, self.namespace, log_max_events=100, log_ttl_s=600, claim_ttl_s=claim_ttl_s)


@pytest.fixture
async def claims() -> AsyncIterator[Claims]:
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    namespace = "test-claim-" + secrets.token_hex(4)
    key = job_claim_key(namespace, "m")
    try:
        yield Claims(redis, namespace, key)
    finally:
        await redis.delete(key)
        await redis.aclose()


async def test_a_job_is_claimed_by_one_run_renewed_by_it_and_released_only_by_it(claims: Claims) -> None:
    redis, key, sink = claims.redis, claims.key, claims.sink(claim_ttl_s=2.0)
    assert (await sink.first_look("m", "first")).claimed
    assert (await sink.first_look("m", "first")).claimed  # still this run's
    assert not (await sink.first_look("m", "second")).claimed
    assert not await sink.keep_claim("m", "second")
    await redis.pexpire(key, 100)
    assert await sink.keep_claim("m", "first")
    assert 1500 < await redis.pttl(key) <= 2000  # renewed to the whole TTL
    await sink.release_claim("m", "second")  # not the holder: nothing happens
    assert await redis.get(key) == b"first"
    await sink.release_claim("m", "first")
    assert (await sink.first_look("m", "second")).claimed
    await redis.delete(key)
    assert await sink.keep_claim("m", "second")  # a lost key (a Redis restart) is taken again


async def test_a_held_claim_is_renewed_and_a_run_cut_short_gives_it_back(claims: Claims) -> None:
    redis, key, sink = claims.redis, claims.key, claims.sink(claim_ttl_s=0.3)

    async def run() -> None:
        async with sink.holding("m", "first"):
            await asyncio.sleep(30)

    assert (await sink.first_look("m", "first")).claimed
    running = asyncio.create_task(run())
    await asyncio.sleep(0.9)  # three TTLs: lapsed unless renewed
    assert await redis.get(key) == b"first"
    running.cancel()  # the worker stops with the job unfinished: it goes back to the queue
    with pytest.raises(asyncio.CancelledError):
        await running
    assert await redis.get(key) is None  # the next worker need not wait for it to lapse
    await sink.first_look("m", "second")
    await asyncio.sleep(0.9)  # and nothing of the first run renews it any more
    assert await redis.get(key) is None
    # A run that ends leaves its claim to lapse (the stream's end tells a second run).
    assert (await sink.first_look("m", "third")).claimed
    async with sink.holding("m", "third"):
        pass
    assert await redis.get(key) == b"third"


async def test_a_run_whose_claim_another_run_took_is_cancelled_and_raises_claim_lost(claims: Claims) -> None:
    redis, key, sink = claims.redis, claims.key, claims.sink(claim_ttl_s=0.3)
    cleaned_up = asyncio.Event()

    async def run() -> None:
        async with sink.holding("m", "first"):
            try:
                await asyncio.sleep(30)
            finally:
                cleaned_up.set()

    assert (await sink.first_look("m", "first")).claimed
    running = asyncio.create_task(run())
    await asyncio.sleep(0.2)
    # The first run stalled past the TTL; a second delivery took the job over.
    await redis.set(key, "second", px=10_000)
    with pytest.raises(ClaimLost):
        await asyncio.wait_for(running, 2)  # within one renewal (every 0.1 s)
    assert cleaned_up.is_set() and not running.cancelled()
    assert await redis.get(key) == b"second"  # the loser does not give back what it lost
