"""Parse runs of documents: start/stop, and the calls the ingest worker makes back.

A run has an id; every report and index batch carries it, and anything from a run that is no
longer the document's current one (cancelled, superseded by a re-parse, document deleted) is
refused, so a stale worker can never overwrite newer state. Old chunks are replaced when the
new run finishes, so a re-parse never leaves the document without chunks in between.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ragchat_common.errors import InvalidArgument, NotFound, RagchatError
from ragchat_common.ids import new_id
from ragchat_common.timeutil import now_ms
from ragchat_retrieval.domain import ingestion_logs as logs
from ragchat_retrieval.domain.datasets import get_dataset
from ragchat_retrieval.domain.deps import Deps, dedupe, duplicates
from ragchat_retrieval.domain.documents import Document, is_enabled
from ragchat_retrieval.domain.ports import ChunkPoint, Scope, SparseVector
from ragchat_retrieval.store import FileMissing

log = logging.getLogger(__name__)

RUNNING = "RUNNING"
DONE = "DONE"
FAIL = "FAIL"
CANCEL = "CANCEL"
MAX_PROGRESS_MSG = 4000


@dataclass(frozen=True)
class ParseJob:
    document: Document
    dataset: dict[str, Any]
    parser_config: dict[str, Any]


@dataclass(frozen=True)
class IndexedChunk:
    content: str
    dense: list[float]
    sparse: SparseVector
    position: int
    important_keywords: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)


def run_chunk_id(run_id: str, position: int) -> str:
    """Deterministic per (run, position): a redelivered task overwrites, never duplicates."""
    return uuid.uuid5(uuid.UUID(hex=run_id), str(position)).hex


def _append_msg(previous: str, message: str) -> str:
    if not message:
        return previous
    text = f"{previous}\n{message}" if previous else message
    return text[-MAX_PROGRESS_MSG:]


async def _documents_to_parse(
    deps: Deps, tenant_id: str, dataset_id: str, document_ids: Sequence[str]
) -> tuple[dict[str, Document], list[str]]:
    """The tenant's documents named (an empty `dataset_id`: in any of its datasets, as v0.27's
    /documents/ingest names them) and the ids asked for, each once."""
    if dataset_id:
        await get_dataset(deps, tenant_id, dataset_id)
    wanted = dedupe(document_ids)
    if not wanted:
        raise InvalidArgument("`document_ids` is required")
    found = {d["id"]: d for d in await deps.store.get_documents(tenant_id, wanted, dataset_id or None)}
    return found, wanted


def _not_found(document_id: str, dataset_id: str) -> str:
    return (
        f"Document {document_id} not found in dataset {dataset_id}."
        if dataset_id
        else f"Document {document_id} not found."
    )


def _unknown(found: dict[str, Document], wanted: Sequence[str], dataset_id: str) -> list[str]:
    """The ids asked for that are none of the tenant's documents (of the dataset). With all of
    them unknown, or any without a dataset (v0.27's /documents/ingest checks every id first),
    NotFound before anything is done; else the caller does the known ones, then answers with
    `_refuse_unknown`, as RAGFlow parses the documents it finds and names the others."""
    unknown = [i for i in wanted if i not in found]
    if unknown and (not found or not dataset_id):
        raise NotFound(_not_found(unknown[0], dataset_id))
    return unknown


def _refuse_unknown(unknown: Sequence[str]) -> None:
    """RAGFlow's answer (102) once the known documents are done, the same as a delete's."""
    if unknown:
        raise InvalidArgument(f"Documents not found: {list(unknown)}")


async def start_parsing(
    deps: Deps, tenant_id: str, dataset_id: str, document_ids: Sequence[str]
) -> tuple[int, list[str]]:
    """Queues a new parse run of each document. Some ids unknown: the others are parsed and
    InvalidArgument names the unknown ones; all unknown (or any, without a dataset): NotFound."""
    found, wanted = await _documents_to_parse(deps, tenant_id, dataset_id, document_ids)
    unknown = _unknown(found, wanted, dataset_id)
    started = 0
    errors = duplicates("document", document_ids)  # each parsed once, and said, as RAGFlow does
    for document_id in (i for i in wanted if i in found):
        run_id = new_id()
        previous = found[document_id]
        async with deps.locks.of(document_id):
            await deps.store.update_document(
                tenant_id,
                document_id,
                {
                    "run": RUNNING,
                    "run_id": run_id,
                    "progress": 0.0,
                    "progress_msg": "Queued for parsing.",
                    "process_begin_at": now_ms(),
                    "process_duration": 0.0,
                    "update_time": now_ms(),
                },
            )
        if previous.get("run") == RUNNING and previous.get("run_id"):
            await logs.close_log(deps, tenant_id, previous["run_id"], logs.CANCELLED, None)  # superseded
        await logs.open_log(deps, previous, run_id)
        try:
            await deps.enqueue_parse(tenant_id, document_id, run_id)
            started += 1
        except RagchatError as exc:
            failed = await deps.store.update_document(
                tenant_id,
                document_id,
                {"run": FAIL, "progress_msg": f"Could not queue the parse task: {exc.message}"},
                expect={"run_id": run_id},
            )
            await logs.close_log(deps, tenant_id, run_id, logs.FAILED, failed)
            errors.append(f"Document {document_id}: {exc.message}")
            raise
    _refuse_unknown(unknown)
    return started, errors


async def stop_parsing(
    deps: Deps, tenant_id: str, dataset_id: str, document_ids: Sequence[str]
) -> tuple[int, list[str]]:
    """Cancels the documents' current runs; unknown ids are answered as `start_parsing` answers
    them, after the known documents are stopped. A document not being parsed is an error of the
    reply, or InvalidArgument when none was stopped."""
    found, wanted = await _documents_to_parse(deps, tenant_id, dataset_id, document_ids)
    unknown = _unknown(found, wanted, dataset_id)
    errors: list[str] = []
    stopped = 0
    for document_id in (i for i in wanted if i in found):
        doc = found[document_id]
        if doc.get("run") != RUNNING:
            errors.append(f"Document {document_id} is not being parsed.")
            continue
        async with deps.locks.of(document_id):
            updated = await deps.store.update_document(
                tenant_id,
                document_id,
                {"run": CANCEL, "progress_msg": _append_msg(doc.get("progress_msg", ""), "Parsing cancelled.")},
                expect={"run_id": doc["run_id"], "run": RUNNING},
            )
            # Chunks this run already indexed go; the previous run's chunks stay.
            await deps.vectors.delete(Scope(tenant_id=tenant_id, document_ids=[document_id], run_id=doc["run_id"]))
        if updated is not None:
            await logs.close_log(deps, tenant_id, doc["run_id"], logs.CANCELLED, updated)
            stopped += 1
    _refuse_unknown(unknown)
    if stopped == 0 and errors:
        raise InvalidArgument(errors[0])
    return stopped, errors


async def _current(deps: Deps, tenant_id: str, document_id: str, run_id: str) -> Document | None:
    doc = await deps.store.get_document(tenant_id, document_id)
    if doc is None or doc.get("run_id") != run_id or doc.get("run") != RUNNING:
        return None
    return doc


async def fetch_job(deps: Deps, tenant_id: str, document_id: str, run_id: str) -> ParseJob:
    doc = await _current(deps, tenant_id, document_id, run_id)
    if doc is None:
        raise NotFound(f"Parse run {run_id} of document {document_id} is not current.")
    datasets = await deps.store.get_datasets(tenant_id, [doc["dataset_id"]])
    if not datasets:
        raise NotFound(f"Dataset {doc['dataset_id']} not found.")
    dataset = datasets[0]
    config = {**(dataset.get("parser_config") or {}), **(doc.get("parser_config") or {})}
    await deps.store.update_document(
        tenant_id, document_id, {"progress_msg": "Parsing started."}, expect={"run_id": run_id}
    )
    return ParseJob(document=doc, dataset=dataset, parser_config=config)


MISSING_FILE = "The document's file is gone (deleted meanwhile); it cannot be parsed."


async def job_file(deps: Deps, tenant_id: str, document_id: str, run_id: str, piece_bytes: int) -> AsyncIterator[bytes]:
    """The file a parse job reads. When it is gone (its document was deleted meanwhile, or a
    delete stopped half way) the run, if still current, ends FAIL saying so, and the job is
    NotFound: the ingest worker drops it instead of retrying a job that can never run."""
    try:
        return await deps.store.open_file(document_id, piece_bytes)
    except FileMissing:
        await report_progress(deps, tenant_id, document_id, run_id, progress=0.0, message=MISSING_FILE, failed=True)
        raise NotFound(f"The file of document {document_id} is gone.") from None


async def report_progress(
    deps: Deps, tenant_id: str, document_id: str, run_id: str, *, progress: float, message: str, failed: bool
) -> bool:
    doc = await _current(deps, tenant_id, document_id, run_id)
    if doc is None:
        return False
    changes: dict[str, Any] = {
        "progress": max(0.0, min(1.0, float(progress))),
        "progress_msg": _append_msg(doc.get("progress_msg", ""), message),
        "update_time": now_ms(),
    }
    if failed:
        changes["run"] = FAIL
        changes["process_duration"] = (now_ms() - int(doc.get("process_begin_at") or now_ms())) / 1000
    async with deps.locks.of(document_id):
        updated = await deps.store.update_document(tenant_id, document_id, changes, expect={"run_id": run_id})
        if failed:
            await deps.vectors.delete(Scope(tenant_id=tenant_id, document_ids=[document_id], run_id=run_id))
    if failed and updated is not None:
        await logs.close_log(deps, tenant_id, run_id, logs.FAILED, updated)
    return updated is not None and not failed


async def index_chunks(
    deps: Deps,
    tenant_id: str,
    document_id: str,
    run_id: str,
    batch: Sequence[IndexedChunk],
    *,
    final: bool,
    token_count: int = 0,
    progress: float = 0.0,
) -> tuple[bool, int]:
    """Writes a batch of a run's chunks; `final` swaps the document over to this run."""
    async with deps.locks.of(document_id):
        doc = await _current(deps, tenant_id, document_id, run_id)
        if doc is None:
            return False, 0
        now = now_ms()
        points = [
            ChunkPoint(
                id=run_chunk_id(run_id, c.position),
                dense=c.dense,
                sparse=c.sparse,
                payload={
                    "tenant_id": tenant_id,
                    "dataset_id": doc["dataset_id"],
                    "document_id": document_id,
                    "document_name": doc["name"],
                    "run_id": run_id,
                    "content": c.content,
                    "position": c.position,
                    "important_keywords": c.important_keywords,
                    "questions": c.questions,
                    "available": is_enabled(doc),
                    "create_time": now,
                },
            )
            for c in batch
        ]
        await deps.vectors.upsert(points)
        changes: dict[str, Any] = {"update_time": now}
        if final:
            await deps.vectors.delete(Scope(tenant_id=tenant_id, document_ids=[document_id], not_run_id=run_id))
            count = await deps.vectors.count(Scope(tenant_id=tenant_id, document_ids=[document_id]))
            duration = (now - int(doc.get("process_begin_at") or now)) / 1000
            changes.update(
                {
                    "run": DONE,
                    "progress": 1.0,
                    "chunk_count": count,
                    "token_count": token_count,
                    "process_duration": duration,
                    "progress_msg": _append_msg(
                        doc.get("progress_msg", ""), f"Task done ({duration:.2f}s): {count} chunks indexed."
                    ),
                }
            )
        elif progress:
            changes["progress"] = max(0.0, min(0.99, float(progress)))
        updated = await deps.store.update_document(tenant_id, document_id, changes, expect={"run_id": run_id})
    if final and updated is not None:
        await logs.close_log(deps, tenant_id, run_id, logs.DONE, updated)
    return True, len(points)
