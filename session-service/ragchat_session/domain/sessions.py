"""Session rules: names, openers, listing, the delete rules, the question/answer cycle."""

from __future__ import annotations

from ragchat_common.bulk_delete import DeleteOutcome, duplicate_errors, ids_to_delete, outcome
from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.ids import new_id
from ragchat_common.paging import page_window
from ragchat_common.timeutil import now_ms, now_s
from ragchat_session.domain.types import (
    DEFAULT_SESSION_NAME,
    MAX_NAME_LENGTH,
    ORDER_FIELDS,
    AppendedQuestion,
    Message,
    Session,
    SessionPage,
    SessionQuery,
    TokenUsage,
)
from ragchat_session.store import SessionStore


def _not_found(session_id: str) -> NotFound:
    return NotFound(f"The chat doesn't own the session {session_id}")


def _valid_name(name: str) -> str:
    if not name.strip():
        raise InvalidArgument("`name` can not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"`name` is longer than {MAX_NAME_LENGTH} characters.")
    return name


def _new_session(
    tenant_id: str, chat_id: str, name: str | None, user_id: str | None, opener: str, questions: list[Message]
) -> Session:
    name = DEFAULT_SESSION_NAME if name is None else _valid_name(name)
    now = now_ms()
    messages = [Message(id=new_id(), role="assistant", content=opener, created_at=now_s())] if opener else []
    return Session(
        id=new_id(),
        tenant_id=tenant_id,
        chat_id=chat_id,
        name=name,
        user_id=user_id or "",
        create_time=now,
        update_time=now,
        messages=messages + questions,
    )


async def create_session(
    store: SessionStore,
    tenant_id: str,
    chat_id: str,
    *,
    name: str | None = None,
    user_id: str | None = None,
    opener: str = "",
) -> Session:
    """A new session; a non-empty (already rendered) opener becomes its first message."""
    session = _new_session(tenant_id, chat_id, name, user_id, opener, [])
    await store.insert(session)
    return session


async def get_session(store: SessionStore, tenant_id: str, chat_id: str, session_id: str) -> Session:
    session = await store.get(tenant_id, chat_id, session_id)
    if session is None:
        raise _not_found(session_id)
    return session


async def update_session(
    store: SessionStore,
    tenant_id: str,
    chat_id: str,
    session_id: str,
    *,
    name: str | None = None,
    user_id: str | None = None,
) -> Session:
    fields: dict[str, object] = {"update_time": now_ms()}
    if name is not None:
        fields["name"] = _valid_name(name)
    if user_id is not None:
        fields["user_id"] = user_id
    session = await store.update_fields(tenant_id, chat_id, session_id, fields)
    if session is None:
        raise _not_found(session_id)
    return session


async def list_sessions(store: SessionStore, tenant_id: str, chat_id: str, query: SessionQuery) -> SessionPage:
    page_window(query.page, query.page_size, zero_is_default=False)
    if query.orderby not in ORDER_FIELDS:
        raise InvalidArgument(f"`orderby` must be one of: {', '.join(ORDER_FIELDS)}.")
    return await store.list_page(tenant_id, chat_id, query)


async def delete_sessions(
    store: SessionStore, tenant_id: str, chat_id: str, ids: list[str] | None, delete_all: bool
) -> DeleteOutcome:
    wanted = ids_to_delete(ids, delete_all, "session")
    if wanted is None:
        return DeleteOutcome(success_count=await store.delete_chat_sessions(tenant_id, [chat_id]))
    existing = await store.existing_ids(tenant_id, chat_id, wanted)
    if existing:
        await store.delete_ids(tenant_id, chat_id, sorted(existing))
    return outcome(
        wanted,
        existing,
        lambda missing: f"The chat doesn't own the session {missing}",
        duplicate_errors(ids, "session"),
    )


async def delete_chat_sessions(store: SessionStore, tenant_id: str, chat_ids: list[str]) -> int:
    if not chat_ids:
        return 0
    return await store.delete_chat_sessions(tenant_id, chat_ids)


async def append_user_message(
    store: SessionStore, tenant_id: str, chat_id: str, session_id: str, content: str, *, answer_id: str = ""
) -> AppendedQuestion:
    """Stores the question under the answer's id (``answer_id``, or a new one: a question and its
    answer share an id, as in RAGFlow); returns the history before the question."""
    question = Message(id=answer_id or new_id(), role="user", content=content, created_at=now_s())
    history = await store.push_message(tenant_id, chat_id, session_id, question, now_ms())
    if history is None:
        raise _not_found(session_id)
    return AppendedQuestion(session_id=session_id, user_message_id=question.id, answer_id=question.id, history=history)


async def start_session_with_question(
    store: SessionStore,
    tenant_id: str,
    chat_id: str,
    content: str,
    *,
    name: str | None = None,
    user_id: str | None = None,
    opener: str = "",
    answer_id: str = "",
) -> AppendedQuestion:
    """``create_session`` and ``append_user_message`` in one write: the new session holds the question."""
    question = Message(id=answer_id or new_id(), role="user", content=content, created_at=now_s())
    session = _new_session(tenant_id, chat_id, name, user_id, opener, [question])
    await store.insert(session)
    return AppendedQuestion(
        session_id=session.id, user_message_id=question.id, answer_id=question.id, history=session.messages[:-1]
    )


async def store_answer(
    store: SessionStore,
    tenant_id: str,
    chat_id: str,
    session_id: str,
    answer_id: str,
    content: str,
    reference: dict[str, object] | None,
    *,
    stopped: bool = False,
    usage: TokenUsage | None = None,
) -> bool:
    """Stores the assistant's answer once per answer_id; False when it was already stored."""
    if not answer_id:
        raise InvalidArgument("`answer_id` is required.")
    answer = Message(
        id=answer_id,
        role="assistant",
        content=content,
        created_at=now_s(),
        reference=reference or {},
        stopped=stopped,
        usage=usage,
    )
    if await store.push_message_once(tenant_id, chat_id, session_id, answer, now_ms()):
        return True
    if await store.get(tenant_id, chat_id, session_id) is None:
        raise _not_found(session_id)
    return False


async def delete_message(
    store: SessionStore, tenant_id: str, chat_id: str, session_id: str, message_id: str
) -> Session:
    """Removes a question and its answer (one id); the session as it is after. A message the
    session does not have changes nothing (RAGFlow v0.27 answers the session as it is)."""
    session = await store.pull_message(tenant_id, chat_id, session_id, message_id, now_ms())
    return session if session is not None else await _existing(store, tenant_id, chat_id, session_id)


async def set_feedback(
    store: SessionStore, tenant_id: str, chat_id: str, session_id: str, message_id: str, thumbup: bool, feedback: str
) -> Session:
    """Rates an answer. As RAGFlow: a thumb up drops the comment; a thumb down stores the one given
    (an empty one leaves the stored comment); an id that is no answer of the session changes nothing."""
    comment = "" if thumbup else (feedback or None)
    session = await store.rate_answer(tenant_id, chat_id, session_id, message_id, thumbup, comment)
    return session if session is not None else await _existing(store, tenant_id, chat_id, session_id)


async def _existing(store: SessionStore, tenant_id: str, chat_id: str, session_id: str) -> Session:
    session = await store.get(tenant_id, chat_id, session_id)
    if session is None:
        raise _not_found(session_id)
    return session
