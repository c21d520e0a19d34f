"""The two interfaces the domain needs from the outside: an embedder and a vector store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

DENSE = "dense"
SPARSE = "bm25"


@dataclass(frozen=True)
class SparseVector:
    indices: list[int]
    values: list[float]


@dataclass(frozen=True)
class ChunkPoint:
    """One chunk as the vector store keeps it: vectors plus the payload searches return."""

    id: str  # 32 hex
    dense: list[float]
    sparse: SparseVector
    payload: dict[str, Any]


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    payload: dict[str, Any]
    sparse_indices: list[int] | None = None  # the chunk's keyword terms (sparse search hits)


@dataclass(frozen=True)
class Scope:
    """What a query may see: always one tenant, optionally some datasets/documents/chunks/runs."""

    tenant_id: str
    dataset_ids: Sequence[str] = ()
    document_ids: Sequence[str] = ()
    chunk_ids: Sequence[str] = ()
    run_id: str | None = None  # only points of this run
    not_run_id: str | None = None  # every point except those of this run
    extra: dict[str, Any] = field(default_factory=dict)


class Embedder(Protocol):
    model_name: str
    dim: int

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        """L2-normalised vectors, one per text (blocking; callers run it off the event loop)."""
        ...


class VectorStore(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def upsert(self, points: Sequence[ChunkPoint]) -> None: ...

    async def delete(self, scope: Scope) -> None: ...

    async def search_dense(
        self, scope: Scope, vector: Sequence[float], limit: int, *, with_payload: bool = True
    ) -> list[Hit]:
        """Cosine similarity, best first."""
        ...

    async def search_sparse(self, scope: Scope, vector: SparseVector, limit: int) -> list[Hit]:
        """BM25 scores (IDF over the scope's tenant + datasets), best first; no payload, but
        each hit carries its sparse indices (its terms)."""
        ...

    async def terms_present(self, scope: Scope, terms: Sequence[int], limit: int) -> dict[str, set[int]]:
        """Which of the keyword `terms` (sparse indices) each point in scope has, at most `limit`
        points per term (scope.chunk_ids names the points); points with none are left out. Ids
        only: no payload, no vectors. Exact, like search_sparse."""
        ...

    async def scroll(self, scope: Scope, limit: int, fields: Sequence[str] | None = None) -> list[Hit]:
        """Points in scope with their payload (only `fields` when given), up to `limit`."""
        ...

    async def count(self, scope: Scope) -> int: ...

    async def set_payload(self, scope: Scope, payload: dict[str, Any]) -> None: ...


class Reranker(Protocol):
    models: tuple[str, ...]  # the names a chat or a retrieval request may choose

    async def rerank(self, model: str, query: str, documents: Sequence[str]) -> list[float]:
        """A relevance score in 0..1 per document, in order."""
        ...
