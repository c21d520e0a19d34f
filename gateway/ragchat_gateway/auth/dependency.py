"""The FastAPI dependency that turns ``Authorization: Bearer <key>`` into a ``Principal``.

Usage in a route: ``async def handler(principal: AuthDep, ...)``. It authenticates (cached,
see ``auth.authenticator``), takes the request's rate-limit token, and checks that the key's
scopes allow this method on this route (104 naming the scope needed), so routes never check
scopes themselves. The principal is also put on ``request.state.principal`` for middleware
and error handlers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request

from ragchat_gateway.auth.authenticator import KeyCache, bearer_key
from ragchat_gateway.auth.principal import Principal, Scope
from ragchat_gateway.auth.scopes import check_scope, required_scope_for_http
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.ratelimit import enforce_rate_limit

__all__ = ["AuthDep", "KeyCache", "authenticate", "bearer_key"]


@lru_cache(maxsize=1024)
def _needed_scope(method: str, route_path: str) -> Scope:
    return required_scope_for_http(method, route_path)


async def authenticate(request: Request, backends: BackendsDep) -> Principal:
    principal = await backends.auth.authenticate_bearer(request.headers.get("authorization"))
    request.state.principal = principal

    # The limiter takes this request's token (one Redis call); RateLimited / Unavailable.
    await enforce_rate_limit(request, principal)

    # The route template ("/api/v1/chats/{chat_id}/sessions"), so the cache above stays small.
    route = request.scope.get("route")
    check_scope(principal, _needed_scope(request.method, getattr(route, "path", request.url.path)))
    return principal


AuthDep = Annotated[Principal, Depends(authenticate)]
