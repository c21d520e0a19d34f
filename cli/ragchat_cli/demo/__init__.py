"""Demo documents about Lumio, a fictional smart desk lamp, that `ragchat dev` loads into a dataset."""

from __future__ import annotations

from importlib import resources

MIME_TYPES = {".md": "text/markdown", ".txt": "text/plain", ".html": "text/html"}


def documents() -> list[tuple[str, bytes, str]]:
    """``(file name, content, MIME type)`` of every demo document, in name order."""
    found = []
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if entry.is_file() and suffix in MIME_TYPES:
            found.append((entry.name, entry.read_bytes(), MIME_TYPES[suffix]))
    return found
