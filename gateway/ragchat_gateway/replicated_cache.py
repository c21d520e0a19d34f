"""A cache every gateway replica keeps in-process, kept true across replicas by change notices.

Whoever changes the source of an entry publishes the entry's *tag* (an API key's id, a chat's
``tenant/chat_id``; ``*`` for everything) on a Redis channel; every replica listening drops the
entries with that tag within milliseconds. While a replica does not hear the channel (Redis
down, connection lost, no answer to its pings) entries count only ``fallback_ttl_s`` instead of
``ttl_s``, and everything is dropped when it hears the channel again, since a notice may have
been missed meanwhile.

``generation`` changes on every drop: a look-up that began before one does not store its
(maybe stale) answer, so a notice that overtakes a look-up in flight is never undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

V = TypeVar("V")

EVERYTHING = "*"


class TaggedCache(Generic[V]):
    """Key → value with the time it was stored; entries are dropped by tag.

    How long an entry stays valid is decided when it is read (``max_age_s``). Bounded: when full,
    it starts afresh (a flood of distinct keys cannot grow memory without limit).
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.generation = 0
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._keys_of: dict[str, set[Hashable]] = {}  # tag → keys, to drop entries by tag

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, max_age_s: float, now: float | None = None) -> tuple[bool, V | None]:
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        stored, value = entry
        if (time.monotonic() if now is None else now) - stored >= max_age_s:
            return False, None
        return True, value

    def put(self, key: Hashable, value: V, tag: str | None = None, generation: int | None = None) -> None:
        if generation is not None and generation != self.generation:
            return  # a drop happened while this value was looked up
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
            self._keys_of.clear()
        self._entries[key] = (time.monotonic(), value)
        if tag is not None:
            self._keys_of.setdefault(tag, set()).add(key)

    def invalidate(self, tag: str) -> None:
        self.generation += 1
        for key in self._keys_of.pop(tag, ()):
            self._entries.pop(key, None)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._keys_of.clear()


class ReplicatedCache(TaggedCache[V]):
    """A TaggedCache that listens to a change channel; see the module docstring.

    ``start(redis)`` begins listening, ``close()`` stops. Without ``start()`` (tools, tests) it
    works with the fallback TTL only.
    """

    def __init__(
        self,
        channel: str,
        *,
        ttl_s: float,
        fallback_ttl_s: float,
        ping_interval_s: float = 1.0,
        max_entries: int = 10_000,
    ) -> None:
        super().__init__(max_entries)
        self.channel = channel
        self.ttl_s = ttl_s
        self.fallback_ttl_s = fallback_ttl_s
        self.ping_interval_s = ping_interval_s
        self._redis: Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        # Monotonic time until which the channel counts as heard (pushed forward by every message
        # and every answered ping); 0 while not subscribed.
        self._heard_until = 0.0

    async def start(self, redis: Redis) -> None:
        if self._listener is None:
            self._redis = redis
            self._listener = asyncio.create_task(self._listen(), name=f"changes:{self.channel}")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    @property
    def hears_changes(self) -> bool:
        """True while changes reach this replica at once (the long TTL applies)."""
        return time.monotonic() < self._heard_until

    def lookup(self, key: Hashable, now: float | None = None) -> tuple[bool, V | None]:
        """The entry if it is still valid by the TTL that applies right now."""
        return self.get(key, self.ttl_s if self.hears_changes else self.fallback_ttl_s, now)

    def forget(self, tag: str) -> None:
        """Drops the entries of one tag on this replica (``*``: every entry)."""
        if tag == EVERYTHING:
            self.clear()
        else:
            self.invalidate(tag)

    async def announce(self, redis: Redis, tag: str) -> bool:
        """Drops the tag here and tells every replica to drop it. False when Redis did not take the
        notice: other replicas then catch up within their cache time."""
        self.forget(tag)
        return await publish_change(redis, self.channel, tag)

    async def _listen(self) -> None:
        assert self._redis is not None
        delay = 0.1
        while True:
            pubsub: Any = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                next_ping = time.monotonic() + self.ping_interval_s
                while True:
                    message = await pubsub.get_message(timeout=self.ping_interval_s)
                    if message is not None:
                        self._on_message(message)
                        delay = 0.1
                    if time.monotonic() >= next_ping:  # a silent connection stops the pongs
                        await pubsub.ping()
                        next_ping = time.monotonic() + self.ping_interval_s
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self._heard_until:
                    log.warning(
                        "change channel %s lost (%s); entries are cached %.1f s", self.channel, exc, self.fallback_ttl_s
                    )
                self._heard_until = 0.0
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            # Whatever was announced while this replica was not subscribed is lost: start afresh.
            self.clear()
        elif kind == "message":
            data = message.get("data")
            self.forget(data.decode() if isinstance(data, bytes) else str(data))
        # Any answer (subscribe confirmation, notice, pong) proves the channel is live.
        self._heard_until = time.monotonic() + 3 * self.ping_interval_s


async def publish_change(redis: Redis, channel: str, tag: str) -> bool:
    try:
        await redis.publish(channel, tag)
    except (RedisError, OSError) as exc:
        log.error("could not announce the change of %s on %s to the other replicas: %s", tag, channel, exc)
        return False
    return True
