"""``POST /chats/{chat_id}/completions`` and its alias ``POST /chat/completions`` (API.md §5)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ragchat_common.errors import InvalidArgument, envelope
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.backends import Backends
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.ratelimit import acquire_stream_lease
from ragchat_gateway.streaming import sse
from ragchat_gateway.streaming.completion import (
    aggregate,
    parse_completion_request,
    prepare_chat_completion,
    ragflow_sse,
)
from ragchat_gateway.wire import json_body

router = APIRouter(tags=["completions"])


async def _complete(request: Request, principal: Principal, backends: Backends, chat_id: str, body: object) -> Response:
    completion = parse_completion_request(body, chat_id)
    if completion.stream:
        # The slot is taken before anything is written: the 11th stream is a clean 429. The chat
        # is read meanwhile (a read only), so the two round trips overlap.
        leasing = asyncio.ensure_future(acquire_stream_lease(request, principal))
        prepared = await prepare_chat_completion(backends, principal, completion, admission=leasing)
        lease = leasing.result()
        return StreamingResponse(
            lease.guard(ragflow_sse(prepared)), media_type=sse.SSE_MEDIA_TYPE, headers=sse.SSE_HEADERS
        )
    prepared = await prepare_chat_completion(backends, principal, completion)
    answer = await aggregate(prepared)
    return JSONResponse(
        envelope(
            {
                "answer": answer.answer,
                "reference": answer.reference,
                "id": prepared.message_id,
                "session_id": prepared.session_id,
                "created_at": answer.created_at,
            }
        )
    )


@router.post("/chats/{chat_id}/completions")
async def chat_completion(chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep) -> Response:
    return await _complete(request, principal, backends, chat_id, await json_body(request))


@router.post("/chat/completions")
async def chat_completion_alias(request: Request, principal: AuthDep, backends: BackendsDep) -> Response:
    body = await json_body(request)
    chat_id = body.get("chat_id")
    if not isinstance(chat_id, str) or not chat_id:
        raise InvalidArgument("`chat_id` is required.")
    return await _complete(request, principal, backends, chat_id, body)
