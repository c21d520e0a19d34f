"""Hybrid search, ranked the way RAGFlow ranks: a wide candidate stage, then a fused score.

Candidates: the dense top_k (cosine) and the keyword top_k (BM25 over the chunk's terms, its
document's title terms and its important keywords, boosted), both filtered by tenant + datasets
(+ documents) inside the store. Per candidate:

- vector_similarity: cosine of query and chunk, negatives clipped to 0 (keyword-only candidates
  get theirs from one more dense query restricted to their ids);
- term_similarity: weighted coverage of the question's terms: the summed weight of the query
  terms the chunk has (in its text, its document's title or its important keywords) over the
  summed weight of all of them. Every candidate is scored, whichever search found it: keyword
  hits carry their terms, dense-only candidates get theirs from one keyword look-up restricted
  to their ids (skipped when the keyword search found fewer than top_k chunks: then no other
  chunk has any of the terms): which terms count for a chunk does not depend on which search
  found it. A term's weight is its IDF among the candidates: of all of them, found by either
  search, how many have it (for a top_k at least the datasets' chunk count, its IDF in the
  datasets searched): words every chunk has count little. So the weights, not the terms, move
  with top_k. Statistics come from the tenant's own datasets only, and from this query's
  candidates only, so a score depends on nothing another tenant or replica does;
- similarity = w * term + (1 - w) * vector, w = keywords_similarity_weight.

With a rerank model (rerank_model), the best RERANK_WINDOW candidates are scored by it and its
score takes the cosine's place: similarity = w * term + (1 - w) * rerank score.

Chunks below similarity_threshold are dropped; the rest are sorted and paged by top_n. When no
chunk passes, the candidates are scored once more, looser: the keyword side counts partial
coverage more (its square root), as RAGFlow's retry asks for a lower full-text match. The threshold
itself stays: no chunk below it is ever returned. Scoring works on ids, scores and
term indices only; payloads are read for the returned page (and document ids for doc_aggs), so a
top_k of 1024 costs at most four index queries (dense, keyword, and the two restricted look-ups
above, run together), not 2048 payloads.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ragchat_common.errors import InvalidArgument
from ragchat_common.search_defaults import SEARCH_DEFAULTS
from ragchat_retrieval.domain import metadata, text
from ragchat_retrieval.domain.datasets import check_datasets_exist
from ragchat_retrieval.domain.deps import Deps, dedupe
from ragchat_retrieval.domain.ports import Hit, Scope, SparseVector


@dataclass(frozen=True)
class SearchQuery:
    tenant_id: str
    dataset_ids: Sequence[str]
    query: str
    document_ids: Sequence[str] = ()
    similarity_threshold: float = SEARCH_DEFAULTS.similarity_threshold
    keywords_similarity_weight: float = SEARCH_DEFAULTS.keywords_similarity_weight
    top_k: int = 0
    top_n: int = 0
    page: int = 1
    query_vector: Sequence[float] = ()
    rerank_model: str = ""
    metadata_condition: dict[str, Any] | None = None
    check_document_ids: bool = False


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


# Read for every candidate that passed: doc_aggs, and chunks switched off (available: false) left out.
DOC_FIELDS = ("document_id", "document_name", "available")
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


# With a rerank model, the best this many candidates (or a page's worth, if more) are reranked.
RERANK_WINDOW = 64
MAX_EMBED_TEXTS = 256


async def embed_texts(deps: Deps, texts: Sequence[str]) -> list[list[float]]:
    """The deployment's embeddings of `texts` (for callers matching text to chunks)."""
    if len(texts) > MAX_EMBED_TEXTS:
        raise InvalidArgument(f"At most {MAX_EMBED_TEXTS} texts can be embedded at once, not {len(texts)}.")
    if not texts:
        return []
    return await deps.embed([t if t.strip() else " " for t in texts])


def term_weights(query_indices: set[int], matched: list[set[int]], pool_size: int) -> dict[int, float]:
    """IDF of each query term among the candidates: pool_size chunks, `matched` the query terms
    of each candidate that has any; a term no candidate has weighs as much as one a single
    candidate has."""
    df = dict.fromkeys(query_indices, 0)
    for terms_of_hit in matched:
        for idx in terms_of_hit:
            df[idx] += 1
    n = max(pool_size, 1)
    return {idx: math.log(1.0 + (n - max(d, 1) + 0.5) / (max(d, 1) + 0.5)) for idx, d in df.items()}


def fuse(
    query_indices: set[int],
    dense_hits: list[Hit],
    sparse_hits: list[Hit],
    keywords_weight: float,
    extra_vector_scores: dict[str, float] | None = None,
    extra_terms: dict[str, set[int]] | None = None,
    *,
    loose: bool = False,
) -> list[ScoredChunk]:
    """Scores the union of both candidate lists (pure function, unit-tested on its own).

    `extra_vector_scores`: cosine of keyword-only candidates, by id. `extra_terms`: the terms of
    dense-only candidates, by id (one left out has none of the query's). `loose`: the retry's
    keyword side (square root of the coverage).
    """
    vector_scores = {h.id: h.score for h in dense_hits}
    vector_scores.update(extra_vector_scores or {})
    candidate_ids = list(dict.fromkeys([*(h.id for h in dense_hits), *(h.id for h in sparse_hits)]))
    matched = {hit.id: query_indices.intersection(hit.sparse_indices or ()) for hit in sparse_hits}
    for hit in dense_hits:
        if hit.id not in matched:
            matched[hit.id] = query_indices.intersection((extra_terms or {}).get(hit.id, ()))
    weights = term_weights(query_indices, list(matched.values()), len(candidate_ids))
    total_weight = sum(weights.values())
    term_scores: dict[str, float] = {}
    if total_weight > 0:
        for chunk_id, terms_of_chunk in matched.items():
            share = min(1.0, sum(weights[i] for i in terms_of_chunk) / total_weight)
            term_scores[chunk_id] = math.sqrt(share) if loose else share
    scored: list[ScoredChunk] = []
    for chunk_id in candidate_ids:
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


def check_rerank_model(deps: Deps, model: str) -> None:
    available = deps.reranker.models if deps.reranker is not None else ()
    if model not in available:
        names = ", ".join(available) if available else "none (the deployment has no rerank models configured)"
        raise InvalidArgument(f"Rerank model '{model}' is not available; available rerank models: {names}.")


async def _rerank(deps: Deps, query: SearchQuery, scope: Scope, ids: list[str]) -> dict[str, float]:
    """The rerank model's score of each of the best candidates, by id."""
    if not ids or deps.reranker is None:
        return {}
    window = Scope(scope.tenant_id, scope.dataset_ids, scope.document_ids, ids)
    contents = {
        h.id: str(h.payload.get("content", "")) for h in await deps.vectors.scroll(window, len(ids), ["content"])
    }
    kept = [i for i in ids if i in contents]
    scores = await deps.reranker.rerank(query.rerank_model, query.query, [contents[i] for i in kept])
    return dict(zip(kept, scores, strict=True))


def _with_rerank_scores(scored: list[ScoredChunk], rerank_scores: dict[str, float], weight: float) -> list[ScoredChunk]:
    """Only the reranked candidates, the rerank score in place of the cosine (RAGFlow does the same)."""
    out: list[ScoredChunk] = []
    for chunk in scored:
        if chunk.id in rerank_scores:
            model_score = rerank_scores[chunk.id]
            chunk.vector_similarity = model_score
            chunk.similarity = weight * chunk.term_similarity + (1.0 - weight) * model_score
            out.append(chunk)
    out.sort(key=lambda c: (-c.similarity, c.id))
    return out


async def _vector_scores(deps: Deps, scope: Scope, vector: list[float], ids: list[str]) -> dict[str, float]:
    """Cosine of these candidates (found by the keyword search only), by id."""
    if not ids:
        return {}
    restricted = Scope(scope.tenant_id, scope.dataset_ids, scope.document_ids, ids)
    return {h.id: h.score for h in await deps.vectors.search_dense(restricted, vector, len(ids), with_payload=False)}


async def _terms_present(deps: Deps, scope: Scope, sparse: SparseVector, ids: list[str]) -> dict[str, set[int]]:
    """The question's terms each of these candidates (found by the dense search only) has, by id."""
    if not ids:
        return {}
    restricted = Scope(scope.tenant_id, scope.dataset_ids, scope.document_ids, ids)
    return await deps.vectors.terms_present(restricted, sparse.indices, len(ids))


def _passing(scored: list[ScoredChunk], threshold: float) -> list[ScoredChunk]:
    """The candidates at or above the threshold (a hard floor for both scorings), none scored 0."""
    return [c for c in scored if c.similarity >= threshold and c.similarity > 0]


async def _documents_in_scope(deps: Deps, query: SearchQuery, dataset_ids: list[str]) -> list[str] | None:
    """The documents a search is limited to: those named (checked to be the datasets' when the
    query asks), else those whose metadata meet its condition ([]: none does); None: all."""
    named = dedupe(query.document_ids)
    if named:
        if query.check_document_ids:
            owned = {d["id"] for d in await deps.store.document_metadata(query.tenant_id, dataset_ids, named)}
            stranger = next((i for i in named if i not in owned), None)
            if stranger is not None:
                raise InvalidArgument(f"The datasets don't own the document {stranger}")
        return named
    condition = metadata.effective_condition(query.metadata_condition)
    if condition is None:
        return None
    metas = metadata.flatten(await deps.store.document_metadata(query.tenant_id, dataset_ids))
    return sorted(metadata.filter_by_condition(metas, condition))


async def search(deps: Deps, query: SearchQuery) -> SearchResult:
    _check(query, deps.embedder.dim)
    if query.rerank_model:
        check_rerank_model(deps, query.rerank_model)
    dataset_ids = dedupe(query.dataset_ids)
    await check_datasets_exist(deps, query.tenant_id, dataset_ids)
    document_ids = await _documents_in_scope(deps, query, dataset_ids)
    if document_ids == []:
        return SearchResult(chunks=[], doc_aggs=[], total=0)
    top_k = min(query.top_k or deps.limits.default_top_k, deps.limits.max_top_k)
    top_n = query.top_n or deps.limits.default_top_n
    page = query.page or 1
    scope = Scope(tenant_id=query.tenant_id, dataset_ids=dataset_ids, document_ids=document_ids or [])
    sparse = text.query_sparse(query.query)
    query_vector = list(query.query_vector) or (await deps.embed([query.query]))[0]
    # Few candidates: payloads come with the dense hits, saving a second read.
    inline = top_k <= INLINE_PAYLOAD_MAX
    dense_task = deps.vectors.search_dense(scope, query_vector, top_k, with_payload=inline)
    if sparse.indices and query.keywords_similarity_weight > 0:
        dense_hits, sparse_hits = await asyncio.gather(dense_task, deps.vectors.search_sparse(scope, sparse, top_k))
    else:
        dense_hits, sparse_hits = await dense_task, []
    # Every candidate gets both scores: keyword-only ones their cosine, dense-only ones their
    # query terms. The keyword search is exact, so when it found fewer than top_k chunks no
    # other chunk has any of the question's terms, and the second look-up is skipped.
    dense_ids = {h.id for h in dense_hits}
    sparse_ids = {h.id for h in sparse_hits}
    keyword_only = [h.id for h in sparse_hits if h.id not in dense_ids]
    dense_only = [h.id for h in dense_hits if h.id not in sparse_ids] if len(sparse_hits) >= top_k else []
    extra, extra_terms = await asyncio.gather(
        _vector_scores(deps, scope, query_vector, keyword_only), _terms_present(deps, scope, sparse, dense_only)
    )
    query_indices = set(sparse.indices)
    weight = query.keywords_similarity_weight
    scored = fuse(query_indices, dense_hits, sparse_hits, weight, extra, extra_terms)
    rerank_scores: dict[str, float] = {}
    if query.rerank_model:
        window = max(RERANK_WINDOW, page * top_n)
        rerank_scores = await _rerank(deps, query, scope, [c.id for c in scored[:window]])
        scored = _with_rerank_scores(scored, rerank_scores, weight)
    passed = _passing(scored, query.similarity_threshold)
    if not passed and scored:
        scored = fuse(query_indices, dense_hits, sparse_hits, weight, extra, extra_terms, loose=True)
        if rerank_scores:
            scored = _with_rerank_scores(scored, rerank_scores, weight)
        passed = _passing(scored, query.similarity_threshold)
    if not passed:
        return SearchResult(chunks=[], doc_aggs=[], total=0)
    # Document ids and availability of every candidate that passed (inline payloads when present).
    light: dict[str, dict[str, Any]] = {h.id: h.payload for h in dense_hits if h.payload}
    unread = [c.id for c in passed if c.id not in light]
    if unread:
        rest_scope = Scope(scope.tenant_id, scope.dataset_ids, scope.document_ids, unread)
        light.update({h.id: h.payload for h in await deps.vectors.scroll(rest_scope, len(unread), DOC_FIELDS)})
    passed = [c for c in passed if light.get(c.id, {}).get("available", True) is not False]
    page_chunks = passed[(page - 1) * top_n : page * top_n]
    # Full payloads for the page.
    page_ids = [c.id for c in page_chunks]
    full: dict[str, dict[str, Any]] = {h.id: h.payload for h in dense_hits if h.payload and h.id in page_ids}
    missing = [i for i in page_ids if i not in full]
    if missing:
        page_scope = Scope(scope.tenant_id, scope.dataset_ids, scope.document_ids, missing)
        full.update({h.id: h.payload for h in await deps.vectors.scroll(page_scope, len(missing))})
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
