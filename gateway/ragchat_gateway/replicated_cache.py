"""A cache every gateway replica keeps in-process, kept true across replicas by change notices.

Whoever changes the source of an entry publishes the entry's *tag* (an API key's id, a chat's
``tenant/chat_id``; ``*`` for everything) on a Redis channel; every replica listening drops the
entries with that tag within milliseconds. Each replica listens through its process's one pub/sub
connection (``ragchat_common.pubsub.ChannelListener``). While the listener does not hear (Redis
down, connection lost, no answer to its pings) entries count only ``fallback_ttl_s`` instead of
``ttl_s``, and everything is dropped when it hears again, since a notice may have been missed
meanwhile.

``generation`` changes on every drop: a look-up that began before one does not store its
(maybe stale) answer, so a notice that overtakes a look-up in flight is never undone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from typing import Generic, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ragchat_common.pubsub import ChannelListener

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

    ``listen_through(listener)`` (before the listener starts) follows the channel on the
    process's one pub/sub connection. Without it (tools, tests) the fallback TTL applies.
    """

    def __init__(self, channel: str, *, ttl_s: float, fallback_ttl_s: float, max_entries: int = 10_000) -> None:
        super().__init__(max_entries)
        self.channel = channel
        self.ttl_s = ttl_s
        self.fallback_ttl_s = fallback_ttl_s
        self._listener: ChannelListener | None = None

    def listen_through(self, listener: ChannelListener) -> None:
        # Whatever was announced before hearing (re)started may be lost: start afresh each time.
        listener.follow(self.channel, self._heard, on_heard=self.clear)
        self._listener = listener

    @property
    def hears_through(self) -> ChannelListener | None:
        return self._listener

    @property
    def hears_changes(self) -> bool:
        """True while changes reach this replica at once (the long TTL applies)."""
        return self._listener is not None and self._listener.heard

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

    def _heard(self, data: bytes) -> None:
        self.forget(data.decode() if isinstance(data, bytes) else str(data))


async def publish_change(redis: Redis, channel: str, tag: str) -> bool:
    try:
        await redis.publish(channel, tag)
    except (RedisError, OSError) as exc:
        log.error("could not announce the change of %s on %s to the other replicas: %s", tag, channel, exc)
        return False
    return True
