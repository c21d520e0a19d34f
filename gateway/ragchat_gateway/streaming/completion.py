"""A completion at the gateway (ARCHITECTURE.md "A completion, step by step", steps 2-4 and 7).

``prepare_chat_completion`` validates, gets or creates the session, appends the question,
subscribes to the answer's stream and publishes the job; the caller then relays
``sse_body`` (streaming) or awaits ``aggregate`` (non-streaming) — both read the same events.
Nothing is written before the broker and the stream hub are known to be reachable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from typing import Any

from ragchat.chat.v1 import chat_pb2
from ragchat.session.v1 import session_pb2
from ragchat_common.errors import InternalError, InvalidArgument, RagchatError, Unavailable
from ragchat_common.events import FinalEvent, StreamEvent, Usage
from ragchat_common.grpc_utils import rpc
from ragchat_common.ids import new_id
from ragchat_common.jobs import ChatSnapshot, ChatTurn, CompletionJob
from ragchat_common.prompting import fill_placeholders
from ragchat_common.structs import from_struct
from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.backends import Backends
from ragchat_gateway.streaming import sse
from ragchat_gateway.streaming.hub import Keepalive, StreamHub, Subscription, TimedOut
from ragchat_gateway.streaming.publisher import JobPublisher

log = logging.getLogger(__name__)

# Body keys of API.md §5 that are not prompt variables.
COMPLETION_KEYS = frozenset(
    {"question", "stream", "session_id", "user_id", "quote", "doc_ids", "name", "chat_id", "knowledge"}
)
SESSION_NAME_MAX = 255
TIMEOUT_MESSAGE = "The answer did not finish in time; please retry."


@dataclass(frozen=True)
class CompletionRequest:
    chat_id: str
    question: str
    stream: bool = True
    session_id: str | None = None
    user_id: str | None = None
    name: str | None = None
    quote: bool | None = None
    doc_ids: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)


def _optional_bool(body: Mapping[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
        return value.strip().lower() in {"true", "1"}
    raise InvalidArgument(f"`{key}` must be a boolean.")


def _optional_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"`{key}` must be a string.")
    return value


def _doc_ids(body: Mapping[str, Any]) -> list[str]:
    value = body.get("doc_ids")
    if value is None or value == "":
        return []
    if isinstance(value, str):  # RAGFlow also accepts "id1,id2"
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InvalidArgument("`doc_ids` should be a list of document ids.")


def _variable_value(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise InvalidArgument(f"Variable '{key}' must be a string.")


def parse_completion_request(body: Any, chat_id: str) -> CompletionRequest:
    if not isinstance(body, dict):
        raise InvalidArgument("Request body must be a JSON object.")
    question = body.get("question")
    if question is None:
        raise InvalidArgument("`question` is required.")
    if not isinstance(question, str) or not question.strip():
        raise InvalidArgument("`question` must be a non-empty string.")
    stream = _optional_bool(body, "stream")
    session_id = _optional_str(body, "session_id")
    return CompletionRequest(
        chat_id=chat_id,
        question=question,
        stream=True if stream is None else stream,
        session_id=session_id or None,
        user_id=_optional_str(body, "user_id"),
        name=_optional_str(body, "name"),
        quote=_optional_bool(body, "quote"),
        doc_ids=_doc_ids(body),
        variables={k: v for k, v in body.items() if k not in COMPLETION_KEYS and v is not None},
    )


def resolve_variables(prompt: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, str]:
    """The chat's custom variables: required ones must be given, optional ones default to ''."""
    values: dict[str, str] = {}
    for item in prompt.get("variables") or []:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        key = item["key"]
        if key == "knowledge":  # filled by retrieval, never by the client
            continue
        if key in given:
            values[key] = _variable_value(key, given[key])
        elif item.get("optional"):
            values[key] = ""
        else:
            raise InvalidArgument(f"Missing required variable: '{key}'")
    return values


@dataclass
class PreparedCompletion:
    """A published job whose events are waiting on ``subscription``; ``close()`` unsubscribes."""

    message_id: str
    session_id: str
    subscription: Subscription
    exits: AsyncExitStack
    keepalive_s: float
    timeout_s: float

    async def close(self) -> None:
        await self.exits.aclose()

    def events(self) -> AsyncIterator[StreamEvent | Keepalive | TimedOut]:
        return self.subscription.events(keepalive_s=self.keepalive_s, timeout_s=self.timeout_s)


def _jobs_and_streams(backends: Backends) -> tuple[JobPublisher, StreamHub]:
    if backends.jobs is None or backends.streams is None:
        raise Unavailable("Completions are not available yet; please retry.")
    return backends.jobs, backends.streams


async def _check_reachable(backends: Backends) -> None:
    """Before any write: the broker and the stream hub must answer (else 503, nothing written)."""
    jobs, streams = _jobs_and_streams(backends)
    await jobs.ensure_ready()
    if not streams.connected:
        try:
            await streams.redis.ping()
        except Exception:
            raise Unavailable("The stream broker (Redis) is unavailable; please retry.") from None


async def get_chat(backends: Backends, principal: Principal, chat_id: str) -> chat_pb2.Chat:
    # A completion needs the dataset ids only, not their current names (a call to retrieval-service).
    request = chat_pb2.GetChatRequest(tenant_id=principal.tenant_id, chat_id=chat_id, skip_dataset_names=True)
    return await rpc(backends.chat.GetChat(request, timeout=backends.settings.grpc_timeout_s), "chat-service")


def chat_snapshot(chat: chat_pb2.Chat) -> ChatSnapshot:
    return ChatSnapshot(dataset_ids=list(chat.dataset_ids), llm=from_struct(chat.llm), prompt=from_struct(chat.prompt))


# Publishes whose confirm is still awaited after the answer began (kept referenced until done).
_pending_confirms: set[asyncio.Task[None]] = set()


def _log_late_confirm(task: asyncio.Task[None]) -> None:
    _pending_confirms.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("a job's publish was not confirmed although a worker answers it")


async def _publish(backends: Backends, job: CompletionJob, subscription: Subscription) -> None:
    """Publishes (the caller is subscribed already) and returns once RabbitMQ confirmed the job
    or a worker answers it.

    The confirm of a persistent message waits for the broker's disk; a worker often starts
    answering before that, and its first event is proof enough that the job arrived.
    """
    jobs, _ = _jobs_and_streams(backends)
    confirm = asyncio.create_task(jobs.publish(job))
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


async def _read_chat(
    backends: Backends, principal: Principal, chat_id: str, admission: Awaitable[object] | None
) -> chat_pb2.Chat:
    """GetChat, concurrently with ``admission`` (e.g. the stream slot), whose refusal comes first."""
    if admission is None:
        return await get_chat(backends, principal, chat_id)
    reading = asyncio.ensure_future(get_chat(backends, principal, chat_id))
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
    backends: Backends,
    principal: Principal,
    request: CompletionRequest,
    *,
    admission: Awaitable[object] | None = None,
) -> PreparedCompletion:
    """``admission`` (the stream slot) is awaited alongside GetChat, before anything is written."""
    settings = backends.settings
    chat = await _read_chat(backends, principal, request.chat_id, admission)
    snapshot = chat_snapshot(chat)
    variables = resolve_variables(snapshot.prompt, request.variables)
    quote = request.quote if request.quote is not None else bool(snapshot.prompt.get("show_quote", True))
    await _check_reachable(backends)
    _, streams = _jobs_and_streams(backends)

    # The gateway names the answer, so it subscribes to the answer's stream (before the job
    # exists, so no early token is lost) while session-service writes the question.
    message_id = new_id()
    append = session_pb2.AppendUserMessageRequest(
        tenant_id=principal.tenant_id, chat_id=request.chat_id, content=request.question, answer_id=message_id
    )
    created = request.session_id is None
    if request.session_id is None:
        # One call and one write: the session is created holding the question.
        append.new_session.name = (request.name or request.question).strip()[:SESSION_NAME_MAX] or "New session"
        append.new_session.opener = fill_placeholders(str(snapshot.prompt.get("opener") or ""), variables)
        if request.user_id is not None:
            append.new_session.user_id = request.user_id
    else:
        append.session_id = request.session_id
    exits = AsyncExitStack()
    subscribing = asyncio.ensure_future(exits.enter_async_context(streams.subscribe(message_id)))
    session_id = ""
    try:
        appended = await rpc(
            backends.session.AppendUserMessage(append, timeout=settings.grpc_timeout_s), "session-service"
        )
        session_id = appended.session_id or append.session_id
        job = CompletionJob(
            message_id=appended.answer_id,
            tenant_id=principal.tenant_id,
            chat_id=request.chat_id,
            session_id=session_id,
            question=request.question,
            history=[
                ChatTurn(role=m.role, content=m.content) for m in appended.history if m.role in ("user", "assistant")
            ],
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
        await _publish(backends, job, subscription)
    except BaseException:
        await _settle(subscribing)
        await exits.aclose()
        if created and session_id:
            await _forget_session(backends, principal, request.chat_id, session_id)
        raise
    return PreparedCompletion(
        message_id=job.message_id,
        session_id=session_id,
        subscription=subscription,
        exits=exits,
        keepalive_s=settings.sse_ping_s,
        timeout_s=settings.completion_timeout_s,
    )


async def _forget_session(backends: Backends, principal: Principal, chat_id: str, session_id: str) -> None:
    """Undo a session this request created when its job could not be published."""
    try:
        await rpc(
            backends.session.DeleteSessions(
                session_pb2.DeleteSessionsRequest(tenant_id=principal.tenant_id, chat_id=chat_id, ids=[session_id]),
                timeout=backends.settings.grpc_timeout_s,
            ),
            "session-service",
        )
    except RagchatError:
        log.warning("could not remove a session after a failed publish", extra={"session_id": session_id})


async def prepare_stateless_completion(
    backends: Backends,
    principal: Principal,
    chat: chat_pb2.Chat,
    question: str,
    history: list[ChatTurn],
    given_variables: Mapping[str, Any],
    llm_overrides: Mapping[str, Any] | None = None,
) -> PreparedCompletion:
    """The OpenAI-compatible path: the worker answers the given messages; nothing is stored."""
    snapshot = chat_snapshot(chat)
    if llm_overrides:
        snapshot = snapshot.model_copy(update={"llm": {**snapshot.llm, **llm_overrides}})
    variables = resolve_variables(snapshot.prompt, given_variables)
    await _check_reachable(backends)
    job = CompletionJob(
        message_id=new_id(),
        tenant_id=principal.tenant_id,
        chat_id=chat.id,
        session_id="",
        question=question,
        history=history,
        chat=snapshot,
        variables=variables,
        quote=bool(snapshot.prompt.get("show_quote", True)),
        store=False,
        created_at=time.time(),
    )
    _, streams = _jobs_and_streams(backends)
    exits = AsyncExitStack()
    try:
        # Subscribed (and confirmed) BEFORE the job exists, so the first token cannot be missed.
        subscription = await exits.enter_async_context(streams.subscribe(job.message_id))
        await _publish(backends, job, subscription)
    except BaseException:
        await exits.aclose()
        raise
    return PreparedCompletion(
        message_id=job.message_id,
        session_id="",
        subscription=subscription,
        exits=exits,
        keepalive_s=backends.settings.sse_ping_s,
        timeout_s=backends.settings.completion_timeout_s,
    )


async def ragflow_sse(prepared: PreparedCompletion) -> AsyncIterator[bytes]:
    """The event stream of API.md §5, byte for byte; unsubscribes when it ends or is abandoned."""
    mid, sid = prepared.message_id, prepared.session_id
    try:
        async for item in prepared.events():
            if isinstance(item, Keepalive):
                yield sse.PING
            elif isinstance(item, TimedOut):
                yield sse.event(sse.error_payload(TIMEOUT_MESSAGE, mid, sid))
                yield sse.DATA_TRUE + sse.DONE
                return
            elif item.type == "delta":
                yield sse.event(sse.success(sse.delta_data(mid, sid, item.text)), sse.event_id(mid, item.seq))
            elif item.type == "reset":
                yield sse.event(sse.success(sse.delta_data(mid, sid, "", reset=True)), sse.event_id(mid, item.seq))
            elif item.type == "final":
                data = sse.final_data(mid, sid, item.reference, item.created_at)
                yield sse.event(sse.success(data), sse.event_id(mid, item.seq))
            elif item.type == "error":
                yield sse.event(sse.error_payload(item.message, mid, sid), sse.event_id(mid, item.seq))
            elif item.type == "done":
                yield sse.DATA_TRUE + sse.DONE
                return
    finally:
        await prepared.close()


@dataclass(frozen=True)
class AggregatedAnswer:
    answer: str
    reference: dict[str, Any]
    created_at: float
    model: str
    usage: Usage


async def aggregate(prepared: PreparedCompletion) -> AggregatedAnswer:
    """The same events, joined: the full answer, or the error the stream ended with."""
    parts: list[str] = []
    final: FinalEvent | None = None
    try:
        async for item in prepared.events():
            if isinstance(item, Keepalive):
                continue
            if isinstance(item, TimedOut):
                raise InternalError(TIMEOUT_MESSAGE)
            if item.type == "delta":
                parts.append(item.text)
            elif item.type == "reset":
                parts.clear()
            elif item.type == "final":
                final = item
            elif item.type == "error":
                raise InternalError(item.message)
            elif item.type == "done":
                break
    finally:
        await prepared.close()
    if final is None:
        raise InternalError("The answer ended without a result.")
    return AggregatedAnswer(
        answer=final.answer or "".join(parts),
        reference=final.reference,
        created_at=final.created_at,
        model=final.model,
        usage=final.usage,
    )
