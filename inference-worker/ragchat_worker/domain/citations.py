"""Citation markers: ``[ID:n]`` points at ``reference.chunks[n]``.

Small models write markers loosely (``[ID: 3]``, ``(ID:3)``, ``[ID:1, 2]``, ``##3$$``); they are
rewritten to ``[ID:n]`` while the answer streams, so the deltas a client joins are exactly the
stored answer. Markers naming no retrieved chunk are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragchat_worker.domain.types import RetrievedChunk

_NUMBER_LIST = r"\d+(?:\s*[,\uff0c;]\s*(?:ID\s*[:\uff1a]?\s*)?\d+)*"
_MARKER = re.compile(
    r"[\[\(【{]\s*ID\s*[:\uff1a]?\s*(" + _NUMBER_LIST + r")\s*[\]\)】}]|##(\d+)\$\$",
    re.IGNORECASE,
)
_CANONICAL = re.compile(r"\[ID:(\d+)\]")
# What the start of a marker may look like before its closing bracket has arrived.
_OPEN_PREFIX = re.compile(r"(?:[\[\(【{][\sID:\uff1a\d,\uff0c;]*|#(?:#\d*\$?)?)", re.IGNORECASE)
_OPENERS = "[(【{#"
_MAX_MARKER_CHARS = 40


def normalise_markers(text: str, chunk_count: int) -> str:
    def replace(match: re.Match[str]) -> str:
        numbers = re.findall(r"\d+", match.group(1) or match.group(2))
        return "".join(f"[ID:{n}]" for n in (int(x) for x in numbers) if n < chunk_count)

    return _MARKER.sub(replace, text)


class CitationStream:
    """Normalises markers in streamed text, holding back a marker until it is complete."""

    def __init__(self, chunk_count: int, enabled: bool = True) -> None:
        self.chunk_count = chunk_count
        self.enabled = enabled
        self._pending = ""

    def feed(self, text: str) -> str:
        if not self.enabled:
            return text
        buffer = self._pending + text
        split = _partial_marker_start(buffer)
        self._pending = buffer[split:]
        return normalise_markers(buffer[:split], self.chunk_count)

    def flush(self) -> str:
        if not self.enabled:
            return ""
        rest, self._pending = self._pending, ""
        return normalise_markers(rest, self.chunk_count)


def _partial_marker_start(text: str) -> int:
    """Where an unfinished marker starts at the end of ``text`` (``len(text)`` if none)."""
    window_start = max(0, len(text) - _MAX_MARKER_CHARS)
    for index in range(len(text) - 1, window_start - 1, -1):
        if text[index] in _OPENERS:
            # "##3$" may be preceded by another '#': start at the first one.
            start = index - 1 if text[index] == "#" and index > 0 and text[index - 1] == "#" else index
            if _OPEN_PREFIX.fullmatch(text, start):
                return start
            return len(text)
    return len(text)


def cited_indices(answer: str) -> list[int]:
    """Chunk indices cited in a normalised answer, first citation first, each once."""
    seen: dict[int, None] = {}
    for match in _CANONICAL.finditer(answer):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)


def chunk_reference(chunk: RetrievedChunk) -> dict[str, object]:
    """One chunk as API.md §5 shows it (both RAGFlow spellings of the ids and names)."""
    return {
        "id": chunk.id,
        "chunk_id": chunk.id,
        "content": chunk.content,
        "document_id": chunk.document_id,
        "doc_id": chunk.document_id,
        "document_name": chunk.document_name,
        "doc_name": chunk.document_name,
        "dataset_id": chunk.dataset_id,
        "similarity": chunk.similarity,
        "vector_similarity": chunk.vector_similarity,
        "term_similarity": chunk.term_similarity,
    }


def build_reference(chunks: Sequence[RetrievedChunk], answer: str, quote: bool) -> dict[str, object]:
    """The full reference: every retrieved chunk; doc_aggs counts the documents the answer cites.

    With quoting off, or an answer that cites nothing, doc_aggs counts every retrieved document.
    """
    cited = [i for i in cited_indices(answer) if i < len(chunks)] if quote else []
    counted = [chunks[i] for i in cited] if cited else list(chunks)
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for chunk in counted:
        counts[chunk.document_id] = counts.get(chunk.document_id, 0) + 1
        names[chunk.document_id] = chunk.document_name
    doc_aggs = [{"doc_id": doc_id, "doc_name": names[doc_id], "count": count} for doc_id, count in counts.items()]
    return {
        "total": len(chunks),
        "chunks": [chunk_reference(c) for c in chunks],
        "doc_aggs": doc_aggs,
    }
