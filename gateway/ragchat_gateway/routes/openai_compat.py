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
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute

from ragchat_common.errors import ErrorCode, InvalidArgument, RagchatError, RateLimited
from ragchat_common.jobs import ChatTurn
from ragchat_common.structs import from_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.ratelimit import acquire_stream_lease
from ragchat_gateway.streaming import sse
from ragchat_gateway.streaming.completion import (
    PreparedCompletion,
    aggregate,
    get_chat,
    prepare_stateless_completion,
)
from ragchat_gateway.streaming.hub import Keepalive, TimedOut
from ragchat_gateway.wire import json_body

log = logging.getLogger(__name__)

_ERROR_TYPES = {
    ErrorCode.ARGUMENT: ("invalid_request_error", "invalid_argument"),
    ErrorCode.AUTHENTICATION: ("authentication_error", "invalid_api_key"),
    ErrorCode.PERMISSION: ("permission_error", "permission_denied"),
    ErrorCode.NOT_FOUND: ("not_found_error", "not_found"),
    ErrorCode.RATE_LIMITED: ("rate_limit_error", "rate_limit_exceeded"),
    ErrorCode.UNAVAILABLE: ("server_error", "service_unavailable"),
    ErrorCode.SERVER: ("server_error", "internal_error"),
}
# Request fields the chat's `llm` settings may be overridden with, per request.
_LLM_OVERRIDES = ("temperature", "top_p", "presence_penalty", "frequency_penalty", "max_tokens")


def openai_error_body(code: ErrorCode | int, message: str) -> dict[str, Any]:
    try:
        known = ErrorCode(code)
    except ValueError:
        known = ErrorCode.SERVER
    kind, name = _ERROR_TYPES.get(known, _ERROR_TYPES[ErrorCode.SERVER])
    return {"error": {"message": message, "type": kind, "param": None, "code": name}}


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
            except RequestValidationError:
                return openai_error(InvalidArgument("Invalid request."))
            except Exception:
                log.exception("unhandled error", extra={"path": request.url.path})
                return JSONResponse(openai_error_body(ErrorCode.SERVER, "Internal server error."), status_code=500)

        return handle


router = APIRouter(tags=["openai"], route_class=OpenAIErrorRoute)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: only text is understood
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    if content is None:
        return ""
    raise InvalidArgument("`messages[].content` must be a string or a list of content parts.")


def parse_messages(body: dict[str, Any]) -> tuple[str, list[ChatTurn]]:
    """The question (the last user message) and the conversation before it."""
    messages = body.get("messages")
    if messages is None:
        raise InvalidArgument("`messages` is required.")
    if not isinstance(messages, list) or not messages:
        raise InvalidArgument("`messages` must be a non-empty list.")
    turns: list[ChatTurn] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise InvalidArgument(f"`messages[{index}]` must be an object with a `role`.")
        role = message["role"]
        if role in ("system", "developer"):
            continue  # the chat assistant's own system prompt applies
        if role not in ("user", "assistant"):
            raise InvalidArgument(f"`messages[{index}].role` {role!r} is not supported.")
        turns.append(ChatTurn(role=role, content=_text(message.get("content"))))
    if not turns or turns[-1].role != "user" or not turns[-1].content.strip():
        raise InvalidArgument("The last message must be a non-empty user message.")
    return turns[-1].content, turns[:-1]


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidArgument(f"`{key}` must be a boolean.")
    return value


def _chunk(completion_id: str, created: int, model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


async def openai_sse(
    prepared: PreparedCompletion, model: str, with_reference: bool, usage_chunk: bool
) -> AsyncIterator[bytes]:
    completion_id = f"chatcmpl-{prepared.message_id}"
    created = int(time.time())
    try:
        yield sse.event(_chunk(completion_id, created, model, {"role": "assistant", "content": ""}, None))
        async for item in prepared.events():
            if isinstance(item, Keepalive):
                yield sse.PING
                continue
            if isinstance(item, TimedOut):
                yield sse.event(openai_error_body(ErrorCode.SERVER, "The answer did not finish in time; please retry."))
                yield sse.DONE
                return
            if item.type == "delta":
                yield sse.event(_chunk(completion_id, created, model, {"content": item.text}, None))
            elif item.type == "reset":
                yield sse.event(_chunk(completion_id, created, model, {"content": "", "reset": True}, None))
            elif item.type == "final":
                delta: dict[str, Any] = {}
                if with_reference:
                    delta["reference"] = item.reference
                chunk = _chunk(completion_id, created, item.model or model, delta, "stop")
                usage = _usage(item.usage.prompt_tokens, item.usage.completion_tokens)
                chunk["usage"] = usage
                yield sse.event(chunk)
                if usage_chunk:
                    yield sse.event(
                        {**_chunk(completion_id, created, item.model or model, {}, None), "choices": [], "usage": usage}
                    )
            elif item.type == "error":
                yield sse.event(openai_error_body(ErrorCode.SERVER, item.message))
            elif item.type == "done":
                yield sse.DONE
                return
    finally:
        await prepared.close()


async def _openai_completion(chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep) -> Response:
    body = await json_body(request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidArgument("`model` is required.")
    question, history = parse_messages(body)
    stream = _flag(body, "stream")
    with_reference = _flag(body, "reference")
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        raise InvalidArgument("`variables` must be an object.")
    options = body.get("stream_options") or {}
    usage_chunk = isinstance(options, dict) and bool(options.get("include_usage"))
    overrides = {k: body[k] for k in _LLM_OVERRIDES if body.get(k) is not None}
    if body.get("max_completion_tokens") is not None:
        overrides["max_tokens"] = body["max_completion_tokens"]

    chat = await get_chat(backends, principal, chat_id)
    chat_model = str(from_struct(chat.llm).get("model_name") or model)
    lease = await acquire_stream_lease(request, principal) if stream else None
    prepared = await prepare_stateless_completion(
        backends, principal, chat, question, history, variables, llm_overrides=overrides
    )
    if lease is not None:
        return StreamingResponse(
            lease.guard(openai_sse(prepared, chat_model, with_reference, usage_chunk)),
            media_type=sse.SSE_MEDIA_TYPE,
            headers=sse.SSE_HEADERS,
        )
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
            "usage": _usage(answer.usage.prompt_tokens, answer.usage.completion_tokens),
        }
    )


@router.post("/chats_openai/{chat_id}/chat/completions")
async def chats_openai_completion(
    chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> Response:
    return await _openai_completion(chat_id, request, principal, backends)


@router.post("/openai/{chat_id}/chat/completions")
async def openai_completion(chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep) -> Response:
    return await _openai_completion(chat_id, request, principal, backends)


async def _models(chat_id: str, principal: AuthDep, backends: BackendsDep) -> Response:
    chat = await get_chat(backends, principal, chat_id)
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
