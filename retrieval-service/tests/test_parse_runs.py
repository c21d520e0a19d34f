"""Starting, stopping and fetching parse runs (domain functions on a real SecantusDB)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_retrieval.domain import documents, ingest
from ragchat_retrieval.domain.deps import Deps

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
