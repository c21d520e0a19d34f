"""One Redis pub/sub connection per process, multiplexing the channels its requests listen to.

The gateway listens to answers' event channels (its stream hub): it subscribes on demand and waits
for Redis to CONFIRM the subscription, so nothing published afterwards is missed. The worker
listens to answers' control channels (stops) through a pattern given at construction, subscribed
with the connection itself for its lifetime (``wait_patterns`` tells when Redis confirmed it), so
a job costs no SUBSCRIBE. One reader task hands each message to the callback of its channel or
pattern. A lost connection is reopened by redis-py, which subscribes again to every channel and
pattern; ``on_resubscribed`` then runs, so a caller can re-read what was published while the
connection was down (Redis does not keep it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress

from redis.asyncio import Redis

log = logging.getLogger(__name__)

Deliver = Callable[[bytes], None]
# Called with the channel a pattern matched and the message.
PatternDeliver = Callable[[str, bytes], None]


def glob_escape(text: str) -> str:
    """``text`` matched literally inside a Redis glob pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class ChannelListener:
    def __init__(
        self,
        redis_url: str,
        own_channel: str,
        *,
        subscribe_timeout_s: float,
        on_resubscribed: Callable[[], Awaitable[None]] | None = None,
        patterns: Mapping[str, PatternDeliver] | None = None,
    ) -> None:
        # Its own client: the connection is held for the process's lifetime and blocks in reads
        # (no socket timeout; keepalive notices a dead peer).
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=2.0, socket_keepalive=True)
        self._pubsub = self.redis.pubsub()
        self._subscribe_timeout_s = subscribe_timeout_s
        self._on_resubscribed = on_resubscribed
        self._deliveries: dict[str, Deliver] = {}
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        # redis-py reads only while something is subscribed: a channel of the listener's own.
        self._own_channel = own_channel
        self._connect_lock = asyncio.Lock()
        self._own_confirmed = False
        self._patterns = dict(patterns or {})
        self._patterns_confirmed = asyncio.Event()

    async def start(self) -> None:
        """Opens the connection (a failure here is retried by the reader, not fatal)."""
        try:
            await self._ensure_connection()
        except Exception as exc:
            log.warning("Redis pub/sub not reachable at startup; retrying", extra={"error": repr(exc)})
        self._reader = asyncio.create_task(self._read_forever(), name="redis-channel-listener")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._reader
        with suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self.redis.aclose()

    @property
    def connected(self) -> bool:
        connection = self._pubsub.connection
        return connection is not None and connection.is_connected

    async def _ensure_connection(self) -> None:
        """One connection, opened once even when many requests arrive together."""
        if self._pubsub.connection is not None:
            return
        async with self._connect_lock:
            if self._pubsub.connection is None:
                if self._patterns:
                    await self._pubsub.psubscribe(*self._patterns)
                await self._pubsub.subscribe(self._own_channel)

    async def _read_forever(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._ensure_connection()
                message = await self._pubsub.get_message(timeout=None)
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Redis pub/sub connection lost; reconnecting", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            if message is None:
                continue
            channel = message["channel"]
            name = channel.decode() if isinstance(channel, bytes) else str(channel)
            kind = message["type"]
            if kind == "message":
                deliver = self._deliveries.get(name)
                if deliver is not None:
                    deliver(message["data"])
            elif kind == "pmessage":
                pattern = message["pattern"]
                matched = self._patterns.get(pattern.decode() if isinstance(pattern, bytes) else str(pattern))
                if matched is not None:
                    matched(name, message["data"])
            elif kind == "psubscribe":
                # In order on one connection: the patterns come before the own channel's confirmation.
                self._patterns_confirmed.set()
            elif kind == "subscribe":
                confirmation = self._confirmations.pop(name, None)
                if confirmation is not None and not confirmation.done():
                    confirmation.set_result(None)
                if name == self._own_channel:
                    # A second confirmation: redis-py reconnected (within its own retries or after
                    # an error seen here) and subscribed again to every channel in that one
                    # command; what was published meanwhile reached nobody.
                    resubscribed, self._own_confirmed = self._own_confirmed, True
                    if resubscribed and self._on_resubscribed is not None:
                        try:
                            await self._on_resubscribed()
                        except Exception as exc:
                            log.warning("re-reading after a reconnect failed", extra={"error": repr(exc)})

    async def wait_patterns(self) -> None:
        """Until Redis has confirmed the patterns (once; a reconnect re-subscribes them by itself).
        Raises TimeoutError after the subscribe timeout."""
        if not self._patterns_confirmed.is_set():
            await asyncio.wait_for(self._patterns_confirmed.wait(), self._subscribe_timeout_s)

    @asynccontextmanager
    async def listen(self, channel: str, deliver: Deliver) -> AsyncIterator[None]:
        """Subscribed (confirmed by Redis) on entry, ``deliver`` called with each message of the
        channel until exit. Raises when Redis does not confirm in time."""
        confirmation: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._deliveries[channel] = deliver
        self._confirmations[channel] = confirmation
        try:
            await self._ensure_connection()
            await self._pubsub.subscribe(channel)
            await asyncio.wait_for(asyncio.shield(confirmation), self._subscribe_timeout_s)
            yield
        finally:
            self._deliveries.pop(channel, None)
            self._confirmations.pop(channel, None)
            with suppress(Exception):
                await self._pubsub.unsubscribe(channel)
