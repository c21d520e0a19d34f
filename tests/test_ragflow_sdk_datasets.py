"""The official ragflow-sdk 0.22.1 drives datasets, documents, parsing and chunks unchanged."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from ragflow_sdk import RAGFlow
from ragflow_sdk.modules.document import Document

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits
from ragchat_retrieval.testing import minimal_pdf

FILES = [
    ("bees.txt", b"Honey bees communicate the direction of flowers with a waggle dance."),
    ("tides.md", b"# Tides\n\nOcean tides are caused mainly by the gravity of the Moon."),
    (
        "volcano.html",
        b"<html><body><h1>Volcanoes</h1><p>Mauna Loa on Hawaii is the largest active volcano.</p></body></html>",
    ),
    ("glass.pdf", minimal_pdf(["Glass is made by melting sand, soda ash and limestone together."])),
]


def wait_until_parsed(dataset: object, ids: list[str], timeout_s: float = 120) -> list[Document]:
    deadline = time.monotonic() + timeout_s
    while True:
        docs = [d for d in dataset.list_documents(page_size=100) if d.id in ids]  # type: ignore[attr-defined]
        if len(docs) == len(ids) and all(d.run in ("DONE", "FAIL") for d in docs):
            return docs
        assert time.monotonic() < deadline, [(d.name, d.run, d.progress_msg) for d in docs]
        time.sleep(0.5)


@pytest.fixture(scope="module")
def bulk_key(stack: Stack) -> Callable[[str], str]:
    """Keys with a high rate limit: these tests poll and loop (the limiter is tested elsewhere)."""
    return lambda tenant: mint_key(stack.mongo_url, tenant, KeyLimits(requests_per_minute=100_000, burst=10_000))


@pytest.fixture(scope="module")
def rag(stack: Stack, bulk_key: Callable[[str], str]) -> RAGFlow:
    return RAGFlow(api_key=bulk_key("sdk-datasets-" + new_id()), base_url=stack.gateway_url)


def test_sdk_dataset_lifecycle(rag: RAGFlow) -> None:
    name = "sdk-kb-" + new_id()[:8]
    dataset = rag.create_dataset(name=name, description="sdk test")
    assert dataset.name == name and dataset.chunk_method == "naive" and len(dataset.id) == 32
    assert [d.id for d in rag.list_datasets(name=name)] == [dataset.id]
    assert rag.get_dataset(name=name).id == dataset.id

    documents = dataset.upload_documents([{"display_name": n, "blob": b} for n, b in FILES])
    assert [d.name for d in documents] == [n for n, _ in FILES]
    assert all(d.run == "UNSTART" and d.dataset_id == dataset.id for d in documents)

    ids = [d.id for d in documents]
    dataset.async_parse_documents(ids)
    parsed = wait_until_parsed(dataset, ids)
    assert {d.name: d.run for d in parsed} == {n: "DONE" for n, _ in FILES}, [(d.name, d.progress_msg) for d in parsed]
    assert all(d.chunk_count >= 1 and d.progress == 1 for d in parsed)

    pdf = next(d for d in parsed if d.name == "glass.pdf")
    chunks = pdf.list_chunks()
    assert len(chunks) == 1 and "melting sand" in chunks[0].content
    added = pdf.add_chunk(content="Borosilicate glass resists thermal shock.", important_keywords=["pyrex"])
    assert added.content == "Borosilicate glass resists thermal shock." and added.document_id == pdf.id
    assert {c.id for c in pdf.list_chunks()} == {chunks[0].id, added.id}

    hits = rag.retrieve(dataset_ids=[dataset.id], question="What makes glass resist thermal shock?")
    assert hits and hits[0].id == added.id and hits[0].similarity > 0
    hits = rag.retrieve(dataset_ids=[dataset.id], question="How do bees tell where flowers are?")
    assert hits[0].document_id == next(d.id for d in parsed if d.name == "bees.txt")

    pdf.delete_chunks([added.id])
    assert [c.id for c in pdf.list_chunks()] == [chunks[0].id]

    chat = rag.create_chat("sdk-chat-" + new_id()[:8], dataset_ids=[dataset.id])
    assert [(d["id"], d["name"]) for d in chat.datasets] == [(dataset.id, name)]  # type: ignore[attr-defined]

    dataset.update({"name": name + "-renamed"})
    assert rag.list_datasets(id=dataset.id)[0].name == name + "-renamed"
    dataset.delete_documents(ids=[documents[0].id])
    assert {d.id for d in dataset.list_documents()} == set(ids[1:])
    rag.delete_chats(ids=[chat.id])
    rag.delete_datasets(ids=[dataset.id])
    with pytest.raises(Exception, match="lacks permission for dataset"):  # as RAGFlow: an id filter matching nothing
        rag.list_datasets(id=dataset.id)


def test_sdk_errors_carry_the_message(rag: RAGFlow) -> None:
    with pytest.raises(Exception, match="is not supported"):
        rag.create_dataset(name="sdk-bad-" + new_id()[:8], chunk_method="picture")
    dataset = rag.create_dataset(name="sdk-err-" + new_id()[:8])
    with pytest.raises(Exception, match="unsupported type"):
        dataset.upload_documents([{"display_name": "x.exe", "blob": b"MZ"}])
    with pytest.raises(Exception, match="not found"):
        rag.retrieve(dataset_ids=[new_id()], question="anything")
