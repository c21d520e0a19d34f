"""Chunk methods: how a parsed document (extract.Block list) becomes chunks.

- naive: the text cut into overlapping chunks of at most chunk_token_num tokens on the
  delimiter, paragraph and sentence ends (tables: rows stay whole lines with their headers);
- qa: one chunk per question/answer pair (rows of csv/xlsx: first column the question, second
  the answer; text: "question<TAB>answer" lines or "Q: ... A: ..." pairs; md/docx: a heading
  is a question, the text under it its answer); the question is what is embedded;
- table: one chunk per table row (csv, xlsx, or tables inside other formats);
- one: the whole document is one chunk;
- manual, paper, book, laws: heading-aware; chunks never straddle two sections, every chunk
  starts with its section's heading path ("Care > Cleaning"), and small neighbouring sections
  share a chunk up to the budget. Headings come from the format (docx styles, md #, html h1-h6,
  slide titles) or, in plain text and pdf, from numbered lines ("2.1 Charging", "Article 5").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.extract import Block, Unparseable, render

CHUNK_METHODS = ("naive", "qa", "table", "one", "manual", "paper", "book", "laws")
HEADING_AWARE = frozenset({"manual", "paper", "book", "laws"})
# Features of RAGFlow's parser_config that need an LLM pass over the whole dataset.
UNSUPPORTED_PARSER_FEATURES = ("raptor", "graphrag")


@dataclass(frozen=True)
class ChunkDraft:
    content: str
    # What is embedded: the content, or for a question/answer pair its question.
    embed_text: str
    questions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChunkConfig:
    chunk_token_num: int = 512
    delimiter: str = "\n"
    overlapped_percent: float = 10

    @classmethod
    def from_parser_config(cls, config: dict[str, Any]) -> ChunkConfig:
        return cls(
            chunk_token_num=int(config.get("chunk_token_num") or 512),
            delimiter=str(config.get("delimiter") or "\n"),
            overlapped_percent=float(config.get("overlapped_percent") or 0),
        )


def chunk_document(name: str, blocks: Sequence[Block], method: str, config: ChunkConfig) -> list[ChunkDraft]:
    method = method or "naive"
    if method == "qa":
        drafts = _qa(blocks)
        if not drafts:
            raise Unparseable(
                f"'{name}' has no question/answer pairs for chunk method 'qa' (expected a table with question "
                "and answer columns, 'question<TAB>answer' lines, 'Q: ... A: ...' pairs, or headings as questions)."
            )
        return drafts
    if method == "table":
        rows = [b for b in blocks if b.is_row]
        if not rows:
            raise Unparseable(f"'{name}' has no table rows for chunk method 'table' (upload a csv or xlsx file).")
        return [ChunkDraft(content=b.text, embed_text=b.text) for b in rows]
    if method == "one":
        whole = render(blocks)
        return [ChunkDraft(content=whole, embed_text=whole)]
    if method in HEADING_AWARE:
        return _by_sections(blocks, config)
    return _plain(render(blocks), config)


def _plain(body: str, config: ChunkConfig) -> list[ChunkDraft]:
    pieces = text.split_into_chunks(body, config.chunk_token_num, config.delimiter, config.overlapped_percent)
    return [ChunkDraft(content=p, embed_text=p) for p in pieces]


# ---- question/answer pairs --------------------------------------------------------------

_Q_PREFIX = re.compile(r"^\s*(?:q|question)\s*[:.)]\s*", re.IGNORECASE)
_A_PREFIX = re.compile(r"^\s*(?:a|answer)\s*[:.)]\s*", re.IGNORECASE)


def _pair(question: str, answer: str) -> ChunkDraft | None:
    question, answer = " ".join(question.split()), answer.strip()
    if not question or not answer:
        return None
    return ChunkDraft(content=f"Question: {question}\nAnswer: {answer}", embed_text=question, questions=[question])


def _qa(blocks: Sequence[Block]) -> list[ChunkDraft]:
    drafts: list[ChunkDraft | None] = []
    if any(b.is_row for b in blocks):
        for block in blocks:
            if block.is_row and len(block.cells) >= 2:
                drafts.append(_pair(block.cells[0][1], "\n".join(v for _, v in block.cells[1:])))
    elif any(b.heading_level for b in blocks):
        question, answer = "", list[str]()
        for block in [*blocks, Block(text=" ", heading_level=1)]:
            if block.heading_level:
                if question:
                    drafts.append(_pair(question, "\n".join(answer)))
                question, answer = block.text, []
            elif question:
                answer.append(block.text)
    else:
        drafts.extend(_qa_lines(render(blocks)))
    return [d for d in drafts if d is not None]


def _qa_lines(body: str) -> list[ChunkDraft | None]:
    lines = [line for line in body.split("\n") if line.strip()]
    if lines and all("\t" in line for line in lines):
        return [_pair(*line.split("\t", 1)) for line in lines]
    drafts: list[ChunkDraft | None] = []
    question: str | None = None
    answer: list[str] = []
    for line in lines:
        if _Q_PREFIX.match(line):
            if question is not None:
                drafts.append(_pair(question, "\n".join(answer)))
            question, answer = _Q_PREFIX.sub("", line), []
        elif question is not None:
            answer.append(_A_PREFIX.sub("", line) if not answer else line)
    if question is not None:
        drafts.append(_pair(question, "\n".join(answer)))
    return drafts


# ---- heading-aware ----------------------------------------------------------------------


@dataclass
class _Section:
    path: list[str]
    body: list[Block]


def _sections(blocks: Sequence[Block]) -> list[_Section]:
    sections: list[_Section] = []
    stack: list[tuple[int, str]] = []
    current = _Section(path=[], body=[])
    for block in blocks:
        if block.heading_level:
            if current.body:
                sections.append(current)
            while stack and stack[-1][0] >= block.heading_level:
                stack.pop()
            stack.append((block.heading_level, block.text))
            current = _Section(path=[t for _, t in stack], body=[])
        else:
            current.body.append(block)
    if current.body:
        sections.append(current)
    return [s for s in sections if s.body]


def _by_sections(blocks: Sequence[Block], config: ChunkConfig) -> list[ChunkDraft]:
    budget = max(16, config.chunk_token_num)
    drafts: list[ChunkDraft] = []
    pending: list[str] = []  # small whole sections waiting to share a chunk
    pending_tokens = 0

    def flush() -> None:
        nonlocal pending_tokens
        if pending:
            content = "\n\n".join(pending)
            drafts.append(ChunkDraft(content=content, embed_text=content))
        pending.clear()
        pending_tokens = 0

    for section in _sections(blocks):
        title = " > ".join(section.path)
        body = render(section.body)
        whole = f"{title}\n{body}" if title else body
        cost = text.count_tokens(whole)
        if cost <= budget:
            if pending_tokens + cost > budget:
                flush()
            pending.append(whole)
            pending_tokens += cost
            continue
        flush()
        room = max(16, budget - text.count_tokens(title))
        for piece in text.split_into_chunks(body, room, config.delimiter, config.overlapped_percent):
            content = f"{title}\n{piece}" if title else piece
            drafts.append(ChunkDraft(content=content, embed_text=content))
    flush()
    return drafts
