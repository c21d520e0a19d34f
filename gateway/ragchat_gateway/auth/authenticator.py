"""Authentication free of any transport: a bearer token → a Principal, or the contract's error.

HTTP (``auth.dependency``) and the public gRPC API call the same ``KeyAuthenticator``:

    principal = await authenticator.authenticate_bearer(authorization_header_value)
    check_scope(principal, "chat")   # auth.scopes; PermissionDenied (104) when the key lacks it

Raises Unauthenticated (103: missing, malformed, unknown, revoked or expired key) or Unavailable
(503: the key store does not answer).

Keys are cached in-process by hash, so a cache hit costs a dict lookup and two clock reads.
Revoking or changing a key publishes its id on a Redis channel every replica listens to, and
each replica drops that key within milliseconds (``replicated_cache``: what happens while a
replica does not hear the channel).
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis

from ragchat_common.errors import Unauthenticated, Unavailable
from ragchat_common.ids import new_id
from ragchat_common.pubsub import ChannelListener
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.principal import DEFAULT_RAGFLOW_VERSION, Principal, RagflowVersion
from ragchat_gateway.replicated_cache import ReplicatedCache

log = logging.getLogger(__name__)

# Bounds the cache so that a flood of random keys cannot grow memory without limit.
CACHE_MAX_ENTRIES = 10_000
# Fire-and-forget `last_used_at` writes in flight at once; more are skipped (it is coarse anyway).
MAX_PENDING_TOUCHES = 64
EXPIRED_MESSAGE = "API key has expired."
OWN_LISTENER_SUBSCRIBE_TIMEOUT_S = 3.0


def key_events_channel(namespace: str) -> str:
    """The Redis channel on which key changes are announced (payload: the key id, or ``*``)."""
    return f"{namespace}:auth:key-changed"


def bearer_key(authorization: str | None) -> str:
    """The key of an ``Authorization: Bearer <key>`` value, or Unauthenticated."""
    if not authorization or not authorization.strip():
        raise Unauthenticated("Authorization header is missing; send `Authorization: Bearer <api_key>`.")
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthenticated("Authorization header is malformed; send `Authorization: Bearer <api_key>`.")
    return key


class KeyCache(ReplicatedCache[Principal | None]):
    """Key hash → principal (None for a key that does not resolve), dropped by key id."""

    def store(self, key_hash: str, principal: Principal | None, generation: int | None = None) -> None:
        self.put(key_hash, principal, principal.key_id if principal is not None else None, generation)


class KeyAuthenticator:
    """Resolves API keys for one gateway process; see the module docstring.

    Key changes are heard through ``listener`` (the process's pub/sub listener, started and
    closed by its owner); without one, ``start()`` opens a listener of its own on ``redis_url``
    and ``close()`` closes it. Without either (tools, tests) the fallback TTL applies.
    """

    def __init__(
        self,
        db: domain.Db,
        redis_url: str,
        namespace: str,
        *,
        ttl_s: float = 60.0,
        fallback_ttl_s: float = 2.0,
        default_ragflow_version: RagflowVersion = DEFAULT_RAGFLOW_VERSION,
        last_used_interval_s: float = 60.0,
        ping_interval_s: float = 1.0,
        listener: ChannelListener | None = None,
    ) -> None:
        self.db = db
        self.default_ragflow_version = default_ragflow_version
        self.last_used_interval_s = last_used_interval_s
        self.cache = KeyCache(
            key_events_channel(namespace), ttl_s=ttl_s, fallback_ttl_s=fallback_ttl_s, max_entries=CACHE_MAX_ENTRIES
        )
        self._redis_url = redis_url
        self._namespace = namespace
        self._ping_interval_s = ping_interval_s
        self._own_listener: ChannelListener | None = None
        if listener is not None:
            self.cache.listen_through(listener)
        self._lookups: dict[str, asyncio.Future[Principal | None]] = {}
        self._next_touch: dict[str, float] = {}
        self._touches: set[asyncio.Task[None]] = set()

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        if self.cache.hears_through is None:
            self._own_listener = ChannelListener(
                self._redis_url,
                f"{self._namespace}:auth-listener:{new_id()}",
                subscribe_timeout_s=OWN_LISTENER_SUBSCRIBE_TIMEOUT_S,
                ping_interval_s=self._ping_interval_s,
            )
            self.cache.listen_through(self._own_listener)
            await self._own_listener.start()

    async def close(self) -> None:
        if self._touches:
            await asyncio.gather(*self._touches, return_exceptions=True)
        if self._own_listener is not None:
            await self._own_listener.close()

    @property
    def hears_changes(self) -> bool:
        """True while key changes reach this replica at once (the long TTL applies)."""
        return self.cache.hears_changes

    # -- the hot path --------------------------------------------------------------------------
    async def authenticate_bearer(self, authorization: str | None) -> Principal:
        """``Authorization: Bearer <key>`` (HTTP header or gRPC metadata value) → Principal."""
        return await self.authenticate(bearer_key(authorization))

    async def authenticate(self, key: str) -> Principal:
        if not domain.looks_like_key(key):
            raise Unauthenticated("Invalid API key.")
        key_hash = domain.hash_key(key)
        now = time.monotonic()
        hit, principal = self.cache.lookup(key_hash, now)
        if not hit:
            # Concurrent requests with a key not in the cache (a new key's first burst) share one
            # lookup; shielded, so a waiter that gives up does not cancel it for the others.
            lookup = self._lookups.get(key_hash)
            if lookup is None:
                lookup = asyncio.ensure_future(self._lookup(key, key_hash))
                self._lookups[key_hash] = lookup
                lookup.add_done_callback(lambda _: self._lookups.pop(key_hash, None))
            principal = await asyncio.shield(lookup)
        if principal is None:
            raise Unauthenticated("Invalid API key: unknown or revoked.")
        if principal.expires_at_ms is not None and principal.expires_at_ms <= time.time() * 1000:
            raise Unauthenticated(EXPIRED_MESSAGE)
        if now >= self._next_touch.get(principal.key_id, 0.0):
            self._touch(principal.key_id, now)
        return principal

    async def _lookup(self, key: str, key_hash: str) -> Principal | None:
        generation = self.cache.generation
        try:
            principal = await domain.lookup_key(self.db, key, self.default_ragflow_version)
        except Exception as exc:  # Mongo down: the caller may retry, never a 500 or a silent pass
            raise Unavailable("The key store is unavailable; please retry.") from exc
        self.cache.store(key_hash, principal, generation)
        return principal

    # -- last use ------------------------------------------------------------------------------
    def _touch(self, key_id: str, now: float) -> None:
        self._next_touch[key_id] = now + self.last_used_interval_s
        if len(self._next_touch) > CACHE_MAX_ENTRIES:
            self._next_touch = {key_id: now + self.last_used_interval_s}
        if len(self._touches) >= MAX_PENDING_TOUCHES:
            return
        task = asyncio.create_task(self._write_last_used(key_id))
        self._touches.add(task)
        task.add_done_callback(self._touches.discard)

    async def _write_last_used(self, key_id: str) -> None:
        interval_ms = int(self.last_used_interval_s * 1000)
        try:
            await domain.touch_last_used(self.db, key_id, int(time.time() * 1000), interval_ms)
        except Exception as exc:  # coarse bookkeeping: never fails a request
            log.warning("could not record the last use of key %s: %s", key_id, exc)

    # -- key changes ---------------------------------------------------------------------------
    def forget(self, key_id: str) -> None:
        """Drops one key from this replica's cache (``*``: every key)."""
        self.cache.forget(key_id)

    async def announce_change(self, redis: Redis, key_id: str) -> bool:
        """Drops the key here and tells every replica to drop it. False when Redis did not take
        the notice: other replicas then apply the change within their cache time."""
        return await self.cache.announce(redis, key_id)
