"""Score fusion of dense and keyword candidates (pure function)."""

from __future__ import annotations

import pytest

from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.ports import Hit
from ragchat_retrieval.domain.search import fuse


def hit(chunk_id: str, score: float, content: str, dense: list[float] | None = None) -> Hit:
    return Hit(id=chunk_id, score=score, payload={"content": content, "document_id": "d" + chunk_id}, dense=dense)


def test_weights_mix_vector_and_term_scores() -> None:
    terms = text.terms("lamp warranty")
    dense = [hit("a", 0.9, "about something else"), hit("b", 0.5, "lamp warranty terms")]
    sparse = [hit("b", 4.0, "lamp warranty terms")]
    for weight in (0.0, 0.3, 0.7, 1.0):
        scored = {c.id: c for c in fuse(terms, [1.0, 0.0], dense, sparse, weight)}
        assert scored["a"].term_similarity == 0.0
        assert scored["b"].term_similarity == pytest.approx(1.0)
        assert scored["b"].similarity == pytest.approx(weight * 1.0 + (1 - weight) * 0.5)
        assert scored["a"].similarity == pytest.approx((1 - weight) * 0.9)


def test_term_score_is_relative_bm25_times_query_coverage() -> None:
    terms = text.terms("zephyr lamp warranty")
    sparse = [hit("full", 6.0, "zephyr lamp warranty", [1.0, 0.0]), hit("one", 6.0, "warranty only", [1.0, 0.0])]
    scored = {c.id: c for c in fuse(terms, [1.0, 0.0], [], sparse, 1.0)}
    assert scored["full"].term_similarity == pytest.approx(1.0)
    assert scored["one"].term_similarity == pytest.approx(1 / 3)


def test_keyword_only_candidates_get_their_cosine_from_the_returned_vector() -> None:
    sparse = [hit("k", 2.0, "lamp", dense=[0.6, 0.8])]
    (chunk,) = fuse(text.terms("lamp"), [1.0, 0.0], [], sparse, 0.5)
    assert chunk.vector_similarity == pytest.approx(0.6)
    assert chunk.similarity == pytest.approx(0.5 * 1.0 + 0.5 * 0.6)


def test_dense_only_candidate_with_query_terms_is_bounded_by_weakest_keyword_hit() -> None:
    terms = text.terms("lamp")
    dense = [hit("x", 0.4, "a lamp")]
    sparse = [hit("s1", 8.0, "lamp lamp", [1.0, 0.0]), hit("s2", 2.0, "lamp", [1.0, 0.0])]
    scored = {c.id: c for c in fuse(terms, [1.0, 0.0], dense, sparse, 1.0)}
    assert scored["x"].term_similarity == pytest.approx(2.0 / 8.0)


def test_negative_cosine_is_clipped_and_results_sorted() -> None:
    dense = [hit("neg", -0.3, "x"), hit("pos", 0.2, "y")]
    scored = fuse([], [1.0], dense, [], 0.7)
    assert [c.id for c in scored] == ["pos", "neg"]
    assert scored[1].vector_similarity == 0.0
