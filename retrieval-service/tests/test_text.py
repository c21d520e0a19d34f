"""Keyword terms, BM25 sparse vectors and chunking."""

from __future__ import annotations

import itertools

import pytest

from ragchat_retrieval.domain import text


def test_terms_drop_stopwords_and_stem_plurals() -> None:
    assert text.terms("The Cats are sleeping on the mats") == ["cat", "sleep", "mat"]


def test_stems_meet_across_word_forms_and_questions_drop_asking_words() -> None:
    assert text.terms("thickness frequently released") == text.terms("thick frequent release")
    assert text.terms("How long does delivery take?", question=True) == ["deliveri", "take"]
    assert "long" in text.terms("a long cable")


def test_document_sparse_is_bm25_saturated_and_query_is_binary() -> None:
    doc = text.document_sparse("lamp lamp lamp warranty")
    weights = dict(zip(doc.indices, doc.values, strict=True))
    lamp, warranty = text.term_index("lamp"), text.term_index(text.stem("warranty"))
    assert weights[lamp] > weights[warranty] > 0
    assert weights[lamp] < text.BM25_K1 + 1  # saturates
    query = text.query_sparse("lamp warranty lamp")
    assert sorted(query.indices) == sorted({lamp, warranty})
    assert query.values == [1.0, 1.0]


def test_coverage_counts_distinct_query_terms() -> None:
    assert text.coverage(text.terms("lamp warranty"), "The lamp has a warranty") == 1.0
    assert text.coverage(text.terms("lamp warranty"), "The lamp is bright") == 0.5
    assert text.coverage([], "anything") == 0.0


def test_chunks_respect_the_token_budget_and_cover_all_text() -> None:
    sentences = [f"Sentence number {i} talks about topic {i}." for i in range(200)]
    body = "\n".join(sentences)
    chunks = text.split_into_chunks(body, chunk_token_num=64, delimiter="\n", overlap_percent=0)
    assert len(chunks) > 5
    assert all(text.count_tokens(c) <= 64 for c in chunks)
    joined = "\n".join(chunks)
    assert all(s in joined for s in sentences)
    # No overlap requested: every sentence appears exactly once.
    assert sum(joined.count(s) for s in sentences) == len(sentences)


def test_chunks_overlap_when_asked() -> None:
    body = "\n".join(f"Line {i} of the manual." for i in range(100))
    chunks = text.split_into_chunks(body, chunk_token_num=50, delimiter="\n", overlap_percent=20)
    for previous, current in itertools.pairwise(chunks):
        assert previous.splitlines()[-1] == current.splitlines()[0]


def test_chunks_cut_on_sentence_ends_inside_long_paragraphs() -> None:
    paragraph = " ".join(f"This is sentence {i} of a long paragraph." for i in range(60))
    chunks = text.split_into_chunks(paragraph, chunk_token_num=40, delimiter="\n", overlap_percent=0)
    assert len(chunks) > 3
    assert all(c.endswith(".") for c in chunks)


def test_paragraphs_start_new_segments_and_custom_delimiters() -> None:
    body = "alpha beta; gamma delta; epsilon zeta"
    chunks = text.split_into_chunks(body, chunk_token_num=16, delimiter=";", overlap_percent=0)
    assert chunks == ["alpha beta; gamma delta; epsilon zeta"]
    assert text.parse_delimiters("\n!`##`") == ["##", "\n", "!"]


@pytest.mark.parametrize("body", ["", "   \n\n  "])
def test_empty_text_gives_no_chunks(body: str) -> None:
    assert text.split_into_chunks(body) == []


def test_a_single_huge_word_run_is_split_on_words() -> None:
    body = " ".join(["word"] * 1000)
    chunks = text.split_into_chunks(body, chunk_token_num=100, overlap_percent=0)
    assert all(text.count_tokens(c) <= 100 for c in chunks)
    assert sum(text.count_tokens(c) for c in chunks) == 1000
