"""Plain text out of an uploaded file: txt/md (decoded), html (a real HTML parser), pdf (pypdf).

Anything that cannot be read raises `Unparseable` with a sentence the user can act on; the
ingest worker puts it in the document's progress_msg and marks the run FAIL.
"""

from __future__ import annotations

import io
import re

from ragchat_retrieval.domain.documents import extension


class Unparseable(Exception):
    """The file cannot be turned into text; the message says why."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if data.count(b"\x00") > len(data) // 100:
            raise Unparseable(f"'{name}' is not a text file (it contains binary data).") from None
        text = data.decode("latin-1")
    if len(_CONTROL.findall(text[:10_000])) > 50:
        raise Unparseable(f"'{name}' is not a text file (it contains binary data).")
    return text


_PARAGRAPH_TAGS = ("p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol")
_LINE_TAGS = ("li", "tr", "br", "dt", "dd")


def _html(data: bytes, name: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "svg", "head"]):
        tag.decompose()
    # Block elements end a line so paragraphs stay paragraphs.
    for block in soup.find_all(
        ["p", "div", "section", "article", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6"]
    ):
        block.insert_after("\n\n" if block.name in ("p", "div", "section", "article") or block.name[0] == "h" else "\n")
    text = soup.get_text()
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+", " ", text))


def _markdown(text: str) -> str:
    """Keeps the words, drops markup that would only add noise to keyword matching."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images → alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links → text
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.MULTILINE)  # heading marks
    text = re.sub(r"^\s*```.*$", "", text, flags=re.MULTILINE)  # code fences
    return text


def _pdf(data: bytes, name: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise Unparseable(f"'{name}' is an encrypted PDF; upload it without a password.") from None
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except Unparseable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise Unparseable(f"'{name}' is not a readable PDF ({type(exc).__name__}).") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise Unparseable(f"'{name}' has no extractable text (a scanned PDF needs OCR, which is not supported).")
    return text


def extract_text(name: str, data: bytes) -> str:
    if not data:
        raise Unparseable(f"'{name}' is empty.")
    ext = extension(name)
    if ext == "pdf":
        text = _pdf(data, name)
    elif ext in ("html", "htm", "xhtml"):
        text = _html(data, name)
    elif ext in ("md", "markdown", "mdx"):
        text = _markdown(_decode(data, name))
    else:
        text = _decode(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise Unparseable(f"'{name}' contains no text.")
    return text
