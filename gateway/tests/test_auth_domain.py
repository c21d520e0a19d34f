"""API key domain functions against a real SecantusDB."""

from __future__ import annotations

from typing import Any

import pytest

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.timeutil import now_ms
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.principal import KeyLimits


async def test_minted_key_resolves_to_its_tenant_and_is_stored_only_as_hash(db: Any) -> None:
    minted = await domain.create_key(db, "acme")
    assert minted.key.startswith("ragchat-") and len(minted.key) == len("ragchat-") + 43
    principal = await domain.lookup_key(db, minted.key)
    assert principal is not None
    assert (principal.tenant_id, principal.tenant_name, principal.key_id) == (
        minted.tenant_id,
        "acme",
        minted.key_id,
    )
    stored = await db[domain.API_KEYS].find_one({"_id": minted.key_id})
    assert minted.key not in str(stored)
    assert stored["key_hash"] == domain.hash_key(minted.key)


async def test_same_tenant_name_shares_one_tenant_and_keys_differ(db: Any) -> None:
    first = await domain.create_key(db, "shared")
    second = await domain.create_key(db, "shared")
    other = await domain.create_key(db, "other")
    assert first.tenant_id == second.tenant_id != other.tenant_id
    assert first.key != second.key and first.key_id != second.key_id


async def test_unknown_malformed_and_revoked_keys_resolve_to_none(db: Any) -> None:
    minted = await domain.create_key(db, "acme")
    assert await domain.lookup_key(db, "ragchat-" + "A" * 43) is None
    assert await domain.lookup_key(db, "not-a-key") is None
    assert await domain.lookup_key(db, minted.key + "x") is None
    record = await domain.revoke_key(db, minted.key_id)
    assert record.revoked and record.revoke_time is not None
    assert await domain.lookup_key(db, minted.key) is None
    # Revoking twice is fine and keeps the first revocation time.
    again = await domain.revoke_key(db, minted.key_id)
    assert again.revoke_time == record.revoke_time


async def test_revoke_unknown_key_id_is_not_found(db: Any) -> None:
    with pytest.raises(NotFound):
        await domain.revoke_key(db, "nope")


async def test_limits_are_stored_listed_updated_and_reach_the_principal(db: Any) -> None:
    minted = await domain.create_key(db, "limited", KeyLimits(requests_per_minute=10, burst=2, max_streams=1))
    principal = await domain.lookup_key(db, minted.key)
    assert principal is not None and principal.limits == KeyLimits(10, 2, 1)
    updated = await domain.update_key_limits(db, minted.key_id, KeyLimits(requests_per_minute=500))
    assert updated.limits == KeyLimits(500, None, None)
    listed = await domain.list_keys(db, "limited")
    assert [(r.key_id, r.limits) for r in listed] == [(minted.key_id, KeyLimits(500, None, None))]
    with pytest.raises(InvalidArgument):
        await domain.create_key(db, "limited", KeyLimits(requests_per_minute=-1))


async def test_tenant_name_is_validated(db: Any) -> None:
    with pytest.raises(InvalidArgument):
        await domain.create_key(db, "   ")
    with pytest.raises(InvalidArgument):
        await domain.create_key(db, "x" * 200)


async def test_scopes_dialect_and_expiry_are_stored_and_reach_the_principal(db: Any) -> None:
    in_an_hour = now_ms() + 3_600_000
    minted = await domain.create_key(db, "shaped", scopes=["read"], ragflow_version="0.27", expires_at=in_an_hour)
    principal = await domain.lookup_key(db, minted.key)
    assert principal is not None
    assert (principal.scopes, principal.ragflow_version, principal.expires_at_ms) == (
        frozenset({"read"}),
        "0.27",
        in_an_hour,
    )
    [record] = await domain.list_keys(db, "shaped")
    assert record.prefix == minted.key[: len(record.prefix)] and len(record.prefix) == 14
    assert record.ragflow_version == "0.27" and not record.expired()
    assert record.expired(in_an_hour)


async def test_defaults_full_scope_and_the_deployments_dialect(db: Any) -> None:
    minted = await domain.create_key(db, "plain")
    assert (await domain.lookup_key(db, minted.key)) == (await domain.lookup_key(db, minted.key, "0.22"))
    principal = await domain.lookup_key(db, minted.key, "0.27")
    assert principal is not None and principal.scopes == frozenset({"full"}) and principal.ragflow_version == "0.27"
    # A key stored before scopes and dialects existed keeps full access and the default dialect.
    await db[domain.API_KEYS].update_one({"_id": minted.key_id}, {"$unset": {"scopes": "", "ragflow_version": ""}})
    principal = await domain.lookup_key(db, minted.key)
    assert principal is not None and principal.scopes == frozenset({"full"}) and principal.ragflow_version == "0.22"


async def test_update_changes_only_what_is_given(db: Any) -> None:
    minted = await domain.create_key(db, "patch", KeyLimits(requests_per_minute=7), scopes=["chat"])
    record = await domain.update_key(db, minted.key_id, ragflow_version="0.27")
    assert (record.limits, record.scopes, record.ragflow_version) == (KeyLimits(7), frozenset({"chat"}), "0.27")
    expires = now_ms() + 60_000
    record = await domain.update_key(db, minted.key_id, scopes=["read", "chat"], expires_at=expires)
    assert (record.scopes, record.expires_at, record.ragflow_version) == (frozenset({"read", "chat"}), expires, "0.27")
    record = await domain.update_key(db, minted.key_id, scopes=None, ragflow_version=None, expires_at=None)
    assert (record.scopes, record.ragflow_version, record.expires_at) == (frozenset({"full"}), None, None)
    with pytest.raises(NotFound):
        await domain.update_key(db, "nope", scopes=["read"])


@pytest.mark.parametrize(
    "bad",
    [
        {"scopes": ["admin"]},
        {"scopes": "read"},
        {"ragflow_version": "0.25"},
        {"expires_at": 1},
    ],
)
async def test_bad_settings_are_refused_with_102(db: Any, bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        await domain.create_key(db, "bad", **bad)
    minted = await domain.create_key(db, "bad")
    with pytest.raises(InvalidArgument):
        await domain.update_key(db, minted.key_id, **bad)


async def test_last_used_is_written_at_most_once_per_interval(db: Any) -> None:
    minted = await domain.create_key(db, "used")
    assert (await domain.get_key(db, minted.key_id)).last_used_at is None
    t0 = now_ms()
    assert await domain.touch_last_used(db, minted.key_id, t0, 60_000)
    assert not await domain.touch_last_used(db, minted.key_id, t0 + 59_000, 60_000)
    assert (await domain.get_key(db, minted.key_id)).last_used_at == t0
    assert await domain.touch_last_used(db, minted.key_id, t0 + 61_000, 60_000)
    assert (await domain.get_key(db, minted.key_id)).last_used_at == t0 + 61_000


async def test_limit_changes_touch_only_the_named_limits(db: Any) -> None:
    minted = await domain.create_key(db, "partial", KeyLimits(requests_per_minute=7, burst=3, max_streams=2))
    record = await domain.update_key(db, minted.key_id, limit_changes={"burst": 9, "max_streams": None})
    assert record.limits == KeyLimits(7, 9, None)
    with pytest.raises(InvalidArgument):
        await domain.update_key(db, minted.key_id, limit_changes={"burst": -1})
    with pytest.raises(InvalidArgument):
        await domain.update_key(db, minted.key_id, limit_changes={"rate": 1})
    assert (await domain.get_key(db, minted.key_id)).limits == KeyLimits(7, 9, None)
