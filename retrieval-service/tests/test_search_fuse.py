"""Score fusion of dense and keyword candidates (pure function)."""

from __future__ import annotations

import pytest

from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.ports import Hit
from ragchat_retrieval.domain.search import fuse


def dense(chunk_id: str, score: float) -> Hit:
    return Hit(id=chunk_id, score=score, payload={})


def keyword(chunk_id: str, score: float, content: str) -> Hit:
    return Hit(id=chunk_id, score=score, payload={}, sparse_indices=text.document_sparse(content).indices)


def query(words: str) -> set[int]:
    return set(text.query_sparse(words).indices)


def test_weights_mix_vector_and_term_scores() -> None:
    dense_hits = [dense("a", 0.9), dense("b", 0.5)]
    sparse_hits = [keyword("b", 4.0, "lamp warranty terms")]
    for weight in (0.0, 0.3, 0.7, 1.0):
        scored = {c.id: c for c in fuse(query("lamp warranty"), dense_hits, sparse_hits, weight)}
        assert scored["a"].term_similarity == 0.0
        assert scored["b"].term_similarity == pytest.approx(1.0)
        assert scored["b"].similarity == pytest.approx(weight * 1.0 + (1 - weight) * 0.5)
        assert scored["a"].similarity == pytest.approx((1 - weight) * 0.9)


def test_term_score_is_idf_weighted_coverage_of_the_query() -> None:
    # "lamp" is in every candidate (weighs little), "zephyr" in one (weighs much).
    sparse_hits = [
        keyword("both", 6.0, "zephyr lamp"),
        keyword("rare", 3.0, "zephyr only"),
        keyword("common", 2.0, "lamp only"),
        keyword("common2", 2.0, "lamp again"),
    ]
    scored = {c.id: c for c in fuse(query("zephyr lamp"), [], sparse_hits, 1.0)}
    assert scored["both"].term_similarity == pytest.approx(1.0)
    assert scored["rare"].term_similarity > 0.5 > scored["common"].term_similarity > 0
    assert scored["rare"].term_similarity + scored["common"].term_similarity == pytest.approx(1.0)


def test_title_and_keyword_terms_count_as_present() -> None:
    titled = Hit(
        id="t",
        score=1.0,
        payload={},
        sparse_indices=text.document_sparse("charges in two hours", title="Zephyr_manual.pdf").indices,
    )
    plain = keyword("p", 1.0, "charges in two hours")
    scored = {c.id: c for c in fuse(query("zephyr charge"), [], [titled, plain], 1.0)}
    assert scored["t"].term_similarity == pytest.approx(1.0)
    assert scored["p"].term_similarity < 1.0
    boosted = text.document_sparse("charges", title="zephyr.txt", keywords=["battery"])
    values = dict(zip(boosted.indices, boosted.values, strict=True))
    assert values[text.term_index(text.stem("battery"))] == text.KEYWORD_TERM_WEIGHT > text.TITLE_TERM_WEIGHT
    assert values[text.term_index("zephyr")] == text.TITLE_TERM_WEIGHT


def test_loose_scoring_counts_partial_coverage_more() -> None:
    sparse_hits = [keyword("a", 1.0, "zephyr"), keyword("b", 1.0, "warranty")]
    strict = {c.id: c.term_similarity for c in fuse(query("zephyr warranty"), [], sparse_hits, 1.0)}
    loose = {c.id: c.term_similarity for c in fuse(query("zephyr warranty"), [], sparse_hits, 1.0, loose=True)}
    assert loose["a"] == pytest.approx(strict["a"] ** 0.5) and loose["a"] > strict["a"]


def test_keyword_only_candidates_use_the_extra_vector_scores() -> None:
    sparse_hits = [keyword("k", 2.0, "lamp")]
    (chunk,) = fuse(query("lamp"), [], sparse_hits, 0.5, {"k": 0.6})
    assert chunk.vector_similarity == pytest.approx(0.6)
    assert chunk.similarity == pytest.approx(0.5 * 1.0 + 0.5 * 0.6)


def test_negative_cosine_is_clipped_and_results_sorted() -> None:
    scored = fuse(set(), [dense("neg", -0.3), dense("pos", 0.2)], [], 0.7)
    assert [c.id for c in scored] == ["pos", "neg"]
    assert scored[1].vector_similarity == 0.0 and scored[1].similarity == 0.0


def test_no_keyword_hits_means_dense_only_scores() -> None:
    scored = fuse(query("anything"), [dense("a", 0.8)], [], 0.7)
    assert scored[0].term_similarity == 0.0 and scored[0].similarity == pytest.approx(0.3 * 0.8)


def test_dense_only_candidates_get_their_term_score_too() -> None:
    # The bug report's case: four chunks "chunk test 0".."3" all contain "chunk"; at top_k 1 the
    # dense side found one and the keyword side another. Both score the same on the keyword side.
    dense_hits = [dense("c3", 0.762)]
    sparse_hits = [keyword("c0", 1.0, "chunk test 0")]
    dense_only_terms = {"c3": set(text.document_sparse("chunk test 3").indices)}
    scored = {c.id: c for c in fuse(query("chunk"), dense_hits, sparse_hits, 0.7, {"c0": 0.7}, dense_only_terms)}
    assert scored["c3"].term_similarity == pytest.approx(1.0) == scored["c0"].term_similarity
    assert scored["c3"].similarity == pytest.approx(0.7 * 1.0 + 0.3 * 0.762)
    # Without its terms (what fuse had before), the perfect keyword match scored 0.229.
    bare = {c.id: c for c in fuse(query("chunk"), dense_hits, sparse_hits, 0.7, {"c0": 0.7})}
    assert bare["c3"].term_similarity == 0.0 and bare["c3"].similarity == pytest.approx(0.3 * 0.762)


def test_term_weights_count_the_terms_of_dense_only_candidates() -> None:
    # "lamp" is in every candidate, "zephyr" in one: the dense-only candidates holding "lamp"
    # make it a common term, whichever side found them.
    sparse_hits = [keyword("z", 2.0, "zephyr")]
    dense_hits = [dense(f"l{i}", 0.5) for i in range(4)]
    lamp = {f"l{i}": set(text.document_sparse("lamp").indices) for i in range(4)}
    with_terms = {c.id: c for c in fuse(query("zephyr lamp"), dense_hits, sparse_hits, 1.0, None, lamp)}
    assert with_terms["z"].term_similarity > 0.8 > 0.2 > with_terms["l0"].term_similarity > 0
    assert with_terms["z"].term_similarity + with_terms["l0"].term_similarity == pytest.approx(1.0)
    # The same five chunks all found by the keyword side score the same.
    all_keyword = [*sparse_hits, *(keyword(f"l{i}", 1.0, "lamp") for i in range(4))]
    keyword_side = {c.id: c for c in fuse(query("zephyr lamp"), [], all_keyword, 1.0)}
    for chunk_id, chunk in with_terms.items():
        assert chunk.term_similarity == pytest.approx(keyword_side[chunk_id].term_similarity)
