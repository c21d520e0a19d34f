"""Concurrent-stream leases: at most N live streams per key, across every gateway replica.

A lease is a member of the key's ZSET scored by its expiry on the Redis clock. Acquiring is one
script (drop expired, count, add if below the limit); the holder renews it every ttl/3 while the
stream is live and removes it when the stream ends for any reason. A gateway that dies without
releasing stops renewing, so its leases expire within the TTL and stop counting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from types import TracebackType
from typing import TypeVar

from redis.asyncio import Redis

from ragchat_common.errors import RateLimited
from ragchat_common.ids import new_id
from ragchat_gateway.ratelimit.metrics import ACTIVE_LEASES
from ragchat_gateway.ratelimit.scripts import LEASE_ACQUIRE, LEASE_RENEW

log = logging.getLogger(__name__)

T = TypeVar("T")

# Releases run as their own tasks so a cancelled caller cannot interrupt them half way; the set
# keeps a reference until each finishes.
_pending_releases: set[asyncio.Task[None]] = set()


def lease_set_key(namespace: str, key_id: str) -> str:
    return f"{namespace}:streams:{key_id}"


class StreamLimitReached(RateLimited):
    def __init__(self, max_streams: int) -> None:
        super().__init__(
            f"Too many concurrent streams for this API key: the concurrency limit is {max_streams} "
            "streaming completions at once. Retry when one of them has finished.",
            retry_after_s=1,
        )
        self.max_streams = max_streams


class StreamLease:
    """One held stream slot. `release()` is idempotent and safe to call from any `finally`.

    A lease created with `redis=None` is unbacked (admitted under the fail-open policy while
    Redis was unreachable): it holds nothing and releasing it does nothing.
    """

    def __init__(
        self,
        *,
        redis: Redis | None,
        set_key: str,
        lease_id: str,
        ttl_s: float,
        on_redis_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.set_key = set_key
        self.lease_id = lease_id
        self.ttl_s = ttl_s
        self._redis = redis
        self._on_redis_error = on_redis_error
        self._released = False
        self._renewer: asyncio.Task[None] | None = None
        if redis is not None:
            ACTIVE_LEASES.inc()
            self._renewer = asyncio.create_task(self._renew_while_held(redis), name=f"lease-renew-{lease_id}")

    @property
    def backed(self) -> bool:
        return self._redis is not None

    @property
    def released(self) -> bool:
        return self._released

    async def _renew_while_held(self, redis: Redis) -> None:
        every = max(self.ttl_s / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            try:
                still_held = await LEASE_RENEW(redis, [self.set_key], [self.lease_id, _ms(self.ttl_s)])
            except Exception as exc:  # a renewal that fails is retried next tick
                if self._on_redis_error is not None:
                    self._on_redis_error(exc)
                log.warning("stream lease renewal failed", extra={"lease": self.lease_id, "error": repr(exc)})
                continue
            if not still_held:
                # Expired while Redis was out of reach: the stream goes on, but no longer counts.
                log.warning("stream lease lost before release", extra={"lease": self.lease_id})
                return

    def release_soon(self) -> asyncio.Task[None] | None:
        """Stops renewing and starts removing the lease; the task to await, None if nothing to do.

        Synchronous, so several leases can all be set free before the first await.
        """
        if self._released:
            return None
        self._released = True
        if self._renewer is not None:
            self._renewer.cancel()
        if self._redis is None:
            return None
        ACTIVE_LEASES.dec()
        task = asyncio.ensure_future(self._remove(self._redis))
        _pending_releases.add(task)
        task.add_done_callback(_pending_releases.discard)
        return task

    async def release(self) -> None:
        task = self.release_soon()
        if task is not None:
            # shield: a caller cancelled mid-release (client gone) still lets the removal finish.
            await asyncio.shield(task)

    async def _remove(self, redis: Redis) -> None:
        try:
            await redis.zrem(self.set_key, self.lease_id)
        except Exception as exc:  # the lease then expires by itself within its TTL
            if self._on_redis_error is not None:
                self._on_redis_error(exc)
            log.warning("stream lease release failed", extra={"lease": self.lease_id, "error": repr(exc)})

    async def guard(self, body: AsyncIterator[T]) -> AsyncIterator[T]:
        """Yields `body` and releases the lease when it ends, fails or is abandoned; an abandoned
        guard closes `body` too, so its own cleanup runs then, not when it is garbage-collected."""
        try:
            async for item in body:
                yield item
        finally:
            try:
                await self.release()
            finally:
                if isinstance(body, AsyncGenerator):
                    await body.aclose()

    async def __aenter__(self) -> StreamLease:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.release()


async def acquire_lease(
    redis: Redis,
    namespace: str,
    key_id: str,
    *,
    max_streams: int,
    ttl_s: float,
    on_redis_error: Callable[[BaseException], None] | None = None,
) -> StreamLease:
    """Takes one of `key_id`'s stream slots, or raises StreamLimitReached (429)."""
    if max_streams <= 0:
        raise StreamLimitReached(max_streams)
    set_key = lease_set_key(namespace, key_id)
    lease_id = new_id()
    acquired, _held, _wait_ms = await LEASE_ACQUIRE(redis, [set_key], [lease_id, max_streams, _ms(ttl_s)])
    if not acquired:
        raise StreamLimitReached(max_streams)
    return StreamLease(redis=redis, set_key=set_key, lease_id=lease_id, ttl_s=ttl_s, on_redis_error=on_redis_error)


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


async def wait_pending_releases() -> None:
    """Waits for releases still in flight (shutdown, tests)."""
    if _pending_releases:
        await asyncio.gather(*_pending_releases, return_exceptions=True)
