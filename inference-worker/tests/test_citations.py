from __future__ import annotations

import pytest

from ragchat_worker.domain.citations import CitationStream, build_reference, normalise_markers
from ragchat_worker.domain.types import RetrievedChunk


def chunk(i: int, doc: str) -> RetrievedChunk:
    return RetrievedChunk(f"c{i}", f"text {i}", doc, f"{doc}.txt", "ds", 0.9, 0.8, 0.7)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Paris [ID: 1].", "Paris [ID:1]."),
        ("Paris (ID:1).", "Paris [ID:1]."),
        ("Paris [id 0]", "Paris [ID:0]"),
        ("Paris 【ID\uff1a2】", "Paris [ID:2]"),
        ("Paris [ID:0, 2]", "Paris [ID:0][ID:2]"),
        ("Paris [ID: 0, ID: 1]", "Paris [ID:0][ID:1]"),
        ("Paris ##1$$", "Paris [ID:1]"),
        ("Paris [ID:7]", "Paris "),  # no chunk 7: dropped
        ("a (see above) [1] {x}", "a (see above) [1] {x}"),
    ],
)
def test_markers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_markers(raw, 3) == expected


def test_stream_holds_back_a_split_marker_and_joins_to_the_normalised_text() -> None:
    raw = "Paris is the capital [ID: 1] and (ID:0), see ##2$$ (really)."
    for size in (1, 2, 3, 5, 7):
        stream = CitationStream(3)
        pieces = [stream.feed(raw[i : i + size]) for i in range(0, len(raw), size)]
        pieces.append(stream.flush())
        assert "".join(pieces) == normalise_markers(raw, 3)
        assert "".join(pieces) == "Paris is the capital [ID:1] and [ID:0], see [ID:2] (really)."
        assert all("ID: " not in p for p in pieces)


def test_disabled_stream_passes_text_through() -> None:
    stream = CitationStream(3, enabled=False)
    assert stream.feed("x [ID: 1]") == "x [ID: 1]"
    assert stream.flush() == ""


def test_reference_counts_cited_documents_only() -> None:
    chunks = [chunk(0, "a"), chunk(1, "b"), chunk(2, "a")]
    ref = build_reference(chunks, "x [ID:2] y [ID:0] z [ID:2]", quote=True)
    assert ref["total"] == 3
    assert [c["id"] for c in ref["chunks"]] == ["c0", "c1", "c2"]  # type: ignore[attr-defined]
    assert ref["chunks"][0]["doc_id"] == "a" and ref["chunks"][0]["document_name"] == "a.txt"  # type: ignore[index]
    assert ref["doc_aggs"] == [{"doc_id": "a", "doc_name": "a.txt", "count": 2}]


def test_reference_without_citations_counts_every_retrieved_document() -> None:
    chunks = [chunk(0, "a"), chunk(1, "b"), chunk(2, "a")]
    ref = build_reference(chunks, "no markers", quote=True)
    assert ref["doc_aggs"] == [
        {"doc_id": "a", "doc_name": "a.txt", "count": 2},
        {"doc_id": "b", "doc_name": "b.txt", "count": 1},
    ]
    assert build_reference([], "x", quote=True) == {"total": 0, "chunks": [], "doc_aggs": []}
