"""Citation markers: ``[ID:n]`` points at ``reference.chunks[n]``.

Small models write markers loosely (``[ID: 3]``, ``(ID:3)``, ``[ID:1, 2]``, ``##3$$``); they are
rewritten to ``[ID:n]`` while the answer streams. Markers naming no retrieved chunk are dropped.
An answer that cites nothing although quoting is on gets markers after generation
(``cite_answer``); the final event and the stored answer carry that cited text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragchat_worker.domain.types import Embedder, RetrievedChunk

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


# ---- citations inserted after generation ------------------------------------------------
#
# A model that was asked to cite but wrote no marker still answered from the knowledge block:
# each sentence of the answer is matched to the chunks by embedding similarity (0.9, plus 0.1
# word overlap, as RAGFlow weighs them) and gets markers of its best chunks when the best clears
# CITATION_FLOOR. A sentence unrelated to every chunk (MiniLM: about 0.1 or less) stays
# uncited; one that restates a chunk scores 0.4 to 0.9, one that rephrases the question 0.2 to 0.5
# (the chunk is longer than the sentence and holds more than the sentence says).

CITATION_VECTOR_WEIGHT = 0.9
CITATION_FLOOR = 0.2
MAX_CITATIONS_PER_SENTENCE = 2
MIN_SENTENCE_WORDS = 3
MAX_EMBEDDED_TEXTS = 256  # retrieval-service's limit per Embed call

_SENTENCE_END = re.compile(r"((?<=[.!?;\u3002\uff01\uff1f\uff1b])[ \t]+|\n+)")
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


def split_sentences(answer: str) -> list[str]:
    """The answer cut after each sentence end; joining the pieces gives the answer back (the
    whitespace after a sentence stays with it)."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(answer):
        pieces.append(answer[start : match.end()])
        start = match.end()
    if start < len(answer):
        pieces.append(answer[start:])
    return pieces


def _overlap(sentence: str, chunk: str) -> float:
    words = {w.lower() for w in _WORD.findall(sentence)}
    if not words:
        return 0.0
    return len(words & {w.lower() for w in _WORD.findall(chunk)}) / len(words)


def place_citations(
    sentences: Sequence[str],
    chunks: Sequence[RetrievedChunk],
    sentence_vectors: Sequence[Sequence[float]],
    chunk_vectors: Sequence[Sequence[Sequence[float]]],
) -> str:
    """The answer with ``[ID:n]`` after each sentence that matches chunk n (pure function).

    ``sentence_vectors[i]`` is the vector of ``sentences[i]`` (empty for one not to be cited);
    ``chunk_vectors[n]`` the vectors of chunk n's pieces (its sentences): a sentence of the
    answer matches a chunk as well as it matches the piece it restates.
    """
    scores: list[list[float]] = []
    for sentence, vector in zip(sentences, sentence_vectors, strict=True):
        if not vector:
            scores.append([])
            continue
        scores.append(
            [
                CITATION_VECTOR_WEIGHT * max((_cosine(vector, piece) for piece in pieces), default=0.0)
                + (1 - CITATION_VECTOR_WEIGHT) * _overlap(sentence, chunk.content)
                for chunk, pieces in zip(chunks, chunk_vectors, strict=True)
            ]
        )
    cited = [_best(row, CITATION_FLOOR) for row in scores]
    return "".join(_with_markers(s, c) for s, c in zip(sentences, cited, strict=True))


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # both L2-normalised


def _best(row: list[float], floor: float) -> list[int]:
    if not row:
        return []
    top = max(row)
    if top < floor:
        return []
    ranked = sorted((i for i, score in enumerate(row) if score >= top * 0.99), key=lambda i: -row[i])
    return ranked[:MAX_CITATIONS_PER_SENTENCE]


def _with_markers(sentence: str, indices: list[int]) -> str:
    if not indices:
        return sentence
    body = sentence.rstrip()
    return body + " " + "".join(f"[ID:{i}]" for i in indices) + sentence[len(body) :]


# An answer saying the knowledge base lacks the answer (RAGFlow's default prompt, ours, the
# empty_response; the sentence of RAGFlow's simplified and traditional Chinese prompts) cites
# nothing, even when judged with its question.
_DECLINE = re.compile(
    r"not (?:be )?found in the knowledge base|knowledge base does not contain|no relevant content"
    r"|知[识識][库庫]中未找到",
    re.IGNORECASE,
)


async def cite_answer(answer: str, chunks: Sequence[RetrievedChunk], embedder: Embedder, question: str = "") -> str:
    """``answer`` with citations inserted (unchanged when it already cites, or nothing matches).

    Each sentence is matched alone first. When that cites nothing (an answer too short to be
    judged alone: "About 3 years.", "No, it does not."), the answer is judged together with the
    question it answers, as one sentence whose markers go at its end; an answer that says the
    knowledge base lacks the answer stays uncited.
    """
    if not chunks or not answer.strip() or cited_indices(answer):
        return answer
    sentences = split_sentences(answer)
    wanted = [i for i, s in enumerate(sentences) if len(_WORD.findall(s)) >= MIN_SENTENCE_WORDS]
    if wanted:
        cited = await _cite_sentences(sentences, wanted, chunks, embedder)
        if cited_indices(cited):
            return cited
    if not question.strip() or not _WORD.findall(answer) or _DECLINE.search(answer):
        return answer
    judged = f"{question.strip()} {answer.strip()}"
    vectors = await embedder.embed([judged] + [c.content for c in chunks])
    return place_citations([answer], chunks, [vectors[0]], [[v] for v in vectors[1:]])


async def _cite_sentences(
    sentences: list[str], wanted: list[int], chunks: Sequence[RetrievedChunk], embedder: Embedder
) -> str:
    # Each chunk as its sentences (the whole chunk when that would be too many texts to embed).
    pieces = [[p for p in split_sentences(c.content) if p.strip()] or [c.content] for c in chunks]
    if len(wanted) + sum(len(p) for p in pieces) > MAX_EMBEDDED_TEXTS:
        pieces = [[c.content] for c in chunks]
    texts = [sentences[i] for i in wanted] + [p for chunk_pieces in pieces for p in chunk_pieces]
    vectors = await embedder.embed(texts)
    sentence_vectors: list[Sequence[float]] = [[] for _ in sentences]
    for position, index in enumerate(wanted):
        sentence_vectors[index] = vectors[position]
    chunk_vectors: list[Sequence[Sequence[float]]] = []
    offset = len(wanted)
    for chunk_pieces in pieces:
        chunk_vectors.append(vectors[offset : offset + len(chunk_pieces)])
        offset += len(chunk_pieces)
    return place_citations(sentences, chunks, sentence_vectors, chunk_vectors)
