"""ragflow-sdk 0.27.3 scenarios: every method of RAGFlow (chats), Chat, Session and Message.

Run by tests/test_ragflow_sdk027_chats.py through tests/sdk027_harness.py in the SDK's own
Python 3.13, with a key of the ``ragflow-0.27`` dialect. Plain asserts on what the SDK returns.
"""

from __future__ import annotations

from typing import Any

from expect import raises
from ragflow_sdk import RAGFlow
from ragflow_sdk.modules.chat import Chat
from ragflow_sdk.modules.session import Message, Session


def chat_lifecycle(rag: RAGFlow, prefix: str) -> dict[str, Any]:
    chat = rag.create_chat(
        f"{prefix} Support",
        icon="data:image/png;base64,AAAA",
        llm_setting={"temperature": 0.7, "max_tokens": 256},
        prompt_config={"system": "Answer from {knowledge}.", "prologue": "Hello there!", "quote": False},
        similarity_threshold=0.3,
        vector_similarity_weight=0.4,
        top_n=5,
        top_k=900,
    )
    assert isinstance(chat, Chat) and len(chat.id) == 32 and chat.name == f"{prefix} Support"
    assert chat.icon == "data:image/png;base64,AAAA" and chat.dataset_ids == []
    assert chat.llm_id  # the deployment's model
    assert (chat.llm_setting.temperature, chat.llm_setting.max_tokens) == (0.7, 256)
    assert chat.prompt_config.system == "Answer from {knowledge}." and chat.prompt_config.prologue == "Hello there!"
    assert chat.prompt_config.quote is False
    assert (chat.similarity_threshold, chat.vector_similarity_weight, chat.top_n, chat.top_k) == (0.3, 0.4, 5, 900)

    fetched = rag.get_chat(chat.id)
    assert isinstance(fetched, Chat) and fetched.to_json() == chat.to_json()

    # update() is a PATCH: llm_setting and prompt_config merge key by key.
    chat.update({"llm_setting": {"top_p": 0.5}, "prompt_config": {"prologue": "Welcome back!"}, "top_n": 0})
    updated = rag.get_chat(chat.id)
    assert (updated.llm_setting.temperature, updated.llm_setting.top_p, updated.llm_setting.max_tokens) == (
        0.7,
        0.5,
        256,
    )
    assert (
        updated.prompt_config.prologue == "Welcome back!" and updated.prompt_config.system == "Answer from {knowledge}."
    )
    assert updated.top_n == 0 and updated.top_k == 900
    chat.update({"name": f"{prefix} Helpdesk", "llm_id": updated.llm_id})
    assert rag.get_chat(chat.id).name == f"{prefix} Helpdesk"
    with raises("`llm_id` no-such-model doesn't exist"):
        chat.update({"llm_id": "no-such-model"})
    with raises("`llm_id` no-such-model doesn't exist"):
        rag.create_chat(f"{prefix} Broken", llm_id="no-such-model")
    pirate = rag.create_chat(f"{prefix} Pirate", prompt_config={"system": "You are a pirate."})  # no {knowledge}
    assert pirate.prompt_config.system == "You are a pirate."
    rag.delete_chats(ids=[pirate.id])
    with raises("duplicated chat name in creating chat"):
        rag.create_chat(f"{prefix} helpdesk")
    return {"id": chat.id, "tenant_id": updated.tenant_id}


def list_and_delete_chats(rag: RAGFlow, prefix: str, tenant_id: str) -> None:
    names = [f"{prefix} b", f"{prefix} c", f"{prefix} a"]
    created = [rag.create_chat(name) for name in names]
    listed = rag.list_chats()
    assert all(isinstance(c, Chat) for c in listed)
    assert [c.id for c in listed][:3] == [c.id for c in reversed(created)]  # newest first
    by_name = rag.list_chats(orderby="name", desc=False, keywords=prefix)
    assert [c.name for c in by_name] == sorted(names)
    assert [c.id for c in rag.list_chats(page=2, page_size=1, keywords=prefix, desc=False)] == [created[1].id]
    assert [c.id for c in rag.list_chats(id=created[0].id)] == [created[0].id]
    assert [c.id for c in rag.list_chats(name=f"{prefix} c")] == [created[1].id]
    assert rag.list_chats(name=f"{prefix} nobody") == []  # v0.27: an empty list, not an error
    assert len(rag.list_chats(keywords=prefix.upper(), owner_ids=[tenant_id])) == 3
    assert rag.list_chats(owner_ids="someone-else") == []

    rag.delete_chats()  # neither ids nor delete_all: nothing deleted, no error (v0.27)
    assert len(rag.list_chats(keywords=prefix)) == 3
    rag.delete_chats(ids=[created[0].id])
    assert created[0].id not in [c.id for c in rag.list_chats(keywords=prefix)]
    with raises(f"Chat({created[0].id}) not found."):
        rag.delete_chats(ids=[created[0].id])
    with raises("You don't own the chat"):
        rag.get_chat(created[0].id)
    rag.delete_chats(ids=[created[1].id, created[1].id])  # reported as a duplicate, deleted once
    rag.delete_chats(delete_all=True)
    assert rag.list_chats() == []


def sessions(rag: RAGFlow, prefix: str, tenant_id: str) -> None:
    chat = rag.create_chat(f"{prefix} sessions", prompt_config={"prologue": "Hi, ask away."})
    first = chat.create_session()
    assert isinstance(first, Session) and first.name == "New session" and first.chat_id == chat.id
    assert [(m["role"], m["content"]) for m in first.messages] == [("assistant", "Hi, ask away.")]
    assert first.user_id == tenant_id  # the caller, as RAGFlow v0.27 records it
    second = chat.create_session("Second")
    third = chat.create_session("Third")

    listed = chat.list_sessions()
    assert [s.id for s in listed] == [third.id, second.id, first.id] and all(isinstance(s, Session) for s in listed)
    assert [s.name for s in chat.list_sessions(orderby="name", desc=False)] == ["New session", "Second", "Third"]
    assert [s.id for s in chat.list_sessions(page=2, page_size=1)] == [second.id]
    assert [s.id for s in chat.list_sessions(id=first.id)] == [first.id]
    assert [s.id for s in chat.list_sessions(name="Second")] == [second.id]
    assert len(chat.list_sessions(user_id=tenant_id)) == 3 and chat.list_sessions(user_id="nobody") == []

    second.update({"name": "Renamed"})  # PATCH
    assert [s.name for s in chat.list_sessions(id=second.id)] == ["Renamed"]
    with raises("`name` can not be empty"):
        second.update({"name": " "})
    with raises("cannot be changed"):
        second.update({"messages": []})

    chat.delete_sessions()  # neither ids nor delete_all: nothing deleted (v0.27)
    assert len(chat.list_sessions()) == 3
    chat.delete_sessions(ids=[first.id])
    assert first.id not in [s.id for s in chat.list_sessions()]
    with raises(f"The chat doesn't own the session {first.id}"):
        chat.delete_sessions(ids=[first.id])
    chat.delete_sessions(delete_all=True)
    assert chat.list_sessions() == []
    rag.delete_chats(ids=[chat.id])
    with raises("You don't own the chat"):
        chat.create_session()


def ask(rag: RAGFlow, prefix: str) -> dict[str, Any]:
    chat = rag.create_chat(f"{prefix} ask", prompt_config={"prologue": "Ask me."})
    session = chat.create_session("Questions")
    question = f"{prefix} what is up?"
    [answer] = list(session.ask(question, stream=False))
    assert isinstance(answer, Message) and answer.role == "assistant"
    assert answer.content == f"Echo: {question}" and len(answer.id) == 32

    follow = f"{prefix} and then?"
    parts = list(session.ask(follow, stream=True))
    assert parts and all(isinstance(p, Message) for p in parts)
    assert "".join(p.content for p in parts) == f"Echo: {follow}"
    assert {p.id for p in parts} == {parts[0].id} and parts[0].id != answer.id

    # Extra keyword arguments go into the request: one answer's own generation settings.
    tuned = f"{prefix} short please"
    [short] = list(session.ask(tuned, stream=False, max_tokens=16, temperature=0.0))
    assert short.content == f"Echo: {tuned}"

    [stored] = chat.list_sessions(id=session.id)
    contents = [(m["role"], m["content"]) for m in stored.messages]
    assert contents == [
        ("assistant", "Ask me."),
        ("user", question),
        ("assistant", f"Echo: {question}"),
        ("user", follow),
        ("assistant", f"Echo: {follow}"),
        ("user", tuned),
        ("assistant", f"Echo: {tuned}"),
    ]
    assert [m["id"] for m in stored.messages[1:3]] == [answer.id, answer.id]  # a question and its answer share an id
    return {"chat_id": chat.id, "session_id": session.id, "answer_id": answer.id, "tuned": tuned}
