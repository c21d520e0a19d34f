"""The FastAPI dependency that turns ``Authorization: Bearer <key>`` into a ``Principal``.

Usage in a route: ``async def handler(principal: AuthDep, ...)``. The principal is also put
on ``request.state.principal`` for middleware and error handlers.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request

from ragchat_common.errors import Unauthenticated, Unavailable
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.ratelimit import enforce_rate_limit

# Bounds the cache so that a flood of random keys cannot grow memory without limit.
_CACHE_MAX_ENTRIES = 10_000


class KeyCache:
    """Short-lived in-process cache of key hash → principal (or None for a refused key).

    Revocation takes effect within ``ttl_s`` on every replica.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    def get(self, key_hash: str) -> tuple[bool, Principal | None]:
        entry = self._entries.get(key_hash)
        if entry is None:
            return False, None
        expires, principal = entry
        if expires < time.monotonic():
            self._entries.pop(key_hash, None)
            return False, None
        return True, principal

    def put(self, key_hash: str, principal: Principal | None) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= _CACHE_MAX_ENTRIES:
            self._entries.clear()
        self._entries[key_hash] = (time.monotonic() + self.ttl_s, principal)


def _key_cache(request: Request, ttl_s: float) -> KeyCache:
    cache: KeyCache | None = getattr(request.app.state, "auth_key_cache", None)
    if cache is None:
        cache = KeyCache(ttl_s)
        request.app.state.auth_key_cache = cache
    return cache


def bearer_key(authorization: str | None) -> str:
    """The key of an ``Authorization: Bearer <key>`` header, or Unauthenticated."""
    if not authorization or not authorization.strip():
        raise Unauthenticated("Authorization header is missing; send `Authorization: Bearer <api_key>`.")
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthenticated("Authorization header is malformed; send `Authorization: Bearer <api_key>`.")
    return key


async def authenticate(request: Request, backends: BackendsDep) -> Principal:
    key = bearer_key(request.headers.get("authorization"))
    if not domain.looks_like_key(key):
        raise Unauthenticated("Invalid API key.")
    key_hash = domain.hash_key(key)
    cache = _key_cache(request, backends.settings.auth_cache_s)
    hit, principal = cache.get(key_hash)
    if not hit:
        try:
            principal = await domain.lookup_key(backends.mongo, key)
        except Exception as exc:  # Mongo down: the caller may retry, never a 500 or a silent pass
            raise Unavailable("The key store is unavailable; please retry.") from exc
        cache.put(key_hash, principal)
    if principal is None:
        raise Unauthenticated("Invalid API key: unknown or revoked.")
    request.state.principal = principal

    # The limiter takes this request's token (one Redis call); RateLimited / Unavailable.
    await enforce_rate_limit(request, principal)

    return principal


AuthDep = Annotated[Principal, Depends(authenticate)]
