"""Step 7: a prepared completion's events, transport-free.

``relay`` turns the stream hub's events into the items every transport writes (an SSE relay,
the OpenAI chunks, a gRPC stream) and ends after ``Done``; ``aggregate`` joins them into one
answer for non-streaming callers. Both unsubscribe when they end or are abandoned.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

from ragchat_common.errors import InternalError
from ragchat_common.events import FinalEvent, StreamEvent, Usage
from ragchat_gateway.completion.prepare import PreparedCompletion
from ragchat_gateway.streaming.hub import Keepalive, TimedOut

TIMEOUT_MESSAGE = "The answer did not finish in time; please retry."


@dataclass(frozen=True)
class Ping:
    """Nothing happened for a while: a transport may send a keep-alive."""


@dataclass(frozen=True)
class Delta:
    text: str  # the new text only
    seq: int


@dataclass(frozen=True)
class Reset:
    """The text sent so far is void: a worker failed and another one restarted the answer."""

    seq: int


@dataclass(frozen=True)
class Finished:
    final: FinalEvent
    # The answer is no longer in the stream log (a late resume): this one event carries its text.
    whole: bool = False


@dataclass(frozen=True)
class Failed:
    message: str
    seq: int | None  # None: the gateway gave up waiting (no event of the worker)


@dataclass(frozen=True)
class Done:
    """The last item: after a Finished, or after a Failed."""


RelayItem = Ping | Delta | Reset | Finished | Failed | Done


async def relay(prepared: PreparedCompletion) -> AsyncGenerator[RelayItem, None]:
    try:
        async for item in relay_events(prepared.events()):
            yield item
    finally:
        await prepared.close()


async def relay_events(
    events: AsyncIterator[StreamEvent | Keepalive | TimedOut],
) -> AsyncGenerator[RelayItem, None]:
    """The stream hub's events of one answer as relay items, until ``Done``."""
    async for item in events:
        if isinstance(item, Keepalive):
            yield Ping()
        elif isinstance(item, TimedOut):
            yield Failed(TIMEOUT_MESSAGE, None)
            yield Done()
            return
        elif item.type == "delta":
            yield Delta(item.text, item.seq)
        elif item.type == "reset":
            yield Reset(item.seq)
        elif item.type == "final":
            yield Finished(item)
        elif item.type == "error":
            yield Failed(item.message, item.seq)
        elif item.type == "done":
            yield Done()
            return


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
    items = relay(prepared)
    try:
        async for item in items:
            if isinstance(item, Delta):
                parts.append(item.text)
            elif isinstance(item, Reset):
                parts.clear()
            elif isinstance(item, Finished):
                final = item.final
            elif isinstance(item, Failed):
                raise InternalError(item.message)
    finally:
        await items.aclose()
    if final is None:
        raise InternalError("The answer ended without a result.")
    return AggregatedAnswer(
        answer=final.answer or "".join(parts),
        reference=final.reference,
        created_at=final.created_at,
        model=final.model,
        usage=final.usage,
    )
