"""Admin API for API keys (API.md §9.4): create, list, read, change and revoke keys.

Every route needs the admin token (``auth.admin``). A change or a revocation is announced to
every gateway replica, which drops the key from its auth cache at once.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ragchat_common.errors import InvalidArgument, envelope
from ragchat_common.timeutil import now_ms
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.admin import require_admin
from ragchat_gateway.auth.principal import KeyLimits
from ragchat_gateway.auth.scopes import sorted_scopes
from ragchat_gateway.backends import Backends
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.request_models.admin_keys import CreateKeyBody, KeyListParams, KeySettings, UpdateKeyBody

router = APIRouter(prefix="/admin", dependencies=[Depends(require_admin)])


# Admin API field → KeyLimits field.
_LIMIT_NAMES = {"rpm": "requests_per_minute", "burst": "burst", "max_streams": "max_streams"}


def _expiry(body: KeySettings) -> int | domain.Unset | None:
    given = body.given()
    if "expires_at" in given and "ttl_s" in given:
        raise InvalidArgument("Send either `expires_at` or `ttl_s`, not both.")
    if "ttl_s" in given:
        return None if body.ttl_s is None else now_ms() + body.ttl_s * 1000
    if "expires_at" in given:
        return body.expires_at_ms()
    return domain.UNSET


def key_view(record: domain.KeyRecord) -> dict[str, Any]:
    """A key as the admin API shows it: never the key itself, nor its hash. Times in epoch ms."""
    return {
        "id": record.key_id,
        "prefix": record.prefix,
        "tenant": record.tenant_name,
        "tenant_id": record.tenant_id,
        "rpm": record.limits.requests_per_minute,
        "burst": record.limits.burst,
        "max_streams": record.limits.max_streams,
        "scopes": sorted_scopes(record.scopes),
        "ragflow_version": record.ragflow_version,
        "expires_at": record.expires_at,
        "expired": record.expired(),
        "revoked": record.revoked,
        "revoke_time": record.revoke_time,
        "last_used_at": record.last_used_at,
        "create_time": record.create_time,
        "update_time": record.update_time,
    }


async def _announce(backends: Backends, key_id: str) -> None:
    await backends.auth.announce_change(backends.redis, key_id)


@router.post("/keys")
async def create_key(body: CreateKeyBody, backends: BackendsDep) -> dict[str, Any]:
    expiry = _expiry(body)
    minted = await domain.create_key(
        backends.mongo,
        body.tenant,
        KeyLimits(requests_per_minute=body.rpm, burst=body.burst, max_streams=body.max_streams),
        scopes=body.scopes,
        ragflow_version=body.ragflow_version,
        expires_at=None if isinstance(expiry, domain.Unset) else expiry,
    )
    assert minted.record is not None
    return envelope({**key_view(minted.record), "key": minted.key})


@router.get("/keys")
async def list_keys(query: KeyListParams, backends: BackendsDep) -> dict[str, Any]:
    return envelope([key_view(record) for record in await domain.list_keys(backends.mongo, query.tenant)])


@router.get("/keys/{key_id}")
async def get_key(key_id: str, backends: BackendsDep) -> dict[str, Any]:
    return envelope(key_view(await domain.get_key(backends.mongo, key_id)))


@router.patch("/keys/{key_id}")
async def update_key(key_id: str, body: UpdateKeyBody, backends: BackendsDep) -> dict[str, Any]:
    given = body.given()
    if not given:
        raise InvalidArgument(
            "Nothing to change: send rpm, burst, max_streams, scopes, expires_at, ttl_s or ragflow_version."
        )
    limit_changes = {name: getattr(body, field) for field, name in _LIMIT_NAMES.items() if field in given}
    before = (await domain.get_key(backends.mongo, key_id)).limits if limit_changes else None
    record = await domain.update_key(
        backends.mongo,
        key_id,
        limit_changes=limit_changes,
        scopes=body.scopes if "scopes" in given else domain.UNSET,
        ragflow_version=body.ragflow_version if "ragflow_version" in given else domain.UNSET,
        expires_at=_expiry(body),
    )
    if before is not None:
        await backends.rate_limits.limits_changed(key_id, before, record.limits)
    await _announce(backends, key_id)
    return envelope(key_view(record))


@router.delete("/keys/{key_id}")
async def revoke_key(key_id: str, backends: BackendsDep) -> dict[str, Any]:
    record = await domain.revoke_key(backends.mongo, key_id)
    await _announce(backends, key_id)
    return envelope(key_view(record))
