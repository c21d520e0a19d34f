"""The transport-free authenticator: two of them stand for two gateway replicas sharing one
SecantusDB and the machine's real Redis (own namespace); nothing is mocked."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from waiting import until

from ragchat_common.errors import PermissionDenied, Unauthenticated
from ragchat_common.ids import new_id
from ragchat_common.timeutil import now_ms
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.authenticator import EXPIRED_MESSAGE, KeyAuthenticator
from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.auth.scopes import check_scope, required_scope_for_http

REDIS_URL = "redis://127.0.0.1:6379/0"

Replicas = Callable[..., Awaitable[KeyAuthenticator]]


@pytest.fixture
async def replicas(db: Any) -> AsyncIterator[Replicas]:
    namespace = "test-auth-" + new_id()[:8]
    started: list[KeyAuthenticator] = []

    async def start(*, redis_url: str = REDIS_URL, **options: Any) -> KeyAuthenticator:
        auth = KeyAuthenticator(db, redis_url, namespace, **{"ttl_s": 60.0, "fallback_ttl_s": 0.3, **options})
        await auth.start()
        started.append(auth)
        return auth

    yield start
    for auth in started:
        await auth.close()


async def refused_within(auth: KeyAuthenticator, key: str, timeout_s: float) -> tuple[float, str]:
    """Seconds until ``auth`` refuses ``key``, and its message."""
    started = time.monotonic()
    while True:
        try:
            await auth.authenticate(key)
        except Unauthenticated as exc:
            return time.monotonic() - started, exc.message
        assert time.monotonic() - started < timeout_s, f"still accepted after {timeout_s} s"
        await asyncio.sleep(0.002)


async def test_revocation_reaches_the_other_replica_at_once(db: Any, replicas: Replicas) -> None:
    first, second = await replicas(), await replicas()
    await until(lambda: first.hears_changes and second.hears_changes)
    minted = await domain.create_key(db, "revoke-" + new_id())
    for auth in (first, second):
        assert (await auth.authenticate(minted.key)).key_id == minted.key_id  # now cached on both
    await domain.revoke_key(db, minted.key_id)
    redis = Redis.from_url(REDIS_URL)
    try:
        assert await first.announce_change(redis, minted.key_id)
    finally:
        await redis.aclose()
    elapsed, message = await refused_within(second, minted.key, timeout_s=1.0)
    assert elapsed < 0.1 and "revoked" in message
    with pytest.raises(Unauthenticated):
        await first.authenticate(minted.key)


async def test_a_change_reaches_the_other_replica_and_applies_scopes(db: Any, replicas: Replicas) -> None:
    first, second = await replicas(), await replicas(default_ragflow_version="0.27")
    await until(lambda: second.hears_changes)
    minted = await domain.create_key(db, "change-" + new_id())
    principal = await second.authenticate(minted.key)
    assert principal.ragflow_version == "0.27" and principal.scopes == frozenset({"full"})
    check_scope(principal, required_scope_for_http("DELETE", "/api/v1/chats"))
    await domain.update_key(db, minted.key_id, scopes=["read"], ragflow_version="0.22")
    redis = Redis.from_url(REDIS_URL)
    try:
        await first.announce_change(redis, minted.key_id)
    finally:
        await redis.aclose()
    started = time.monotonic()
    while (await second.authenticate(minted.key)).scopes != frozenset({"read"}):
        assert time.monotonic() - started < 0.1
        await asyncio.sleep(0.002)
    principal = await second.authenticate(minted.key)
    assert principal.ragflow_version == "0.22"
    with pytest.raises(PermissionDenied) as denied:
        check_scope(principal, required_scope_for_http("POST", "/api/v1/chats/{chat_id}/completions"))
    assert "`chat`" in denied.value.message


async def test_without_the_channel_a_short_ttl_applies(db: Any, replicas: Replicas) -> None:
    # Nothing listens on this port: the replica never hears key changes.
    deaf = await replicas(redis_url="redis://127.0.0.1:1/0", fallback_ttl_s=0.3)
    minted = await domain.create_key(db, "deaf-" + new_id())
    await deaf.authenticate(minted.key)
    await domain.revoke_key(db, minted.key_id)  # and nobody can tell this replica
    assert not deaf.hears_changes
    elapsed, _ = await refused_within(deaf, minted.key, timeout_s=2.0)
    assert elapsed <= 0.3 + 0.1


async def test_expired_keys_are_refused_even_from_the_cache(db: Any, replicas: Replicas) -> None:
    auth = await replicas()
    expires_at = now_ms() + 2000
    minted = await domain.create_key(db, "expiring-" + new_id(), expires_at=expires_at)
    assert (await auth.authenticate(minted.key)).expires_at_ms == expires_at  # cached now
    _, message = await refused_within(auth, minted.key, timeout_s=5.0)
    late_ms = now_ms() - expires_at
    assert message == EXPIRED_MESSAGE and 0 <= late_ms < 500


async def test_last_used_is_recorded_once_per_interval(db: Any, replicas: Replicas) -> None:
    auth = await replicas(last_used_interval_s=60.0)
    minted = await domain.create_key(db, "used-" + new_id())
    before = now_ms()
    for _ in range(20):
        await auth.authenticate(minted.key)
    await until(lambda: not auth._touches)
    first = (await domain.get_key(db, minted.key_id)).last_used_at
    assert first is not None and first >= before
    await asyncio.sleep(0.01)
    await auth.authenticate(minted.key)
    await until(lambda: not auth._touches)
    assert (await domain.get_key(db, minted.key_id)).last_used_at == first


def test_required_scopes_of_http_routes() -> None:
    cases = {
        ("GET", "/api/v1/chats"): "read",
        ("GET", "/api/v1/chats/{chat_id}/sessions/{session_id}/messages/{message_id}/events"): "read",
        ("POST", "/api/v1/chats/{chat_id}/completions"): "chat",
        ("POST", "/api/v1/chat/completions"): "chat",
        ("POST", "/api/v1/chats_openai/{chat_id}/chat/completions"): "chat",
        ("POST", "/api/v1/openai/{chat_id}/chat/completions"): "chat",
        ("POST", "/api/v1/chats/{chat_id}/sessions"): "chat",
        ("PUT", "/api/v1/chats/{chat_id}/sessions/{session_id}"): "chat",
        ("DELETE", "/api/v1/chats/{chat_id}/sessions"): "chat",
        ("POST", "/api/v1/chats/{chat_id}/sessions/{session_id}/messages/{message_id}/stop"): "chat",
        ("POST", "/api/v1/chat/recommendation"): "chat",
        ("POST", "/api/v1/sessions/related_questions"): "chat",
        ("POST", "/api/v1/searchbots/related_questions"): "chat",
        ("PUT", "/api/v1/chats/{chat_id}/sessions/{session_id}/messages/{message_id}/feedback"): "chat",
        ("POST", "/api/v1/chats"): "full",
        ("PATCH", "/api/v1/chats/{chat_id}"): "full",
        ("PUT", "/api/v1/chats/{chat_id}"): "full",
        ("DELETE", "/api/v1/datasets"): "full",
        ("POST", "/api/v1/retrieval"): "full",
    }
    for (method, path), scope in cases.items():
        assert required_scope_for_http(method, path) == scope, (method, path)
    reader = Principal(key_id="k", tenant_id="t", tenant_name="n", scopes=frozenset({"read"}))
    check_scope(reader, "read")
    for needed in ("chat", "full"):
        with pytest.raises(PermissionDenied):
            check_scope(reader, needed)  # type: ignore[arg-type]


async def test_a_burst_with_a_new_key_looks_it_up_once(
    db: Any, replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = await replicas()
    minted = await domain.create_key(db, "burst-" + new_id())
    lookups = 0
    original = domain.lookup_key

    async def counted(*args: Any) -> Any:
        nonlocal lookups
        lookups += 1
        return await original(*args)

    monkeypatch.setattr(domain, "lookup_key", counted)  # counts the lookups; the database is real
    principals = await asyncio.gather(*(auth.authenticate(minted.key) for _ in range(50)))
    assert {p.key_id for p in principals} == {minted.key_id} and lookups == 1
