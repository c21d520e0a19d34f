"""The SSE relay of API.md §5: relay items framed byte for byte as RAGFlow's event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial

from ragchat_gateway.completion.prepare import PreparedCompletion
from ragchat_gateway.completion.relay import Delta, Failed, Finished, Ping, RelayItem, Reset, relay
from ragchat_gateway.streaming import sse


async def ragflow_sse(prepared: PreparedCompletion, *, cited_final: bool) -> AsyncIterator[bytes]:
    items = relay(prepared)
    try:
        ids = prepared.message_id, prepared.session_id, prepared.chat_id
        async for data in ragflow_writes(items, *ids, cited_final=cited_final):
            yield data
    finally:
        await items.aclose()


def ragflow_writes(
    items: AsyncIterator[RelayItem], mid: str, sid: str, cid: str, *, cited_final: bool
) -> AsyncIterator[bytes]:
    """The socket writes of an answer's relay items, framed as RAGFlow's stream (a new answer or a
    resumed one)."""
    return writes(items, partial(ragflow_frame, mid=mid, sid=sid, cid=cid, cited_final=cited_final))


async def writes(items: AsyncIterator[RelayItem], frame: Callable[[RelayItem], bytes]) -> AsyncIterator[bytes]:
    """The frames of the items, one write each, except that the final event waits for the item
    after it (the end, which the worker sends in the same batch) and leaves in one write with it:
    one socket write and one wake-up of the client fewer per answer."""
    held = b""
    async for item in items:
        data = frame(item)
        if isinstance(item, Finished):
            held += data
            continue
        yield held + data
        held = b""
    if held:
        yield held


def ragflow_frame(item: RelayItem, mid: str, sid: str, cid: str, *, cited_final: bool) -> bytes:
    """One relay item of the answer ``mid`` framed as API.md §5/§9.2 (also for a resumed stream).

    ``cited_final``: the final event carries the answer when citations were inserted after its
    deltas went out (the ``ragflow-0.22`` dialect, whose clients take the last event's text);
    otherwise its answer is "", as RAGFlow v0.27 sends it (its clients add up the deltas)."""
    if isinstance(item, Ping):
        return sse.PING
    if isinstance(item, Delta):
        return sse.event(sse.success(sse.delta_data(mid, sid, cid, item.text)), sse.event_id(mid, item.seq))
    if isinstance(item, Reset):
        return sse.event(sse.success(sse.delta_data(mid, sid, cid, "", reset=True)), sse.event_id(mid, item.seq))
    if isinstance(item, Finished):
        final = item.final
        data = sse.final_data(
            mid,
            sid,
            cid,
            final.reference,
            final.created_at,
            usage=final.usage.as_dict(),
            stopped=final.stopped,
            # Whole: a late resume (no deltas came before it).
            answer=final.answer if item.whole or (final.answer_rewritten and cited_final) else "",
        )
        return sse.event(sse.success(data), sse.event_id(mid, final.seq))
    if isinstance(item, Failed):
        event_id = sse.event_id(mid, item.seq) if item.seq is not None else None
        return sse.event(sse.error_payload(item.message, mid, sid, cid), event_id)
    return sse.DATA_TRUE + sse.DONE
