"""Resume and stop an answer's stream (API.md §9.2); the logic is in completion/durable.py.

``GET  /chats/{chat_id}/sessions/{session_id}/messages/{message_id}/events`` (SSE, takes a slot)
``POST /chats/{chat_id}/sessions/{session_id}/messages/{message_id}/stop``
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from ragchat_common.errors import envelope
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.completion.durable import AnswerRef, ResumedAnswer, resume_answer, resume_point, stop_answer
from ragchat_gateway.completion.ports import backend_ports
from ragchat_gateway.completion.sse import ragflow_writes
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.dialect import cited_final, dialect_of
from ragchat_gateway.ratelimit import acquire_stream_lease
from ragchat_gateway.streaming.response import EventStreamResponse

router = APIRouter(tags=["streams"])
MESSAGE_PATH = "/chats/{chat_id}/sessions/{session_id}/messages/{message_id}"


async def _frames(resumed: ResumedAnswer, *, cited: bool) -> AsyncIterator[bytes]:
    try:
        ids = resumed.message_id, resumed.session_id, resumed.chat_id
        async for data in ragflow_writes(resumed.items, *ids, cited_final=cited):
            yield data
    finally:
        await resumed.close()


@router.get(MESSAGE_PATH + "/events")
async def resume_stream(
    chat_id: str,
    session_id: str,
    message_id: str,
    request: Request,
    principal: AuthDep,
    backends: BackendsDep,
    after: Annotated[str | None, Query(description="seq of the last event received")] = None,
    last_event_id: Annotated[str | None, Header(description="`<message_id>:<seq>` of the last event")] = None,
) -> EventStreamResponse:
    after_seq = resume_point(message_id, last_event_id, after)
    ref = AnswerRef(chat_id, session_id, message_id)
    # The slot is taken while the answer is looked up: the round trips overlap.
    leasing = asyncio.ensure_future(acquire_stream_lease(request, principal))
    try:
        resumed = await resume_answer(backend_ports(backends), principal.tenant_id, ref, after_seq, admission=leasing)
    except BaseException:
        with suppress(BaseException):  # a lease it took is released with the request
            await leasing
        raise
    lease = leasing.result()
    return EventStreamResponse(lease.guard(_frames(resumed, cited=cited_final(dialect_of(principal)))))


@router.post(MESSAGE_PATH + "/stop")
async def stop_stream(
    chat_id: str, session_id: str, message_id: str, principal: AuthDep, backends: BackendsDep
) -> JSONResponse:
    ref = AnswerRef(chat_id, session_id, message_id)
    stopped = await stop_answer(backend_ports(backends), principal.tenant_id, ref)
    return JSONResponse(envelope({"stopped": stopped}))
