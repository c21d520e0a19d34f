"""Session domain functions against a real SecantusDB (no transport, no mocks)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.ids import new_id
from ragchat_session.domain import sessions
from ragchat_session.domain.types import SessionQuery, TokenUsage
from ragchat_session.store import SessionStore

T1, T2 = "tenant-one", "tenant-two"


async def test_create_defaults_and_opener(store: SessionStore) -> None:
    chat = new_id()
    plain = await sessions.create_session(store, T1, chat)
    assert plain.name == "New session" and plain.user_id == "" and plain.messages == []
    opened = await sessions.create_session(store, T1, chat, name="Mine", user_id="u1", opener="Hello Ann")
    assert [(m.role, m.content) for m in opened.messages] == [("assistant", "Hello Ann")]
    stored = await sessions.get_session(store, T1, chat, opened.id)
    assert stored == opened
    with pytest.raises(InvalidArgument, match=r"`name` can not be empty\."):
        await sessions.create_session(store, T1, chat, name="  ")


async def test_sessions_are_scoped_by_tenant_and_chat(store: SessionStore) -> None:
    chat, other_chat = new_id(), new_id()
    session = await sessions.create_session(store, T1, chat)
    for tenant, chat_id in ((T2, chat), (T1, other_chat)):
        with pytest.raises(NotFound):
            await sessions.get_session(store, tenant, chat_id, session.id)
        with pytest.raises(NotFound):
            await sessions.update_session(store, tenant, chat_id, session.id, name="x")
        with pytest.raises(NotFound):
            await sessions.append_user_message(store, tenant, chat_id, session.id, "hi")
        with pytest.raises(NotFound):
            await sessions.delete_sessions(store, tenant, chat_id, [session.id], False)
    assert (await sessions.get_session(store, T1, chat, session.id)).id == session.id


async def test_update_changes_only_given_fields(store: SessionStore) -> None:
    chat = new_id()
    session = await sessions.create_session(store, T1, chat, name="a", user_id="u1")
    await asyncio.sleep(0.002)
    renamed = await sessions.update_session(store, T1, chat, session.id, name="b")
    assert (renamed.name, renamed.user_id) == ("b", "u1")
    assert renamed.update_time > session.update_time
    moved = await sessions.update_session(store, T1, chat, session.id, user_id="u2")
    assert (moved.name, moved.user_id) == ("b", "u2")
    with pytest.raises(InvalidArgument):
        await sessions.update_session(store, T1, chat, session.id, name="")


async def test_list_filters_orders_and_pages(store: SessionStore) -> None:
    chat = new_id()
    created = []
    for index, name in enumerate(["c", "a", "b"]):
        created.append(await sessions.create_session(store, T1, chat, name=name, user_id=f"u{index % 2}"))
        await asyncio.sleep(0.002)
    await sessions.create_session(store, T1, new_id(), name="elsewhere")
    page = await sessions.list_sessions(store, T1, chat, SessionQuery())
    assert page.total == 3 and [s.id for s in page.sessions] == [s.id for s in reversed(created)]
    by_name = await sessions.list_sessions(store, T1, chat, SessionQuery(orderby="name", desc=False))
    assert [s.name for s in by_name.sessions] == ["a", "b", "c"]
    second = await sessions.list_sessions(store, T1, chat, SessionQuery(page=2, page_size=2, desc=False))
    assert second.total == 3 and [s.id for s in second.sessions] == [created[2].id]
    beyond = await sessions.list_sessions(store, T1, chat, SessionQuery(page=5, page_size=2))
    assert beyond.sessions == [] and beyond.total == 3
    assert [s.id for s in (await sessions.list_sessions(store, T1, chat, SessionQuery(user_id="u1"))).sessions] == [
        created[1].id
    ]
    assert (await sessions.list_sessions(store, T1, chat, SessionQuery(name="b"))).total == 1
    assert (await sessions.list_sessions(store, T1, chat, SessionQuery(id=created[0].id))).total == 1
    with pytest.raises(InvalidArgument, match="orderby"):
        await sessions.list_sessions(store, T1, chat, SessionQuery(orderby="nope"))


async def test_delete_rules(store: SessionStore) -> None:
    chat = new_id()
    a, b, c = [await sessions.create_session(store, T1, chat) for _ in range(3)]
    with pytest.raises(InvalidArgument, match='send "delete_all": true'):
        await sessions.delete_sessions(store, T1, chat, [], False)
    with pytest.raises(InvalidArgument):
        await sessions.delete_sessions(store, T1, chat, None, False)
    partial = await sessions.delete_sessions(store, T1, chat, [a.id, a.id, "missing"], False)
    assert partial.success_count == 1 and partial.errors == [
        "The chat doesn't own the session missing",
        f"Duplicate session ids: {a.id}",
    ]
    with pytest.raises(NotFound):
        await sessions.delete_sessions(store, T1, chat, [a.id], False)
    everything = await sessions.delete_sessions(store, T1, chat, None, True)
    assert everything.success_count == 2
    assert (await sessions.list_sessions(store, T1, chat, SessionQuery())).total == 0
    del b, c


async def test_delete_chat_sessions_removes_only_those_chats(store: SessionStore) -> None:
    gone, kept = new_id(), new_id()
    await sessions.create_session(store, T1, gone)
    await sessions.create_session(store, T1, gone)
    await sessions.create_session(store, T2, gone)  # same chat id in another tenant is untouched
    survivor = await sessions.create_session(store, T1, kept)
    assert await sessions.delete_chat_sessions(store, T1, [gone]) == 2
    assert (await sessions.list_sessions(store, T2, gone, SessionQuery())).total == 1
    assert (await sessions.get_session(store, T1, kept, survivor.id)).id == survivor.id


async def test_question_answer_cycle_history_and_idempotent_answer(store: SessionStore) -> None:
    chat = new_id()
    session = await sessions.create_session(store, T1, chat, opener="Hi")
    first = await sessions.append_user_message(store, T1, chat, session.id, "What is X?")
    assert [m.content for m in first.history] == ["Hi"]
    assert first.answer_id == first.user_message_id  # a question and its answer share an id
    reference = {"total": 1, "chunks": [{"id": "c1", "content": "X is Y"}], "doc_aggs": []}
    assert await sessions.store_answer(store, T1, chat, session.id, first.answer_id, "X is Y [ID:0]", reference)
    # A redelivered job stores nothing twice.
    assert not await sessions.store_answer(store, T1, chat, session.id, first.answer_id, "X is Y [ID:0]", reference)
    second = await sessions.append_user_message(store, T1, chat, session.id, "And Z?")
    assert [(m.role, m.content) for m in second.history] == [
        ("assistant", "Hi"),
        ("user", "What is X?"),
        ("assistant", "X is Y [ID:0]"),
    ]
    # The history is what a prompt needs: references stay in the session, not in every question.
    assert second.history[-1].id == first.answer_id
    assert all(m.reference is None for m in second.history)
    stored = await sessions.get_session(store, T1, chat, session.id)
    assert stored.messages[2].reference == reference
    with pytest.raises(NotFound):
        await sessions.store_answer(store, T1, chat, new_id(), new_id(), "x", None)


async def test_a_new_session_starts_with_the_question_in_one_write(store: SessionStore) -> None:
    chat = new_id()
    appended = await sessions.start_session_with_question(
        store, T1, chat, "What is X?", name="About X", user_id="u1", opener="Hi"
    )
    assert [(m.role, m.content) for m in appended.history] == [("assistant", "Hi")]
    stored = await sessions.get_session(store, T1, chat, appended.session_id)
    assert (stored.name, stored.user_id) == ("About X", "u1")
    assert [(m.id, m.role, m.content) for m in stored.messages[1:]] == [
        (appended.user_message_id, "user", "What is X?")
    ]
    assert await sessions.store_answer(store, T1, chat, appended.session_id, appended.answer_id, "X.", {})
    chosen = new_id()
    plain = await sessions.start_session_with_question(store, T1, chat, "Q", answer_id=chosen)
    assert plain.history == [] and plain.session_id != appended.session_id and plain.answer_id == chosen
    followup = await sessions.append_user_message(store, T1, chat, plain.session_id, "Q2", answer_id=chosen + "2")
    assert followup.answer_id == chosen + "2" and [m.content for m in followup.history] == ["Q"]
    assert (await sessions.get_session(store, T1, chat, plain.session_id)).name == "New session"
    with pytest.raises(InvalidArgument, match=r"`name` can not be empty\."):
        await sessions.start_session_with_question(store, T1, chat, "Q", name=" ")
    with pytest.raises(NotFound):  # the new session is the tenant's and chat's own
        await sessions.get_session(store, T2, chat, plain.session_id)


async def test_concurrent_questions_each_get_the_history_before_their_own(store: SessionStore) -> None:
    chat = new_id()  # the fixture's store keeps 5 messages
    session = await sessions.create_session(store, T1, chat, opener="Hi")
    appended = await asyncio.gather(
        *(sessions.append_user_message(store, T1, chat, session.id, f"q{index}") for index in range(3))
    )
    stored = [m.content for m in (await sessions.get_session(store, T1, chat, session.id)).messages]
    assert sorted(stored[1:]) == ["q0", "q1", "q2"]
    for index, question in enumerate(appended):
        before = stored[: stored.index(f"q{index}")]
        assert [m.content for m in question.history] == before


async def test_history_is_capped_on_write(store: SessionStore) -> None:
    chat = new_id()  # the fixture's store keeps 5 messages
    session = await sessions.create_session(store, T1, chat, opener="Hi")
    for index in range(4):
        appended = await sessions.append_user_message(store, T1, chat, session.id, f"q{index}")
        await sessions.store_answer(store, T1, chat, session.id, appended.answer_id, f"a{index}", {})
    stored = await sessions.get_session(store, T1, chat, session.id)
    assert [m.content for m in stored.messages] == ["a1", "q2", "a2", "q3", "a3"]


async def test_every_write_pushes_the_retention_deadline(store: SessionStore) -> None:
    chat = new_id()
    session = await sessions.create_session(store, T1, chat)
    doc = await store.collection.find_one({"_id": session.id})
    expire_at = doc["expire_at"].replace(tzinfo=dt.UTC)
    expected = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3600)
    assert abs((expire_at - expected).total_seconds()) < 60
    indexes = await store.collection.index_information()
    assert indexes["retention_ttl"]["expireAfterSeconds"] == 0


async def test_an_answer_keeps_its_usage_and_whether_it_was_stopped(store: SessionStore) -> None:
    chat = new_id()
    asked = await sessions.start_session_with_question(store, T1, chat, "Long story?")
    usage = TokenUsage(prompt_tokens=40, completion_tokens=3)
    assert await sessions.store_answer(
        store, T1, chat, asked.session_id, asked.answer_id, "Once upon a", {}, stopped=True, usage=usage
    )
    answer = (await sessions.get_session(store, T1, chat, asked.session_id)).messages[-1]
    assert (answer.id, answer.content, answer.stopped, answer.usage) == (asked.answer_id, "Once upon a", True, usage)
    question = (await sessions.get_session(store, T1, chat, asked.session_id)).messages[0]
    assert not question.stopped and question.usage is None


async def test_deleting_a_message_removes_the_question_and_its_answer(store: SessionStore) -> None:
    chat = new_id()
    session = await sessions.create_session(store, T1, chat, opener="Hi")
    asked = [await sessions.append_user_message(store, T1, chat, session.id, f"q{index}") for index in range(2)]
    for index, question in enumerate(asked):
        await sessions.store_answer(store, T1, chat, session.id, question.answer_id, f"a{index}", {})
    after = await sessions.delete_message(store, T1, chat, session.id, asked[0].answer_id)
    assert [(m.role, m.content) for m in after.messages] == [("assistant", "Hi"), ("user", "q1"), ("assistant", "a1")]
    assert [m.content for m in (await sessions.get_session(store, T1, chat, session.id)).messages] == ["Hi", "q1", "a1"]
    # A message the session does not have (any more) changes nothing, as RAGFlow v0.27.
    again = await sessions.delete_message(store, T1, chat, session.id, asked[0].answer_id)
    assert [m.content for m in again.messages] == ["Hi", "q1", "a1"]
    with pytest.raises(NotFound, match=f"The chat doesn't own the session {session.id}"):  # another tenant's
        await sessions.delete_message(store, T2, chat, session.id, asked[1].answer_id)
    with pytest.raises(NotFound):  # another chat's
        await sessions.delete_message(store, T1, new_id(), session.id, asked[1].answer_id)
    assert len((await sessions.get_session(store, T1, chat, session.id)).messages) == 3


async def test_feedback_is_stored_on_the_answer(store: SessionStore) -> None:
    chat = new_id()
    session = await sessions.create_session(store, T1, chat)
    asked = await sessions.append_user_message(store, T1, chat, session.id, "q")
    await sessions.store_answer(store, T1, chat, session.id, asked.answer_id, "a", {})
    down = await sessions.set_feedback(store, T1, chat, session.id, asked.answer_id, False, "Wrong price")
    question, answer = down.messages
    assert (question.thumbup, question.feedback) == (None, "")  # the question is never rated
    assert (answer.thumbup, answer.feedback) == (False, "Wrong price")
    kept = await sessions.set_feedback(store, T1, chat, session.id, asked.answer_id, False, "")
    assert (kept.messages[1].thumbup, kept.messages[1].feedback) == (False, "Wrong price")
    up = await sessions.set_feedback(store, T1, chat, session.id, asked.answer_id, True, "ignored")
    assert (up.messages[1].thumbup, up.messages[1].feedback) == (True, "")
    stored = await sessions.get_session(store, T1, chat, session.id)
    assert (stored.messages[1].thumbup, stored.messages[1].feedback) == (True, "")
    unknown = await sessions.set_feedback(store, T1, chat, session.id, new_id(), False, "x")
    assert unknown.messages == stored.messages  # an id that is no answer changes nothing
    with pytest.raises(NotFound, match="doesn't own the session"):
        await sessions.set_feedback(store, T2, chat, session.id, asked.answer_id, False, "x")
    assert (await sessions.get_session(store, T1, chat, session.id)).messages[1].thumbup is True
