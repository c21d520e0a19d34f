"""Steps 2-4 of "A completion, step by step" (ARCHITECTURE.md), transport-free.

``prepare_chat_completion`` reads the chat, resolves its variables, gets or creates the session
with the question in it, subscribes to the answer's stream and publishes the job; the caller
relays the events (relay.py). Nothing is written before the broker and the stream hub answer,
and a session this request created is removed again when its job cannot be published.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from typing import Any

from ragchat.chat.v1 import chat_pb2
from ragchat.session.v1 import session_pb2
from ragchat_common.errors import InternalError, RagchatError
from ragchat_common.events import StreamEvent
from ragchat_common.ids import new_id
from ragchat_common.jobs import ChatSnapshot, ChatTurn, CompletionJob
from ragchat_common.prompting import fill_placeholders
from ragchat_common.structs import from_struct
from ragchat_gateway.completion.ports import CompletionPorts
from ragchat_gateway.completion.request import CompletionRequest, StatelessRequest
from ragchat_gateway.completion.variables import opener_values, resolve_variables
from ragchat_gateway.streaming.hub import Keepalive, Subscription, TimedOut

log = logging.getLogger(__name__)

SESSION_NAME_MAX = 255
DEFAULT_SESSION_NAME = "New session"


@dataclass
class PreparedCompletion:
    """A published job whose events wait on ``subscription``; ``close()`` unsubscribes."""

    message_id: str
    session_id: str
    chat_id: str
    subscription: Subscription
    exits: AsyncExitStack
    keepalive_s: float
    timeout_s: float

    async def close(self) -> None:
        await self.exits.aclose()

    def events(self) -> AsyncIterator[StreamEvent | Keepalive | TimedOut]:
        return self.subscription.events(keepalive_s=self.keepalive_s, timeout_s=self.timeout_s)


def chat_snapshot(chat: chat_pb2.Chat) -> ChatSnapshot:
    return ChatSnapshot(dataset_ids=list(chat.dataset_ids), llm=from_struct(chat.llm), prompt=from_struct(chat.prompt))


def session_name(request: CompletionRequest) -> str:
    return (request.name or request.question).strip()[:SESSION_NAME_MAX] or DEFAULT_SESSION_NAME


# Publishes whose confirm is still awaited after the answer began (kept referenced until done).
_pending_confirms: set[asyncio.Task[None]] = set()


def _log_late_confirm(task: asyncio.Task[None]) -> None:
    _pending_confirms.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("a job's publish was not confirmed although a worker answers it")


async def publish(ports: CompletionPorts, job: CompletionJob, subscription: Subscription) -> None:
    """Publishes (the caller is subscribed already) and returns once RabbitMQ confirmed the job
    or a worker answers it.

    The confirm of a persistent message waits for the broker's disk; a worker often starts
    answering before that, and its first event is proof enough that the job arrived.
    """
    confirm = asyncio.create_task(ports.jobs.publish(job))
    answering = asyncio.create_task(subscription.arrived.wait())
    try:
        await asyncio.wait({confirm, answering}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        answering.cancel()
        if not confirm.done():  # also when the client left: the job goes out all the same
            _pending_confirms.add(confirm)
            confirm.add_done_callback(_log_late_confirm)
    if confirm.done():
        confirm.result()  # Unavailable when RabbitMQ refused or is gone: nothing was answered


async def ensure_reachable(ports: CompletionPorts) -> None:
    """Before any write: the broker and the stream hub must answer (else 503, nothing written)."""
    await ports.jobs.ensure_ready()
    await ports.streams.ensure_reachable()


async def read_chat(
    ports: CompletionPorts,
    tenant_id: str,
    chat_id: str,
    admission: Awaitable[object] | None = None,
    llm_overrides: Mapping[str, Any] | None = None,
) -> chat_pb2.Chat:
    """GetChat, concurrently with ``admission`` (e.g. the stream slot), whose refusal comes first."""
    if admission is None:
        return await ports.chats.get_chat(tenant_id, chat_id, llm_overrides)
    reading = asyncio.ensure_future(ports.chats.get_chat(tenant_id, chat_id, llm_overrides))
    try:
        await admission
    except BaseException:
        reading.cancel()  # a read only: nothing to undo
        with suppress(BaseException):
            await reading
        raise
    return await reading


async def _settle(task: asyncio.Future[Subscription]) -> None:
    """Lets a subscription started in ``task`` finish or stop, so its exit stack can close it."""
    if not task.done():
        task.cancel()
    with suppress(BaseException):
        await task


async def prepare_chat_completion(
    ports: CompletionPorts,
    tenant_id: str,
    request: CompletionRequest,
    *,
    admission: Awaitable[object] | None = None,
) -> PreparedCompletion:
    """``admission`` (the stream slot) is awaited alongside GetChat, before anything is written.

    Without a ``chat_id`` the deployment's model answers the question alone: no datasets, no
    session, nothing stored (``session_id`` "")."""
    chat = await read_chat(ports, tenant_id, request.chat_id, admission, request.llm_overrides)
    if not request.chat_id or not request.store:
        # Nothing stored: the deployment's model alone, or a chat answering the messages sent
        # (its session, when named, must exist and is left as it is).
        if request.chat_id and request.session_id is not None:
            await ports.sessions.get_session(tenant_id, request.chat_id, request.session_id)
        alone = StatelessRequest(
            chat_id=request.chat_id, question=request.question, history=request.history, given=request.given
        )
        prepared = await prepare_stateless_completion(ports, tenant_id, chat, alone)
        prepared.session_id = request.session_id or ""
        return prepared
    snapshot = chat_snapshot(chat)
    variables = resolve_variables(snapshot.prompt, request.given)
    quote = request.quote if request.quote is not None else bool(snapshot.prompt.get("show_quote", True))
    await ensure_reachable(ports)

    # The gateway names the answer, so it subscribes to the answer's stream (before the job
    # exists, so no early token is lost) while session-service writes the question.
    message_id = new_id()
    append = session_pb2.AppendUserMessageRequest(
        tenant_id=tenant_id, chat_id=request.chat_id, content=request.question, answer_id=message_id
    )
    created = request.session_id is None
    if request.session_id is None:
        # One call and one write: the session is created holding the question.
        append.new_session.name = session_name(request)
        opener = str(snapshot.prompt.get("opener") or "")
        append.new_session.opener = fill_placeholders(opener, opener_values(snapshot.prompt, request.given))
        if request.user_id is not None:
            append.new_session.user_id = request.user_id
    else:
        append.session_id = request.session_id
    exits = AsyncExitStack()
    subscribing = asyncio.ensure_future(exits.enter_async_context(ports.streams.subscribe(message_id)))
    session_id = ""
    try:
        appended = await ports.sessions.append_question(append)
        session_id = appended.session_id or append.session_id
        job = CompletionJob(
            message_id=appended.answer_id,
            tenant_id=tenant_id,
            chat_id=request.chat_id,
            session_id=session_id,
            question=request.question,
            history=(
                list(request.history)
                if request.pass_all_history
                else [
                    ChatTurn(role=m.role, content=m.content)
                    for m in appended.history
                    if m.role in ("user", "assistant")
                ]
            ),
            chat=snapshot,
            variables=variables,
            quote=quote,
            doc_ids=request.doc_ids,
            store=True,
            created_at=time.time(),
        )
        subscription = await subscribing
        if appended.answer_id != message_id:
            raise InternalError("session-service did not keep the answer id.")
        await publish(ports, job, subscription)
    except BaseException:
        await _settle(subscribing)
        await exits.aclose()
        if created and session_id:
            await _forget_session(ports, tenant_id, request.chat_id, session_id)
        raise
    return PreparedCompletion(
        message_id=job.message_id,
        session_id=session_id,
        chat_id=request.chat_id,
        subscription=subscription,
        exits=exits,
        keepalive_s=ports.keepalive_s,
        timeout_s=ports.timeout_s,
    )


async def _forget_session(ports: CompletionPorts, tenant_id: str, chat_id: str, session_id: str) -> None:
    try:
        await ports.sessions.forget_session(tenant_id, chat_id, session_id)
    except RagchatError:
        log.warning("could not remove a session after a failed publish", extra={"session_id": session_id})


async def prepare_stateless_completion(
    ports: CompletionPorts, tenant_id: str, chat: chat_pb2.Chat, request: StatelessRequest
) -> PreparedCompletion:
    """The worker answers the given messages with the chat's settings; nothing is stored."""
    snapshot = chat_snapshot(chat)
    if request.llm_overrides:
        snapshot = snapshot.model_copy(update={"llm": {**snapshot.llm, **request.llm_overrides}})
    variables = resolve_variables(snapshot.prompt, request.given)
    await ensure_reachable(ports)
    job = CompletionJob(
        message_id=new_id(),
        tenant_id=tenant_id,
        chat_id=chat.id,
        session_id="",
        question=request.question,
        history=request.history,
        chat=snapshot,
        variables=variables,
        quote=bool(snapshot.prompt.get("show_quote", True)),
        store=False,
        created_at=time.time(),
    )
    exits = AsyncExitStack()
    try:
        # Subscribed (and confirmed) BEFORE the job exists, so the first token cannot be missed.
        subscription = await exits.enter_async_context(ports.streams.subscribe(job.message_id))
        await publish(ports, job, subscription)
    except BaseException:
        await exits.aclose()
        raise
    return PreparedCompletion(
        message_id=job.message_id,
        session_id="",
        chat_id=chat.id,
        subscription=subscription,
        exits=exits,
        keepalive_s=ports.keepalive_s,
        timeout_s=ports.timeout_s,
    )
