"""What every domain function receives: stores, embedder, queue, limits (wired in main.py)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.paging import PAGE_SIZE_MAX
from ragchat_common.search_defaults import SEARCH_DEFAULTS, TOP_K_MAX
from ragchat_retrieval.domain.ports import Embedder, Reranker, VectorStore
from ragchat_retrieval.store import Store

# (tenant_id, document_id, run_id) → queued; raises Unavailable when the broker is down.
EnqueueParse = Callable[[str, str, str], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 50 * 1024 * 1024
    default_top_k: int = SEARCH_DEFAULTS.top_k
    default_top_n: int = SEARCH_DEFAULTS.top_n
    max_top_k: int = TOP_K_MAX
    max_page_size: int = PAGE_SIZE_MAX


@dataclass
class DocumentLocks:
    """Serialises index writes per document inside this (single writer) process."""

    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def of(self, document_id: str) -> asyncio.Lock:
        lock = self._locks.get(document_id)
        if lock is None:
            if len(self._locks) > 10_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[document_id] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def all_of(self, document_ids: Sequence[str]) -> AsyncIterator[None]:
        """Holds the locks of many documents at once. They are taken in sorted order, so two
        holders of overlapping sets never wait for each other in a cycle (every other holder
        takes one lock at a time)."""
        async with AsyncExitStack() as held:
            for document_id in sorted(set(document_ids)):
                await held.enter_async_context(self.of(document_id))
            yield


@dataclass
class KnownDatasets:
    """Short-lived memory of (tenant, dataset) pairs that exist, so searches skip the database.

    Only positive answers are kept. A dataset deleted on another replica may still be searched
    for up to `ttl_s`; that search finds nothing, because its vectors are deleted first.
    """

    ttl_s: float = 5.0
    _seen: dict[tuple[str, str], float] = field(default_factory=dict)

    def known(self, tenant_id: str, dataset_id: str) -> bool:
        expires = self._seen.get((tenant_id, dataset_id))
        return expires is not None and expires > time.monotonic()

    def remember(self, tenant_id: str, dataset_ids: Sequence[str]) -> None:
        if len(self._seen) > 100_000:
            self._seen.clear()
        expires = time.monotonic() + self.ttl_s
        for dataset_id in dataset_ids:
            self._seen[(tenant_id, dataset_id)] = expires

    def forget(self, tenant_id: str, dataset_id: str) -> None:
        self._seen.pop((tenant_id, dataset_id), None)


@dataclass
class Deps:
    store: Store
    vectors: VectorStore
    embedder: Embedder
    enqueue_parse: EnqueueParse
    limits: Limits = field(default_factory=Limits)
    locks: DocumentLocks = field(default_factory=DocumentLocks)
    known_datasets: KnownDatasets = field(default_factory=KnownDatasets)
    reranker: Reranker | None = None  # None: no rerank models configured

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embedder.embed_sync, list(texts))


def delete_outcome(kind: str, requested: Sequence[str], deleted: int, errors: list[str]) -> tuple[int, list[str]]:
    """Contract rule for bulk deletes: all unknown → NotFound; some → errors listed."""
    if requested and deleted == 0 and errors:
        raise NotFound(errors[0] if len(errors) == 1 else f"None of the {kind}s were found.")
    return deleted, errors


def dedupe(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i))


def duplicates(kind: str, ids: Sequence[str]) -> list[str]:
    """One sentence per id sent more than once, worded as RAGFlow reports them."""
    seen: dict[str, int] = {}
    for i in ids:
        if i:
            seen[i] = seen.get(i, 0) + 1
    return [f"Duplicate {kind} ids: {i}" for i, count in seen.items() if count > 1]


_NUMBERED = re.compile(r"^(.*)\((\d+)\)$")
MAX_NAME_TRIES = 1000


def split_name(name: str) -> tuple[str, str, str]:
    """(base, extension, counter) of a name: "report(2).txt" → ("report", ".txt", "2")."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or "/" in ext:
        stem, ext = name, ""
    else:
        ext = "." + ext
    match = _NUMBERED.match(stem)
    if match:
        return match.group(1), ext, match.group(2)
    return stem, ext, ""


def free_name(name: str, taken: set[str], *, fold_case: bool = False) -> str:
    """`name`, or the first of "name(1)", "name(2)"... (before the extension) not in `taken`.

    A taken name that already ends with a counter goes on from it, as RAGFlow numbers copies.
    """

    def key(value: str) -> str:
        return value.lower() if fold_case else value

    used = {key(t) for t in taken}
    candidate = name
    for _ in range(MAX_NAME_TRIES):
        if key(candidate) not in used:
            return candidate
        base, ext, counter = split_name(candidate)
        candidate = f"{base}({int(counter) + 1 if counter else 1}){ext}"
    raise InvalidArgument(f"No free name left for '{name}' after {MAX_NAME_TRIES} numbered copies.")
