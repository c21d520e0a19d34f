"""Rerank models behind one HTTP API: `POST {base_url}/rerank`, the request and response shape that
TEI, vLLM, Jina and Cohere share.

Request `{"model", "query", "documents", "top_n", "return_documents": false}`; response either
`{"results": [{"index", "relevance_score"}]}` (Cohere, Jina, vLLM) or `[{"index", "score"}]`
(TEI). Scores outside 0..1 (raw logits) are passed through a sigmoid so they mix with the keyword
similarity like a cosine would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import httpx

from ragchat_common.errors import Unavailable


class HttpReranker:
    def __init__(self, base_url: str, models: Sequence[str], api_key: str = "", timeout_s: float = 10.0) -> None:
        self.models = tuple(models)
        self._url = base_url.rstrip("/") + "/rerank"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout_s)

    async def rerank(self, model: str, query: str, documents: Sequence[str]) -> list[float]:
        """One relevance score per document, in the documents' order."""
        if not documents:
            return []
        body = {"model": model, "query": query, "documents": list(documents), "top_n": len(documents)}
        body["return_documents"] = False
        try:
            response = await self._client.post(self._url, json=body)
        except httpx.HTTPError as exc:
            raise Unavailable("The rerank service is unavailable; please retry.") from exc
        if response.status_code >= 400:
            raise Unavailable(f"The rerank service answered HTTP {response.status_code}; please retry.")
        try:
            return _scores(response.json(), len(documents))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise Unavailable("The rerank service sent an answer that could not be read.") from exc

    async def close(self) -> None:
        await self._client.aclose()


def _scores(payload: Any, count: int) -> list[float]:
    results = payload["results"] if isinstance(payload, dict) else payload
    scores = [0.0] * count
    for item in results:
        raw = item["relevance_score"] if "relevance_score" in item else item["score"]
        scores[int(item["index"])] = _unit(float(raw))
    return scores


def _unit(score: float) -> float:
    if 0.0 <= score <= 1.0:
        return score
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, score))))
