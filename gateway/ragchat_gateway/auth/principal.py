"""The authenticated caller, as every route and the rate limiter see it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyLimits:
    """Per-key limits; None means the deployment's default."""

    requests_per_minute: int | None = None
    burst: int | None = None
    max_streams: int | None = None


@dataclass(frozen=True)
class Principal:
    key_id: str
    tenant_id: str
    tenant_name: str
    limits: KeyLimits = KeyLimits()
    scopes: frozenset[str] = frozenset({"*"})
