"""Chat assistants as the domain sees them, and the ports to other services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

ORDER_FIELDS = ("create_time", "update_time", "name")
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class DatasetRef:
    id: str
    name: str


@dataclass(frozen=True)
class Chat:
    id: str
    tenant_id: str
    name: str
    description: str
    avatar: str
    dataset_ids: list[str]
    datasets: list[DatasetRef]
    llm: dict[str, Any]
    prompt: dict[str, Any]
    create_time: int  # epoch ms
    update_time: int


@dataclass(frozen=True)
class ChatSpec:
    """What a caller sets; None means "not given" (default on create, unchanged on update)."""

    name: str | None = None
    description: str | None = None
    avatar: str | None = None
    dataset_ids: list[str] | None = None
    llm: dict[str, Any] | None = None
    prompt: dict[str, Any] | None = None
    # The same settings under RAGFlow v0.27's names (domain/ragflow027.py), applied over llm / prompt.
    ragflow027: dict[str, Any] | None = None


@dataclass(frozen=True)
class ChatQuery:
    page: int = 1
    page_size: int = 30
    orderby: str = "create_time"
    desc: bool = True
    id: str | None = None
    name: str | None = None
    keywords: str | None = None  # part of the name, ignoring case; ignored with id or name
    owner_ids: tuple[str, ...] = ()  # tenants whose chats to list; empty → the caller's


@dataclass(frozen=True)
class ChatPage:
    chats: list[Chat]
    total: int


@dataclass(frozen=True)
class DatasetLookup:
    found: list[DatasetRef] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)  # found, but without a single chunk yet


class DatasetDirectory(Protocol):
    """Which datasets a tenant owns (retrieval-service)."""

    async def lookup(self, tenant_id: str, ids: Sequence[str]) -> DatasetLookup: ...


class SessionCleaner(Protocol):
    """Removes the sessions of deleted chats (session-service)."""

    async def delete_chat_sessions(self, tenant_id: str, chat_ids: Sequence[str]) -> int: ...


@dataclass(frozen=True)
class ModelCatalog:
    default_model: str
    available: tuple[str, ...]
    # The deployment's rerank models (retrieval-service serves them); empty: reranking is off.
    rerank: tuple[str, ...] = ()
