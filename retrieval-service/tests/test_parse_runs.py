"""Starting, stopping and fetching parse runs (domain functions on a real SecantusDB)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_retrieval.domain import documents, ingest
from ragchat_retrieval.domain.deps import Deps
from ragchat_retrieval.domain.ports import Scope, SparseVector

# The type of conftest.py's dataset_of fixture.
DatasetOf = Callable[[str, int], Awaitable[tuple[str, list[str]]]]
TENANT = "tenant-parse"


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


async def document(deps: Deps, document_id: str) -> dict:
    doc = await deps.store.get_document(TENANT, document_id)
    assert doc is not None
    return doc


# A parse job whose document was deleted while it was queued, or whose file is gone with its
# record still there (a delete stopped half way): NotFound, which the worker drops, not an
# unhandled gridfs NoFile (INTERNAL) that it retried as "retrieval-service unavailable".
async def test_a_job_without_its_file_is_not_found_and_its_run_fails(deps: Deps, dataset_of: DatasetOf) -> None:
    dataset_id, (gone, orphan, fine) = await dataset_of(TENANT, 3)
    await ingest.start_parsing(deps, TENANT, dataset_id, [gone, orphan, fine])
    runs = {i: (await document(deps, i))["run_id"] for i in (gone, orphan, fine)}

    await documents.delete_documents(deps, TENANT, dataset_id, [gone])
    with pytest.raises(NotFound):
        await ingest.fetch_job(deps, TENANT, gone, runs[gone])

    await deps.store.delete_files([orphan])
    job = await ingest.fetch_job(deps, TENANT, orphan, runs[orphan])  # the record is still there
    with pytest.raises(NotFound, match="file of document"):
        await ingest.job_file(deps, TENANT, orphan, runs[orphan], 1024)
    failed = await document(deps, orphan)
    assert job.document["id"] == orphan and failed["run"] == "FAIL"
    assert failed["progress_msg"].endswith(ingest.MISSING_FILE)
    with pytest.raises(NotFound):  # no longer current: a redelivered task is dropped too
        await ingest.fetch_job(deps, TENANT, orphan, runs[orphan])

    pieces = await ingest.job_file(deps, TENANT, fine, runs[fine], 1024)
    assert b"".join([p async for p in pieces]) == b"document 2"
    assert (await document(deps, fine))["run"] == "RUNNING"


# RAGFlow (0.22.1 and 0.27.0) parses the documents it finds and answers 102 "Documents not
# found: [...]" naming the others; ragchat refused the whole request (404) and parsed nothing.
async def test_parsing_some_unknown_ids_parses_the_others_and_names_them(
    deps: Deps, queue: Any, dataset_of: DatasetOf
) -> None:
    dataset_id, (first, second) = await dataset_of(TENANT, 2)
    with pytest.raises(InvalidArgument, match=exact("Documents not found: ['invalid_id']")):
        await ingest.start_parsing(deps, TENANT, dataset_id, [first, "invalid_id", second, first])
    assert [task[1] for task in queue.tasks] == [first, second]
    assert [(await document(deps, i))["run"] for i in (first, second)] == ["RUNNING", "RUNNING"]

    with pytest.raises(NotFound, match=exact(f"Document invalid_id not found in dataset {dataset_id}.")):
        await ingest.start_parsing(deps, TENANT, dataset_id, ["invalid_id"])  # all unknown: nothing to do
    with pytest.raises(NotFound, match=exact("Document invalid_id not found.")):
        await ingest.start_parsing(deps, TENANT, "", [first, "invalid_id"])  # v0.27's ingest: every id first
    assert len(queue.tasks) == 2


async def test_stopping_some_unknown_ids_stops_the_others_and_names_them(deps: Deps, dataset_of: DatasetOf) -> None:
    dataset_id, (running, idle) = await dataset_of(TENANT, 2)
    await ingest.start_parsing(deps, TENANT, dataset_id, [running])
    with pytest.raises(InvalidArgument, match=exact("Documents not found: ['invalid_id']")):
        await ingest.stop_parsing(deps, TENANT, dataset_id, ["invalid_id", running, idle])
    assert (await document(deps, running))["run"] == "CANCEL"
    assert (await document(deps, idle))["run"] == "UNSTART"
    with pytest.raises(NotFound, match=exact(f"Document invalid_id not found in dataset {dataset_id}.")):
        await ingest.stop_parsing(deps, TENANT, dataset_id, ["invalid_id"])
    with pytest.raises(InvalidArgument, match=exact(f"Document {idle} is not being parsed.")):
        await ingest.stop_parsing(deps, TENANT, dataset_id, [idle])
    await ingest.start_parsing(deps, TENANT, dataset_id, [idle])
    with pytest.raises(NotFound, match=exact("Document invalid_id not found.")):
        await ingest.stop_parsing(deps, TENANT, "", [idle, "invalid_id"])  # v0.27's ingest: every id first
    assert (await document(deps, idle))["run"] == "RUNNING"


def indexed(position: int) -> ingest.IndexedChunk:
    return ingest.IndexedChunk(
        content=f"chunk {position}", dense=[1.0] + [0.0] * 7, sparse=SparseVector([1], [1.0]), position=position
    )


# RAGFlow (0.22.1 and 0.27.0) sends a document whose chunk method changes back to UNSTART without
# its chunks; ragchat kept it DONE with chunks cut by the old method.
async def test_a_new_chunk_method_sends_the_document_back_to_unstart(
    deps: Deps, queue: Any, dataset_of: DatasetOf
) -> None:
    dataset_id, (doc_id,) = await dataset_of(TENANT, 1)
    in_document = Scope(tenant_id=TENANT, document_ids=[doc_id])
    await ingest.start_parsing(deps, TENANT, dataset_id, [doc_id])
    run_id = (await document(deps, doc_id))["run_id"]
    await ingest.index_chunks(deps, TENANT, doc_id, run_id, [indexed(0), indexed(1)], final=True, token_count=7)
    assert (await document(deps, doc_id))["chunk_count"] == 2

    same = await documents.update_document(deps, TENANT, dataset_id, doc_id, {"chunk_method": "naive"})
    assert (same["run"], same["chunk_count"]) == ("DONE", 2) and await deps.vectors.count(in_document) == 2

    reset = await documents.update_document(deps, TENANT, dataset_id, doc_id, {"chunk_method": "qa"})
    assert reset["chunk_method"] == "qa"
    assert (reset["run"], reset["progress"], reset["chunk_count"], reset["token_count"]) == ("UNSTART", 0.0, 0, 0)
    assert await deps.vectors.count(in_document) == 0

    # A parse under way when the method changes is superseded: its chunks are not taken.
    await ingest.start_parsing(deps, TENANT, dataset_id, [doc_id])
    running = (await document(deps, doc_id))["run_id"]
    await ingest.index_chunks(deps, TENANT, doc_id, running, [indexed(0)], final=False)
    await documents.update_document(deps, TENANT, dataset_id, doc_id, {"chunk_method": "naive"})
    assert await ingest.index_chunks(deps, TENANT, doc_id, running, [indexed(1)], final=True) == (False, 0)
    assert (await document(deps, doc_id))["run"] == "UNSTART" and await deps.vectors.count(in_document) == 0
