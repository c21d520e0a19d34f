"""Per-key rate limits and concurrent-stream leases, exact across gateway replicas (API.md §2).

How the rest of the gateway uses it:

- Every authenticated request: `authenticate` (auth/dependency.py) calls
  `await enforce_rate_limit(request, principal)` — one Redis script (GCRA, Redis clock); raises
  RateLimited (429 + Retry-After) or Unavailable (503, fail-closed policy).
- Every response: `RateLimitMiddleware` adds X-RateLimit-Limit (the sustained rate per period,
  100 by default), X-RateLimit-Remaining (requests admitted right now, at most rate + burst) and
  X-RateLimit-Reset (unix seconds when the bucket is full again) at `http.response.start`, so
  streaming and error responses carry them before their first byte.
- A streaming completion holds a slot (at most `max_streams` per key, 10 by default)::

      lease = await acquire_stream_lease(request, principal)   # 429 StreamLimitReached when full
      return EventStreamResponse(lease.guard(events()))        # released when the body ends

  The lease is also released when the request ends on any other path (error before the body,
  client gone, response never started): the middleware releases what the request still holds.
  `await lease.release()` is idempotent; `async with lease:` works too. While held, a task
  renews it every ttl/3; a crashed gateway's leases expire after `ratelimit_lease_ttl_s`.

Settings (GatewaySettings, env RAGCHAT_*): RATELIMIT_RPM, RATELIMIT_BURST, RATELIMIT_PERIOD_S,
RATELIMIT_MAX_STREAMS, RATELIMIT_LEASE_TTL_S, RATELIMIT_ON_REDIS_ERROR (fail-closed|fail-open),
RATELIMIT_REDIS_TIMEOUT_S. A key's own limits (KeyLimits) override the defaults.
"""

from ragchat_gateway.ratelimit.http import (
    RateLimitMiddleware,
    acquire_stream_lease,
    enforce_rate_limit,
    limit_state,
)
from ragchat_gateway.ratelimit.leases import StreamLease, StreamLimitReached
from ragchat_gateway.ratelimit.limiter import Decision, RequestLimits
from ragchat_gateway.ratelimit.service import RateLimits

__all__ = [
    "Decision",
    "RateLimitMiddleware",
    "RateLimits",
    "RequestLimits",
    "StreamLease",
    "StreamLimitReached",
    "acquire_stream_lease",
    "enforce_rate_limit",
    "limit_state",
]
