"""Starting, stopping and fetching parse runs (domain functions on a real SecantusDB)."""

from __future__ import annotations

import pytest

from ragchat_common.errors import NotFound
from ragchat_common.ids import new_id
from ragchat_retrieval.domain import datasets, documents, ingest
from ragchat_retrieval.domain.deps import Deps

TENANT = "tenant-parse"


async def dataset_of(deps: Deps, count: int) -> tuple[str, list[str]]:
    dataset = await datasets.create_dataset(deps, TENANT, name="p-" + new_id()[:8])
    files = [documents.IncomingFile(f"p{i}.txt", f"text {i}".encode()) for i in range(count)]
    docs = await documents.upload_documents(deps, TENANT, dataset["id"], files)
    return dataset["id"], [d["id"] for d in docs]


async def document(deps: Deps, document_id: str) -> dict:
    doc = await deps.store.get_document(TENANT, document_id)
    assert doc is not None
    return doc


# A parse job whose document was deleted while it was queued, or whose file is gone with its
# record still there (a delete stopped half way): NotFound, which the worker drops, not an
# unhandled gridfs NoFile (INTERNAL) that it retried as "retrieval-service unavailable".
async def test_a_job_without_its_file_is_not_found_and_its_run_fails(deps: Deps) -> None:
    dataset_id, (gone, orphan, fine) = await dataset_of(deps, 3)
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
    assert b"".join([p async for p in pieces]) == b"text 2"
    assert (await document(deps, fine))["run"] == "RUNNING"
