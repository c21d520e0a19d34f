"""The HTTP rerank backend against a fake /rerank server over real HTTP (both response shapes)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragchat_common.errors import Unavailable
from ragchat_retrieval.rerank import HttpReranker

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from fake_rerank import FakeReranker

DOCUMENTS = ["The lamp is bright.", "Warranty: RERANKME two years.", "It charges in two hours."]


@pytest.fixture(params=["cohere", "tei"])
def server(request: pytest.FixtureRequest) -> Iterator[FakeReranker]:
    fake = FakeReranker(style=request.param).start()
    yield fake
    fake.stop()


async def test_scores_come_back_in_document_order_within_0_and_1(server: FakeReranker) -> None:
    reranker = HttpReranker(server.url, ["bge-reranker-v2-m3"])
    scores = await reranker.rerank("bge-reranker-v2-m3", "how long is the warranty", DOCUMENTS)
    await reranker.close()
    assert len(scores) == 3 and all(0.0 <= s <= 1.0 for s in scores)
    assert scores[1] > 0.9 and scores[0] < 0.1 and scores[2] < 0.1
    sent = server.requests[-1]
    assert sent["model"] == "bge-reranker-v2-m3" and sent["query"] == "how long is the warranty"
    assert sent["documents"] == DOCUMENTS and sent["top_n"] == 3


async def test_an_unreachable_or_failing_server_is_unavailable() -> None:
    reranker = HttpReranker("http://127.0.0.1:9", ["m"], timeout_s=1)
    with pytest.raises(Unavailable):
        await reranker.rerank("m", "q", ["d"])
    await reranker.close()
    fake = FakeReranker().start()
    reranker = HttpReranker(fake.url + "/missing", ["m"])
    with pytest.raises(Unavailable, match="HTTP 404"):
        await reranker.rerank("m", "q", ["d"])
    await reranker.close()
    fake.stop()
