"""ragflow-sdk 0.22.1 ``session.ask`` on a chat with a dataset: answers cite the right chunk."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_llm import CompletionEnv, FakeLLM, shared_completion_env
from ragflow_sdk import RAGFlow

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id

FILES = [
    ("eiffel.txt", b"The Eiffel tower stands on the Champ de Mars in Paris, France."),
    ("bees.txt", b"Honey bees communicate the direction of flowers with a waggle dance."),
]


@pytest.fixture(scope="module")
def env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> CompletionEnv:
    return shared_completion_env(stack, Path(tmp_path_factory.mktemp("completions")))


@pytest.fixture(scope="module")
def rag(env: CompletionEnv, make_key: Callable[[str], str]) -> RAGFlow:
    return RAGFlow(api_key=make_key("sdk-ask-" + new_id()), base_url=env.gateway_url)


@pytest.fixture(scope="module")
def chat(rag: RAGFlow) -> Any:
    dataset = rag.create_dataset(name="ask-kb-" + new_id()[:8])
    documents = dataset.upload_documents([{"display_name": n, "blob": b} for n, b in FILES])
    ids = [d.id for d in documents]
    dataset.async_parse_documents(ids)
    deadline = time.monotonic() + 120
    while True:
        docs = [d for d in dataset.list_documents(page_size=100) if d.id in ids]
        if len(docs) == len(ids) and all(d.run == "DONE" for d in docs):
            break
        assert not any(d.run == "FAIL" for d in docs), [(d.name, d.progress_msg) for d in docs]
        assert time.monotonic() < deadline, [(d.name, d.run) for d in docs]
        time.sleep(0.3)
    chat = rag.create_chat("ask-chat-" + new_id()[:8], dataset_ids=[dataset.id])
    chat.document_ids = {d.name: d.id for d in docs}  # for the tests below
    return chat


def stored_answer(chat: Any, session_id: str) -> dict[str, Any]:
    session = chat.list_sessions(id=session_id)[0]
    message: dict[str, Any] = session.messages[-1]
    assert message["role"] == "assistant"
    return message


def eiffel_marker(reference: list[dict[str, Any]]) -> int:
    return next(i for i, c in enumerate(reference) if "Eiffel" in c["content"])


def test_ask_non_stream_cites_the_right_chunk(chat: Any, env: CompletionEnv) -> None:
    fake: FakeLLM = env.fake
    question = "Where does the Eiffel tower stand? " + new_id()[:6]
    fake.script(question, answer="It stands in Paris {cite}.", cite="Eiffel")
    session = chat.create_session()
    message = next(session.ask(question, stream=False))
    n = eiffel_marker(message.reference)
    assert message.content == f"It stands in Paris [ID:{n}]."  # "[ID: n]" from the model, normalised
    chunk = message.reference[n]
    assert chunk["document_name"] == chunk["doc_name"] == "eiffel.txt"
    assert set(chunk) >= {"id", "chunk_id", "content", "document_id", "dataset_id", "similarity"}
    stored = stored_answer(chat, session.id)
    assert stored["content"] == message.content
    assert stored["reference"]["doc_aggs"] == [{"doc_id": chunk["document_id"], "doc_name": "eiffel.txt", "count": 1}]


def test_ask_stream_deltas_join_to_the_stored_answer(chat: Any, env: CompletionEnv) -> None:
    fake: FakeLLM = env.fake
    question = "Tell me about the Eiffel tower, streaming. " + new_id()[:6]
    fake.script(
        question, answer="The Eiffel tower is in Paris {cite}, on the Champ de Mars.", cite="Eiffel", delay_s=0.01
    )
    session = chat.create_session()
    messages = list(session.ask(question, stream=True))
    joined = "".join(m.content for m in messages)
    final = messages[-1]
    assert final.content == "" and final.reference  # the final event carries the full reference
    n = eiffel_marker(final.reference)
    assert joined == f"The Eiffel tower is in Paris [ID:{n}], on the Champ de Mars."
    assert len(messages) > 2
    assert stored_answer(chat, session.id)["content"] == joined


def test_doc_ids_restrict_retrieval_and_quote_false_keeps_markers_out(chat: Any, env: CompletionEnv) -> None:
    fake: FakeLLM = env.fake
    question = "Where is the Eiffel tower, among bees? " + new_id()[:6]
    session = chat.create_session()
    message = next(session.ask(question, stream=False, doc_ids=[chat.document_ids["bees.txt"]], quote=False))
    assert message.reference and {c["document_name"] for c in message.reference} == {"bees.txt"}
    system = fake.requests_mentioning(question)[-1]["messages"][0]["content"]
    assert "waggle dance" in system and "Eiffel tower stands" not in system
    assert "Cite your sources" not in system  # quote=False: no citation rules


def test_a_deleted_dataset_leaves_the_chats_other_datasets_searchable(rag: RAGFlow, env: CompletionEnv) -> None:
    def indexed_dataset(name: str, blob: bytes) -> Any:
        dataset = rag.create_dataset(name=name + new_id()[:8])
        [document] = dataset.upload_documents([{"display_name": name + ".txt", "blob": blob}])
        dataset.async_parse_documents([document.id])
        deadline = time.monotonic() + 120
        while (doc := dataset.list_documents(id=document.id)[0]).run != "DONE":
            assert doc.run != "FAIL", doc.progress_msg
            assert time.monotonic() < deadline
            time.sleep(0.3)
        return dataset

    kept = indexed_dataset("lighthouse", b"The Corrib lighthouse keeper lights the lamp at dusk every evening.")
    doomed = indexed_dataset("comet", b"The comet Varro returns to the inner solar system every 71 years.")
    chat = rag.create_chat("two-kb-" + new_id()[:8], dataset_ids=[kept.id, doomed.id])
    rag.delete_datasets(ids=[doomed.id])

    question = "When does the Corrib lighthouse keeper light the lamp? " + new_id()[:6]
    env.fake.script(question, answer="At dusk {cite}.", cite="lighthouse")
    message = next(chat.create_session().ask(question, stream=False))
    assert [c["document_name"] for c in message.reference] == ["lighthouse.txt"]
    assert message.content == "At dusk [ID:0]."
