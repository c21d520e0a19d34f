"""The per-key request limiter: one atomic Redis script per request, shared by all replicas."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from ragchat_gateway.ratelimit.scripts import GCRA, GCRA_RESCALE

US_PER_S = 1_000_000


@dataclass(frozen=True)
class RequestLimits:
    """The limits that apply to one key: `rate` requests per `period_s`, plus `burst`."""

    rate: int
    burst: int
    period_s: float

    @property
    def capacity(self) -> int:
        """Requests a full bucket admits at once."""
        return self.rate + self.burst

    @property
    def interval_us(self) -> float:
        """Time one request's token takes to come back."""
        return self.period_s * US_PER_S / self.rate


@dataclass(frozen=True)
class Decision:
    admitted: bool
    limit: int  # the sustained rate, shown as X-RateLimit-Limit
    remaining: int  # requests that would be admitted right now
    retry_after_s: int  # whole seconds, rounded up, until one request passes (0 when admitted)
    reset_at_s: int  # unix seconds when the bucket is full again

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at_s),
        }
        if not self.admitted:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


def bucket_key(namespace: str, key_id: str) -> str:
    return f"{namespace}:ratelimit:{key_id}"


def frozen_clock_key(namespace: str) -> str:
    return f"{namespace}:ratelimit:test-clock"


def _keys(namespace: str, key_id: str, use_test_clock: bool) -> list[str]:
    keys = [bucket_key(namespace, key_id)]
    if use_test_clock:
        keys.append(frozen_clock_key(namespace))
    return keys


async def rescale_bucket(
    redis: Redis, namespace: str, key_id: str, before: RequestLimits, after: RequestLimits, *, use_test_clock: bool
) -> bool:
    """Carries the requests `key_id` owes over to its new rate (see GCRA_RESCALE_LUA)."""
    if before.rate <= 0 or after.rate <= 0 or before.interval_us == after.interval_us:
        return False
    keys = _keys(namespace, key_id, use_test_clock)
    args = [repr(before.interval_us), repr(after.interval_us), after.capacity]
    return bool(await GCRA_RESCALE(redis, keys, args))


async def take_request_token(
    redis: Redis, namespace: str, key_id: str, limits: RequestLimits, *, use_test_clock: bool = False
) -> Decision:
    """Admits or refuses one request of `key_id` (one Redis round trip)."""
    if limits.rate <= 0:
        # A key limited to zero requests never refills: refuse without asking Redis.
        return Decision(False, 0, 0, max(1, math.ceil(limits.period_s)), math.ceil(time.time()))
    keys = _keys(namespace, key_id, use_test_clock)
    admitted, remaining, retry_after_us, full_after_us, now_us = await GCRA(
        redis, keys, [repr(limits.interval_us), limits.capacity]
    )
    retry_after_s = 0 if admitted else max(1, math.ceil(int(retry_after_us) / US_PER_S))
    return Decision(
        admitted=bool(admitted),
        limit=limits.rate,
        remaining=int(remaining),
        retry_after_s=retry_after_s,
        reset_at_s=math.ceil((int(now_us) + int(full_after_us)) / US_PER_S),
    )
