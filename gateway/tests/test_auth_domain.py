"""API key domain functions against a real SecantusDB."""

from __future__ import annotations

from typing import Any

import pytest

from ragchat_common.errors import InvalidArgument, NotFound
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
