"""The stream hub against the machine's real Redis: fan-out, gap filling, keepalive, timeout."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis_server import start_redis_server

from ragchat_cli.stack import free_port
from ragchat_common.errors import Unavailable
from ragchat_common.events import DeltaEvent, DoneEvent, FinalEvent, encode_event, stream_channel, stream_log_key
from ragchat_gateway.streaming.hub import Keepalive, StreamHub, Subscription, TimedOut
from ragchat_worker.redis_sink import RedisEventSink, connect_redis

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def hub() -> AsyncIterator[StreamHub]:
    hub = StreamHub(REDIS_URL, "test-hub-" + secrets.token_hex(4))
    await hub.start()
    try:
        yield hub
    finally:
        await hub.close()


@pytest.fixture
async def sink(hub: StreamHub) -> AsyncIterator[RedisEventSink]:
    redis = Redis.from_url(REDIS_URL)
    try:
        yield RedisEventSink(redis, hub.namespace, log_max_events=100, log_ttl_s=60)
    finally:
        await redis.aclose()


def final(seq: int) -> FinalEvent:
    return FinalEvent(seq=seq, answer="", reference={}, created_at=0.0)


async def test_each_subscriber_gets_only_its_own_events_in_order(hub: StreamHub, sink: RedisEventSink) -> None:
    async def collect(message_id: str, ready: asyncio.Event) -> list[str]:
        async with hub.subscribe(message_id) as subscription:
            ready.set()
            return [e.text async for e in subscription.events(keepalive_s=5, timeout_s=10) if e.type == "delta"]  # type: ignore[union-attr]

    readies = [asyncio.Event() for _ in range(3)]
    tasks = [asyncio.create_task(collect(f"m{i}", readies[i])) for i in range(3)]
    await asyncio.gather(*(r.wait() for r in readies))
    for seq in range(20):
        for i in range(3):
            await sink.emit(f"m{i}", [DeltaEvent(seq=seq, text=f"{i}.{seq} ")])
    for i in range(3):
        await sink.emit(f"m{i}", [final(20), DoneEvent(seq=21)])
    results = await asyncio.gather(*tasks)
    for i, texts in enumerate(results):
        assert texts == [f"{i}.{seq} " for seq in range(20)]


async def test_events_missed_live_are_filled_from_the_log(hub: StreamHub, sink: RedisEventSink) -> None:
    redis = sink.redis
    async with hub.subscribe("gap") as subscription:
        # Seq 0 and 1 reach only the log (as if published before the subscription was active).
        for seq in (0, 1):
            await redis.xadd(
                stream_log_key(hub.namespace, "gap"), {b"e": encode_event(DeltaEvent(seq=seq, text=f"{seq}"))}
            )
        await sink.emit("gap", [DeltaEvent(seq=2, text="2"), final(3), DoneEvent(seq=4)])
        # And one duplicate live event that must be ignored.
        await redis.publish(stream_channel(hub.namespace, "gap"), encode_event(DeltaEvent(seq=1, text="dup")))
        events = [e async for e in subscription.events(keepalive_s=5, timeout_s=10)]
    assert [e.seq for e in events] == [0, 1, 2, 3, 4]  # type: ignore[union-attr]
    assert [e.text for e in events if isinstance(e, DeltaEvent)] == ["0", "1", "2"]


async def test_a_batch_written_twice_to_the_log_is_relayed_once(hub: StreamHub, sink: RedisEventSink) -> None:
    """A worker's retried batch (Redis restarted under it) may stand twice in the log."""
    redis = sink.redis
    log_key = stream_log_key(hub.namespace, "twice")
    async with hub.subscribe("twice") as subscription:
        for event in (DeltaEvent(seq=0, text="a "), DeltaEvent(seq=1, text="b "), DeltaEvent(seq=1, text="b ")):
            await redis.xadd(log_key, {b"e": encode_event(event)})
        # Live after the gap: filled from the log, each seq once.
        await sink.emit("twice", [DeltaEvent(seq=2, text="c ")])
        items = subscription.events(keepalive_s=0.2, timeout_s=10)
        texts = [(await anext(items)).text for _ in range(3)]  # type: ignore[union-attr]
        # Quiet: the log is read again from where the relay is; the retried batch is there twice.
        for event in (DeltaEvent(seq=3, text="d "), DeltaEvent(seq=3, text="d "), final(4), DoneEvent(seq=5)):
            await redis.xadd(log_key, {b"e": encode_event(event)})
        rest = [e async for e in items if not isinstance(e, Keepalive)]
    assert texts == ["a ", "b ", "c "]
    assert [getattr(e, "seq", None) for e in rest] == [3, 4, 5]


async def test_a_quiet_stream_gets_keepalives_then_catches_up_from_the_log(
    hub: StreamHub, sink: RedisEventSink
) -> None:
    redis = sink.redis
    async with hub.subscribe("quiet") as subscription:
        items = subscription.events(keepalive_s=0.1, timeout_s=10)
        assert isinstance(await anext(items), Keepalive)
        # Everything lands in the log only (live messages lost): the next quiet period finds it.
        for event in (DeltaEvent(seq=0, text="late"), final(1), DoneEvent(seq=2)):
            await redis.xadd(stream_log_key(hub.namespace, "quiet"), {b"e": encode_event(event)})
        rest = [e async for e in items]
    assert [getattr(e, "type", None) for e in rest] == ["delta", "final", "done"]


async def _live_texts(subscription: Subscription) -> list[str]:
    """The deltas heard live (the keepalive, after which the log would be read, never comes)."""
    events = [e async for e in subscription.events(keepalive_s=60, timeout_s=3)]
    assert not isinstance(events[-1], TimedOut), "the live events never arrived"
    return [e.text for e in events if isinstance(e, DeltaEvent)]


async def test_two_clients_of_one_answer_both_hear_it_live_and_either_may_leave_first(
    hub: StreamHub, sink: RedisEventSink
) -> None:
    """Two tabs on one answer: one channel, two listeners in one gateway."""
    async with hub.subscribe("shared") as first:
        first_heard = first.events(keepalive_s=60, timeout_s=3)
        async with hub.subscribe("shared") as second:
            await sink.emit("shared", [DeltaEvent(seq=0, text="a")])
            for subscription in (first_heard, second.events(keepalive_s=60, timeout_s=3)):
                heard = await anext(subscription)
                assert isinstance(heard, DeltaEvent) and heard.text == "a"
        # The second tab closed: the first one still hears the channel live.
        await sink.emit("shared", [DeltaEvent(seq=1, text="b"), final(2), DoneEvent(seq=3)])
        rest = [e async for e in first_heard]
    assert [getattr(e, "seq", None) for e in rest] == [1, 2, 3], rest


async def test_a_client_back_while_its_old_connection_is_still_closing_hears_the_answer(
    hub: StreamHub, sink: RedisEventSink
) -> None:
    """The resume arrives while the dropped request still unsubscribes: the old one's leaving must
    not take the new one's subscription with it."""
    old = hub.subscribe("back")
    await old.__aenter__()
    closing = asyncio.create_task(old.__aexit__(None, None, None))  # runs once the new one waits
    async with hub.subscribe("back") as new:
        await closing
        await sink.emit("back", [DeltaEvent(seq=0, text="c"), final(1), DoneEvent(seq=2)])
        assert await _live_texts(new) == ["c"]


async def test_a_stream_that_never_finishes_times_out(hub: StreamHub) -> None:
    async with hub.subscribe("never") as subscription:
        items = [e async for e in subscription.events(keepalive_s=0.05, timeout_s=0.2)]
    assert isinstance(items[-1], TimedOut)
    assert all(isinstance(e, Keepalive) for e in items[:-1]) and items[:-1]


async def test_the_hub_survives_a_redis_restart() -> None:
    """An own redis-server (never the machine's shared one) is stopped and started again."""

    port = free_port()
    proc = start_redis_server(port)
    url = f"redis://127.0.0.1:{port}/0"
    hub = StreamHub(url, "test-hub-restart")
    await hub.start()
    redis = connect_redis(url)  # as the worker connects
    sink = RedisEventSink(redis, hub.namespace, log_max_events=100, log_ttl_s=60)
    try:
        async with hub.subscribe("before") as subscription:
            await sink.emit("before", [DeltaEvent(seq=0, text="a"), final(1), DoneEvent(seq=2)])
            assert [e.seq async for e in subscription.events(keepalive_s=5, timeout_s=5)] == [0, 1, 2]  # type: ignore[union-attr]

        proc.kill()
        proc.wait(10)
        with pytest.raises(Unavailable):
            async with hub.subscribe("down"):
                pass

        proc = start_redis_server(port)
        for _ in range(100):  # the reader reconnects with a short backoff
            try:
                async with hub.subscribe("after") as subscription:
                    await sink.emit("after", [DeltaEvent(seq=0, text="b"), final(1), DoneEvent(seq=2)])
                    events = [e async for e in subscription.events(keepalive_s=0.2, timeout_s=5)]
                break
            except Unavailable:
                await asyncio.sleep(0.1)
        assert [getattr(e, "seq", None) for e in events] == [0, 1, 2]
    finally:
        await hub.close()
        await redis.aclose()
        proc.kill()
        proc.wait(10)


async def test_a_reader_cancelled_as_an_event_arrives_stops_reading(hub: StreamHub) -> None:
    # The client leaving (its request's task cancelled) at the moment an event wakes the reader:
    # the cancel must end the reading, not be dropped for the event (as asyncio.wait_for on 3.11
    # drops it), or the stream runs on to its end with no one listening.
    async with hub.subscribe("leaving") as subscription:
        for seq in range(50):
            reading = asyncio.create_task(anext(subscription.events(keepalive_s=5, timeout_s=10, next_seq=seq)))
            await asyncio.sleep(0.001)  # the reader waits on its queue
            subscription.deliver(encode_event(DeltaEvent(seq=seq, text=str(seq))))
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading
