"""Stops through the machine's real Redis: the gateway's request_stop, the worker's listener."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis_server import start_redis_server

from ragchat_cli.stack import free_port
from ragchat_common.events import (
    DeltaEvent,
    DoneEvent,
    FinalEvent,
    stream_control_channel,
    stream_finishing_key,
    stream_log_key,
    stream_stop_key,
)
from ragchat_common.stream_control import _STOP_SCRIPT, STOP_MESSAGE, request_stop
from ragchat_worker.control import RedisStopControl
from ragchat_worker.domain.types import Prior
from ragchat_worker.redis_sink import RedisEventSink

REDIS_URL = "redis://127.0.0.1:6379/0"


@asynccontextmanager
async def stop_control(namespace: str = "") -> AsyncIterator[tuple[Redis, str, RedisStopControl]]:
    """A started stop control on the machine's Redis, in a namespace of its own."""
    redis = Redis.from_url(REDIS_URL)
    namespace = namespace or "test-stop-" + secrets.token_hex(4)
    control = RedisStopControl(redis, REDIS_URL, namespace)
    await control.start()
    try:
        yield redis, namespace, control
    finally:
        await control.close()
        await redis.aclose()


async def test_a_stop_reaches_the_job_being_watched_and_only_it() -> None:
    async with stop_control() as (redis, namespace, control):
        async with control.watch("a") as a, control.watch("b") as b:
            assert not a.requested and not b.requested
            woken = asyncio.Event()
            a.on_request(woken.set)
            assert await request_stop(redis, namespace, "a", ttl_s=60) is True
            await asyncio.wait_for(woken.wait(), 2)
            assert a.requested and not b.requested


async def test_a_stop_asked_before_the_job_started_is_found_when_it_starts() -> None:
    # Nobody watched when it was asked: the job's first look (stream log and stop key) finds it.
    redis = Redis.from_url(REDIS_URL)
    namespace = "test-stop-" + secrets.token_hex(4)
    sink = RedisEventSink(redis, namespace, log_max_events=100, log_ttl_s=60)
    try:
        assert await request_stop(redis, namespace, "queued", ttl_s=60) is True
        assert await sink.first_look("queued", "run-1") == Prior(None, stop_asked=True)
        assert await sink.first_look("other", "run-1") == Prior(None, stop_asked=False)
    finally:
        await redis.aclose()


async def test_stopping_a_finished_answer_says_so_and_leaves_no_stop_behind() -> None:
    redis = Redis.from_url(REDIS_URL)
    namespace = "test-stop-" + secrets.token_hex(4)
    sink = RedisEventSink(redis, namespace, log_max_events=100, log_ttl_s=60)
    try:
        await sink.emit("m", [DeltaEvent(seq=0, text='{"type":"done"} in the text is not the end')])
        assert await request_stop(redis, namespace, "m", ttl_s=60) is True
        final = FinalEvent(seq=1, answer="x", reference={}, created_at=0.0)
        await sink.emit("done", [DeltaEvent(seq=0, text="x"), final, DoneEvent(seq=2)])
        assert await request_stop(redis, namespace, "done", ttl_s=60) is False
        assert not await redis.exists(f"{namespace}:stop:done")
    finally:
        await redis.aclose()


async def test_a_stop_and_the_end_of_an_answer_agree_on_which_came_first() -> None:
    async with stop_control() as (redis, namespace, control):
        async with control.watch("late") as late:
            assert await control.finish(late) is False  # complete: a stop now is too late
            assert await request_stop(redis, namespace, "late", ttl_s=60) is False
        async with control.watch("early") as early:
            assert await request_stop(redis, namespace, "early", ttl_s=60) is True
            assert await control.finish(early) is True and early.requested


async def test_a_stop_published_while_the_listener_was_disconnected_is_heard_after_it_reconnects() -> None:
    """An own redis-server (the kill below would cut every pub/sub client of a shared one): the
    listener's connection is killed and the stop published in the same transaction, so the live
    message reaches nobody and only the re-read of the stop key can tell the job."""
    port = free_port()
    proc = start_redis_server(port)
    url = f"redis://127.0.0.1:{port}/0"
    redis = Redis.from_url(url)
    namespace = "test-stop-" + secrets.token_hex(4)
    control = RedisStopControl(redis, url, namespace)
    try:
        await control.start()
        async with control.watch("m") as signal:
            assert not signal.requested
            woken = asyncio.Event()
            signal.on_request(woken.set)
            async with redis.pipeline(transaction=True) as both:
                both.client_kill_filter(_type="pubsub")
                both.eval(
                    _STOP_SCRIPT,
                    3,
                    stream_log_key(namespace, "m"),
                    stream_stop_key(namespace, "m"),
                    stream_finishing_key(namespace, "m"),
                    stream_control_channel(namespace, "m"),
                    "60",
                    STOP_MESSAGE,
                )
                killed, stopped = await both.execute()
            assert killed == 1 and stopped == 1
            await asyncio.wait_for(woken.wait(), 30)
            assert signal.requested
    finally:
        await control.close()
        await redis.aclose()
        proc.kill()
        proc.wait(10)


async def test_glob_characters_in_the_namespace_do_not_let_another_namespace_stop_a_job() -> None:
    suffix = secrets.token_hex(4)
    lookalike = f"test-stop-a-{suffix}"
    # Unescaped, its pattern would match "test-stop-a-...".
    async with stop_control(f"test-stop-[ab]*{suffix}") as (redis, namespace, control):
        async with control.watch("m") as signal:
            woken = asyncio.Event()
            signal.on_request(woken.set)
            await redis.publish(f"{lookalike}:control:m", STOP_MESSAGE)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), 0.3)
            assert not signal.requested
            assert await request_stop(redis, namespace, "m", ttl_s=60) is True
            await asyncio.wait_for(woken.wait(), 2)


async def test_watching_a_job_subscribes_nothing_per_job() -> None:
    async with stop_control() as (redis, namespace, control):
        async with control.watch("m"):
            channel = stream_control_channel(namespace, "m")
            assert await redis.pubsub_numsub(channel) == [(channel.encode(), 0)]
            assert await redis.publish(channel, STOP_MESSAGE) >= 1  # heard through the pattern
