"""Uploaded files as a sequence of blocks: headings, paragraphs and table rows.

Parsers (maintained PyPI packages, plus the standard library where it suffices):
txt/md (decoded), html (BeautifulSoup + lxml), pdf (pypdf), docx (python-docx), xlsx (openpyxl),
pptx (python-pptx), epub (EbookLib + BeautifulSoup), csv / json / eml (the standard library's
csv, json and email). A table row becomes one line that names every value by its header
("Model: X2; Price: 49 EUR"), so a model can read it without the header row beside it.

Anything that cannot be read raises `Unparseable` with a sentence the user can act on; the
ingest worker puts it in the document's progress_msg and marks the run FAIL.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any


class Unparseable(Exception):
    """The file cannot be turned into text; the message says why."""


@dataclass(frozen=True)
class Block:
    """One piece of a document in reading order.

    `heading_level` > 0: a heading of that level (1 the highest). `cells`: a table row as
    (header, value) pairs, `text` its one-line rendering.
    """

    text: str
    heading_level: int = 0
    cells: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_row(self) -> bool:
        return bool(self.cells)


def heading(text: str, level: int) -> Block:
    return Block(text=" ".join(text.split()), heading_level=max(1, min(level, 6)))


def row(headers: Sequence[str], values: Sequence[str]) -> Block | None:
    """A table row as a block, or None when every value is empty."""
    cells: list[tuple[str, str]] = []
    for index, value in enumerate(values):
        value = " ".join(str(value).split())
        if not value:
            continue
        name = headers[index].strip() if index < len(headers) and headers[index].strip() else f"Column {index + 1}"
        cells.append((name, value))
    if not cells:
        return None
    return Block(text="; ".join(f"{h}: {v}" for h, v in cells), cells=tuple(cells))


def table_blocks(rows: Iterable[Sequence[Any]]) -> list[Block]:
    """The first non-empty row is the header row; each later row becomes a row block."""
    headers: list[str] | None = None
    blocks: list[Block] = []
    for raw in rows:
        values = ["" if v is None else str(v) for v in raw]
        if not any(v.strip() for v in values):
            continue
        if headers is None:
            headers = [" ".join(v.split()) for v in values]
            continue
        block = row(headers, values)
        if block is not None:
            blocks.append(block)
    if headers is not None and not blocks:  # a one-row table: keep its values as text
        blocks.append(Block(text="; ".join(h for h in headers if h)))
    return blocks


def paragraphs(text: str) -> list[Block]:
    return [Block(text=p.strip()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def render(blocks: Sequence[Block]) -> str:
    """Blocks as plain text: headings and paragraphs separated by blank lines, rows one per line."""
    out: list[str] = []
    previous_row = False
    for block in blocks:
        if out:
            out.append("\n" if block.is_row and previous_row else "\n\n")
        out.append(block.text)
        previous_row = block.is_row
    return "".join(out)


# ---- formats ----------------------------------------------------------------------------

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
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _html_blocks(markup: bytes | str) -> list[Block]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "svg", "head"]):
        tag.decompose()
    blocks: list[Block] = []
    # Tables first become row blocks in place (a marker keeps their position).
    tables: dict[str, list[Block]] = {}
    for index, table in enumerate(soup.find_all("table")):
        rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
        key = f"\x00table{index}\x00"
        tables[key] = table_blocks(rows)
        table.replace_with(soup.new_string(f"\n\n{key}\n\n"))
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            tag.replace_with(soup.new_string(f"\n\n\x01{level}{tag.get_text(' ', strip=True)}\n\n"))
    for block in soup.find_all(["p", "div", "section", "article", "li", "tr", "br", "ul", "ol", "blockquote"]):
        block.insert_after("\n\n" if block.name not in ("li", "tr", "br") else "\n")
    text = re.sub(r"[ \t]+", " ", soup.get_text())
    for piece in re.split(r"\n\s*\n", text):
        piece = piece.strip()
        if not piece:
            continue
        if piece in tables:
            blocks.extend(tables[piece])
        elif piece.startswith("\x01"):
            blocks.append(heading(piece[2:], int(piece[1])))
        else:
            blocks.append(Block(text=re.sub(r"\n\s+", "\n", piece)))
    return blocks


_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _markdown_inline(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images → alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links → text
    text = re.sub(r"^\s*```.*$", "", text, flags=re.MULTILINE)  # code fences
    return text


def _md_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = _markdown_inline(text).split("\n")
    buffer: list[str] = []

    def flush() -> None:
        blocks.extend(paragraphs("\n".join(buffer)))
        buffer.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        match = _MD_HEADING.match(line)
        if match:
            flush()
            blocks.append(heading(match.group(2), len(match.group(1))))
        elif "|" in line and index + 1 < len(lines) and _MD_TABLE_RULE.match(lines[index + 1]):
            flush()
            rows = [_md_cells(line)]
            index += 2
            while index < len(lines) and "|" in lines[index]:
                rows.append(_md_cells(lines[index]))
                index += 1
            blocks.extend(table_blocks(rows))
            continue
        else:
            buffer.append(line)
        index += 1
    flush()
    return blocks


def _md_cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _pdf_blocks(data: bytes, name: str) -> list[Block]:
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
    return _plain_blocks(text)


# A line that reads like a heading in plain text: "2.1 Charging", "Chapter 3: Care", "Article 12".
_NUMBERED_HEADING = re.compile(
    r"^(?:(?P<num>\d+(?:\.\d+){0,3})\.?\s+|(?:chapter|section|article|part|appendix)\s+[\dIVXLC]+[.:]?\s*)"
    r"(?P<title>[^\n]{0,80})$",
    re.IGNORECASE,
)


def _plain_blocks(text: str) -> list[Block]:
    """Paragraphs of plain text; short numbered or 'Chapter n' lines become headings (a pdf's
    text often has no blank line around them)."""
    blocks: list[Block] = []
    for paragraph in re.split(r"\n\s*\n", text):
        buffer: list[str] = []
        for line in paragraph.split("\n"):
            level = _heading_line_level(line.strip())
            if level:
                if buffer:
                    blocks.append(Block(text="\n".join(buffer)))
                    buffer = []
                blocks.append(heading(line, level))
            elif line.strip():
                buffer.append(line.strip())
        if buffer:
            blocks.append(Block(text="\n".join(buffer)))
    return blocks


def _heading_line_level(line: str) -> int:
    match = _NUMBERED_HEADING.match(line)
    if not match or len(line) > 90 or line.endswith((".", ",", ";", ":")) or len(line.split()) > 12:
        return 0
    if not match.group("title").strip() or match.group("title")[0].isdigit():
        return 0  # "2024 15" or a bare number is data, not a heading
    number = match.group("num")
    return number.count(".") + 1 if number else 1


def _zip_error(name: str, kind: str) -> Unparseable:
    return Unparseable(f"'{name}' is not a readable {kind} file (damaged, or not really a {kind}).")


def _docx_blocks(data: bytes, name: str) -> list[Block]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise _zip_error(name, "Word (.docx)") from exc
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            level = _style_heading_level(style)
            blocks.append(heading(text, level) if level else Block(text=text))
        elif isinstance(item, Table):
            blocks.extend(table_blocks([[cell.text for cell in r.cells] for r in item.rows]))
    return blocks


def _style_heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"Heading\s*(\d)", style)
    return int(match.group(1)) if match else 0


def _xlsx_blocks(data: bytes, name: str) -> list[Block]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _zip_error(name, "Excel (.xlsx)") from exc
    blocks: list[Block] = []
    try:
        for sheet in workbook.worksheets:
            rows = table_blocks(sheet.iter_rows(values_only=True))
            if rows:
                if len(workbook.worksheets) > 1:
                    blocks.append(heading(sheet.title, 1))
                blocks.extend(rows)
    finally:
        workbook.close()
    return blocks


def _pptx_blocks(data: bytes, name: str) -> list[Block]:
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        presentation = Presentation(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise _zip_error(name, "PowerPoint (.pptx)") from exc
    blocks: list[Block] = []
    for number, slide in enumerate(presentation.slides, start=1):
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text.strip() if title_shape is not None and title_shape.has_text_frame else ""
        blocks.append(heading(title or f"Slide {number}", 1))
        for shape in slide.shapes:
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            if shape.has_text_frame:
                lines = [p.text.strip() for p in shape.text_frame.paragraphs if p.text.strip()]
                if lines:
                    blocks.append(Block(text="\n".join(lines)))
            elif getattr(shape, "has_table", False) and shape.has_table:
                blocks.extend(table_blocks([[c.text for c in r.cells] for r in shape.table.rows]))
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame.text.strip() if slide.notes_slide.notes_text_frame else ""
            if notes:
                blocks.append(Block(text=notes))
    return blocks


def _csv_blocks(data: bytes, name: str) -> list[Block]:
    text = _decode(data, name)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        return table_blocks(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise Unparseable(f"'{name}' is not a readable CSV file ({exc}).") from None


def _json_blocks(data: bytes, name: str) -> list[Block]:
    text = _decode(data, name)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unparseable(f"'{name}' is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    blocks: list[Block] = []
    _json_walk(value, "", 0, blocks)
    return blocks


def _json_walk(value: Any, key: str, depth: int, blocks: list[Block]) -> None:
    """An object's scalar fields (and lists of scalars) become one line "key: value; ...";
    nested objects and lists of objects get their key as a heading."""
    if isinstance(value, dict):
        flat = [(str(k), v) for k, v in value.items() if _is_flat(v)]
        if flat:
            block = row([k for k, _ in flat], [_flat_text(v) for _, v in flat])
            if block is not None:
                blocks.append(block)
        for child_key, child in value.items():
            if not _is_flat(child):
                blocks.append(heading(str(child_key), depth + 1))
                _json_walk(child, str(child_key), depth + 1, blocks)
    elif isinstance(value, list) and not _is_flat(value):
        for item in value:
            _json_walk(item, key, depth, blocks)
    elif _flat_text(value):
        blocks.append(Block(text=f"{key}: {_flat_text(value)}" if key else _flat_text(value)))


def _is_flat(value: Any) -> bool:
    return not isinstance(value, dict | list) or (
        isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)
    )


def _flat_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(t for t in (_scalar(v) for v in value) if t)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _eml_blocks(data: bytes, name: str) -> list[Block]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    headers = [(h, str(message.get(h, "") or "")) for h in ("Subject", "From", "To", "Cc", "Date")]
    if not message.get("From") and not message.get("Subject") and not message.get("Date"):
        raise Unparseable(f"'{name}' is not an e-mail message (no From, Subject or Date header).")
    blocks: list[Block] = []
    subject = str(message.get("Subject", "") or "").strip()
    if subject:
        blocks.append(heading(subject, 1))
    block = row([h for h, _ in headers if h != "Subject"], [v for h, v in headers if h != "Subject"])
    if block is not None:
        blocks.append(block)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, ValueError) as exc:
            raise Unparseable(f"'{name}' has a body that cannot be decoded ({exc}).") from None
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        if body.get_content_subtype() == "html":
            blocks.extend(_html_blocks(content))
        else:
            # Quoted replies ("> ...") repeat earlier messages; keep the new text.
            kept = "\n".join(line for line in content.replace("\r\n", "\n").split("\n") if not line.startswith(">"))
            blocks.extend(paragraphs(kept))
    attachments = [part.get_filename() for part in message.iter_attachments() if part.get_filename()]
    if attachments:
        blocks.append(Block(text="Attachments: " + ", ".join(str(a) for a in attachments)))
    return blocks


def _epub_blocks(data: bytes, name: str) -> list[Block]:
    import ebooklib
    from ebooklib import epub

    try:
        book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": True})
    except (zipfile.BadZipFile, KeyError, ValueError, AttributeError, epub.EpubException) as exc:
        raise _zip_error(name, "EPUB") from exc
    blocks: list[Block] = []
    documents = {item.get_id(): item for item in book.get_items_of_type(ebooklib.ITEM_DOCUMENT)}
    ordered = [documents[item_id] for item_id, _ in book.spine if item_id in documents]
    for item in ordered or list(documents.values()):
        blocks.extend(_html_blocks(item.get_content()))
    return blocks


def _text_blocks(data: bytes, name: str) -> list[Block]:
    return _plain_blocks(_decode(data, name))


_PARSERS: dict[str, Callable[[bytes, str], list[Block]]] = {
    "pdf": _pdf_blocks,
    "html": lambda data, name: _html_blocks(_decode(data, name)),
    "htm": lambda data, name: _html_blocks(_decode(data, name)),
    "xhtml": lambda data, name: _html_blocks(_decode(data, name)),
    "md": lambda data, name: _md_blocks(_decode(data, name)),
    "markdown": lambda data, name: _md_blocks(_decode(data, name)),
    "mdx": lambda data, name: _md_blocks(_decode(data, name)),
    "docx": _docx_blocks,
    "xlsx": _xlsx_blocks,
    "pptx": _pptx_blocks,
    "csv": _csv_blocks,
    "json": _json_blocks,
    "eml": _eml_blocks,
    "epub": _epub_blocks,
}
# Formats read as a table: one row per line (or per chunk with chunk_method "table").
TABULAR = frozenset({"csv", "xlsx"})


def extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def extract_blocks(name: str, data: bytes) -> list[Block]:
    if not data:
        raise Unparseable(f"'{name}' is empty.")
    parser = _PARSERS.get(extension(name), _text_blocks)
    try:
        blocks = parser(data, name)
    except Unparseable:
        raise
    except Exception as exc:  # a parser library failing on a damaged file
        raise Unparseable(f"'{name}' could not be parsed ({type(exc).__name__}); the file may be damaged.") from exc
    blocks = [b for b in blocks if b.text.strip()]
    if not blocks:
        raise Unparseable(f"'{name}' contains no text.")
    return blocks


def extract_text(name: str, data: bytes) -> str:
    return render(extract_blocks(name, data))
