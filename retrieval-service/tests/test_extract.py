"""Text extraction per file type; unreadable files raise Unparseable with a readable message."""

from __future__ import annotations

import pytest

from ragchat_retrieval.domain.extract import Unparseable, extract_text
from ragchat_retrieval.testing import minimal_pdf


def test_html_uses_a_parser_drops_scripts_and_keeps_paragraphs() -> None:
    html = b"<html><head><title>t</title><style>p{}</style></head><body><h1>Title</h1>"
    html += b"<p>First &amp; foremost.</p><script>var secret = 1;</script><p>Second<br>line</p></body></html>"
    out = extract_text("page.html", html)
    assert "First & foremost." in out
    assert "secret" not in out and "p{}" not in out
    assert "Title" in out and "Second\nline" in out
    assert "\n\n" in out


def test_markdown_keeps_words_not_markup() -> None:
    out = extract_text("a.md", b"# Heading\n\nSee [the docs](http://x.example) and ![logo](l.png).")
    assert out.startswith("Heading")
    assert "the docs" in out and "http://x.example" not in out and "logo" in out


def test_text_decodes_utf8_and_utf16() -> None:
    assert extract_text("a.txt", "café".encode()) == "café"
    assert extract_text("a.txt", "naïve".encode("utf-16")) == "naïve"


def test_pdf_text_layer_is_extracted() -> None:
    out = extract_text("a.pdf", minimal_pdf(["Lumio lamps carry a two year warranty.", "Second line."]))
    assert "two year warranty" in out and "Second line." in out


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4 garbage", "not a readable PDF"),
        ("blank.pdf", minimal_pdf([]), "no extractable text"),
        ("binary.txt", bytes(range(256)) * 50, "binary data"),
        ("spaces.txt", b"   \n  ", "contains no text"),
        ("empty.md", b"", "is empty"),
    ],
)
def test_unparseable_files_say_why(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(Unparseable) as info:
        extract_text(name, data)
    assert reason in str(info.value)
    assert name in str(info.value)
