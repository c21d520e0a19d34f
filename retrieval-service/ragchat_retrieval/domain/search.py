"""Hybrid search: dense cosine fused with a BM25 keyword score over the same chunks.

Candidates are the union of the dense top_k and the keyword (sparse, IDF-weighted) top_k, both
filtered by tenant + datasets (+ documents) inside the store. Per candidate:

- vector_similarity: cosine of query and chunk, negatives clipped to 0 (keyword-only candidates
  get theirs from one more dense query restricted to their ids);
- term_similarity: BM25 relative to the best candidate, times the share of the query's terms
  the chunk contains — so a chunk matching one common word of a long question stays low, and
  an absolute threshold keeps its meaning across queries. A chunk outside the keyword top_k
  gets 0 (it is weaker than every keyword candidate);
- similarity = w * term + (1 - w) * vector, w = keywords_similarity_weight.

Chunks below similarity_threshold are dropped; the rest are sorted and paged by top_n. Scoring
works on ids and scores only; payloads are read for the returned page (and document ids for
doc_aggs), so a top_k of 1024 costs two index queries, not 2048 payloads.
"""

from __future__ import annotations

import asyncio
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


DOC_FIELDS = ("document_id", "document_name")
INLINE_PAYLOAD_MAX = 32


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
    query_indices: set[int],
    dense_hits: list[Hit],
    sparse_hits: list[Hit],
    keywords_weight: float,
    extra_vector_scores: dict[str, float] | None = None,
) -> list[ScoredChunk]:
    """Scores the union of both candidate lists (pure function, unit-tested on its own).

    `extra_vector_scores`: cosine of keyword-only candidates, by id.
    """
    vector_scores = {h.id: h.score for h in dense_hits}
    vector_scores.update(extra_vector_scores or {})
    best_bm25 = max((h.score for h in sparse_hits), default=0.0)
    term_scores: dict[str, float] = {}
    for hit in sparse_hits:
        cover = len(query_indices & set(hit.sparse_indices or ())) / len(query_indices) if query_indices else 0.0
        term_scores[hit.id] = (hit.score / best_bm25) * cover if best_bm25 > 0 else 0.0
    scored: list[ScoredChunk] = []
    for chunk_id in dict.fromkeys([*(h.id for h in dense_hits), *(h.id for h in sparse_hits)]):
        vector = max(0.0, min(1.0, vector_scores.get(chunk_id, 0.0)))
        term = term_scores.get(chunk_id, 0.0)
        scored.append(
            ScoredChunk(
                id=chunk_id,
                content="",
                document_id="",
                dataset_id="",
                similarity=keywords_weight * term + (1.0 - keywords_weight) * vector,
                vector_similarity=vector,
                term_similarity=term,
            )
        )
    scored.sort(key=lambda c: (-c.similarity, c.id))
    return scored


async def search(deps: Deps, query: SearchQuery) -> SearchResult:
    _check(query, deps.embedder.dim)
    dataset_ids = dedupe(query.dataset_ids)
    await check_datasets_exist(deps, query.tenant_id, dataset_ids)
    top_k = min(query.top_k or deps.limits.default_top_k, deps.limits.max_top_k)
    top_n = query.top_n or deps.limits.default_top_n
    page = query.page or 1
    scope = Scope(tenant_id=query.tenant_id, dataset_ids=dataset_ids, document_ids=dedupe(query.document_ids))
    sparse = text.query_sparse(query.query)
    query_vector = list(query.query_vector) or (await deps.embed([query.query]))[0]
    # Few candidates: payloads come with the dense hits, saving a second read.
    inline = top_k <= INLINE_PAYLOAD_MAX
    dense_task = deps.vectors.search_dense(scope, query_vector, top_k, with_payload=inline)
    if sparse.indices and query.keywords_similarity_weight > 0:
        dense_hits, sparse_hits = await asyncio.gather(dense_task, deps.vectors.search_sparse(scope, sparse, top_k))
    else:
        dense_hits, sparse_hits = await dense_task, []
    dense_ids = {h.id for h in dense_hits}
    keyword_only = [h.id for h in sparse_hits if h.id not in dense_ids]
    extra: dict[str, float] = {}
    if keyword_only:
        restricted = Scope(scope.tenant_id, scope.dataset_ids, scope.document_ids, keyword_only)
        extra = {
            h.id: h.score
            for h in await deps.vectors.search_dense(restricted, query_vector, len(keyword_only), with_payload=False)
        }
    scored = fuse(set(sparse.indices), dense_hits, sparse_hits, query.keywords_similarity_weight, extra)
    passed = [c for c in scored if c.similarity >= query.similarity_threshold and c.similarity > 0]
    page_chunks = passed[(page - 1) * top_n : page * top_n]
    if not passed:
        return SearchResult(chunks=[], doc_aggs=[], total=0)
    # Full payloads for the page; document ids only for the rest that passed (for doc_aggs).
    page_ids = [c.id for c in page_chunks]
    full: dict[str, dict[str, Any]] = {h.id: h.payload for h in dense_hits if h.payload and h.id in page_ids}
    missing = [i for i in page_ids if i not in full]
    if missing:
        page_scope = Scope(scope.tenant_id, scope.dataset_ids, scope.document_ids, missing)
        full.update({h.id: h.payload for h in await deps.vectors.scroll(page_scope, len(missing))})
    light: dict[str, dict[str, Any]] = dict(full)
    rest = [c.id for c in passed if c.id not in full]
    if rest:
        rest_scope = Scope(scope.tenant_id, scope.dataset_ids, scope.document_ids, rest)
        light.update({h.id: h.payload for h in await deps.vectors.scroll(rest_scope, len(rest), DOC_FIELDS)})
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for chunk in passed:
        payload = light.get(chunk.id, {})
        document_id = str(payload.get("document_id", ""))
        counts[document_id] = counts.get(document_id, 0) + 1
        if payload.get("document_name"):
            names[document_id] = str(payload["document_name"])
    unnamed = [d for d in counts if d not in names]
    if unnamed:  # chunks indexed before names travelled in the payload
        names.update(await deps.store.document_names(query.tenant_id, unnamed))
    for chunk in page_chunks:
        payload = full.get(chunk.id, {})
        chunk.content = str(payload.get("content", ""))
        chunk.document_id = str(payload.get("document_id", ""))
        chunk.dataset_id = str(payload.get("dataset_id", ""))
        chunk.document_name = names.get(chunk.document_id, "")
        chunk.important_keywords = [str(k) for k in payload.get("important_keywords") or []]
        chunk.position = int(payload.get("position", 0) or 0)
    aggs = sorted(((d, names.get(d, ""), n) for d, n in counts.items()), key=lambda a: -a[2])
    return SearchResult(chunks=page_chunks, doc_aggs=aggs, total=len(passed))
