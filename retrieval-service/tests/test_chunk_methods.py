"""Every supported format parses to the expected blocks, every chunk method cuts the expected
chunks, and a damaged file of each format raises Unparseable naming the file."""

from __future__ import annotations

import pytest

from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.chunking import ChunkConfig, chunk_document
from ragchat_retrieval.domain.extract import Unparseable, extract_blocks, render
from ragchat_retrieval.testing import CORRUPT_FILES, build_document

SECTIONS = [
    ("Charging", ["The Orbit lamp charges over USB-C in two hours.", "A full charge lasts nine evenings."]),
    ("Cleaning", ["Wipe the shade with a dry cloth; never use solvents."]),
]
TABLE = (["Model", "Lumens", "Price"], [["Orbit S", "300", "49 EUR"], ["Orbit L", "600", "79 EUR"]])
FORMATS = ["txt", "md", "html", "pdf", "docx", "pptx", "json", "eml", "epub"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_keeps_headings_paragraphs_and_rows(fmt: str) -> None:
    table = None if fmt == "epub" else TABLE
    blocks = extract_blocks(f"orbit.{fmt}", build_document(fmt, "Orbit lamp guide", SECTIONS, table))
    body = render(blocks)
    assert "charges over USB-C in two hours" in body
    assert "never use solvents" in body
    if fmt not in ("pdf", "txt", "eml", "json"):  # headings these formats carry as such
        assert any(b.heading_level and b.text == "Cleaning" for b in blocks), blocks
    if fmt in ("md", "html", "docx", "pptx", "json"):  # real tables: one line per row, with headers
        assert "Model: Orbit L; Lumens: 600; Price: 79 EUR" in body


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheets_are_one_row_per_line_with_headers(fmt: str) -> None:
    blocks = extract_blocks(f"prices.{fmt}", build_document(fmt, "Prices", table=TABLE))
    assert [b.text for b in blocks] == [
        "Model: Orbit S; Lumens: 300; Price: 49 EUR",
        "Model: Orbit L; Lumens: 600; Price: 79 EUR",
    ]
    assert render(blocks).split("\n") == [b.text for b in blocks]


@pytest.mark.parametrize("fmt", sorted(CORRUPT_FILES))
def test_a_damaged_file_of_each_format_says_why(fmt: str) -> None:
    with pytest.raises(Unparseable) as info:
        extract_blocks(f"broken.{fmt}", CORRUPT_FILES[fmt])
    message = str(info.value)
    assert f"'broken.{fmt}'" in message
    assert any(word in message for word in ("not a", "not valid", "could not be parsed", "binary", "damaged")), message


def test_naive_honours_chunk_token_num_and_delimiter() -> None:
    body = "; ".join(f"clause {i} of the long terms about returns and refunds" for i in range(60))
    blocks = extract_blocks("terms.txt", body.encode())
    small = chunk_document(
        "terms.txt", blocks, "naive", ChunkConfig(chunk_token_num=40, delimiter=";", overlapped_percent=0)
    )
    assert len(small) > 5
    assert all(text.count_tokens(c.content) <= 40 for c in small)
    assert all(c.content.endswith(";") or c is small[-1] for c in small)  # cut on the delimiter
    large = chunk_document("terms.txt", blocks, "naive", ChunkConfig(chunk_token_num=2048))
    assert len(large) == 1


def test_qa_pairs_from_a_table_embed_the_question() -> None:
    table = (
        ["Question", "Answer"],
        [["How long is the warranty?", "Two years."], ["Can it be dimmed?", "Yes, in 5 steps."]],
    )
    blocks = extract_blocks("faq.xlsx", build_document("xlsx", "FAQ", table=table))
    drafts = chunk_document("faq.xlsx", blocks, "qa", ChunkConfig())
    assert [d.content for d in drafts] == [
        "Question: How long is the warranty?\nAnswer: Two years.",
        "Question: Can it be dimmed?\nAnswer: Yes, in 5 steps.",
    ]
    assert [d.embed_text for d in drafts] == ["How long is the warranty?", "Can it be dimmed?"]
    assert drafts[0].questions == ["How long is the warranty?"]


def test_qa_pairs_from_text_and_from_headings() -> None:
    tsv = extract_blocks("faq.txt", b"Is it waterproof?\tSplash-proof only.\nDoes it fold?\tYes.")
    assert [d.embed_text for d in chunk_document("faq.txt", tsv, "qa", ChunkConfig())] == [
        "Is it waterproof?",
        "Does it fold?",
    ]
    prefixed = extract_blocks("faq.txt", b"Q: Is it waterproof?\nA: Splash-proof only.\n\nQ: Does it fold?\nA: Yes.")
    drafts = chunk_document("faq.txt", prefixed, "qa", ChunkConfig())
    assert [d.content for d in drafts] == [
        "Question: Is it waterproof?\nAnswer: Splash-proof only.",
        "Question: Does it fold?\nAnswer: Yes.",
    ]
    headed = extract_blocks("faq.md", b"# Is it waterproof?\n\nSplash-proof only.\n\n# Does it fold?\n\nYes.")
    assert len(chunk_document("faq.md", headed, "qa", ChunkConfig())) == 2
    with pytest.raises(Unparseable, match="no question/answer pairs"):
        chunk_document("notes.txt", extract_blocks("notes.txt", b"Just a note."), "qa", ChunkConfig())


def test_table_is_one_row_per_chunk_and_needs_a_table() -> None:
    blocks = extract_blocks("prices.csv", build_document("csv", "Prices", table=TABLE))
    assert [d.content for d in chunk_document("prices.csv", blocks, "table", ChunkConfig())] == [
        "Model: Orbit S; Lumens: 300; Price: 49 EUR",
        "Model: Orbit L; Lumens: 600; Price: 79 EUR",
    ]
    with pytest.raises(Unparseable, match="no table rows"):
        chunk_document("notes.txt", extract_blocks("notes.txt", b"Just a note."), "table", ChunkConfig())


def test_one_is_the_whole_document() -> None:
    blocks = extract_blocks("guide.docx", build_document("docx", "Orbit lamp guide", SECTIONS, TABLE))
    (draft,) = chunk_document("guide.docx", blocks, "one", ChunkConfig(chunk_token_num=16))
    assert "two hours" in draft.content and "never use solvents" in draft.content and "79 EUR" in draft.content


@pytest.mark.parametrize("method", ["manual", "paper", "book", "laws"])
@pytest.mark.parametrize("fmt", ["md", "docx", "pdf"])
def test_heading_aware_chunks_carry_their_section_path(method: str, fmt: str) -> None:
    long_sections = [(h, ps * 8) for h, ps in SECTIONS]
    blocks = extract_blocks(f"guide.{fmt}", build_document(fmt, "Orbit lamp guide", long_sections))
    drafts = chunk_document(f"guide.{fmt}", blocks, method, ChunkConfig(chunk_token_num=64, overlapped_percent=0))
    sections = [d for d in drafts if d.content != "Orbit lamp guide"]  # a pdf's title line before any section
    assert len(sections) >= 4
    for draft in sections:
        first_line = draft.content.split("\n", 1)[0]
        assert ("Charging" in first_line) != ("Cleaning" in first_line), draft.content  # one section each
        section = "Charging" if "Charging" in first_line else "Cleaning"
        assert ("solvents" in draft.content) == (section == "Cleaning")  # never straddles sections
        assert text.count_tokens(draft.content) <= 64 + 4


def test_small_sections_share_a_chunk_under_their_headings() -> None:
    blocks = extract_blocks("guide.md", build_document("md", "Orbit lamp guide", SECTIONS))
    (draft,) = chunk_document("guide.md", blocks, "manual", ChunkConfig(chunk_token_num=512))
    assert draft.content.startswith("Orbit lamp guide > Charging\nThe Orbit lamp charges")
    assert "Orbit lamp guide > Cleaning\nWipe the shade" in draft.content
