"""Retrieval quality on a corpus written for it (tests/data/retrieval): 30 documents, 50 questions.

Prints hit@3 of POST /retrieval for the hybrid score (the API default weights) and for each part
alone, and asserts the hybrid reaches 0.95, beats keywords alone and is at least as good as the
dense part alone (whole-chunk embeddings made that part strong on its own).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits

DATA = Path(__file__).parent / "data" / "retrieval"
MODES = {"hybrid": 0.3, "keyword only": 0.0, "dense only": 1.0}  # vector_similarity_weight


@pytest.fixture(scope="module")
def bulk_key(stack: Stack) -> Callable[[str], str]:
    """Keys with a high rate limit: these tests poll and loop (the limiter is tested elsewhere)."""
    return lambda tenant: mint_key(stack.mongo_url, tenant, KeyLimits(requests_per_minute=100_000, burst=10_000))


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


@pytest.fixture(scope="module")
def corpus(stack: Stack, bulk_key: Callable[[str], str]) -> tuple[httpx.Client, str, dict[str, str]]:
    api = httpx.Client(
        base_url=stack.gateway_url + "/api/v1",
        headers={"Authorization": f"Bearer {bulk_key('quality-' + new_id())}"},
        timeout=60,
    )
    dataset = ok(api.post("/datasets", json={"name": "quality-" + new_id()[:8]}))
    files = [("file", (p.name, p.read_bytes())) for p in sorted((DATA / "corpus").iterdir())]
    docs = ok(api.post(f"/datasets/{dataset['id']}/documents", files=files))
    ids = {d["name"]: d["id"] for d in docs}
    ok(api.post(f"/datasets/{dataset['id']}/chunks", json={"document_ids": list(ids.values())}))
    deadline = time.monotonic() + 180
    while True:
        listed = ok(api.get(f"/datasets/{dataset['id']}/documents", params={"page_size": 100}))["docs"]
        if all(d["run"] == "DONE" for d in listed):
            break
        assert not any(d["run"] == "FAIL" for d in listed), listed
        assert time.monotonic() < deadline, "corpus was not parsed in time"
        time.sleep(0.5)
    return api, dataset["id"], ids


def hit_at_3(api: httpx.Client, dataset_id: str, ids: dict[str, str], vector_weight: float) -> tuple[float, list[str]]:
    questions = json.loads((DATA / "questions.json").read_text())
    misses: list[str] = []
    for item in questions:
        result = ok(
            api.post(
                "/retrieval",
                json={
                    "question": item["question"],
                    "dataset_ids": [dataset_id],
                    "vector_similarity_weight": vector_weight,
                    "similarity_threshold": 0.0,
                    "page_size": 3,
                },
            )
        )
        top_docs = [c["document_id"] for c in result["chunks"][:3]]
        if ids[item["document"]] not in top_docs:
            misses.append(item["question"])
    return 1 - len(misses) / len(questions), misses


def test_hybrid_hit_at_3_is_high_and_no_worse_than_either_part(
    corpus: tuple[httpx.Client, str, dict[str, str]],
) -> None:
    api, dataset_id, ids = corpus
    scores: dict[str, float] = {}
    for mode, weight in MODES.items():
        scores[mode], misses = hit_at_3(api, dataset_id, ids, weight)
        print(f"hit@3 {mode:<13} (vector_similarity_weight={weight}): {scores[mode]:.2f}  misses: {misses}")
    assert scores["hybrid"] >= 0.95
    assert scores["keyword only"] < scores["hybrid"]
    assert scores["dense only"] <= scores["hybrid"]
