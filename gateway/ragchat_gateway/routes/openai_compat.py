"""OpenAI-compatible chat completions over a chat assistant (API.md §6).

``POST /chats_openai/{chat_id}/chat/completions`` (and ``/openai/{chat_id}/...``) answer the
given messages through the same worker path as §5, statelessly (no session, nothing stored).
Responses, chunks, ``usage`` and ``[DONE]`` follow the OpenAI API; ``reference: true`` (the SDK's
``extra_body``) adds the reference to the final message or chunk; custom prompt variables may
be passed as ``variables: {...}``. Every error is an OpenAI error body with its HTTP status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from ragchat_common.errors import ErrorCode, RagchatError, RateLimited
from ragchat_common.jobs import ChatTurn
from ragchat_common.structs import from_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.completion.durable import abandon_answer
from ragchat_gateway.completion.ports import CompletionPorts, backend_ports
from ragchat_gateway.completion.prepare import PreparedCompletion, prepare_stateless_completion
from ragchat_gateway.completion.relay import Delta, Failed, Finished, Ping, RelayItem, Reset, aggregate, relay
from ragchat_gateway.completion.request import StatelessRequest
from ragchat_gateway.completion.sse import writes
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.openai_errors import openai_error_body
from ragchat_gateway.ratelimit import acquire_stream_lease
from ragchat_gateway.request_models.errors import describe
from ragchat_gateway.request_models.openai import OpenAIChatBody
from ragchat_gateway.streaming import sse
from ragchat_gateway.streaming.response import EventStreamResponse

log = logging.getLogger(__name__)


def openai_error(exc: RagchatError) -> JSONResponse:
    headers = None
    if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
        headers = {"Retry-After": str(exc.retry_after_s)}
    return JSONResponse(openai_error_body(exc.code, exc.message), status_code=exc.http_status, headers=headers)


class OpenAIErrorRoute(APIRoute):
    """Errors of these routes (auth and limits included) leave as OpenAI error bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RagchatError as exc:
                return openai_error(exc)
            except RequestValidationError as exc:
                return JSONResponse(openai_error_body(ErrorCode.ARGUMENT, describe(exc.errors())), status_code=400)
            except Exception:
                log.exception("unhandled error", extra={"path": request.url.path})
                return JSONResponse(openai_error_body(ErrorCode.SERVER, "Internal server error."), status_code=500)

        return handle


router = APIRouter(tags=["openai"], route_class=OpenAIErrorRoute)


def _chunk(completion_id: str, created: int, model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


async def openai_sse(
    prepared: PreparedCompletion, model: str, with_reference: bool, usage_chunk: bool, ports: CompletionPorts
) -> AsyncIterator[bytes]:
    """The OpenAI chunks; a client that leaves before the end stops the answer (API.md §9.2: a
    stateless answer cannot be resumed, so it is not generated further)."""
    completion_id = f"chatcmpl-{prepared.message_id}"
    created = int(time.time())
    items = relay(prepared)
    finished = False

    def frame(item: RelayItem) -> bytes:
        nonlocal finished
        if isinstance(item, Ping):
            return sse.PING
        if isinstance(item, Delta):
            return sse.event(_chunk(completion_id, created, model, {"content": item.text}, None))
        if isinstance(item, Reset):
            return sse.event(_chunk(completion_id, created, model, {"content": "", "reset": True}, None))
        if isinstance(item, Finished):
            final = item.final
            delta: dict[str, Any] = {}
            if with_reference:
                delta["reference"] = final.reference
            chunk = _chunk(completion_id, created, final.model or model, delta, "stop")
            usage = final.usage.as_dict()
            chunk["usage"] = usage
            data = sse.event(chunk)
            if usage_chunk:
                data += sse.event(
                    {**_chunk(completion_id, created, final.model or model, {}, None), "choices": [], "usage": usage}
                )
            return data
        if isinstance(item, Failed):
            return sse.event(openai_error_body(ErrorCode.SERVER, item.message))
        finished = True  # Done
        return sse.DONE

    try:
        yield sse.event(_chunk(completion_id, created, model, {"role": "assistant", "content": ""}, None))
        async for data in writes(items, frame):
            yield data
    finally:
        if not finished:
            abandon_answer(ports, prepared.message_id)
        await items.aclose()


async def _openai_completion(
    chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep, body: OpenAIChatBody
) -> Response:
    question, history = body.conversation()
    stream = bool(body.stream)
    with_reference = body.wants_reference()
    usage_chunk = bool(body.stream_options and body.stream_options.include_usage)
    ports = backend_ports(backends)
    chat = await ports.chats.get_chat(principal.tenant_id, chat_id)
    chat_model = str(from_struct(chat.llm).get("model_name") or body.model)
    lease = await acquire_stream_lease(request, principal) if stream else None
    prepared = await prepare_stateless_completion(
        ports,
        principal.tenant_id,
        chat,
        StatelessRequest(
            chat_id=chat_id,
            question=question,
            history=[ChatTurn(role=role, content=text) for role, text in history],
            given=body.variables or {},
            llm_overrides=body.llm_overrides(),
        ),
    )
    if lease is not None:
        return EventStreamResponse(lease.guard(openai_sse(prepared, chat_model, with_reference, usage_chunk, ports)))
    answer = await aggregate(prepared)
    message: dict[str, Any] = {"role": "assistant", "content": answer.answer}
    if with_reference:
        message["reference"] = answer.reference
    return JSONResponse(
        {
            "id": f"chatcmpl-{prepared.message_id}",
            "object": "chat.completion",
            "created": int(answer.created_at),
            "model": answer.model or chat_model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            "usage": answer.usage.as_dict(),
        }
    )


@router.post("/chats_openai/{chat_id}/chat/completions")
async def chats_openai_completion(
    chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep, body: OpenAIChatBody
) -> Response:
    return await _openai_completion(chat_id, request, principal, backends, body)


@router.post("/openai/{chat_id}/chat/completions")
async def openai_completion(
    chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep, body: OpenAIChatBody
) -> Response:
    return await _openai_completion(chat_id, request, principal, backends, body)


async def _models(chat_id: str, principal: AuthDep, backends: BackendsDep) -> Response:
    chat = await backend_ports(backends).chats.get_chat(principal.tenant_id, chat_id)
    model = str(from_struct(chat.llm).get("model_name") or "")
    return JSONResponse(
        {
            "object": "list",
            "data": [{"id": model, "object": "model", "created": chat.create_time // 1000, "owned_by": "ragchat"}],
        }
    )


@router.get("/openai/{chat_id}/models")
async def openai_models(chat_id: str, principal: AuthDep, backends: BackendsDep) -> Response:
    return await _models(chat_id, principal, backends)


@router.get("/chats_openai/{chat_id}/models")
async def chats_openai_models(chat_id: str, principal: AuthDep, backends: BackendsDep) -> Response:
    return await _models(chat_id, principal, backends)
