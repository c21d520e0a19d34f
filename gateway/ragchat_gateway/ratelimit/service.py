"""The gateway's limiter: per-key limits from the key or the defaults, and the Redis policy."""

from __future__ import annotations

import logging
import time

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, ReadOnlyError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ragchat_common.errors import RateLimited, Unavailable
from ragchat_gateway.auth.principal import KeyLimits, Principal
from ragchat_gateway.ratelimit.leases import StreamLease, StreamLimitReached, acquire_lease, lease_set_key
from ragchat_gateway.ratelimit.limiter import Decision, RequestLimits, rescale_bucket, take_request_token
from ragchat_gateway.ratelimit.metrics import DECISION_SECONDS, FAIL_OPEN_ADMISSIONS, REDIS_ERRORS, REJECTIONS
from ragchat_gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

# Errors that mean "Redis is out of reach" (the policy applies); anything else is a bug → 500.
REDIS_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, ReadOnlyError, OSError)


class RateLimits:
    """Request limiter and stream leases of one gateway process, over its own Redis client."""

    def __init__(self, settings: GatewaySettings, redis: Redis | None = None) -> None:
        self.settings = settings
        self.namespace = settings.namespace
        self.fail_open = settings.ratelimit_on_redis_error == "fail-open"
        # Own client: short timeouts so an unreachable Redis becomes a quick 503 (or a fail-open
        # admission), one immediate retry on a fresh connection after a Redis restart, and a
        # blocking pool, so a burst of requests queues for a connection instead of failing.
        self.redis = redis or Redis(
            connection_pool=BlockingConnectionPool.from_url(
                settings.redis_url,
                max_connections=settings.ratelimit_redis_connections,
                timeout=settings.ratelimit_redis_timeout_s,
                socket_timeout=settings.ratelimit_redis_timeout_s,
                socket_connect_timeout=settings.ratelimit_redis_timeout_s,
                retry=Retry(NoBackoff(), 1),
            )
        )

    async def close(self) -> None:
        await self.redis.aclose()

    # -- limits of a key ---------------------------------------------------------------------
    def request_limits(self, principal: Principal) -> RequestLimits:
        return self.request_limits_of(principal.limits)

    def request_limits_of(self, own: KeyLimits) -> RequestLimits:
        return RequestLimits(
            rate=self.settings.ratelimit_rpm if own.requests_per_minute is None else own.requests_per_minute,
            burst=self.settings.ratelimit_burst if own.burst is None else own.burst,
            period_s=self.settings.ratelimit_period_s,
        )

    def max_streams(self, principal: Principal) -> int:
        own = principal.limits.max_streams
        return self.settings.ratelimit_max_streams if own is None else own

    # -- decisions ---------------------------------------------------------------------------
    async def admit_request(self, principal: Principal) -> Decision | None:
        """Takes one request token of ``principal`` for a call of any transport (HTTP, gRPC).

        Raises RateLimited (with retry_after_s) when the key is over its limit, Unavailable when
        Redis is unreachable under fail-closed; None: admitted under fail-open, no decision.
        """
        decision = await self.take_request_token(principal)
        refusal = self.refusal(principal, decision)
        if refusal is not None:
            raise refusal
        return decision

    def refusal(self, principal: Principal, decision: Decision | None) -> RateLimited | None:
        """The error a refused decision stands for (None when admitted)."""
        if decision is None or decision.admitted:
            return None
        limits = self.request_limits(principal)
        per = "minute" if limits.period_s == 60 else f"{limits.period_s:g} s"
        described = f"{limits.rate} requests per {per} with a burst of {limits.burst}"
        return RateLimited(
            f"Rate limit exceeded for this API key ({described}); retry in {decision.retry_after_s} s.",
            retry_after_s=decision.retry_after_s,
        )

    async def take_request_token(self, principal: Principal) -> Decision | None:
        """The limiter's decision for one request of `principal` (admitted or not).

        None: Redis was unreachable and the policy is fail-open (admitted without a decision).
        Raises Unavailable (503) when Redis is unreachable under fail-closed.
        """
        started = time.perf_counter()
        try:
            decision = await take_request_token(
                self.redis,
                self.namespace,
                principal.key_id,
                self.request_limits(principal),
                use_test_clock=self.settings.ratelimit_test_clock,
            )
        except REDIS_UNREACHABLE as exc:
            self._unreachable("request", exc)
            return None
        finally:
            DECISION_SECONDS.observe(time.perf_counter() - started)
        if not decision.admitted:
            REJECTIONS.labels(reason="rate").inc()
        return decision

    async def limits_changed(self, key_id: str, before: KeyLimits, after: KeyLimits) -> None:
        """Keeps what a key owes, in requests, across a change of its rate: raised limits apply at
        once, lowered ones do not forgive a debt. Best effort: with Redis out of reach the old
        debt simply runs out in the old rate's time."""
        try:
            await rescale_bucket(
                self.redis,
                self.namespace,
                key_id,
                self.request_limits_of(before),
                self.request_limits_of(after),
                use_test_clock=self.settings.ratelimit_test_clock,
            )
        except REDIS_UNREACHABLE as exc:
            log.warning("could not carry a key's rate-limit debt over to its new limits: %s", exc)

    async def acquire_stream(self, principal: Principal) -> StreamLease:
        """One of the key's concurrent-stream slots; StreamLimitReached (429) when all are taken."""
        try:
            return await acquire_lease(
                self.redis,
                self.namespace,
                principal.key_id,
                max_streams=self.max_streams(principal),
                ttl_s=self.settings.ratelimit_lease_ttl_s,
                on_redis_error=lambda _exc: REDIS_ERRORS.labels(operation="lease").inc(),
            )
        except REDIS_UNREACHABLE as exc:
            self._unreachable("stream", exc)
            return StreamLease(
                redis=None,
                set_key=lease_set_key(self.namespace, principal.key_id),
                lease_id="",
                ttl_s=self.settings.ratelimit_lease_ttl_s,
            )
        except StreamLimitReached:
            REJECTIONS.labels(reason="streams").inc()
            raise

    def _unreachable(self, operation: str, exc: BaseException) -> None:
        """Applies the Redis-unreachable policy: returns under fail-open, raises under fail-closed."""
        REDIS_ERRORS.labels(operation=operation).inc()
        if self.fail_open:
            FAIL_OPEN_ADMISSIONS.labels(operation=operation).inc()
            log.warning(
                "rate limiter: Redis unreachable, admitting (fail-open)",
                extra={"operation": operation, "error": repr(exc)},
            )
            return
        REJECTIONS.labels(reason="redis_unavailable").inc()
        log.warning(
            "rate limiter: Redis unreachable, refusing (fail-closed)",
            extra={"operation": operation, "error": repr(exc)},
        )
        raise Unavailable("The rate limiter is unavailable (its store does not answer); please retry.") from exc
