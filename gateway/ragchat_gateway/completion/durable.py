"""Resuming and stopping an answer (API.md §9.2), transport-free over the completion ports.

The HTTP routes (routes/streams.py) and the public gRPC ``Completions.Resume/Stop`` call these.

- ``locate_answer``: the message must be in the caller's session (a question shares its answer's
  id), else ``NotFound`` (105); its stored answer, when there is one, says it finished.
- ``resume_answer``: relay items of every event after ``after_seq`` from the answer's stream log,
  then the live ones, until ``Done``; an answer no longer in the log is one ``Finished`` (whole)
  from the stored message. Any gateway replica serves it: the log and the live channel are in Redis.
- ``stop_answer``: asks the worker holding the answer to stop; False when it had finished.
  ``abandon_answer``: the same for a stateless (OpenAI) answer whose client left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass

from ragchat.session.v1 import session_pb2
from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.events import FinalEvent, StreamEvent, Usage
from ragchat_common.structs import from_struct
from ragchat_gateway.completion.ports import CompletionPorts
from ragchat_gateway.completion.relay import Done, Finished, RelayItem, relay_events
from ragchat_gateway.streaming.hub import Keepalive, Subscription, TimedOut

log = logging.getLogger(__name__)

# Before the first event (no Last-Event-ID, no ``after``): every event of the answer.
FROM_THE_START = -1


@dataclass(frozen=True)
class AnswerRef:
    chat_id: str
    session_id: str
    message_id: str


def resume_point(message_id: str, last_event_id: str | None, after: str | None) -> int:
    """The seq of the last event the client has, from ``Last-Event-ID: <message_id>:<seq>`` or
    ``after=<seq>`` (the header wins); ``FROM_THE_START`` when neither is given."""
    if last_event_id is not None and last_event_id.strip():
        owner, sep, seq = last_event_id.strip().rpartition(":")
        if not sep or owner != message_id:
            raise InvalidArgument("`Last-Event-ID` must be `<message_id>:<seq>` of this message's stream.")
        return _seq(seq, "Last-Event-ID")
    if after is not None and after.strip():
        return _seq(after.strip(), "after")
    return FROM_THE_START


def _seq(value: str, name: str) -> int:
    if not value.isdigit():
        raise InvalidArgument(f"`{name}` must name an event by its sequence number (an integer >= 0).")
    return int(value)


async def locate_answer(ports: CompletionPorts, tenant_id: str, ref: AnswerRef) -> session_pb2.Message | None:
    """The stored answer (None while it is generated); NotFound unless the message is the caller's."""
    session = await ports.sessions.get_session(tenant_id, ref.chat_id, ref.session_id)
    found = False
    message: session_pb2.Message
    for message in session.messages:
        if message.id == ref.message_id:
            if message.role == "assistant":
                return message
            found = True
    if not found:
        raise NotFound(f"The session doesn't own the message {ref.message_id}")
    return None


def stored_final(message: session_pb2.Message) -> Finished:
    final = FinalEvent(
        seq=0,
        answer=message.content,
        reference=from_struct(message.reference) if message.HasField("reference") else {},
        created_at=message.created_at,
        usage=Usage(prompt_tokens=message.usage.prompt_tokens, completion_tokens=message.usage.completion_tokens),
        stopped=message.stopped,
    )
    return Finished(final, whole=True)


@dataclass
class ResumedAnswer:
    """The relay items of an answer after the resume point; ``close()`` unsubscribes."""

    message_id: str
    session_id: str
    chat_id: str
    items: AsyncGenerator[RelayItem, None]
    exits: AsyncExitStack

    async def close(self) -> None:
        await self.items.aclose()
        await self.exits.aclose()


async def resume_answer(
    ports: CompletionPorts,
    tenant_id: str,
    ref: AnswerRef,
    after_seq: int = FROM_THE_START,
    *,
    admission: Awaitable[object] | None = None,
) -> ResumedAnswer:
    """``admission`` (the stream slot) is awaited alongside; its refusal comes first.

    The message is looked up while the stream is subscribed and its log read (three round trips
    at once, not one after the other); nothing of it reaches the caller unless it is the tenant's.
    """
    locating = asyncio.ensure_future(locate_answer(ports, tenant_id, ref))
    exits = AsyncExitStack()
    try:
        await ports.streams.ensure_reachable()
        # Subscribed before the log is read: each event is in one or the other (or both; seq dedupes).
        subscription = await exits.enter_async_context(ports.streams.subscribe(ref.message_id))
        backlog = await ports.streams.replay(ref.message_id)
        if admission is not None:
            await admission
        stored = await locating
    except BaseException:
        locating.cancel()
        with suppress(BaseException):
            await locating
        await exits.aclose()
        raise
    if not backlog and stored is not None:  # finished longer ago than the log lasts
        items = _stored(stored)
    else:
        items = relay_events(_after(backlog, subscription, after_seq, ports))
    return ResumedAnswer(ref.message_id, ref.session_id, ref.chat_id, items, exits)


async def _stored(message: session_pb2.Message) -> AsyncGenerator[RelayItem, None]:
    yield stored_final(message)
    yield Done()


async def _after(
    backlog: list[StreamEvent], subscription: Subscription, after_seq: int, ports: CompletionPorts
) -> AsyncIterator[StreamEvent | Keepalive | TimedOut]:
    # No client has an event the log does not have yet: a resume point beyond it means "the end".
    next_seq = min(after_seq, backlog[-1].seq if backlog else FROM_THE_START) + 1
    for event in backlog:
        if event.seq >= next_seq:
            yield event
            next_seq = event.seq + 1
            if event.type == "done":
                return
    if backlog and backlog[-1].type == "done":  # the client had every event: only the end again
        yield backlog[-1]
        return
    async for item in subscription.events(keepalive_s=ports.keepalive_s, timeout_s=ports.timeout_s, next_seq=next_seq):
        yield item


async def stop_answer(ports: CompletionPorts, tenant_id: str, ref: AnswerRef) -> bool:
    """True: the answer was asked to stop (each of its streams gets its final event, stopped);
    False: it had already finished."""
    if await locate_answer(ports, tenant_id, ref) is not None:
        return False
    return await ports.streams.request_stop(ref.message_id)


# Stops sent for abandoned answers, referenced until they are done.
_abandoning: set[asyncio.Task[bool]] = set()


def abandon_answer(ports: CompletionPorts, message_id: str) -> None:
    """The client of a stateless answer left (nobody can resume it): stop generating it.

    Called while the request is torn down (its awaits may be cancelled), so as a task of its own.
    """
    task = asyncio.ensure_future(ports.streams.request_stop(message_id))
    _abandoning.add(task)
    task.add_done_callback(_abandoned)


def _abandoned(task: asyncio.Task[bool]) -> None:
    _abandoning.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not stop an abandoned answer", extra={"error": repr(task.exception())})
