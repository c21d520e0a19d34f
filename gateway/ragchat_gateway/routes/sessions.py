"""Sessions of a chat (API.md §4): wire types ⇄ chat-service / session-service gRPC."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ragchat.chat.v1 import chat_pb2
from ragchat.session.v1 import session_pb2
from ragchat_common.errors import NotFound, envelope
from ragchat_common.grpc_utils import rpc
from ragchat_common.structs import from_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.backends import Backends
from ragchat_gateway.completion.variables import render_opener
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.dialect import default_session_user, deletes_nothing, dialect_of, reword, wording
from ragchat_gateway.request_models.sessions import (
    CreateSessionBody,
    DeleteSessionsBody,
    SessionListParams,
    UpdateSessionBody,
)
from ragchat_gateway.responses import list_response
from ragchat_gateway.streaming.sse import usage_dict

router = APIRouter()
SERVICE = "session-service"


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
    if message.HasField("thumbup"):
        rendered["thumbup"] = message.thumbup
    if message.feedback:
        rendered["feedback"] = message.feedback
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


async def get_chat(backends: Backends, principal: Principal, chat_id: str, missing: str | None = None) -> chat_pb2.Chat:
    """The caller's chat; 105 when unknown or another tenant's, worded ``missing`` (``{chat_id}``
    is filled in) or as chat-service words it."""
    try:
        chat: chat_pb2.Chat = await rpc(
            backends.chat.GetChat(
                chat_pb2.GetChatRequest(tenant_id=principal.tenant_id, chat_id=chat_id, skip_dataset_names=True),
                timeout=backends.settings.grpc_timeout_s,
            ),
            "chat-service",
        )
    except NotFound:
        if missing is None:
            raise
        raise NotFound(missing.format(chat_id=chat_id)) from None
    return chat


@asynccontextmanager
async def session_missing(message: str, session_id: str) -> AsyncIterator[None]:
    """Words session-service's "no such session" (105) as ``message`` (``{session_id}`` filled in)."""
    try:
        yield
    except NotFound as exc:
        if not exc.message.endswith(session_id):  # another not-found (a message, say) keeps its words
            raise
        raise NotFound(message.format(session_id=session_id)) from None


@router.post("/chats/{chat_id}/sessions")
async def create_session(
    chat_id: str, principal: AuthDep, backends: BackendsDep, body: CreateSessionBody
) -> dict[str, Any]:
    chat = await get_chat(backends, principal, chat_id, wording(principal).chat_unknown_create_session)
    user_id = body.user_id if body.user_id is not None else default_session_user(principal)
    session = await rpc(
        backends.session.CreateSession(
            session_pb2.CreateSessionRequest(
                tenant_id=principal.tenant_id,
                chat_id=chat.id,
                name=body.name,
                user_id=user_id,
                opener=render_opener(from_struct(chat.prompt), body.extras()),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(render_session(session))


@router.put("/chats/{chat_id}/sessions/{session_id}")
@router.patch("/chats/{chat_id}/sessions/{session_id}", operation_id="patch_session")
async def update_session(
    chat_id: str, session_id: str, principal: AuthDep, backends: BackendsDep, body: UpdateSessionBody
) -> dict[str, Any]:
    missing = wording(principal).session_unknown_update
    await get_chat(backends, principal, chat_id, missing)
    async with session_missing(missing, session_id):
        session = await rpc(
            backends.session.UpdateSession(
                session_pb2.UpdateSessionRequest(
                    tenant_id=principal.tenant_id,
                    chat_id=chat_id,
                    session_id=session_id,
                    name=body.name,
                    user_id=body.user_id,
                ),
                timeout=backends.settings.grpc_timeout_s,
            ),
            SERVICE,
        )
    return envelope(render_session(session))


@router.get("/chats/{chat_id}/sessions/{session_id}")
async def get_session(chat_id: str, session_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    """One session with its messages, and the chat's avatar (as RAGFlow v0.27)."""
    chat = await get_chat(backends, principal, chat_id)
    async with session_missing(wording(principal).session_unknown_get, session_id):
        session = await rpc(
            backends.session.GetSession(
                session_pb2.GetSessionRequest(tenant_id=principal.tenant_id, chat_id=chat_id, session_id=session_id),
                timeout=backends.settings.grpc_timeout_s,
            ),
            SERVICE,
        )
    return envelope({**render_session(session), "avatar": chat.avatar})


@router.get("/chats/{chat_id}/sessions")
async def list_sessions(
    chat_id: str, principal: AuthDep, backends: BackendsDep, query: SessionListParams
) -> JSONResponse:
    await get_chat(backends, principal, chat_id, wording(principal).chat_unknown_list_sessions)
    reply = await rpc(
        backends.session.ListSessions(
            session_pb2.ListSessionsRequest(
                tenant_id=principal.tenant_id,
                chat_id=chat_id,
                page=query.page,
                page_size=query.page_size,
                orderby=query.orderby,
                desc=query.desc,
                **query.filters(),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return list_response([render_session(s) for s in reply.sessions], reply.total)


@router.delete("/chats/{chat_id}/sessions")
async def delete_sessions(
    chat_id: str, principal: AuthDep, backends: BackendsDep, wanted: DeleteSessionsBody
) -> dict[str, Any]:
    await get_chat(backends, principal, chat_id, wording(principal).chat_unknown_delete_sessions)
    if deletes_nothing(principal, wanted.id_list(), wanted.delete_all):
        return envelope({})
    reply = await rpc(
        backends.session.DeleteSessions(
            session_pb2.DeleteSessionsRequest(
                tenant_id=principal.tenant_id, chat_id=chat_id, ids=wanted.id_list(), delete_all=wanted.delete_all
            ),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    if not reply.errors and dialect_of(principal) == "0.27":
        return envelope(True)  # v0.27.0's answer when every session went
    return envelope({"success_count": reply.success_count, "errors": [reword(principal, e) for e in reply.errors]})
