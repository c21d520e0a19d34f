"""The official client, unchanged: ragflow-sdk 0.22.1 against the running stack (API.md §3-§4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import version

import pytest
from ragflow_sdk import RAGFlow
from ragflow_sdk.modules.chat import Chat
from ragflow_sdk.modules.session import Session

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id


@pytest.fixture
def rag(stack: Stack, make_key: Callable[[str], str]) -> RAGFlow:
    return RAGFlow(api_key=make_key("sdk-" + new_id()), base_url=stack.gateway_url)


def test_sdk_version_is_the_contracted_one() -> None:
    assert version("ragflow-sdk") == "0.22.1"


def test_create_chat_with_sdk_defaults(rag: RAGFlow) -> None:
    chat = rag.create_chat("Assistant")
    assert isinstance(chat, Chat) and len(chat.id) == 32 and chat.name == "Assistant"
    # The SDK sends model_name null and its own prompt defaults; nulls become ours.
    assert chat.llm.model_name and chat.llm.temperature == 0.1 and chat.llm.max_tokens == 512
    assert chat.prompt.top_n == 8 and chat.prompt.keywords_similarity_weight == 0.7
    assert chat.prompt.variables == [{"key": "knowledge", "optional": True}]
    assert "{knowledge}" in chat.prompt.prompt and chat.prompt.opener
    assert chat.dataset_ids == [] and chat.datasets == []
    with pytest.raises(Exception, match=r"Duplicated chat name in creating chat\."):
        rag.create_chat("assistant")


def test_create_chat_with_custom_llm_and_prompt(rag: RAGFlow) -> None:
    llm = Chat.LLM(rag, {"model_name": None, "temperature": 0.7, "top_p": 0.9, "max_tokens": 256})
    prompt = Chat.Prompt(rag, {"prompt": "Use {knowledge}. Be {tone}.", "keywords_similarity_weight": 0.2})
    prompt.variables = [{"key": "knowledge", "optional": False}, {"key": "tone", "optional": True}]
    chat = rag.create_chat("Custom", llm=llm, prompt=prompt)
    assert (chat.llm.temperature, chat.llm.top_p, chat.llm.max_tokens) == (0.7, 0.9, 256)
    assert chat.prompt.prompt == "Use {knowledge}. Be {tone}."
    assert chat.prompt.keywords_similarity_weight == 0.2  # as sent
    bad = Chat.Prompt(rag, {"prompt": "No placeholder here."})
    bad.variables = [{"key": "knowledge", "optional": False}]
    with pytest.raises(Exception, match="Parameter 'knowledge' is not used"):
        rag.create_chat("Broken", prompt=bad)
    with pytest.raises(Exception, match="You don't own the dataset"):
        rag.create_chat("NoData", dataset_ids=[new_id()])


def test_list_chats_filters_and_paging(rag: RAGFlow) -> None:
    created = [rag.create_chat(name) for name in ("first", "second", "third")]
    listed = rag.list_chats()
    assert [c.id for c in listed] == [c.id for c in reversed(created)]
    assert all(isinstance(c, Chat) for c in listed)
    assert [c.name for c in rag.list_chats(orderby="name", desc=False)] == ["first", "second", "third"]
    assert [c.id for c in rag.list_chats(page=2, page_size=1, desc=False)] == [created[1].id]
    assert rag.list_chats(page=5, page_size=1) == []
    assert [c.id for c in rag.list_chats(name="third")] == [created[2].id]
    assert [c.id for c in rag.list_chats(id=created[0].id)] == [created[0].id]
    with pytest.raises(Exception, match="page_size"):
        rag.list_chats(page_size=0)


def test_chat_update_and_delete_chats(rag: RAGFlow) -> None:
    chat = rag.create_chat("Before")
    chat.update({"name": "After", "llm": {"temperature": 0.5}, "prompt": {"top_n": 2}})
    [stored] = rag.list_chats(id=chat.id)
    assert stored.name == "After" and stored.llm.temperature == 0.5 and stored.prompt.top_n == 2
    assert stored.llm.max_tokens == 512  # merged, not replaced
    with pytest.raises(Exception, match=r"`name` cannot be empty\."):
        chat.update({"name": ""})
    other = rag.create_chat("Other")
    rag.delete_chats(ids=[chat.id])
    assert [c.id for c in rag.list_chats()] == [other.id]
    with pytest.raises(Exception, match=re.escape(f"Assistant({chat.id}) not found.")):
        rag.delete_chats(ids=[chat.id])  # all unknown → error, worded as RAGFlow v0.22.1
    with pytest.raises(Exception, match="ids"):
        rag.delete_chats()  # null ids deletes nothing (differs from RAGFlow)
    assert [c.id for c in rag.list_chats()] == [other.id]


def test_sessions_through_the_sdk(rag: RAGFlow) -> None:
    chat = rag.create_chat("With sessions")
    session = chat.create_session("First")
    assert isinstance(session, Session) and session.name == "First" and session.chat_id == chat.id
    assert session.messages[0]["role"] == "assistant" and session.messages[0]["content"] == chat.prompt.opener
    default = chat.create_session()
    assert default.name == "New session"
    with pytest.raises(Exception, match=r"`name` can not be empty\."):
        chat.create_session("")

    listed = chat.list_sessions()
    assert [s.id for s in listed] == [default.id, session.id]
    assert [s.id for s in chat.list_sessions(page=1, page_size=1)] == [default.id]
    assert [s.id for s in chat.list_sessions(name="First")] == [session.id]
    assert [s.id for s in chat.list_sessions(id=default.id)] == [default.id]
    assert [s.name for s in chat.list_sessions(orderby="name", desc=False)] == ["First", "New session"]

    session.update({"name": "Renamed"})
    assert [s.name for s in chat.list_sessions(id=session.id)] == ["Renamed"]
    with pytest.raises(Exception, match="`messages` can not be changed"):
        session.update({"messages": []})

    chat.delete_sessions(ids=[session.id])
    assert [s.id for s in chat.list_sessions()] == [default.id]
    with pytest.raises(Exception, match=f"The chat doesn't own the session {session.id}"):
        chat.delete_sessions(ids=[session.id])
    with pytest.raises(Exception, match="ids"):
        chat.delete_sessions()
    assert [s.id for s in chat.list_sessions()] == [default.id]
