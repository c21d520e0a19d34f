"""The authenticated caller, as every route, the rate limiter and the public gRPC API see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RagflowVersion = Literal["0.22", "0.27"]
RAGFLOW_VERSIONS: tuple[RagflowVersion, ...] = ("0.22", "0.27")
DEFAULT_RAGFLOW_VERSION: RagflowVersion = "0.22"

Scope = Literal["read", "chat", "full"]
# Ordered from narrowest to widest: each scope allows everything the ones before it allow.
SCOPES: tuple[Scope, ...] = ("read", "chat", "full")
DEFAULT_SCOPES: frozenset[Scope] = frozenset({"full"})


@dataclass(frozen=True)
class KeyLimits:
    """Per-key limits; None means the deployment's default."""

    requests_per_minute: int | None = None
    burst: int | None = None
    max_streams: int | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its tenant, and what the key allows.

    ``ragflow_version`` is the RAGFlow dialect this caller is served in (API.md §9.1): the key's
    own setting, else the deployment's ``RAGCHAT_RAGFLOW_VERSION``. ``scopes`` are the key's
    scopes (API.md §9.4; see ``auth.scopes``). ``expires_at_ms`` is when the key stops working
    (epoch ms), None for never.
    """

    key_id: str
    tenant_id: str
    tenant_name: str
    limits: KeyLimits = KeyLimits()
    scopes: frozenset[Scope] = DEFAULT_SCOPES
    ragflow_version: RagflowVersion = DEFAULT_RAGFLOW_VERSION
    expires_at_ms: int | None = None
