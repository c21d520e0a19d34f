"""Would another embedding model fit a dataset? RAGFlow v0.27's check: re-embed a random sample of
the dataset's chunks with the model and compare with the stored vectors (cosine similarity)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from ragchat_common.errors import InvalidArgument
from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.datasets import check_embedding_model, dataset_record
from ragchat_retrieval.domain.deps import Deps
from ragchat_retrieval.domain.ports import Scope

DEFAULT_SAMPLE = 5
MAX_SAMPLE = 100
SAMPLED_FROM = 1000  # the sample is drawn from at most this many chunks, as RAGFlow draws it
COMPATIBLE = 0.9  # average similarity from which the model counts as the same vector space
TITLE_WEIGHT = 0.1  # the title's share in a chunk's vector, as the ingest worker mixes it


async def _similarity(deps: Deps, scope: Scope, vector: np.ndarray) -> float:
    """Cosine similarity of `vector` with the one chunk in `scope` (the index scores by cosine)."""
    hits = await deps.vectors.search_dense(scope, vector.tolist(), 1, with_payload=False)
    return float(hits[0].score) if hits else 0.0


async def check_embedding(
    deps: Deps, tenant_id: str, dataset_id: str, model: str, sample_size: int = 0
) -> tuple[bool, dict[str, Any], list[dict[str, Any]]]:
    """(compatible, summary, one result per sampled chunk)."""
    await dataset_record(deps, tenant_id, dataset_id)
    if not model:
        raise InvalidArgument("`embd_id` is required.")
    check_embedding_model(deps, model)
    sample_size = sample_size or DEFAULT_SAMPLE
    if not 1 <= sample_size <= MAX_SAMPLE:
        raise InvalidArgument(f"`check_num` should be an integer between 1 and {MAX_SAMPLE}.")
    scope = Scope(tenant_id=tenant_id, dataset_ids=[dataset_id])
    fields = ["content", "questions", "document_id", "document_name", "available"]
    candidates = [
        h for h in await deps.vectors.scroll(scope, SAMPLED_FROM, fields=fields) if h.payload.get("available", True)
    ]
    sample = random.sample(candidates, min(sample_size, len(candidates)))
    results: list[dict[str, Any]] = []
    similarities: list[float] = []
    mode = "content_only"
    for hit in sample:
        p = hit.payload
        body = "\n".join(p.get("questions") or []) or str(p.get("content") or "")
        if not body.strip():
            results.append({"chunk_id": hit.id, "reason": "no_text"})
            continue
        name = str(p.get("document_name") or "")
        title_vector, body_vector = (
            np.asarray(v) for v in await deps.embed([" ".join(text.title_terms(name)) or name or "Title", body])
        )
        mixed = (1 - TITLE_WEIGHT) * body_vector + TITLE_WEIGHT * title_vector
        mixed /= max(float(np.linalg.norm(mixed)), 1e-12)
        one = Scope(tenant_id=tenant_id, dataset_ids=[dataset_id], chunk_ids=[hit.id])
        content_only = await _similarity(deps, one, body_vector)
        with_title = await _similarity(deps, one, mixed)
        similarity, mode = (
            (with_title, "title+content") if with_title > content_only else (content_only, "content_only")
        )
        similarities.append(similarity)
        results.append(
            {
                "chunk_id": hit.id,
                "doc_id": p.get("document_id", ""),
                "doc_name": name,
                "vector_field": f"q_{deps.embedder.dim}_vec",
                "vector_dim": deps.embedder.dim,
                "cos_sim": round(similarity, 6),
            }
        )
    if not similarities:
        raise InvalidArgument("No embedded chunks are available to compare.")
    average = round(float(np.mean(similarities)), 6)
    summary: dict[str, Any] = {
        "kb_id": dataset_id,
        "model": model,
        "sampled": len(sample),
        "valid": len(similarities),
        "avg_cos_sim": average,
        "min_cos_sim": round(min(similarities), 6),
        "max_cos_sim": round(max(similarities), 6),
        "match_mode": mode,
    }
    return average >= COMPATIBLE, summary, results
