"""Sessions of a chat (API.md §4): wire types ⇄ chat-service / session-service gRPC."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ragchat.chat.v1 import chat_pb2
from ragchat.session.v1 import session_pb2
from ragchat_common.errors import InvalidArgument, envelope
from ragchat_common.grpc_utils import rpc
from ragchat_common.prompting import fill_placeholders
from ragchat_common.structs import from_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.backends import Backends
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.streaming.sse import usage_dict
from ragchat_gateway.wire import delete_request, json_body, list_query, list_response, optional_str

router = APIRouter()
SERVICE = "session-service"
SESSION_FIELDS = ("name", "user_id")
IMMUTABLE_FIELDS = ("messages", "message", "reference")


def render_message(message: session_pb2.Message) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "created_at": message.created_at,
    }
    if message.HasField("reference"):
        rendered["reference"] = from_struct(message.reference)
    if message.HasField("usage"):
        rendered["usage"] = usage_dict(message.usage.prompt_tokens, message.usage.completion_tokens)
    if message.stopped:
        rendered["stopped"] = True
    return rendered


def render_session(session: session_pb2.Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "chat_id": session.chat_id,
        "name": session.name,
        "user_id": session.user_id,
        "messages": [render_message(m) for m in session.messages],
        "create_time": session.create_time,
        "update_time": session.update_time,
    }


async def get_chat(backends: Backends, principal: Principal, chat_id: str) -> chat_pb2.Chat:
    """The caller's chat (105 when unknown or another tenant's)."""
    chat: chat_pb2.Chat = await rpc(
        backends.chat.GetChat(
            chat_pb2.GetChatRequest(tenant_id=principal.tenant_id, chat_id=chat_id),
            timeout=backends.settings.grpc_timeout_s,
        ),
        "chat-service",
    )
    return chat


def _variable_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def render_opener(chat: chat_pb2.Chat, body: dict[str, Any]) -> str:
    """The opener with the create-session body's extra keys as variables (optional ones default to empty)."""
    prompt = from_struct(chat.prompt)
    opener = prompt.get("opener") or ""
    if not opener:
        return ""
    values = {
        item["key"]: ""
        for item in prompt.get("variables") or []
        if isinstance(item, dict) and item.get("optional") and item.get("key") != "knowledge"
    }
    values.update(
        {key: _variable_text(value) for key, value in body.items() if key not in SESSION_FIELDS and value is not None}
    )
    return fill_placeholders(str(opener), values)


@router.post("/chats/{chat_id}/sessions")
async def create_session(chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    body = await json_body(request)
    name = optional_str(body, "name")
    user_id = optional_str(body, "user_id")
    chat = await get_chat(backends, principal, chat_id)
    session = await rpc(
        backends.session.CreateSession(
            session_pb2.CreateSessionRequest(
                tenant_id=principal.tenant_id,
                chat_id=chat.id,
                name=name,
                user_id=user_id,
                opener=render_opener(chat, body),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(render_session(session))


@router.api_route("/chats/{chat_id}/sessions/{session_id}", methods=["PUT", "PATCH"])
async def update_session(
    chat_id: str, session_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    body = await json_body(request)
    if any(key in body for key in IMMUTABLE_FIELDS):
        raise InvalidArgument("`messages` can not be changed")
    name = optional_str(body, "name")
    user_id = optional_str(body, "user_id")
    await get_chat(backends, principal, chat_id)
    session = await rpc(
        backends.session.UpdateSession(
            session_pb2.UpdateSessionRequest(
                tenant_id=principal.tenant_id, chat_id=chat_id, session_id=session_id, name=name, user_id=user_id
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(render_session(session))


@router.get("/chats/{chat_id}/sessions/{session_id}")
async def get_session(chat_id: str, session_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await get_chat(backends, principal, chat_id)
    session = await rpc(
        backends.session.GetSession(
            session_pb2.GetSessionRequest(tenant_id=principal.tenant_id, chat_id=chat_id, session_id=session_id),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(render_session(session))


@router.get("/chats/{chat_id}/sessions")
async def list_sessions(chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep) -> JSONResponse:
    query = list_query(request.query_params, extra_filters=("user_id",))
    await get_chat(backends, principal, chat_id)
    reply = await rpc(
        backends.session.ListSessions(
            session_pb2.ListSessionsRequest(
                tenant_id=principal.tenant_id,
                chat_id=chat_id,
                page=query.page,
                page_size=query.page_size,
                orderby=query.orderby,
                desc=query.desc,
                **query.filters,
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return list_response([render_session(s) for s in reply.sessions], reply.total)


@router.delete("/chats/{chat_id}/sessions")
async def delete_sessions(chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    wanted = await delete_request(request)
    await get_chat(backends, principal, chat_id)
    reply = await rpc(
        backends.session.DeleteSessions(
            session_pb2.DeleteSessionsRequest(
                tenant_id=principal.tenant_id, chat_id=chat_id, ids=wanted.ids, delete_all=wanted.delete_all
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"success_count": reply.success_count, "errors": list(reply.errors)})
