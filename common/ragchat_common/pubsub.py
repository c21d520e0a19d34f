"""One Redis pub/sub connection per process, multiplexing the channels its parts listen to.

The gateway's stream hub subscribes to answers' event channels on demand and waits for Redis to
CONFIRM each subscription, so nothing published afterwards is missed; its replicated caches
``follow`` their change channels for the process's lifetime, subscribed with the connection
itself. The worker listens to answers' control channels (stops) through a pattern it follows the
same way (``wait_subscribed`` tells when Redis confirmed them), so a job costs no SUBSCRIBE. One
reader task hands each message to its channel's or pattern's callback. A lost connection is
reopened by redis-py, which subscribes again to every channel and pattern. A PING every
``ping_interval_s`` on a quiet connection proves it live: ``heard`` is true while the connection
answered within ``3 * ping_interval_s``, and a connection silent past that deadline (its peer
gone without closing it) is closed, so redis-py opens a new one. Whenever hearing resumes after a
gap (a reconnect, or a silence past that deadline) the ``follow`` hooks and ``on_resubscribed``
run, so callers can re-read or drop what a message published meanwhile would have changed (Redis
does not keep it); the ``follow`` hooks also run when hearing first starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

log = logging.getLogger(__name__)

Deliver = Callable[[bytes], None]
# Called with the channel a pattern matched and the message.
PatternDeliver = Callable[[str, bytes], None]


def _text(value: bytes | str) -> str:
    """A channel or pattern name as redis-py hands it over (bytes unless decoding is on)."""
    return value.decode() if isinstance(value, bytes) else str(value)


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
        ping_interval_s: float = 1.0,
    ) -> None:
        # Its own client: the connection is held for the process's lifetime and blocks in reads
        # (no socket timeout: the pings notice a silent peer, and the connection is then replaced).
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=2.0, socket_keepalive=True)
        self._pubsub = self.redis.pubsub()
        self._subscribe_timeout_s = subscribe_timeout_s
        self._on_resubscribed = on_resubscribed
        # Each channel's listeners (a followed channel has one, for the listener's lifetime).
        self._deliveries: dict[str, tuple[Deliver, ...]] = {}
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._pinger: asyncio.Task[None] | None = None
        # redis-py reads only while something is subscribed: a channel of the listener's own.
        self._own_channel = own_channel
        self._connect_lock = asyncio.Lock()
        # Set once Redis confirmed the own channel: the patterns and the followed channels,
        # subscribed before it or in the same command, are confirmed with it.
        self._subscribed = asyncio.Event()
        # Channels and patterns listened to for the listener's lifetime, and what runs when
        # hearing (re)starts.
        self._followed: list[str] = []
        self._patterns: dict[str, PatternDeliver] = {}
        self._on_heard: list[Callable[[], None]] = []
        self._ping_interval_s = ping_interval_s
        self._deadline_s = 3 * ping_interval_s
        # Monotonic time of the last message (any: pongs too), and whether everything published
        # since hearing last (re)started has been heard.
        self._heard_at = 0.0
        self._hearing = False
        self._resumes = 0
        # Checked by both loops: on Python 3.11, a cancel that lands as redis-py's write (in
        # asyncio.wait_for) completes is swallowed, so cancelling alone may not end them.
        self._closing = False

    def follow(self, channel: str, deliver: Deliver, on_heard: Callable[[], None] | None = None) -> None:
        """``deliver`` gets each message of ``channel`` for the listener's lifetime; subscribed with
        the connection itself, so called before ``start()``. ``on_heard`` runs when hearing starts
        and whenever it resumes after a gap: whatever was published before may have been missed."""
        self._before_start("follow() a channel")
        self._deliveries[channel] = (*self._deliveries.get(channel, ()), deliver)
        self._followed.append(channel)
        if on_heard is not None:
            self._on_heard.append(on_heard)

    def follow_pattern(self, pattern: str, deliver: PatternDeliver) -> None:
        """``deliver`` gets the channel and the message of every channel matching ``pattern`` (a
        Redis glob) for the listener's lifetime; subscribed with the connection, before ``start()``."""
        self._before_start("follow_pattern()")
        self._patterns[pattern] = deliver

    def _before_start(self, what: str) -> None:
        if self._reader is not None:
            raise RuntimeError(f"{what} before the listener starts")

    async def start(self) -> None:
        """Opens the connection (a failure here is retried by the reader, not fatal)."""
        try:
            await self._ensure_connection()
        except Exception as exc:
            log.warning("Redis pub/sub not reachable at startup; retrying", extra={"error": repr(exc)})
        self._reader = asyncio.create_task(self._read_forever(), name="redis-channel-listener")
        self._pinger = asyncio.create_task(self._ping_forever(), name="redis-channel-pinger")

    async def close(self) -> None:
        self._closing = True
        for task in (self._pinger, self._reader):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await task
        with suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self.redis.aclose()

    @property
    def connected(self) -> bool:
        connection = self._pubsub.connection
        return connection is not None and connection.is_connected

    @property
    def heard(self) -> bool:
        """True while whatever is published on the subscribed channels reaches this listener: the
        connection is subscribed and answered within the deadline, without a gap since hearing
        last (re)started (the hooks have run)."""
        return self._hearing and self.connected and time.monotonic() - self._heard_at < self._deadline_s

    async def _ensure_connection(self) -> None:
        """One connection, opened once even when many requests arrive together."""
        if self._pubsub.connection is not None:
            return
        async with self._connect_lock:
            if self._pubsub.connection is None:
                if self._patterns:
                    await self._pubsub.psubscribe(*self._patterns)
                # One command: once the own channel is confirmed, the followed ones are subscribed.
                await self._pubsub.subscribe(self._own_channel, *self._followed)

    async def _ping_forever(self) -> None:
        """A PING every interval unless messages are flowing: its pong (like any message) keeps
        ``heard`` true. Sent without redis-py's retry: only the reader reconnects."""
        while not self._closing:
            await asyncio.sleep(self._ping_interval_s)
            connection = self._pubsub.connection
            if connection is None or not connection.is_connected or not self._subscribed.is_set():
                continue
            silent_s = time.monotonic() - self._heard_at
            if silent_s >= self._deadline_s:
                await self._give_up(connection, silent_s)
                continue
            if silent_s < self._ping_interval_s / 2:
                continue  # busy: messages arrive anyway
            try:
                await connection.send_command("PING", check_health=False)
            except Exception as exc:  # the reader sees the connection fail too
                log.debug("Redis pub/sub ping failed", extra={"error": repr(exc)})

    async def _give_up(self, connection: AbstractConnection, silent_s: float) -> None:
        """Closes a connection whose peer stopped answering without closing it (a lost node, a
        partition: TCP keepalive would take hours): the reader's read fails, and redis-py opens a
        new connection and subscribes again. The new one gets a whole deadline to answer."""
        log.warning("Redis pub/sub silent; reconnecting", extra={"silent_s": round(silent_s, 1)})
        self._hearing = False
        self._heard_at = time.monotonic()
        with suppress(Exception):
            await connection.disconnect()

    async def _read_forever(self) -> None:
        backoff = 0.1
        while not self._closing:
            try:
                await self._ensure_connection()
                message = await self._pubsub.get_message(timeout=None)
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._hearing = False
                log.warning("Redis pub/sub connection lost; reconnecting", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            if message is None:
                continue
            now = time.monotonic()
            if now - self._heard_at >= self._deadline_s:
                self._hearing = False  # silent past the deadline: a message may have been lost
            self._heard_at = now
            kind = message["type"]
            if kind == "message":
                for deliver in self._deliveries.get(_text(message["channel"]), ()):
                    deliver(message["data"])
            elif kind == "pmessage":
                matched = self._patterns.get(_text(message["pattern"]))
                if matched is not None:
                    matched(_text(message["channel"]), message["data"])
            elif kind == "subscribe":
                name = _text(message["channel"])
                confirmation = self._confirmations.pop(name, None)
                if confirmation is not None and not confirmation.done():
                    confirmation.set_result(None)
                if name == self._own_channel:
                    # A second confirmation: redis-py reconnected (within its own retries or after
                    # an error seen here) and subscribed again to every channel in that one
                    # command; what was published meanwhile reached nobody.
                    if self._subscribed.is_set():
                        self._hearing = False
                    self._subscribed.set()
            if not self._hearing and self._subscribed.is_set():
                await self._hearing_resumed()

    async def _hearing_resumed(self) -> None:
        self._hearing = True
        for hook in self._on_heard:
            try:
                hook()
            except Exception as exc:
                log.warning("a pub/sub listener's hook failed", extra={"error": repr(exc)})
        self._resumes += 1
        if self._resumes > 1 and self._on_resubscribed is not None:
            try:
                await self._on_resubscribed()
            except Exception as exc:
                log.warning("re-reading after a reconnect failed", extra={"error": repr(exc)})

    async def wait_subscribed(self) -> None:
        """Until Redis has confirmed the followed channels and patterns (once; a reconnect
        re-subscribes them by itself). Raises TimeoutError after the subscribe timeout."""
        if not self._subscribed.is_set():
            await asyncio.wait_for(self._subscribed.wait(), self._subscribe_timeout_s)

    @asynccontextmanager
    async def listen(self, channel: str, deliver: Deliver) -> AsyncIterator[None]:
        """Subscribed (confirmed by Redis) on entry, ``deliver`` called with each message of the
        channel until exit. Raises when Redis does not confirm in time.

        A channel may have several listeners (two clients on one answer; a client back before its
        old connection was closed): the first one subscribes, later ones share its confirmation,
        and only the last one out unsubscribes."""
        others = self._deliveries.get(channel, ())
        self._deliveries[channel] = (*others, deliver)
        try:
            if not others:
                self._confirmations[channel] = asyncio.get_running_loop().create_future()
                await self._ensure_connection()
                await self._pubsub.subscribe(channel)
            pending = self._confirmations.get(channel)
            if pending is not None:
                await asyncio.wait_for(asyncio.shield(pending), self._subscribe_timeout_s)
            yield
        finally:
            await self._leave(channel, deliver)

    async def _leave(self, channel: str, deliver: Deliver) -> None:
        listeners = list(self._deliveries.get(channel, ()))
        with suppress(ValueError):
            listeners.remove(deliver)
        if listeners:
            self._deliveries[channel] = tuple(listeners)
            return
        self._deliveries.pop(channel, None)
        self._confirmations.pop(channel, None)
        with suppress(Exception):
            await self._pubsub.unsubscribe(channel)
