"""One Redis pub/sub connection per gateway process (``ChannelListener``, shared with the
replicated caches), fanning answer events out to requests.

A request subscribes to its message's channel and waits for Redis to CONFIRM the subscription
before the job is published, so no live event can be missed. Live delivery is still best effort
(a reconnect drops what was published meanwhile), so ``events`` checks sequence numbers and
fills any gap from the message's replay log; it also re-reads the log whenever the channel has
been quiet for a keepalive period.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError

from ragchat_common.errors import Unavailable
from ragchat_common.events import LOG_FIELD, StreamEvent, decode_event, stream_channel, stream_log_key
from ragchat_common.ids import new_id
from ragchat_common.pubsub import ChannelListener

log = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT_S: Final = 3.0


def open_listener(redis_url: str, namespace: str) -> ChannelListener:
    """The gateway process's one pub/sub listener (not started yet)."""
    return ChannelListener(redis_url, f"{namespace}:gateway:{new_id()}", subscribe_timeout_s=SUBSCRIBE_TIMEOUT_S)


@dataclass(frozen=True)
class Keepalive:
    """Nothing arrived for a keepalive period: the relay writes a ``: ping`` comment."""


@dataclass(frozen=True)
class TimedOut:
    """The answer did not finish within the completion timeout."""


class Subscription:
    def __init__(self, hub: StreamHub, message_id: str) -> None:
        self.hub, self.message_id = hub, message_id
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        # Set once the first live event arrived: the job has reached a worker.
        self.arrived = asyncio.Event()

    def deliver(self, payload: bytes) -> None:
        self.queue.put_nowait(payload)
        self.arrived.set()

    async def events(
        self, *, keepalive_s: float, timeout_s: float, next_seq: int = 0
    ) -> AsyncIterator[StreamEvent | Keepalive | TimedOut]:
        """Every event of the message from ``next_seq`` on, once each and in order, until ``done``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            try:
                payload = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                wait = min(keepalive_s, deadline - loop.time())
                if wait <= 0:
                    yield TimedOut()
                    return
                try:
                    # Not asyncio.wait_for: on 3.11 it swallows a cancel landing as the get
                    # completes, and the client who left would hold the stream open to its end.
                    async with asyncio.timeout(wait):
                        payload = await self.queue.get()
                except TimeoutError:
                    # Quiet channel: maybe live events were lost; the log has them all.
                    for event in await self.hub.replay(self.message_id, next_seq):
                        if event.seq < next_seq:
                            continue  # written twice (a retried batch): relayed once
                        yield event
                        next_seq = event.seq + 1
                        if event.type == "done":
                            return
                    if loop.time() >= deadline:
                        yield TimedOut()
                        return
                    yield Keepalive()
                    continue
            try:
                event = decode_event(payload)
            except ValidationError:
                log.warning("ignoring a malformed stream event", extra={"message_id": self.message_id})
                continue
            if event.seq < next_seq:
                continue  # already relayed (from the log)
            if event.seq > next_seq:
                for missed in await self.hub.replay(self.message_id, next_seq, before=event.seq):
                    if missed.seq < next_seq:
                        continue  # written twice (a retried batch): relayed once
                    yield missed
                    next_seq = missed.seq + 1
            yield event
            next_seq = event.seq + 1
            if event.type == "done":
                return


class StreamHub:
    """Listens through ``listener`` (the process's pub/sub listener, started and closed by its
    owner: ``open_listener``); without one, ``start()`` and ``close()`` run a listener of its own
    on ``redis_url``."""

    def __init__(self, redis_url: str, namespace: str, *, listener: ChannelListener | None = None) -> None:
        self.namespace = namespace
        self._owns_listener = listener is None
        self._listener = listener or open_listener(redis_url, namespace)
        # The listener's client also reads the replay logs.
        self.redis = self._listener.redis

    async def start(self) -> None:
        if self._owns_listener:
            await self._listener.start()

    async def close(self) -> None:
        if self._owns_listener:
            await self._listener.close()

    @asynccontextmanager
    async def subscribe(self, message_id: str) -> AsyncIterator[Subscription]:
        """Subscribed (confirmed by Redis) on entry; unsubscribed on exit. Unavailable if Redis is down."""
        subscription = Subscription(self, message_id)
        async with AsyncExitStack() as listening:
            try:
                channel = stream_channel(self.namespace, message_id)
                await listening.enter_async_context(self._listener.listen(channel, subscription.deliver))
            except Exception as exc:
                log.warning("stream subscription failed", extra={"error": repr(exc)})
                raise Unavailable("The stream broker (Redis) is unavailable; please retry.") from None
            yield subscription

    async def replay(self, message_id: str, from_seq: int, before: int | None = None) -> list[StreamEvent]:
        """Events of the message with ``from_seq <= seq < before``, from the replay log."""
        try:
            entries = await self.redis.xrange(stream_log_key(self.namespace, message_id))
        except Exception as exc:
            log.warning("stream log unreadable", extra={"error": repr(exc)})
            return []
        events: list[StreamEvent] = []
        for _, fields in entries or []:
            if not fields:
                continue
            try:
                event = decode_event(fields[LOG_FIELD])
            except (KeyError, ValidationError):
                continue
            if event.seq >= from_seq and (before is None or event.seq < before):
                events.append(event)
        return events

    @property
    def connected(self) -> bool:
        return self._listener.connected
