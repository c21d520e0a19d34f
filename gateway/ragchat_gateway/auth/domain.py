"""Tenants and API keys: minting, listing, changing, revoking and resolving keys (no transport).

A key is ``ragchat-`` followed by 32 random bytes (base64url). Only its SHA-256 hash is stored,
with its first characters (``prefix``) so an operator can tell keys apart; the key itself is
returned once, when minted. Each key has a short public ``key_id`` used to manage it, optional
per-key limits (None = the deployment's default), scopes (``read`` | ``chat`` | ``full``), an
optional expiry, an optional RAGFlow dialect (None = the deployment's default) and a coarse
``last_used_at``. The admin API and ``ragchat keys`` both go through these functions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.ids import new_id
from ragchat_common.timeutil import now_ms
from ragchat_gateway.auth.principal import (
    DEFAULT_RAGFLOW_VERSION,
    DEFAULT_SCOPES,
    RAGFLOW_VERSIONS,
    KeyLimits,
    Principal,
    RagflowVersion,
    Scope,
)
from ragchat_gateway.auth.scopes import parse_scopes, sorted_scopes

TENANTS = "tenants"
API_KEYS = "api_keys"
KEY_PREFIX = "ragchat-"
KEY_RANDOM_BYTES = 32
# What listings show of a key: "ragchat-" and 6 random characters (36 bits: tells keys apart,
# useless for guessing the other 250).
SHOWN_PREFIX_CHARS = len(KEY_PREFIX) + 6
# base64url of 32 bytes is 43 characters; the prefix is checked too, so garbage never hits Mongo.
_KEY_SHAPE = re.compile(r"^ragchat-[A-Za-z0-9_-]{43}$")
MAX_TENANT_NAME = 128

Db = AsyncIOMotorDatabase[Any]


class Unset(Enum):
    """A field an update leaves alone (None means "back to the default" there)."""

    UNSET = 0


UNSET: Final = Unset.UNSET


@dataclass(frozen=True)
class KeyRecord:
    """A stored key as operators see it (never the key itself)."""

    key_id: str
    tenant_id: str
    tenant_name: str
    create_time: int
    revoked: bool
    revoke_time: int | None
    limits: KeyLimits
    prefix: str = ""
    scopes: frozenset[Scope] = DEFAULT_SCOPES
    ragflow_version: RagflowVersion | None = None  # None: the deployment's default
    expires_at: int | None = None  # epoch ms; None: never
    last_used_at: int | None = None  # epoch ms, coarse (written at most once a minute)
    update_time: int | None = None

    def expired(self, at_ms: int | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now_ms() if at_ms is None else at_ms)

    def principal(self, default_ragflow_version: RagflowVersion = DEFAULT_RAGFLOW_VERSION) -> Principal:
        return Principal(
            key_id=self.key_id,
            tenant_id=self.tenant_id,
            tenant_name=self.tenant_name,
            limits=self.limits,
            scopes=self.scopes,
            ragflow_version=self.ragflow_version or default_ragflow_version,
            expires_at_ms=self.expires_at,
        )


@dataclass(frozen=True)
class MintedKey:
    """A freshly minted key: ``key`` is shown once and never stored."""

    key: str
    key_id: str
    tenant_id: str
    tenant_name: str
    limits: KeyLimits
    record: KeyRecord | None = field(default=None, compare=False)


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


_LIMIT_FIELDS = tuple(_limits_doc(KeyLimits()))


def _limits_from(doc: dict[str, Any] | None) -> KeyLimits:
    doc = doc or {}
    return KeyLimits(
        requests_per_minute=doc.get("requests_per_minute"),
        burst=doc.get("burst"),
        max_streams=doc.get("max_streams"),
    )


def _validate_limits(limits: KeyLimits) -> None:
    for name, value in _limits_doc(limits).items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InvalidArgument(f"`{name}` must be a non-negative integer.")


def check_ragflow_version(value: object) -> RagflowVersion | None:
    """A valid dialect, or None for the deployment's default; 102 naming the valid ones otherwise."""
    if value is None:
        return None
    for version in RAGFLOW_VERSIONS:
        if value == version:
            return version
    raise InvalidArgument(f"`ragflow_version` must be one of {', '.join(RAGFLOW_VERSIONS)} (got {value!r}).")


def _check_expiry(expires_at: int | None, now: int) -> None:
    if expires_at is not None and (isinstance(expires_at, bool) or not isinstance(expires_at, int)):
        raise InvalidArgument("`expires_at` must be a time.")
    if expires_at is not None and expires_at <= now:
        raise InvalidArgument("`expires_at` is in the past; a key must expire in the future.")


def _record(doc: dict[str, Any]) -> KeyRecord:
    stored_scopes = doc.get("scopes")
    return KeyRecord(
        key_id=doc["_id"],
        tenant_id=doc["tenant_id"],
        tenant_name=doc["tenant_name"],
        create_time=doc["create_time"],
        revoked=doc.get("revoke_time") is not None,
        revoke_time=doc.get("revoke_time"),
        limits=_limits_from(doc.get("limits")),
        prefix=doc.get("prefix") or "",
        # Keys minted before scopes existed have none stored: they keep full access.
        scopes=parse_scopes(stored_scopes) if stored_scopes else DEFAULT_SCOPES,
        ragflow_version=check_ragflow_version(doc.get("ragflow_version")),
        expires_at=doc.get("expires_at"),
        last_used_at=doc.get("last_used_at"),
        update_time=doc.get("update_time"),
    )


async def ensure_indexes(db: Db) -> None:
    await db[TENANTS].create_index([("name", ASCENDING)], unique=True, name="name_unique")
    await db[API_KEYS].create_index([("key_hash", ASCENDING)], unique=True, name="key_hash_unique")
    await db[API_KEYS].create_index([("tenant_id", ASCENDING)], name="tenant")


async def get_or_create_tenant(db: Db, name: str) -> tuple[str, str]:
    """The (tenant_id, name) of the tenant with this exact name, created when missing."""
    if not isinstance(name, str):
        raise InvalidArgument("Tenant name must be a string.")
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


async def create_key(
    db: Db,
    tenant_name: str,
    limits: KeyLimits | None = None,
    *,
    scopes: Iterable[str] | None = None,
    ragflow_version: str | None = None,
    expires_at: int | None = None,
) -> MintedKey:
    """Mints a key for the tenant (created on first use). The returned key is not stored.

    ``expires_at`` is epoch ms (None: never); ``scopes`` None means ``full``; ``ragflow_version``
    None means the deployment's default, resolved when the key is used.
    """
    limits = limits or KeyLimits()
    _validate_limits(limits)
    key_scopes = parse_scopes(scopes)
    version = check_ragflow_version(ragflow_version)
    now = now_ms()
    _check_expiry(expires_at, now)
    await ensure_indexes(db)
    tenant_id, name = await get_or_create_tenant(db, tenant_name)
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)
    doc = {
        "_id": secrets.token_hex(6),
        "key_hash": hash_key(key),
        "prefix": key[:SHOWN_PREFIX_CHARS],
        "tenant_id": tenant_id,
        "tenant_name": name,
        "create_time": now,
        "update_time": now,
        "revoke_time": None,
        "limits": _limits_doc(limits),
        "scopes": sorted_scopes(key_scopes),
        "ragflow_version": version,
        "expires_at": expires_at,
        "last_used_at": None,
    }
    await db[API_KEYS].insert_one(doc)
    record = _record(doc)
    return MintedKey(key=key, key_id=record.key_id, tenant_id=tenant_id, tenant_name=name, limits=limits, record=record)


async def list_keys(db: Db, tenant_name: str | None = None) -> list[KeyRecord]:
    query: dict[str, Any] = {} if tenant_name is None else {"tenant_name": tenant_name}
    docs = await db[API_KEYS].find(query).sort("create_time", ASCENDING).to_list(length=None)
    return [_record(doc) for doc in docs]


async def get_key(db: Db, key_id: str) -> KeyRecord:
    doc = await db[API_KEYS].find_one({"_id": key_id})
    if doc is None:
        raise NotFound(f"No API key with id {key_id}.")
    return _record(doc)


async def revoke_key(db: Db, key_id: str) -> KeyRecord:
    """Revokes a key (idempotent). Raises NotFound for an unknown key_id."""
    doc = await db[API_KEYS].find_one({"_id": key_id})
    if doc is None:
        raise NotFound(f"No API key with id {key_id}.")
    if doc.get("revoke_time") is None:
        now = now_ms()
        await db[API_KEYS].update_one(
            {"_id": key_id, "revoke_time": None}, {"$set": {"revoke_time": now, "update_time": now}}
        )
        doc = await db[API_KEYS].find_one({"_id": key_id}) or doc
    return _record(doc)


async def update_key(
    db: Db,
    key_id: str,
    *,
    limits: KeyLimits | Unset = UNSET,
    limit_changes: Mapping[str, int | None] | None = None,
    scopes: Iterable[str] | Unset | None = UNSET,
    ragflow_version: str | Unset | None = UNSET,
    expires_at: int | Unset | None = UNSET,
) -> KeyRecord:
    """Changes what is given and leaves the rest; None puts scopes / dialect / expiry back to
    their defaults (full, the deployment's, never). ``limits`` replaces all three limits,
    ``limit_changes`` only the named ones (``KeyLimits`` field names), in the same write. A
    revoked key stays revoked."""
    now = now_ms()
    changes: dict[str, Any] = {"update_time": now}
    if not isinstance(limits, Unset):
        _validate_limits(limits)
        changes["limits"] = _limits_doc(limits)
    for name, value in (limit_changes or {}).items():
        if name not in _LIMIT_FIELDS:
            raise InvalidArgument(f"Unknown limit `{name}`; the limits are {', '.join(_LIMIT_FIELDS)}.")
        _validate_limits(KeyLimits(**{name: value}))
        changes[f"limits.{name}"] = value
    if not isinstance(scopes, Unset):
        changes["scopes"] = sorted_scopes(parse_scopes(scopes))
    if not isinstance(ragflow_version, Unset):
        changes["ragflow_version"] = check_ragflow_version(ragflow_version)
    if not isinstance(expires_at, Unset):
        _check_expiry(expires_at, now)
        changes["expires_at"] = expires_at
    doc = await db[API_KEYS].find_one_and_update(
        {"_id": key_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
    )
    if doc is None:
        raise NotFound(f"No API key with id {key_id}.")
    return _record(doc)


async def update_key_limits(db: Db, key_id: str, limits: KeyLimits) -> KeyRecord:
    """Replaces a key's limits (None fields fall back to the deployment's defaults)."""
    return await update_key(db, key_id, limits=limits)


async def find_key(db: Db, key: str) -> KeyRecord | None:
    """The stored record of a key (revoked and expired ones too), None when malformed or unknown."""
    if not looks_like_key(key):
        return None
    doc = await db[API_KEYS].find_one({"key_hash": hash_key(key)})
    return None if doc is None else _record(doc)


async def lookup_key(
    db: Db, key: str, default_ragflow_version: RagflowVersion = DEFAULT_RAGFLOW_VERSION
) -> Principal | None:
    """The caller a key stands for, or None when it is malformed, unknown or revoked.

    An expired key still resolves (its principal carries ``expires_at_ms``): the authenticator
    checks expiry on every request, cached or not, and says "expired" rather than "unknown".
    """
    record = await find_key(db, key)
    if record is None or record.revoked:
        return None
    return record.principal(default_ragflow_version)


async def touch_last_used(db: Db, key_id: str, at_ms: int, min_interval_ms: int) -> bool:
    """Records that a key was used at ``at_ms`` unless that was recorded less than
    ``min_interval_ms`` before (across every replica: the condition is in the write)."""
    result = await db[API_KEYS].update_one(
        {
            "_id": key_id,
            "$or": [{"last_used_at": None}, {"last_used_at": {"$lt": at_ms - min_interval_ms}}],
        },
        {"$set": {"last_used_at": at_ms}},
    )
    return bool(result.modified_count)
