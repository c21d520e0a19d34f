"""Admission of a public gRPC call, by the HTTP edge's rules (API.md §2, §9.3).

``authorization: Bearer <key>`` metadata → the key's Principal (the HTTP edge's
``KeyAuthenticator`` and its cache); one token of the key's rate limit (the same Redis bucket as
its HTTP requests); the scope the same action needs over HTTP; for a stream, one of the key's
stream slots (the same lease set). Refusals are domain errors, which the server's error
interceptor turns into statuses (UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED with a
``retry-after`` trailer, UNAVAILABLE).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc

from ragchat_gateway.auth.principal import Principal, Scope
from ragchat_gateway.auth.scopes import check_scope, required_scope_for_http
from ragchat_gateway.backends import Backends
from ragchat_gateway.ratelimit import StreamLease

# Internal calls get at least this long, even when the caller's deadline is nearer (the call
# then ends DEADLINE_EXCEEDED on the caller's side and is cancelled here anyway).
MIN_INTERNAL_TIMEOUT_S = 0.001

# Each method and the HTTP route that does the same, whose scope it needs (API.md §9.4).
HTTP_EQUIVALENT: dict[str, tuple[str, str]] = {
    "ChatAssistants.Create": ("POST", "/chats"),
    "ChatAssistants.Get": ("GET", "/chats/{chat_id}"),
    "ChatAssistants.List": ("GET", "/chats"),
    "ChatAssistants.Update": ("PUT", "/chats/{chat_id}"),
    "ChatAssistants.Delete": ("DELETE", "/chats"),
    "Sessions.Create": ("POST", "/chats/{chat_id}/sessions"),
    "Sessions.Get": ("GET", "/chats/{chat_id}/sessions/{session_id}"),
    "Sessions.List": ("GET", "/chats/{chat_id}/sessions"),
    "Sessions.Update": ("PUT", "/chats/{chat_id}/sessions/{session_id}"),
    "Sessions.Delete": ("DELETE", "/chats/{chat_id}/sessions"),
    "Completions.Ask": ("POST", "/chats/{chat_id}/completions"),
    "Completions.Resume": ("GET", "/chats/{chat_id}/sessions/{session_id}/messages/{message_id}/events"),
    "Completions.Stop": ("POST", "/chats/{chat_id}/sessions/{session_id}/messages/{message_id}/stop"),
    "Knowledge.Retrieve": ("POST", "/retrieval"),
}
REQUIRED_SCOPE: dict[str, Scope] = {
    method: required_scope_for_http(*route) for method, route in HTTP_EQUIVALENT.items()
}


def metadata_value(context: grpc.aio.ServicerContext, name: str) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == name:
            return value if isinstance(value, str) else value.decode(errors="replace")
    return None


@dataclass
class GrpcEdge:
    backends: Backends

    async def admit(self, context: grpc.aio.ServicerContext, method: str) -> Principal:
        """The caller of ``method`` ("Service.Method"), with one request token of its key taken,
        in the HTTP edge's order: key, rate limit, scope."""
        principal = await self.backends.auth.authenticate_bearer(metadata_value(context, "authorization"))
        decision = await self.backends.rate_limits.admit_request(principal)
        if decision is not None:
            # The HTTP edge's X-RateLimit-* headers, as initial metadata.
            await context.send_initial_metadata(tuple((k.lower(), v) for k, v in decision.headers().items()))
        check_scope(principal, REQUIRED_SCOPE[method])
        return principal

    def acquire_stream(self, principal: Principal) -> asyncio.Future[StreamLease]:
        """Starts taking one of the key's stream slots (StreamLimitReached when all are held)."""
        return asyncio.ensure_future(self.backends.rate_limits.acquire_stream(principal))

    def timeout_s(self, context: grpc.aio.ServicerContext) -> float:
        """An internal call's timeout: the deployment's, or less when the caller's deadline is nearer."""
        configured = self.backends.settings.grpc_timeout_s
        remaining: float | None = context.time_remaining()
        if remaining is None:
            return configured
        return max(MIN_INTERNAL_TIMEOUT_S, min(configured, remaining))


def release_when_acquired(leasing: asyncio.Future[StreamLease]) -> None:
    """Gives the slot back once ``leasing`` has it (now, or later if it is still under way), for a
    call that ends before its stream started: a lease left behind would be renewed forever."""

    def release(task: asyncio.Future[StreamLease]) -> None:
        if not task.cancelled() and task.exception() is None:
            task.result().release_soon()

    leasing.add_done_callback(release)
