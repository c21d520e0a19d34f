"""Text processing shared by ingestion and search: keyword terms, BM25 sparse vectors, chunking.

Terms: lower-cased word tokens without English stop words, Snowball-stemmed, hashed to a
32-bit index (documents indexed before the Snowball stemmer need a re-parse to match fully).
Documents get BM25 term-frequency weights (k1, b, a fixed average length), plus boosted weights
for their title and keyword terms; queries weight each term 1; the vector store multiplies by
IDF, so the score is BM25.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections import Counter
from collections.abc import Iterable

import snowballstemmer

from ragchat_retrieval.domain.ports import SparseVector

BM25_K1 = 1.2
BM25_B = 0.75
BM25_AVG_LEN = 256.0

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_COUNT_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves s t don isn doesn didn wasn weren won can't cannot also
    does did use used using via per""".split()
)


# Words that ask rather than say: left out of a question's terms (not of a document's), so
# "How long does delivery take?" weighs "delivery", not "long" and "take".
QUESTION_WORDS = frozenset(
    """how what which who whom whose when where why much many long often tell know want please get
    need possible anyone someone something thing things kind sort way ok okay hi hello""".split()
)

_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """Snowball (Porter 2) English stem: "thickness", "thick" → "thick"; "released" → "releas"."""
    if len(word) <= 3 or word.isdigit():
        return word
    stemmed: str = _STEMMER.stemWord(word)
    return stemmed


def terms(text: str, *, question: bool = False) -> list[str]:
    """Keyword terms of a text, in order (repeats kept); `question`: also without QUESTION_WORDS."""
    out: list[str] = []
    for token in _WORD_RE.findall(text.lower()):
        if token in STOPWORDS or (len(token) < 2 and not token.isdigit()):
            continue
        if question and token in QUESTION_WORDS:
            continue
        out.append(stem(token))
    return out


def term_index(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))


# Sparse weight added for a term of the document's title, and for a term of a chunk's important
# keywords or its questions: they rank a chunk higher in the keyword stage (RAGFlow boosts the
# same fields in its full-text query) and count as present in the keyword similarity.
TITLE_TERM_WEIGHT = 1.0
KEYWORD_TERM_WEIGHT = 2.0


def title_terms(document_name: str) -> list[str]:
    """Terms of a document's name without its extension ("lumio_warranty-2024.pdf")."""
    stem_name = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", document_name)
    return terms(re.sub(r"[_\-.]+", " ", stem_name))


def document_sparse(text: str, title: str = "", keywords: Iterable[str] = ()) -> SparseVector:
    """BM25 term-frequency weights of a chunk (IDF is applied by the store), plus boosted weights
    for the terms of its document's title and of its important keywords / questions."""
    counts = Counter(terms(text))
    length = sum(counts.values()) or 1
    norm = BM25_K1 * (1 - BM25_B + BM25_B * length / BM25_AVG_LEN)
    merged: dict[int, float] = {}
    for term, tf in counts.items():
        idx = term_index(term)
        merged[idx] = merged.get(idx, 0.0) + tf * (BM25_K1 + 1) / (tf + norm)
    for boost, extra in ((TITLE_TERM_WEIGHT, title_terms(title)), (KEYWORD_TERM_WEIGHT, terms(" ".join(keywords)))):
        for idx in {term_index(t) for t in extra}:
            merged[idx] = merged.get(idx, 0.0) + boost
    indices = sorted(merged)
    return SparseVector(indices=indices, values=[merged[i] for i in indices])


def query_sparse(text: str) -> SparseVector:
    indices = sorted({term_index(t) for t in terms(text, question=True)})
    return SparseVector(indices=indices, values=[1.0] * len(indices))


def coverage(query_terms: Iterable[str], content: str) -> float:
    """Share of the distinct query terms that occur in `content` (0..1)."""
    wanted = set(query_terms)
    if not wanted:
        return 0.0
    present = wanted & set(terms(content))
    return len(present) / len(wanted)


def count_tokens(text: str) -> int:
    """Token estimate for chunk budgets: words and punctuation marks (close to BPE counts)."""
    return len(_COUNT_RE.findall(text))


# ---- chunking ---------------------------------------------------------------------------

_SENTENCE_RE = re.compile(r"(?<=[.!?;\u3002\uff01\uff1f\uff1b])\s+")
_PARAGRAPH_RE = re.compile(r"\n\s*\n")


def parse_delimiters(delimiter: str) -> list[str]:
    """RAGFlow's delimiter syntax: each character is one, `multi-char` in backticks is one."""
    found: list[str] = []
    for quoted in re.findall(r"`([^`]+)`", delimiter):
        found.append(quoted)
    rest = re.sub(r"`[^`]+`", "", delimiter)
    found.extend(ch for ch in rest if ch)
    # "\\n" typed literally in a JSON config means a newline.
    return [d.replace("\\n", "\n") for d in found] or ["\n"]


def _split_keep(text: str, delimiters: list[str]) -> list[str]:
    pattern = "|".join(re.escape(d) for d in sorted(delimiters, key=len, reverse=True))
    pieces: list[str] = []
    start = 0
    for match in re.finditer(pattern, text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def _fit(segment: str, budget: int) -> list[str]:
    """Split a segment longer than the budget on sentences, then on words."""
    if count_tokens(segment) <= budget:
        return [segment]
    out: list[str] = []
    for sentence in _SENTENCE_RE.split(segment):
        if count_tokens(sentence) <= budget:
            out.append(sentence + " ")
            continue
        words = sentence.split()
        piece: list[str] = []
        used = 0
        for word in words:
            cost = count_tokens(word)
            if piece and used + cost > budget:
                out.append(" ".join(piece) + " ")
                piece, used = [], 0
            piece.append(word)
            used += cost
        if piece:
            out.append(" ".join(piece) + " ")
    return out


def split_into_chunks(
    text: str, chunk_token_num: int = 512, delimiter: str = "\n", overlap_percent: float = 10
) -> list[str]:
    """Overlapping chunks of at most `chunk_token_num` tokens, cut on paragraph/sentence ends.

    Paragraphs are never merged across a heading-sized gap of meaning: a chunk is filled with
    whole segments (paragraph → delimiter → sentence → words, whichever fits first), and the
    next chunk starts with the tail segments of the previous one, up to the overlap share.
    """
    budget = max(16, int(chunk_token_num))
    overlap_budget = int(budget * max(0.0, min(float(overlap_percent), 90.0)) / 100)
    delimiters = parse_delimiters(delimiter)
    segments: list[str] = []
    for paragraph in _PARAGRAPH_RE.split(text):
        if not paragraph.strip():
            continue
        for piece in _split_keep(paragraph, delimiters):
            segments.extend(_fit(piece, budget))
        if segments:
            segments[-1] = segments[-1].rstrip() + "\n\n"

    chunks: list[str] = []
    current: list[str] = []
    used = 0
    fresh = 0  # tokens added since the overlap was carried in
    for segment in segments:
        cost = count_tokens(segment)
        if current and used + cost > budget:
            chunks.append("".join(current).strip())
            carried: list[str] = []
            carried_cost = 0
            for previous in reversed(current):
                previous_cost = count_tokens(previous)
                if carried_cost + previous_cost > overlap_budget or carried_cost + previous_cost + cost > budget:
                    break
                carried.insert(0, previous)
                carried_cost += previous_cost
            current, used, fresh = carried, carried_cost, 0
        current.append(segment)
        used += cost
        fresh += cost
    if current and fresh:
        chunks.append("".join(current).strip())
    return [c for c in chunks if c]
