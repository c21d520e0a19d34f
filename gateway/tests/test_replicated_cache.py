"""The replicated caches listening through the process's one pub/sub listener, against a
redis-server of each test's own (stopped or cut under the listener; never the machine's shared one).

Whether the listener hears decides the TTL: a listener that stops hearing (Redis frozen, so no
pong comes back) makes the caches fall back to the short TTL, and a listener that hears again
after any gap (a cut connection, a silence) makes them drop everything."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis
from redis_server import start_redis_server
from waiting import until

from ragchat_cli.stack import free_port
from ragchat_common.ids import new_id
from ragchat_common.pubsub import ChannelListener
from ragchat_gateway.replicated_cache import ReplicatedCache
from ragchat_gateway.streaming.hub import StreamHub

PING_S = 0.2  # heard while answered within 3 * PING_S


@pytest.fixture
def own_redis() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    proc = start_redis_server(port)
    try:
        yield proc, f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(proc.pid, signal.SIGCONT)  # in case a test left it frozen
        proc.kill()
        proc.wait(10)


@pytest.fixture
async def listening(
    own_redis: tuple[subprocess.Popen[bytes], str],
) -> AsyncIterator[tuple[ChannelListener, list[ReplicatedCache[str]], Redis]]:
    """One listener, two caches following their channels through it (as the gateway wires them)."""
    _, url = own_redis
    listener = ChannelListener(url, "test-own-" + new_id(), subscribe_timeout_s=3.0, ping_interval_s=PING_S)
    caches: list[ReplicatedCache[str]] = [
        ReplicatedCache(f"test-changes-{i}-{new_id()}", ttl_s=60.0, fallback_ttl_s=0.2) for i in range(2)
    ]
    for cache in caches:
        cache.listen_through(listener)
    await listener.start()
    redis = Redis.from_url(url, socket_timeout=2.0)
    try:
        await until(lambda: all(c.hears_changes for c in caches), timeout_s=15.0)
        yield listener, caches, redis
    finally:
        await listener.close()
        await redis.aclose()


async def pubsub_clients(redis: Redis) -> list[dict[str, str]]:
    return [c for c in await redis.client_list() if int(c["sub"]) or int(c["psub"])]


async def test_the_caches_and_the_hub_share_one_connection(
    own_redis: tuple[subprocess.Popen[bytes], str],
    listening: tuple[ChannelListener, list[ReplicatedCache[str]], Redis],
) -> None:
    listener, caches, redis = listening
    hub = StreamHub(own_redis[1], "test-hub-" + new_id(), listener=listener)
    await hub.start()
    try:
        async with hub.subscribe("m"):
            [client] = await pubsub_clients(redis)
            assert client["sub"] == "4"  # the listener's own channel, both caches', the answer's
        [client] = await pubsub_clients(redis)
        assert client["sub"] == "3"
        for cache in caches:
            assert await redis.pubsub_numsub(cache.channel) == [(cache.channel.encode(), 1)]
    finally:
        await hub.close()
    assert listener.heard  # the hub does not own the shared listener


async def test_notices_reach_each_cache_through_the_shared_listener(
    listening: tuple[ChannelListener, list[ReplicatedCache[str]], Redis],
) -> None:
    _, (first, second), redis = listening
    for cache in (first, second):
        cache.put("k", "v", tag="t")
    assert await first.announce(redis, "t")
    await until(lambda: not first.lookup("k")[0], timeout_s=15.0)
    assert second.lookup("k") == (True, "v")  # another channel: untouched
    await redis.publish(second.channel, "t")
    await until(lambda: not second.lookup("k")[0], timeout_s=15.0)


async def test_a_listener_that_stops_hearing_makes_the_caches_fall_back_to_the_short_ttl(
    own_redis: tuple[subprocess.Popen[bytes], str],
    listening: tuple[ChannelListener, list[ReplicatedCache[str]], Redis],
) -> None:
    proc, _ = own_redis
    listener, caches, _ = listening
    for cache in caches:
        cache.put("k", "v", tag="t")
    await asyncio.sleep(0.3)  # older than the short TTL, well within the long one
    assert all(cache.lookup("k") == (True, "v") for cache in caches)

    os.kill(proc.pid, signal.SIGSTOP)  # the connection stays open; only the pongs stop
    try:
        # Past the deadline the listener both stops hearing and replaces the silent connection,
        # so whether it is still connected at this instant is a race; what matters is the caches.
        await until(lambda: not listener.heard, timeout_s=15.0)
        for cache in caches:
            assert not cache.hears_changes
            assert cache.lookup("k") == (False, None)  # the short TTL applies
            assert cache.get("k", cache.ttl_s) == (True, "v")  # though the entry is still there
    finally:
        os.kill(proc.pid, signal.SIGCONT)

    # Heard again: a notice may have been missed meanwhile, so everything is dropped.
    await until(lambda: all(c.hears_changes for c in caches), timeout_s=15.0)
    assert all(len(cache) == 0 for cache in caches)


async def test_a_notice_published_while_the_connection_was_cut_is_not_missed(
    listening: tuple[ChannelListener, list[ReplicatedCache[str]], Redis],
) -> None:
    listener, caches, redis = listening
    for cache in caches:
        cache.put("k", "v", tag="t")
    generations = [cache.generation for cache in caches]
    async with redis.pipeline(transaction=True) as both:
        # In one transaction: the notice reaches nobody, redis-py reconnects on its own.
        both.client_kill_filter(_type="pubsub")
        both.publish(caches[0].channel, "t")
        killed, receivers = await both.execute()
    assert (killed, receivers) == (1, 0)
    await until(lambda: all(c.generation != g for c, g in zip(caches, generations, strict=True)), timeout_s=15.0)
    await until(lambda: all(c.hears_changes for c in caches), timeout_s=15.0)
    assert all(cache.lookup("k") == (False, None) for cache in caches)
    assert len(await pubsub_clients(redis)) == 1  # reconnected as one connection again
    caches[1].put("k", "v", tag="t")
    await redis.publish(caches[1].channel, "t")  # and notices reach it again
    await until(lambda: not caches[1].lookup("k")[0], timeout_s=15.0)
    assert listener.heard
