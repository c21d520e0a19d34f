"""Chat assistants (API.md §3): wire types ⇄ chat-service gRPC."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ragchat.chat.v1 import chat_pb2
from ragchat_common.errors import InvalidArgument, envelope
from ragchat_common.grpc_utils import rpc
from ragchat_common.structs import from_struct, to_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.wire import (
    delete_request,
    json_body,
    list_query,
    list_response,
    optional_object,
    optional_str,
    optional_str_list,
)

router = APIRouter()
SERVICE = "chat-service"


def render_chat(chat: chat_pb2.Chat) -> dict[str, Any]:
    return {
        "id": chat.id,
        "name": chat.name,
        "description": chat.description,
        "avatar": chat.avatar,
        "dataset_ids": list(chat.dataset_ids),
        "datasets": [{"id": d.id, "name": d.name} for d in chat.datasets],
        "llm": from_struct(chat.llm),
        "prompt": from_struct(chat.prompt),
        "create_time": chat.create_time,
        "update_time": chat.update_time,
    }


def chat_spec(body: dict[str, Any], *, creating: bool) -> chat_pb2.ChatSpec:
    spec = chat_pb2.ChatSpec()
    if "name" in body:
        name = optional_str(body, "name")
        if name is None or not name.strip():
            raise InvalidArgument("`name` is required." if creating else "`name` cannot be empty.")
        spec.name = name
    elif creating:
        raise InvalidArgument("`name` is required.")
    for key in ("description", "avatar"):
        value = optional_str(body, key)
        if value is not None:
            setattr(spec, key, value)
    dataset_ids = optional_str_list(body, "dataset_ids")
    if dataset_ids is not None:
        spec.dataset_ids.CopyFrom(chat_pb2.DatasetIds(ids=dataset_ids))
    for key in ("llm", "prompt"):
        section = optional_object(body, key)
        if section is not None:
            getattr(spec, key).CopyFrom(to_struct(section))
    return spec


@router.post("/chats")
async def create_chat(request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    spec = chat_spec(await json_body(request), creating=True)
    chat = await rpc(
        backends.chat.CreateChat(
            chat_pb2.CreateChatRequest(tenant_id=principal.tenant_id, spec=spec),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(render_chat(chat))


@router.put("/chats/{chat_id}")
async def update_chat(chat_id: str, request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    spec = chat_spec(await json_body(request), creating=False)
    chat = await rpc(
        backends.chat.UpdateChat(
            chat_pb2.UpdateChatRequest(tenant_id=principal.tenant_id, chat_id=chat_id, spec=spec),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(render_chat(chat))


@router.get("/chats/{chat_id}")
async def get_chat(chat_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    chat = await rpc(
        backends.chat.GetChat(
            chat_pb2.GetChatRequest(tenant_id=principal.tenant_id, chat_id=chat_id),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(render_chat(chat))


@router.get("/chats")
async def list_chats(request: Request, principal: AuthDep, backends: BackendsDep) -> JSONResponse:
    query = list_query(request.query_params)
    reply = await rpc(
        backends.chat.ListChats(
            chat_pb2.ListChatsRequest(
                tenant_id=principal.tenant_id,
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
    return list_response([render_chat(c) for c in reply.chats], reply.total)


@router.delete("/chats")
async def delete_chats(request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    wanted = await delete_request(request)
    reply = await rpc(
        backends.chat.DeleteChats(
            chat_pb2.DeleteChatsRequest(tenant_id=principal.tenant_id, ids=wanted.ids, delete_all=wanted.delete_all),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"success_count": reply.success_count, "errors": list(reply.errors)})
