"""Helpers for tests and benchmarks (never used by the services themselves)."""

from __future__ import annotations

from collections.abc import Sequence


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF whose text layer holds `lines` (Helvetica, written by hand)."""

    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text_ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
    for line in lines:
        text_ops.append(f"({escape(line)}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


Section = tuple[str, list[str]]  # (heading, paragraphs)
Table = tuple[list[str], list[list[str]]]  # (headers, rows)


def build_document(
    fmt: str,
    title: str,
    sections: Sequence[Section] = (),
    table: Table | None = None,
) -> bytes:
    """A small document of the given format (txt md html pdf docx xlsx csv pptx json eml epub)
    holding a title, headed sections of paragraphs and optionally one table; written with the same
    libraries the parsers read with, so tests and the evaluation corpus need no binary fixtures."""
    import csv
    import io
    import json

    sections = list(sections)
    if fmt == "txt":
        parts = [title] + [f"{i}. {h}\n\n" + "\n\n".join(ps) for i, (h, ps) in enumerate(sections, start=1)]
        if table:
            parts.append("\n".join("\t".join(r) for r in [table[0], *table[1]]))
        return "\n\n".join(parts).encode()
    if fmt == "md":
        parts = [f"# {title}"] + [f"## {h}\n\n" + "\n\n".join(ps) for h, ps in sections]
        if table:
            head, rows = table
            lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
            parts.append("\n".join(lines))
        return "\n\n".join(parts).encode()
    if fmt == "html":
        body = [f"<h1>{title}</h1>"] + [f"<h2>{h}</h2>" + "".join(f"<p>{p}</p>" for p in ps) for h, ps in sections]
        if table:
            head, rows = table
            body.append(
                "<table><tr>"
                + "".join(f"<th>{c}</th>" for c in head)
                + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
                + "</table>"
            )
        return f"<html><head><title>{title}</title></head><body>{''.join(body)}</body></html>".encode()
    if fmt == "pdf":
        lines = [title, ""]
        for number, (h, ps) in enumerate(sections, start=1):
            lines += [f"{number} {h}", *ps, ""]
        if table:
            lines += ["  ".join(r) for r in [table[0], *table[1]]]
        return minimal_pdf(lines)
    if fmt == "docx":
        import docx

        document = docx.Document()
        document.add_heading(title, 1)
        for h, ps in sections:
            document.add_heading(h, 2)
            for p in ps:
                document.add_paragraph(p)
        if table:
            head, rows = table
            grid = document.add_table(rows=len(rows) + 1, cols=len(head))
            for r, values in enumerate([head, *rows]):
                for c, cell in enumerate(values):
                    grid.cell(r, c).text = cell
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
    if fmt == "pptx":
        from pptx import Presentation
        from pptx.util import Inches

        deck = Presentation()
        cover = deck.slides.add_slide(deck.slide_layouts[0])
        cover.shapes.title.text = title
        for h, ps in sections:
            slide = deck.slides.add_slide(deck.slide_layouts[1])
            slide.shapes.title.text = h
            slide.placeholders[1].text = "\n".join(ps)
        if table:
            head, rows = table
            slide = deck.slides.add_slide(deck.slide_layouts[5])
            slide.shapes.title.text = title + " table"
            shape = slide.shapes.add_table(len(rows) + 1, len(head), Inches(0.5), Inches(1.5), Inches(9), Inches(4))
            for r, values in enumerate([head, *rows]):
                for c, value in enumerate(values):
                    shape.table.cell(r, c).text = value
        out = io.BytesIO()
        deck.save(out)
        return out.getvalue()
    if fmt in ("xlsx", "csv"):
        head, rows = table or (["Topic", "Details"], [[h, " ".join(ps)] for h, ps in sections])
        if fmt == "csv":
            text = io.StringIO()
            csv.writer(text).writerows([head, *rows])
            return text.getvalue().encode()
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = title[:31]
        for values in [head, *rows]:
            sheet.append(values)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    if fmt == "json":
        fields: dict[str, object] = {"title": title}
        fields.update({h: " ".join(ps) for h, ps in sections})
        if table:
            fields["rows"] = [dict(zip(table[0], r, strict=False)) for r in table[1]]
        return json.dumps(fields, indent=2).encode()
    if fmt == "eml":
        from email.message import EmailMessage

        message = EmailMessage()
        message["Subject"] = title
        message["From"] = "support@example.org"
        message["To"] = "team@example.org"
        message["Date"] = "Mon, 06 May 2024 09:30:00 +0000"
        mail_body = "\n\n".join(f"{h}\n" + "\n".join(ps) for h, ps in sections)
        if table:
            mail_body += "\n\n" + "\n".join(", ".join(r) for r in [table[0], *table[1]])
        message.set_content(mail_body)
        return bytes(message)
    if fmt == "epub":
        from ebooklib import epub

        book = epub.EpubBook()
        book.set_identifier("ragchat-" + title.lower().replace(" ", "-"))
        book.set_title(title)
        book.set_language("en")
        chapters = []
        for number, (h, ps) in enumerate(sections, start=1):
            chapter = epub.EpubHtml(title=h, file_name=f"chapter{number}.xhtml", lang="en")
            chapter.content = f"<h1>{h}</h1>" + "".join(f"<p>{p}</p>" for p in ps)
            book.add_item(chapter)
            chapters.append(chapter)
        book.toc = chapters
        book.spine = chapters
        book.add_item(epub.EpubNcx())
        book.add_item(epub.EpubNav())
        out = io.BytesIO()
        epub.write_epub(out, book)
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


# A damaged file of each format: what a truncated download or a renamed file looks like.
CORRUPT_FILES: dict[str, bytes] = {
    "pdf": b"%PDF-1.4 garbage",
    "docx": b"PK\x03\x04 this is not a real zip archive",
    "xlsx": b"PK\x03\x04 truncated spreadsheet",
    "pptx": b"not a presentation at all",
    "epub": b"PK\x03\x04\x14\x00broken",
    "csv": bytes(range(256)) * 40,
    "json": b'{"name": "Lumio", "specs": [1, 2,',
    "eml": bytes(range(256)) * 40,
    "txt": bytes(range(256)) * 40,
    "md": bytes(range(256)) * 40,
    "html": bytes(range(256)) * 40,
}
