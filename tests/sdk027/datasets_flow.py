"""ragflow-sdk 0.27.3 scenarios: every method of RAGFlow (datasets, retrieval), DataSet, Document
and Chunk.

Run by tests/test_ragflow_sdk027_datasets.py through tests/sdk027_harness.py in the SDK's own
Python 3.13, with a key of the ``ragflow-0.27`` dialect. Plain asserts on what the SDK returns.
"""

from __future__ import annotations

import time
import uuid

from expect import raises
from ragflow_sdk import RAGFlow
from ragflow_sdk.modules.chunk import Chunk, ChunkUpdateError
from ragflow_sdk.modules.dataset import DataSet
from ragflow_sdk.modules.document import Document

FILES = [
    ("bees.txt", b"Honey bees communicate the direction of flowers with a waggle dance."),
    ("tides.md", b"# Tides\n\nOcean tides are caused mainly by the gravity of the Moon."),
    ("volcano.html", b"<html><body><p>Mauna Loa on Hawaii is the largest active volcano.</p></body></html>"),
]
PNG_AVATAR = "data:image/png;base64,iVBORw0KGgo="
LONG_TEXT = "\n\n".join(f"Paragraph {i} describes the habits of bee colony number {i}." for i in range(4000)).encode()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_parsed(dataset: DataSet, ids: list[str], timeout_s: float = 120) -> list[Document]:
    deadline = time.monotonic() + timeout_s
    while True:
        docs = dataset.list_documents(ids=ids)
        if len(docs) == len(ids) and all(d.run in ("DONE", "FAIL", "CANCEL") for d in docs):
            return docs
        assert time.monotonic() < deadline, [(d.name, d.run, d.progress_msg) for d in docs]
        time.sleep(0.3)


def datasets(rag: RAGFlow) -> None:
    """Create (a taken name numbered), list by id/ids/name, get, update, auto-metadata, delete."""
    name = unique("sdk027-kb")
    parser_config = DataSet.ParserConfig(rag, {"chunk_token_num": 128, "delimiter": "\n"})
    dataset = rag.create_dataset(
        name=name,
        avatar=PNG_AVATAR,
        description="made by ragflow-sdk 0.27",
        parser_config=parser_config,
        auto_metadata_config={"enabled": True, "fields": [{"name": "topic", "type": "string"}]},
    )
    assert dataset.name == name and dataset.avatar == PNG_AVATAR and dataset.chunk_method == "naive"
    assert dataset.parser_config.chunk_token_num == 128 and len(dataset.id) == 32
    # a taken name is numbered, as RAGFlow does
    copy = rag.create_dataset(name=name)
    assert copy.name == f"{name}(1)" and copy.description is None and copy.avatar is None

    assert [d.id for d in rag.list_datasets(name=name)] == [dataset.id]
    assert [d.id for d in rag.list_datasets(id=copy.id)] == [copy.id]
    assert {d.id for d in rag.list_datasets(ids=[dataset.id, copy.id])} == {dataset.id, copy.id}
    assert rag.get_dataset(name=name).id == dataset.id
    with raises("lacks permission"):
        rag.list_datasets(id=uuid.uuid4().hex)

    # v0.27's /metadata/config route: {"metadata": [...], "built_in_metadata": [...]}, kept in
    # the parser_config where the create body's auto_metadata_config put its fields
    topic = [{"name": "topic", "type": "string"}]
    assert dataset.get_auto_metadata() == {"metadata": topic, "built_in_metadata": []}
    fields = [{"key": "topic", "type": "string", "description": "what it is about", "enum": None}]
    assert dataset.update_auto_metadata(metadata=fields) == {"metadata": fields, "built_in_metadata": []}
    assert dataset.get_auto_metadata() == {"metadata": fields, "built_in_metadata": []}

    dataset.update({"description": "updated", "pagerank": 3})
    assert dataset.description == "updated" and dataset.pagerank == 3
    with raises("no properties were modified"):
        dataset.update({})
    with raises("chunk_count"):
        dataset.update({"chunk_count": 9})
    with raises("already exists"):
        copy.update({"name": name})

    rag.delete_datasets(ids=[copy.id])
    with raises("lacks permission"):
        rag.list_datasets(id=copy.id)
    # ragflow-0.27: a delete naming nothing deletes nothing
    rag.delete_datasets()
    assert rag.list_datasets(id=dataset.id)[0].id == dataset.id
    rag.delete_datasets(ids=[dataset.id])


def documents_and_chunks(rag: RAGFlow) -> None:
    """Upload, parse (blocking and async, cancel), list, update, download; chunks; retrieve; deletes."""
    dataset = rag.create_dataset(name=unique("sdk027-docs"))
    docs = dataset.upload_documents([{"display_name": n, "blob": b} for n, b in FILES])
    assert [d.name for d in docs] == [n for n, _ in FILES] and all(d.run == "UNSTART" for d in docs)
    (again,) = dataset.upload_documents([{"display_name": "bees.txt", "blob": b"more bees"}])
    assert again.name == "bees(1).txt"
    (empty,) = dataset.upload_documents([{"display_name": "empty.txt", "blob": b""}])
    assert empty.size == 0

    ids = [d.id for d in docs]
    finished = dataset.parse_documents(ids)  # blocks until every document is parsed
    assert sorted(run for _, run, _, _ in finished) == ["DONE"] * len(ids), finished
    parsed = {d.name: d for d in dataset.list_documents(ids=ids)}
    assert all("Task done" in d.progress_msg and d.process_begin_at for d in parsed.values())
    assert [d.id for d in dataset.list_documents(id=ids[0])] == [ids[0]]
    assert [d.id for d in dataset.list_documents(name="tides.md")] == [ids[1]]
    assert [d.name for d in dataset.list_documents(keywords="volc")] == ["volcano.html"]
    assert len(dataset.list_documents(page=1, page_size=2)) == 2
    with raises("you don't own the document"):
        dataset.list_documents(id=uuid.uuid4().hex)

    # a long document is still being parsed when the cancel arrives
    (long_doc,) = dataset.upload_documents([{"display_name": "long.txt", "blob": LONG_TEXT}])
    dataset.async_parse_documents([long_doc.id])
    dataset.async_cancel_parse_documents([long_doc.id])
    assert wait_parsed(dataset, [long_doc.id])[0].run == "CANCEL"
    with raises("not being parsed"):
        dataset.async_cancel_parse_documents([ids[0]])

    bees = parsed["bees.txt"]
    assert bees.download() == FILES[0][1]
    bees.update({"name": "honeybees.txt", "meta_fields": {"topic": "insects"}})
    assert bees.name == "honeybees.txt" and bees.meta_fields.topic == "insects"
    with raises("Duplicated document name"):
        bees.update({"name": "bees(1).txt"})
    with raises("chunk_count"):
        bees.update({"chunk_count": 99})

    chunks = bees.list_chunks()
    assert len(chunks) == 1 and "waggle dance" in chunks[0].content
    assert [c.id for c in bees.list_chunks(id=chunks[0].id)] == [chunks[0].id]
    assert bees.list_chunks(keywords="waggle")[0].id == chunks[0].id
    added = bees.add_chunk(content="Bees see ultraviolet light.", important_keywords=["vision"], questions=["?"])
    assert isinstance(added, Chunk) and added.document_id == bees.id and added.important_keywords == ["vision"]
    blank = bees.add_chunk(content="Kept as sent.", important_keywords=[""], tag_kwd=["misc"])
    assert blank.important_keywords == [""] and blank.tag_kwd == ["misc"]
    added.update({"content": "Bees see ultraviolet patterns on petals.", "important_keywords": ["uv"]})
    listed = {c.id: c for c in bees.list_chunks()}
    assert listed[added.id].content == "Bees see ultraviolet patterns on petals."
    assert listed[added.id].important_keywords == ["uv"]
    try:
        Chunk(rag, {"id": uuid.uuid4().hex, "dataset_id": dataset.id, "document_id": bees.id}).update({"content": "x"})
        raise AssertionError("updating an unknown chunk succeeded")
    except ChunkUpdateError as exc:
        assert exc.code != 0 and exc.message

    hits = rag.retrieve(dataset_ids=[dataset.id], question="What light can bees see?")
    assert hits and hits[0].id == added.id and hits[0].similarity > 0
    bees.update({"enabled": 0})  # a disabled document is left out of retrieval
    assert bees.status == "0"
    assert added.id not in {c.id for c in rag.retrieve(dataset_ids=[dataset.id], question="What light can bees see?")}
    bees.update({"enabled": 1})
    assert rag.retrieve(dataset_ids=[dataset.id], question="") == []
    assert rag.retrieve(dataset_ids=[dataset.id], document_ids=[ids[1]], question="tides moon")[0].document_id == ids[1]

    bees.delete_chunks(ids=[blank.id])
    assert blank.id not in {c.id for c in bees.list_chunks()}
    with raises("Chunks not found"):
        bees.delete_chunks(ids=[added.id, uuid.uuid4().hex])
    assert added.id not in {c.id for c in bees.list_chunks()}  # the known one went
    bees.delete_chunks()  # ragflow-0.27: naming nothing deletes nothing
    assert len(bees.list_chunks()) == 1
    bees.delete_chunks(delete_all=True)
    assert bees.list_chunks() == []

    # RAGFlow v0.27 checks every id before deleting any: an unknown one leaves the others alone.
    with raises(f"These documents do not belong to dataset {dataset.id} or Document not found"):
        dataset.delete_documents(ids=[ids[2], uuid.uuid4().hex])
    assert ids[2] in {d.id for d in dataset.list_documents()}
    with raises("Duplicate document ids"):
        dataset.delete_documents(ids=[ids[2], ids[2]])
    dataset.delete_documents(ids=[ids[2]])
    assert ids[2] not in {d.id for d in dataset.list_documents()}
    dataset.delete_documents()  # ragflow-0.27: naming nothing deletes nothing
    assert len(dataset.list_documents()) == 5
    dataset.delete_documents(delete_all=True)
    assert dataset.list_documents() == []
    rag.delete_datasets(ids=[dataset.id])
