"""Hybrid search: dense cosine fused with a BM25 keyword score over the same chunks.

Candidates are the union of the dense top_k and the keyword (sparse, IDF-weighted) top_k, both
filtered by tenant + datasets (+ documents) inside the store. Per candidate:

- vector_similarity: cosine of query and chunk, negatives clipped to 0;
- term_similarity: BM25 relative to the best candidate, times the share of the query's terms
  the chunk contains — so a chunk matching one common word of a long question stays low, and
  an absolute threshold keeps its meaning across queries;
- similarity = w * term + (1 - w) * vector, w = keywords_similarity_weight.

Chunks below similarity_threshold are dropped; the rest are sorted and paged by top_n.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ragchat_common.errors import InvalidArgument
from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.datasets import check_datasets_exist
from ragchat_retrieval.domain.deps import Deps, dedupe
from ragchat_retrieval.domain.ports import Hit, Scope


@dataclass(frozen=True)
class SearchQuery:
    tenant_id: str
    dataset_ids: Sequence[str]
    query: str
    document_ids: Sequence[str] = ()
    similarity_threshold: float = 0.2
    keywords_similarity_weight: float = 0.7
    top_k: int = 0
    top_n: int = 0
    page: int = 1
    query_vector: Sequence[float] = ()


@dataclass
class ScoredChunk:
    id: str
    content: str
    document_id: str
    dataset_id: str
    similarity: float
    vector_similarity: float
    term_similarity: float
    document_name: str = ""
    important_keywords: list[str] = field(default_factory=list)
    position: int = 0


@dataclass
class SearchResult:
    chunks: list[ScoredChunk]
    doc_aggs: list[tuple[str, str, int]]  # (doc_id, doc_name, count)
    total: int


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def _check(query: SearchQuery, dim: int) -> None:
    if not query.query.strip() and not query.query_vector:
        raise InvalidArgument("`question` is required and cannot be empty.")
    if query.query_vector and len(query.query_vector) != dim:
        raise InvalidArgument(f"`query_vector` must have {dim} dimensions, not {len(query.query_vector)}.")
    if not query.dataset_ids:
        raise InvalidArgument("`dataset_ids` is required and cannot be empty.")
    if not 0.0 <= query.similarity_threshold <= 1.0:
        raise InvalidArgument("`similarity_threshold` must be between 0 and 1.")
    if not 0.0 <= query.keywords_similarity_weight <= 1.0:
        raise InvalidArgument("`keywords_similarity_weight` must be between 0 and 1.")
    if query.top_k < 0 or query.top_n < 0 or query.page < 0:
        raise InvalidArgument("`top_k`, `top_n` and `page` must not be negative.")


def fuse(
    query_terms: list[str],
    query_vector: Sequence[float],
    dense_hits: list[Hit],
    sparse_hits: list[Hit],
    keywords_weight: float,
) -> list[ScoredChunk]:
    """Scores the union of both candidate lists (pure function, unit-tested on its own)."""
    by_id: dict[str, dict[str, Any]] = {}
    for hit in dense_hits:
        by_id[hit.id] = {"payload": hit.payload, "vector": max(0.0, min(1.0, hit.score)), "bm25": None}
    best_bm25 = max((h.score for h in sparse_hits), default=0.0)
    floor_bm25 = min((h.score for h in sparse_hits), default=0.0)
    for hit in sparse_hits:
        entry = by_id.get(hit.id)
        if entry is None:
            vector = _cosine(query_vector, hit.dense) if hit.dense else 0.0
            entry = by_id[hit.id] = {"payload": hit.payload, "vector": max(0.0, min(1.0, vector))}
        entry["bm25"] = hit.score
    scored: list[ScoredChunk] = []
    for chunk_id, entry in by_id.items():
        payload = entry["payload"]
        content = str(payload.get("content", ""))
        keywords = [str(k) for k in payload.get("important_keywords") or []]
        cover = text.coverage(query_terms, content + " " + " ".join(keywords))
        bm25 = entry.get("bm25")
        if bm25 is None:
            # Not among the keyword top_k: at most as good as the weakest keyword candidate.
            bm25 = floor_bm25 if cover > 0 else 0.0
        term = (bm25 / best_bm25) * cover if best_bm25 > 0 else 0.0
        vector = float(entry["vector"])
        scored.append(
            ScoredChunk(
                id=chunk_id,
                content=content,
                document_id=str(payload.get("document_id", "")),
                document_name=str(payload.get("document_name", "")),
                dataset_id=str(payload.get("dataset_id", "")),
                similarity=keywords_weight * term + (1.0 - keywords_weight) * vector,
                vector_similarity=vector,
                term_similarity=term,
                important_keywords=keywords,
                position=int(payload.get("position", 0) or 0),
            )
        )
    scored.sort(key=lambda c: (-c.similarity, c.document_id, c.position))
    return scored


async def search(deps: Deps, query: SearchQuery) -> SearchResult:
    _check(query, deps.embedder.dim)
    dataset_ids = dedupe(query.dataset_ids)
    await check_datasets_exist(deps, query.tenant_id, dataset_ids)
    top_k = min(query.top_k or deps.limits.default_top_k, deps.limits.max_top_k)
    top_n = query.top_n or deps.limits.default_top_n
    page = query.page or 1
    scope = Scope(tenant_id=query.tenant_id, dataset_ids=dataset_ids, document_ids=dedupe(query.document_ids))
    query_terms = sorted(set(text.terms(query.query)))
    sparse = text.query_sparse(query.query)
    query_vector = list(query.query_vector) or (await deps.embed([query.query]))[0]
    dense_task = deps.vectors.search_dense(scope, query_vector, top_k)
    if sparse.indices and query.keywords_similarity_weight > 0:
        dense_hits, sparse_hits = await asyncio.gather(dense_task, deps.vectors.search_sparse(scope, sparse, top_k))
    else:
        dense_hits, sparse_hits = await dense_task, []
    scored = fuse(query_terms, query_vector, dense_hits, sparse_hits, query.keywords_similarity_weight)
    passed = [c for c in scored if c.similarity >= query.similarity_threshold and c.similarity > 0]
    counts: dict[str, int] = {}
    for chunk in passed:
        counts[chunk.document_id] = counts.get(chunk.document_id, 0) + 1
    page_chunks = passed[(page - 1) * top_n : page * top_n]
    # Names travel in the payload (kept current on rename); the database only fills gaps.
    names = {c.document_id: c.document_name for c in passed if c.document_name}
    unnamed = [d for d in counts if d not in names]
    if unnamed:
        names.update(await deps.store.document_names(query.tenant_id, unnamed))
    for chunk in page_chunks:
        chunk.document_name = names.get(chunk.document_id, "")
    aggs = sorted(((d, names.get(d, ""), n) for d, n in counts.items()), key=lambda a: -a[2])
    return SearchResult(chunks=page_chunks, doc_aggs=aggs, total=len(passed))
