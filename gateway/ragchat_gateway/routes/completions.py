"""``POST /chats/{chat_id}/completions`` and its alias ``POST /chat/completions`` (API.md §5)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ragchat_common.errors import InvalidArgument, envelope
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.completion.ports import CompletionPorts, backend_ports
from ragchat_gateway.completion.prepare import prepare_chat_completion
from ragchat_gateway.completion.relay import aggregate
from ragchat_gateway.completion.request import CompletionRequest
from ragchat_gateway.completion.sse import ragflow_sse
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.dialect import cited_final, dialect_of
from ragchat_gateway.ratelimit import acquire_stream_lease
from ragchat_gateway.request_models.completions import CompletionBody, CompletionBodyDep
from ragchat_gateway.streaming.response import EventStreamResponse

router = APIRouter(tags=["completions"])


def completion_request(chat_id: str, body: CompletionBody) -> CompletionRequest:
    return CompletionRequest(
        chat_id=chat_id,
        question=body.asked(),
        stream=True if body.stream is None else body.stream,
        session_id=body.session_id or body.conversation_id or None,
        user_id=body.user_id,
        name=body.name,
        quote=body.quote,
        doc_ids=list(body.doc_ids or []),
        given=body.variables(),
        llm_overrides=body.llm_overrides(),
        history=body.earlier_turns(),
        pass_all_history=body.passes_all_history(),
        store=body.stores_history(),
    )


async def _complete(
    request: Request, principal: Principal, ports: CompletionPorts, completion: CompletionRequest
) -> Response:
    if completion.stream:
        # The slot is taken before anything is written: the 11th stream is a clean 429. The chat
        # is read meanwhile (a read only), so the two round trips overlap.
        leasing = asyncio.ensure_future(acquire_stream_lease(request, principal))
        prepared = await prepare_chat_completion(ports, principal.tenant_id, completion, admission=leasing)
        lease = leasing.result()
        stream = ragflow_sse(prepared, cited_final=cited_final(dialect_of(principal)))
        return EventStreamResponse(lease.guard(stream))
    prepared = await prepare_chat_completion(ports, principal.tenant_id, completion)
    answer = await aggregate(prepared)
    return JSONResponse(
        envelope(
            {
                "answer": answer.answer,
                "reference": answer.reference,
                "id": prepared.message_id,
                "session_id": prepared.session_id,
                "chat_id": prepared.chat_id,
                "created_at": answer.created_at,
                "usage": answer.usage.as_dict(),
                "audio_binary": None,  # RAGFlow's text-to-speech slot: ragchat has no TTS
            }
        )
    )


@router.post("/chats/{chat_id}/completions")
async def chat_completion(
    chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep, body: CompletionBodyDep
) -> Response:
    return await _complete(request, principal, backend_ports(backends), completion_request(chat_id, body))


@router.post("/chat/completions")
async def chat_completion_alias(
    request: Request, principal: AuthDep, backends: BackendsDep, body: CompletionBodyDep
) -> Response:
    """RAGFlow v0.27's route: with ``chat_id`` as ``/chats/{chat_id}/completions``; without, the
    deployment's model answers the question alone and nothing is stored (``session_id: ""``)."""
    if not body.chat_id and (body.session_id or body.conversation_id):
        raise InvalidArgument("`chat_id` is required when `session_id` is provided.")
    return await _complete(request, principal, backend_ports(backends), completion_request(body.chat_id or "", body))
