"""The SSE relay of API.md §5: relay items framed byte for byte as RAGFlow's event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ragchat_gateway.completion.prepare import PreparedCompletion
from ragchat_gateway.completion.relay import Delta, Done, Failed, Finished, Ping, Reset, relay
from ragchat_gateway.streaming import sse


async def ragflow_sse(prepared: PreparedCompletion) -> AsyncIterator[bytes]:
    mid, sid, cid = prepared.message_id, prepared.session_id, prepared.chat_id
    items = relay(prepared)
    try:
        async for item in items:
            if isinstance(item, Ping):
                yield sse.PING
            elif isinstance(item, Delta):
                yield sse.event(sse.success(sse.delta_data(mid, sid, cid, item.text)), sse.event_id(mid, item.seq))
            elif isinstance(item, Reset):
                data = sse.delta_data(mid, sid, cid, "", reset=True)
                yield sse.event(sse.success(data), sse.event_id(mid, item.seq))
            elif isinstance(item, Finished):
                data = sse.final_data(mid, sid, cid, item.final.reference, item.final.created_at)
                yield sse.event(sse.success(data), sse.event_id(mid, item.final.seq))
            elif isinstance(item, Failed):
                event_id = sse.event_id(mid, item.seq) if item.seq is not None else None
                yield sse.event(sse.error_payload(item.message, mid, sid, cid), event_id)
            elif isinstance(item, Done):
                yield sse.DATA_TRUE + sse.DONE
    finally:
        await items.aclose()
