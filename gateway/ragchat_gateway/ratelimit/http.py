"""The limiter at the HTTP edge: the per-request check, stream slots, and the header middleware.

`RateLimitMiddleware` (pure ASGI) writes X-RateLimit-* (and Retry-After on 429) into the
`http.response.start` message of every authenticated response, so JSON, error and streaming
responses all carry them before their first byte; and it releases, when the request ends by any
path, every stream lease the request still holds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.ratelimit.leases import StreamLease
from ragchat_gateway.ratelimit.limiter import Decision

if TYPE_CHECKING:
    from ragchat_gateway.ratelimit.service import RateLimits

SCOPE_KEY = "ragchat.ratelimit"


@dataclass
class RequestLimitState:
    """What the limiter decided for one HTTP request; lives in the ASGI scope."""

    checked: bool = False
    decision: Decision | None = None
    limit: int | None = None  # shown even without a decision (Redis unreachable)
    leases: list[StreamLease] = field(default_factory=list)

    def headers(self) -> dict[str, str]:
        if self.decision is not None:
            return self.decision.headers()
        if self.limit is not None:
            return {"X-RateLimit-Limit": str(self.limit)}
        return {}


def limit_state(scope: Scope) -> RequestLimitState:
    state = scope.get(SCOPE_KEY)
    if state is None:
        state = scope[SCOPE_KEY] = RequestLimitState()
    assert isinstance(state, RequestLimitState)
    return state


def _rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.backends.rate_limits
    return limits


async def enforce_rate_limit(request: Request, principal: Principal) -> None:
    """Takes this request's token for `principal` (once per request; one Redis round trip).

    Raises RateLimited (429, with retry_after_s) when the key is over its limit, Unavailable
    (503) when Redis is unreachable under the fail-closed policy.
    """
    state = limit_state(request.scope)
    if state.checked:
        return
    state.checked = True
    rate_limits = _rate_limits(request)
    state.limit = rate_limits.request_limits(principal).rate
    decision = await rate_limits.take_request_token(principal)
    state.decision = decision
    refusal = rate_limits.refusal(principal, decision)
    if refusal is not None:
        raise refusal


async def acquire_stream_lease(request: Request, principal: Principal) -> StreamLease:
    """Takes one of the key's concurrent-stream slots for this request's stream.

    Call it before returning the StreamingResponse, so the 11th stream gets a proper 429
    envelope (StreamLimitReached, a RateLimited). The lease is released when the request ends
    on any path (RateLimitMiddleware), even if the response never starts; wrap the body in
    `lease.guard(body)` to release it the moment the body ends, and `await lease.release()` is
    always safe (idempotent).
    """
    lease = await _rate_limits(request).acquire_stream(principal)
    limit_state(request.scope).leases.append(lease)
    return lease


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = limit_state(scope)

        async def send_with_limit_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = state.headers()
                if extra:
                    headers = MutableHeaders(scope=message)
                    for name, value in extra.items():
                        if name not in headers:
                            headers.append(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_limit_headers)
        finally:
            # All removals start before the first await, so a cancellation here loses none.
            removals = [task for lease in state.leases if (task := lease.release_soon()) is not None]
            if removals:
                await asyncio.shield(asyncio.gather(*removals))
