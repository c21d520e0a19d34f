"""The admin API for keys (API.md §9.4) through HTTP on real gateways: admin token, create / list /
update / revoke, scopes, expiry, and changes reaching a second replica's auth cache at once."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragchat_cli import dev
from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.ids import new_id

# The change must reach the other replica within this (API.md §9.4).
PROPAGATION_S = 0.1


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert (response.status_code, body["code"]) == (200, 0), body
    return body["data"]


def error(response: httpx.Response, status: int, code: int) -> str:
    body = response.json()
    assert (response.status_code, body["code"], body["data"]) == (status, code, None), body
    return str(body["message"])


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.gateway_url + "/api/v1/admin", headers=bearer(stack.config.admin_token), timeout=30
    ) as client:
        yield client


@pytest.fixture(scope="module")
def first(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url + "/api/v1", timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def second(gateway_group: Callable[..., Stack]) -> Iterator[httpx.Client]:
    """Another gateway replica with a long auth cache: only the change notice can make it forget."""
    group = gateway_group(1, {"RAGCHAT_AUTH_CACHE_S": "300"})
    with httpx.Client(base_url=group.gateway_url + "/api/v1", timeout=30) as client:
        yield client


def test_the_admin_api_needs_the_admin_token(stack: Stack, first: httpx.Client, make_key: Callable[[str], str]) -> None:
    tenant_key = make_key("not-admin-" + new_id())
    calls = [
        ("POST", "/admin/keys", {"tenant": "x"}),
        ("GET", "/admin/keys", None),
        ("GET", "/admin/keys/abc", None),
        ("PATCH", "/admin/keys/abc", {"rpm": 1}),
        ("DELETE", "/admin/keys/abc", None),
    ]
    for method, path, body in calls:
        for headers in ({}, bearer("wrong-" + stack.config.admin_token), bearer("ragchat-" + "A" * 43)):
            error(first.request(method, path, json=body, headers=headers), 401, 103)
        # A tenant's key is a valid credential, but not for this.
        message = error(first.request(method, path, json=body, headers=bearer(tenant_key)), 403, 104)
        assert "admin token" in message


def test_create_use_list_and_get_never_show_the_key(admin: httpx.Client, first: httpx.Client) -> None:
    tenant = "admin-" + new_id()
    created = ok(admin.post("/keys", json={"tenant": tenant, "rpm": 600, "burst": 20, "max_streams": 3}))
    key = created.pop("key")
    assert key.startswith(created["prefix"]) and len(created["prefix"]) < len(key)
    assert created["tenant"] == tenant and (created["rpm"], created["burst"], created["max_streams"]) == (600, 20, 3)
    assert (created["scopes"], created["expires_at"], created["expired"], created["revoked"]) == (
        ["full"],
        None,
        False,
        False,
    )
    assert created["ragflow_version"] is None  # the deployment's default
    assert ok(first.get("/chats", headers=bearer(key))) == []

    listing = admin.get("/keys", params={"tenant": tenant})
    [listed] = ok(listing)
    single = admin.get(f"/keys/{created['id']}")
    for response in (listing, single, admin.get("/keys")):
        assert key not in response.text and key[len(created["prefix"]) :] not in response.text
        assert "hash" not in response.text
    assert listed["id"] == created["id"] == ok(single)["id"]
    assert ok(admin.get("/keys", params={"tenant": "nobody-" + new_id()})) == []


def test_last_use_is_recorded(admin: httpx.Client, first: httpx.Client) -> None:
    created = ok(admin.post("/keys", json={"tenant": "used-" + new_id()}))
    assert created["last_used_at"] is None
    before = int(time.time() * 1000) - 1000
    ok(first.get("/chats", headers=bearer(created["key"])))
    deadline = time.monotonic() + 5
    while (used := ok(admin.get(f"/keys/{created['id']}"))["last_used_at"]) is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert used >= before


def _refused_within(client: httpx.Client, request: Callable[[httpx.Client], httpx.Response], status: int) -> float:
    """Seconds until ``request`` on ``client`` gets ``status`` (polled as fast as HTTP allows)."""
    started = time.monotonic()
    while request(client).status_code != status:
        assert time.monotonic() - started < 5, "the change never reached this replica"
    return time.monotonic() - started


def test_scope_change_and_revocation_reach_a_second_replica_at_once(
    admin: httpx.Client, first: httpx.Client, second: httpx.Client
) -> None:
    created = ok(admin.post("/keys", json={"tenant": "replicas-" + new_id()}))
    key, key_id = created["key"], created["id"]
    headers = bearer(key)
    # Used on both replicas: each has it in its cache now.
    chat = ok(first.post("/chats", json={"name": "before"}, headers=headers))
    ok(second.post("/chats", json={"name": "also-before"}, headers=headers))
    ok(second.get(f"/chats/{chat['id']}", headers=headers))

    changed = ok(admin.patch(f"/keys/{key_id}", json={"scopes": ["read"]}))
    assert changed["scopes"] == ["read"] and changed["rpm"] is None
    elapsed = _refused_within(second, lambda c: c.post("/chats", json={"name": "after"}, headers=headers), 403)
    print(f"scope change reached the second replica in {elapsed * 1000:.1f} ms")
    assert elapsed < PROPAGATION_S, f"scope change took {elapsed * 1000:.0f} ms to reach the second replica"
    message = error(second.post("/chats", json={"name": "after"}, headers=headers), 403, 104)
    assert "`full`" in message
    ok(second.get(f"/chats/{chat['id']}", headers=headers))  # reading is still allowed

    ok(admin.patch(f"/keys/{key_id}", json={"scopes": ["chat"]}))
    time.sleep(PROPAGATION_S)
    session = ok(second.post(f"/chats/{chat['id']}/sessions", json={"name": "s"}, headers=headers))
    assert session["chat_id"] == chat["id"]
    assert "`full`" in error(second.request("DELETE", "/chats", json={"ids": [chat["id"]]}, headers=headers), 403, 104)

    revoked = ok(admin.delete(f"/keys/{key_id}"))
    assert revoked["revoked"] is True and revoked["revoke_time"] is not None
    elapsed = _refused_within(second, lambda c: c.get("/chats", headers=headers), 401)
    print(f"revocation reached the second replica in {elapsed * 1000:.1f} ms")
    assert elapsed < PROPAGATION_S, f"revocation took {elapsed * 1000:.0f} ms to reach the second replica"
    error(first.get("/chats", headers=headers), 401, 103)
    assert ok(admin.get(f"/keys/{key_id}"))["revoked"] is True
    # Revoking again is harmless; a revoked key cannot be brought back by a change.
    ok(admin.delete(f"/keys/{key_id}"))
    ok(admin.patch(f"/keys/{key_id}", json={"scopes": ["full"]}))
    error(second.get("/chats", headers=headers), 401, 103)


def test_expiry(admin: httpx.Client, first: httpx.Client) -> None:
    created = ok(admin.post("/keys", json={"tenant": "expiry-" + new_id(), "ttl_s": 3}))
    assert created["expires_at"] - created["create_time"] == pytest.approx(3000, abs=50)
    ok(first.get("/chats", headers=bearer(created["key"])))
    time.sleep(max(0.0, created["expires_at"] / 1000 - time.time()) + 0.05)
    assert error(first.get("/chats", headers=bearer(created["key"])), 401, 103) == "API key has expired."
    assert ok(admin.get(f"/keys/{created['id']}"))["expired"] is True

    # expires_at as ISO 8601 or epoch seconds; extended by a change (null: never expires).
    dated = ok(admin.post("/keys", json={"tenant": "dated-" + new_id(), "expires_at": "2999-01-01T00:00:00Z"}))
    assert dated["expires_at"] == 32472144000000
    ok(first.get("/chats", headers=bearer(dated["key"])))
    patched = ok(admin.patch(f"/keys/{created['id']}", json={"expires_at": int(time.time()) + 3600}))
    assert patched["expired"] is False
    ok(first.get("/chats", headers=bearer(created["key"])))
    assert ok(admin.patch(f"/keys/{created['id']}", json={"expires_at": None}))["expires_at"] is None


# A bucket's debt is stored as a time in the old rate's units: a key raised from 1/min to 600/min
# stayed refused for the two minutes its old debt lasted. Now the debt is kept in requests.
def test_changed_limits_apply_at_once_to_a_key_in_debt(admin: httpx.Client, first: httpx.Client) -> None:
    created = ok(admin.post("/keys", json={"tenant": "limits-" + new_id(), "rpm": 1, "burst": 1}))
    headers = bearer(created["key"])
    ok(first.get("/chats", headers=headers))
    ok(first.get("/chats", headers=headers))
    refused = first.get("/chats", headers=headers)
    error(refused, 429, 429)
    assert int(refused.headers["Retry-After"]) >= 50

    ok(admin.patch(f"/keys/{created['id']}", json={"rpm": 600, "burst": 0}))
    admitted = first.get("/chats", headers=headers)
    ok(admitted)
    # two requests owed at 0.1 s each, then this one: 600 - 3 left of the new bucket
    assert int(admitted.headers["X-RateLimit-Limit"]) == 600
    assert 590 <= int(admitted.headers["X-RateLimit-Remaining"]) <= 597

    # Lowered again, the debt carries over too (nothing is forgiven), but never more than the new
    # bucket holds: at 1/min the 8 requests owed wait one minute, not eight.
    for _ in range(5):
        ok(first.get("/chats", headers=headers))
    ok(admin.patch(f"/keys/{created['id']}", json={"rpm": 1, "burst": 0}))
    lowered = first.get("/chats", headers=headers)
    error(lowered, 429, 429)
    assert 50 <= int(lowered.headers["Retry-After"]) <= 60


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "tenant"),
        ({"tenant": ""}, "tenant"),
        ({"tenant": "t", "scopes": ["admin"]}, "scopes"),
        ({"tenant": "t", "scopes": []}, "scopes"),
        ({"tenant": "t", "ragflow_version": "0.25"}, "ragflow_version"),
        ({"tenant": "t", "rpm": -1}, "rpm"),
        ({"tenant": "t", "rpm": "10"}, "rpm"),
        ({"tenant": "t", "ttl_s": 0}, "ttl_s"),
        ({"tenant": "t", "ttl_s": 60, "expires_at": "2999-01-01T00:00:00Z"}, "ttl_s"),
        ({"tenant": "t", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"tenant": "t", "expires_at": "soon"}, "expires_at"),
        ({"tenant": "t", "limit": 5}, "limit"),
    ],
)
def test_bad_create_bodies_get_102(admin: httpx.Client, body: dict[str, Any], needle: str) -> None:
    assert needle in error(admin.post("/keys", json=body), 400, 102)


def test_bad_updates_and_unknown_keys(admin: httpx.Client) -> None:
    created = ok(admin.post("/keys", json={"tenant": "patch-" + new_id(), "rpm": 50}))
    assert "Nothing to change" in error(admin.patch(f"/keys/{created['id']}", json={}), 400, 102)
    assert "ragflow_version" in error(admin.patch(f"/keys/{created['id']}", json={"ragflow_version": 27}), 400, 102)
    assert "tenant" in error(admin.patch(f"/keys/{created['id']}", json={"tenant": "other"}), 400, 102)
    changed = ok(admin.patch(f"/keys/{created['id']}", json={"ragflow_version": "0.27", "burst": 5}))
    assert (changed["ragflow_version"], changed["rpm"], changed["burst"]) == ("0.27", 50, 5)
    reset = ok(admin.patch(f"/keys/{created['id']}", json={"rpm": None, "ragflow_version": None}))
    assert (reset["ragflow_version"], reset["rpm"], reset["burst"]) == (None, None, 5)
    for response in (
        admin.get("/keys/nope"),
        admin.patch("/keys/nope", json={"rpm": 1}),
        admin.delete("/keys/nope"),
    ):
        assert "nope" in error(response, 404, 105)


# -- Redis down: nobody can announce a change, so replicas keep keys only briefly -------------


FALLBACK_S = 0.5


@pytest.fixture(scope="module")
def deaf_pair(
    gateway_group: Callable[..., Stack], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Stack]]:
    """Two gateways on a Redis of this module's own (which the test kills), the limiter failing
    open so that requests still get through to authentication while Redis is down."""
    home = Path(tmp_path_factory.mktemp("keys-own-redis"))
    own = Stack(StackConfig(state_dir=home))
    try:
        redis_url = dev.start_redis(own, home / "redis")
        env = {
            "RAGCHAT_AUTH_CACHE_S": "300",
            "RAGCHAT_AUTH_CACHE_FALLBACK_S": str(FALLBACK_S),
            "RAGCHAT_RATELIMIT_ON_REDIS_ERROR": "fail-open",
            "RAGCHAT_RATELIMIT_REDIS_TIMEOUT_S": "0.5",
        }
        yield own, gateway_group(2, env, redis_url)
    finally:
        own.stop()


def test_with_redis_down_a_revocation_takes_effect_within_the_fallback_ttl(
    stack: Stack, deaf_pair: tuple[Stack, Stack]
) -> None:
    own, group = deaf_pair
    one, other = group.gateway_urls
    admin = bearer(stack.config.admin_token)
    created = ok(httpx.post(f"{one}/api/v1/admin/keys", json={"tenant": "deaf-" + new_id()}, headers=admin))
    headers = bearer(created["key"])
    for url in (one, other):  # cached on both
        ok(httpx.get(f"{url}/api/v1/chats", headers=headers, timeout=15))

    [redis] = own.find("redis")
    own.kill(redis, signal.SIGKILL)
    time.sleep(0.2)  # the replicas notice the lost channel
    revoked = ok(httpx.delete(f"{one}/api/v1/admin/keys/{created['id']}", headers=admin, timeout=15))
    assert revoked["revoked"] is True  # stored, though the notice could not be sent
    started = time.monotonic()
    while httpx.get(f"{other}/api/v1/chats", headers=headers, timeout=15).status_code != 401:
        assert time.monotonic() - started < FALLBACK_S + 1.0, "the replica kept the revoked key"
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    print(f"with Redis down, the revocation reached the other replica in {elapsed * 1000:.0f} ms")
    error(httpx.get(f"{one}/api/v1/chats", headers=headers, timeout=15), 401, 103)
