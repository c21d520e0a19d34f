"""Tenants and API keys: minting, listing, revoking and resolving keys (no transport here).

A key is ``ragchat-`` followed by 32 random bytes (base64url). Only its SHA-256 hash is
stored; the key itself is returned once, when minted. Each key has a short public ``key_id``
used to list and revoke it, and optional per-key limits (None = the deployment's default).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.ids import new_id
from ragchat_common.timeutil import now_ms
from ragchat_gateway.auth.principal import KeyLimits, Principal

TENANTS = "tenants"
API_KEYS = "api_keys"
KEY_PREFIX = "ragchat-"
KEY_RANDOM_BYTES = 32
# base64url of 32 bytes is 43 characters; the prefix is checked too, so garbage never hits Mongo.
_KEY_SHAPE = re.compile(r"^ragchat-[A-Za-z0-9_-]{43}$")
MAX_TENANT_NAME = 128

Db = AsyncIOMotorDatabase[Any]


@dataclass(frozen=True)
class MintedKey:
    """A freshly minted key: ``key`` is shown once and never stored."""

    key: str
    key_id: str
    tenant_id: str
    tenant_name: str
    limits: KeyLimits


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    tenant_id: str
    tenant_name: str
    create_time: int
    revoked: bool
    revoke_time: int | None
    limits: KeyLimits


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def looks_like_key(key: str) -> bool:
    return bool(_KEY_SHAPE.match(key))


def _limits_doc(limits: KeyLimits) -> dict[str, int | None]:
    return {
        "requests_per_minute": limits.requests_per_minute,
        "burst": limits.burst,
        "max_streams": limits.max_streams,
    }


def _limits_from(doc: dict[str, Any] | None) -> KeyLimits:
    doc = doc or {}
    return KeyLimits(
        requests_per_minute=doc.get("requests_per_minute"),
        burst=doc.get("burst"),
        max_streams=doc.get("max_streams"),
    )


def _validate_limits(limits: KeyLimits) -> None:
    for name, value in _limits_doc(limits).items():
        if value is not None and (not isinstance(value, int) or value < 0):
            raise InvalidArgument(f"`{name}` must be a non-negative integer.")


def _record(doc: dict[str, Any]) -> KeyRecord:
    return KeyRecord(
        key_id=doc["_id"],
        tenant_id=doc["tenant_id"],
        tenant_name=doc["tenant_name"],
        create_time=doc["create_time"],
        revoked=doc.get("revoke_time") is not None,
        revoke_time=doc.get("revoke_time"),
        limits=_limits_from(doc.get("limits")),
    )


async def ensure_indexes(db: Db) -> None:
    await db[TENANTS].create_index([("name", ASCENDING)], unique=True, name="name_unique")
    await db[API_KEYS].create_index([("key_hash", ASCENDING)], unique=True, name="key_hash_unique")
    await db[API_KEYS].create_index([("tenant_id", ASCENDING)], name="tenant")


async def get_or_create_tenant(db: Db, name: str) -> tuple[str, str]:
    """The (tenant_id, name) of the tenant with this exact name, created when missing."""
    name = name.strip()
    if not name:
        raise InvalidArgument("Tenant name is required.")
    if len(name) > MAX_TENANT_NAME:
        raise InvalidArgument(f"Tenant name is longer than {MAX_TENANT_NAME} characters.")
    existing = await db[TENANTS].find_one({"name": name})
    if existing is not None:
        return existing["_id"], existing["name"]
    tenant_id = new_id()
    try:
        await db[TENANTS].insert_one({"_id": tenant_id, "name": name, "create_time": now_ms()})
    except DuplicateKeyError:
        # Two minting calls raced for the same new tenant: both end on the one stored.
        existing = await db[TENANTS].find_one({"name": name})
        if existing is None:
            raise
        return existing["_id"], existing["name"]
    return tenant_id, name


async def create_key(db: Db, tenant_name: str, limits: KeyLimits | None = None) -> MintedKey:
    """Mints a key for the tenant (created on first use). The returned key is not stored."""
    limits = limits or KeyLimits()
    _validate_limits(limits)
    await ensure_indexes(db)
    tenant_id, name = await get_or_create_tenant(db, tenant_name)
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)
    key_id = secrets.token_hex(6)
    await db[API_KEYS].insert_one(
        {
            "_id": key_id,
            "key_hash": hash_key(key),
            "tenant_id": tenant_id,
            "tenant_name": name,
            "create_time": now_ms(),
            "revoke_time": None,
            "limits": _limits_doc(limits),
        }
    )
    return MintedKey(key=key, key_id=key_id, tenant_id=tenant_id, tenant_name=name, limits=limits)


async def list_keys(db: Db, tenant_name: str | None = None) -> list[KeyRecord]:
    query: dict[str, Any] = {} if tenant_name is None else {"tenant_name": tenant_name}
    docs = await db[API_KEYS].find(query).sort("create_time", ASCENDING).to_list(length=None)
    return [_record(doc) for doc in docs]


async def revoke_key(db: Db, key_id: str) -> KeyRecord:
    """Revokes a key (idempotent). Raises NotFound for an unknown key_id."""
    doc = await db[API_KEYS].find_one({"_id": key_id})
    if doc is None:
        raise NotFound(f"No API key with id {key_id}.")
    if doc.get("revoke_time") is None:
        await db[API_KEYS].update_one({"_id": key_id, "revoke_time": None}, {"$set": {"revoke_time": now_ms()}})
        doc = await db[API_KEYS].find_one({"_id": key_id}) or doc
    return _record(doc)


async def update_key_limits(db: Db, key_id: str, limits: KeyLimits) -> KeyRecord:
    """Replaces a key's limits (None fields fall back to the deployment's defaults)."""
    _validate_limits(limits)
    doc = await db[API_KEYS].find_one_and_update(
        {"_id": key_id}, {"$set": {"limits": _limits_doc(limits)}}, return_document=ReturnDocument.AFTER
    )
    if doc is None:
        raise NotFound(f"No API key with id {key_id}.")
    return _record(doc)


async def lookup_key(db: Db, key: str) -> Principal | None:
    """The caller a key stands for, or None when it is malformed, unknown or revoked."""
    if not looks_like_key(key):
        return None
    doc = await db[API_KEYS].find_one({"key_hash": hash_key(key)})
    if doc is None or doc.get("revoke_time") is not None:
        return None
    return Principal(
        key_id=doc["_id"],
        tenant_id=doc["tenant_id"],
        tenant_name=doc["tenant_name"],
        limits=_limits_from(doc.get("limits")),
    )
