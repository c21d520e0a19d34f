"""Deleting documents (domain functions on a real SecantusDB and the embedded vector engine)."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager

import pytest

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.ids import new_id
from ragchat_retrieval.domain import chunks, datasets, documents, ingest
from ragchat_retrieval.domain.deps import Deps
from ragchat_retrieval.domain.ports import Scope, SparseVector
from ragchat_retrieval.store import FileMissing

# The type of conftest.py's dataset_of fixture.
DatasetOf = Callable[[str, int], Awaitable[tuple[str, list[str]]]]
TENANT = "tenant-deletes"


async def chunk_documents(deps: Deps, dataset_id: str, *document_ids: str) -> None:
    for document_id in document_ids:
        await chunks.add_chunk(deps, TENANT, dataset_id, document_id, content="Owls hunt mice at night.")


async def file_of(deps: Deps, document_id: str) -> bytes:
    return b"".join([piece async for piece in await deps.store.open_file(document_id)])


# One document at a time (a vector delete and three writes each) 1,000 took ~27 ms apiece and
# outran the gateway's 30 s deadline. In slices of bulk writes the commands do not grow with them.
async def test_a_thousand_documents_go_in_a_few_bulk_writes(
    deps: Deps, mongo_commands: Callable[[], AbstractContextManager[list[str]]], dataset_of: DatasetOf
) -> None:
    dataset_id, ids = await dataset_of(TENANT, 1001)
    doomed, kept = ids[:1000], ids[1000]
    await chunk_documents(deps, dataset_id, doomed[0], doomed[999], kept)
    begun = time.monotonic()
    with mongo_commands() as sent:
        outcome = await documents.delete_documents(deps, TENANT, dataset_id, [*doomed, doomed[3]])
    print(f"1,000 documents deleted in {time.monotonic() - begun:.2f} s, {len(sent)} Mongo commands")
    assert outcome == (1000, [f"Duplicate document ids: {doomed[3]}"])
    # per slice: an existence check, deletes of the documents, their file entries, their file
    # content, and a look for chunk images (none here); besides, a dataset look-up (one at a
    # time: ~4,000 commands)
    slices = math.ceil(1000 / documents.DELETE_SLICE)
    assert sent.count("delete") == 3 * slices and len(sent) <= 5 * slices + 3, sent
    rows, total = await deps.store.list_documents(
        TENANT, dataset_id, skip=0, limit=10, orderby="create_time", desc=True
    )
    assert total == 1 and rows[0]["id"] == kept
    remaining = await deps.vectors.scroll(Scope(tenant_id=TENANT, dataset_ids=[dataset_id]), 10)
    assert [h.payload["document_id"] for h in remaining] == [kept]
    with pytest.raises(FileMissing):
        await file_of(deps, doomed[999])
    assert await file_of(deps, kept) == b"document 1000"


async def test_delete_all_and_unknown_ids(deps: Deps, dataset_of: DatasetOf) -> None:
    dataset_id, ids = await dataset_of(TENANT, 450)  # three slices
    await chunk_documents(deps, dataset_id, ids[0], ids[449])
    unknown = new_id()
    with pytest.raises(InvalidArgument, match=re.escape(f"Documents not found: ['{unknown}']")):
        await documents.delete_documents(deps, TENANT, dataset_id, [ids[0], unknown])
    with pytest.raises(NotFound):
        await documents.delete_documents(deps, TENANT, dataset_id, [ids[0]])  # all unknown now
    assert await documents.delete_documents(deps, TENANT, dataset_id, [], delete_all=True) == (449, [])
    assert await deps.vectors.count(Scope(tenant_id=TENANT, dataset_ids=[dataset_id])) == 0
    assert await deps.store.document_ids_of(TENANT, dataset_id) == []
    assert await documents.delete_documents(deps, TENANT, dataset_id, [], delete_all=True) == (0, [])


# RAGFlow v0.27 refuses a delete naming an unknown or repeated id before it deletes anything;
# v0.22 (the default above) deleted the known ones first.
async def test_all_or_nothing_deletes_nothing_when_an_id_is_wrong(deps: Deps, dataset_of: DatasetOf) -> None:
    dataset_id, ids = await dataset_of(TENANT, 3)
    await chunk_documents(deps, dataset_id, ids[0])
    unknown = new_id()
    message = f"These documents do not belong to dataset {dataset_id} or Document not found: {unknown}"
    with pytest.raises(InvalidArgument, match=re.escape(message) + "$"):
        await documents.delete_documents(deps, TENANT, dataset_id, [ids[0], unknown, ids[1]], all_or_nothing=True)
    with pytest.raises(InvalidArgument, match=re.escape(f"Duplicate document ids: {ids[0]}") + "$"):
        await documents.delete_documents(deps, TENANT, dataset_id, [ids[0], ids[1], ids[0]], all_or_nothing=True)
    assert sorted(await deps.store.document_ids_of(TENANT, dataset_id)) == sorted(ids)
    assert await deps.vectors.count(Scope(tenant_id=TENANT, dataset_ids=[dataset_id])) == 1

    assert await documents.delete_documents(deps, TENANT, dataset_id, ids[:2], all_or_nothing=True) == (2, [])
    assert await deps.store.document_ids_of(TENANT, dataset_id) == [ids[2]]
    assert await deps.vectors.count(Scope(tenant_id=TENANT, dataset_ids=[dataset_id])) == 0
    gone = f"These documents do not belong to dataset {dataset_id} or Document not found: {ids[0]}"
    with pytest.raises(InvalidArgument, match=re.escape(gone) + "$"):  # all unknown: the same refusal
        await documents.delete_documents(deps, TENANT, dataset_id, [ids[0]], all_or_nothing=True)


def chunk(position: int) -> ingest.IndexedChunk:
    return ingest.IndexedChunk(
        content=f"chunk {position}", dense=[1.0] + [0.0] * 7, sparse=SparseVector([1], [1.0]), position=position
    )


async def waiters(lock: asyncio.Lock, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(lock._waiters or ()) < count:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


# The locks: a parse run's index batch and a delete of its document never interleave, so whichever
# comes first, no vector of a deleted document stays behind.
@pytest.mark.parametrize("first", ["delete", "index"])
async def test_a_parse_run_racing_a_bulk_delete_leaves_no_vectors(
    deps: Deps, first: str, dataset_of: DatasetOf
) -> None:
    dataset_id, ids = await dataset_of(TENANT, 300)
    target = ids[250]  # in the second slice
    await ingest.start_parsing(deps, TENANT, dataset_id, [target])
    (doc,) = await deps.store.get_documents(TENANT, [target])

    calls = {
        "delete": lambda: documents.delete_documents(deps, TENANT, dataset_id, ids),
        "index": lambda: ingest.index_chunks(deps, TENANT, target, doc["run_id"], [chunk(0)], final=True),
    }
    second = "index" if first == "delete" else "delete"
    lock = deps.locks.of(target)
    async with lock:  # hold the document while both line up behind it, `first` first
        tasks = []
        for name in (first, second):
            tasks.append(asyncio.create_task(calls[name]()))
            await waiters(lock, len(tasks))
    outcome = dict(zip((first, second), await asyncio.gather(*tasks), strict=True))
    assert outcome["delete"] == (300, [])
    assert outcome["index"] == ((True, 1) if first == "index" else (False, 0))  # indexed, or found it gone
    assert await deps.vectors.count(Scope(tenant_id=TENANT, document_ids=[target])) == 0
    assert await deps.store.get_documents(TENANT, [target]) == []


# A chunk's image (RAGFlow's image_base64) is a file of its own: it used to stay behind in the
# file store when its chunk, document or dataset was deleted.
async def test_chunk_images_go_with_their_chunk_document_and_dataset(deps: Deps, dataset_of: DatasetOf) -> None:
    dataset_id, (first, second) = await dataset_of(TENANT, 2)

    async def chunk_with_image(document_id: str, text: str) -> tuple[str, str]:
        added = await chunks.add_chunk(deps, TENANT, dataset_id, document_id, content=text, image=b"\x89PNG...")
        return added["id"], added["image_id"]

    async def stored(image_id: str) -> bool:
        try:
            return bool([piece async for piece in await deps.store.open_file(image_id)])
        except FileMissing:
            return False

    (one, one_image), (_, two_image) = [await chunk_with_image(first, t) for t in ("one", "two")]
    (_, three_image) = await chunk_with_image(second, "three")
    assert [await stored(i) for i in (one_image, two_image, three_image)] == [True, True, True]

    await chunks.delete_chunks(deps, TENANT, dataset_id, first, [one])
    assert [await stored(i) for i in (one_image, two_image, three_image)] == [False, True, True]
    await documents.delete_documents(deps, TENANT, dataset_id, [first])
    assert [await stored(i) for i in (two_image, three_image)] == [False, True]
    await datasets.delete_datasets(deps, TENANT, [dataset_id])
    assert not await stored(three_image)
