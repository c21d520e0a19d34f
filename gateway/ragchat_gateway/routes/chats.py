"""Chat assistants (API.md §3): wire types ⇄ chat-service gRPC."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ragchat.chat.v1 import chat_pb2
from ragchat_common.errors import NotFound, envelope
from ragchat_common.grpc_utils import rpc
from ragchat_common.structs import from_struct, to_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.dialect import chat_list, deletes_nothing, dialect_of, reword, wording
from ragchat_gateway.request_models.chats import (
    ChatFields,
    ChatListParams,
    CreateChatBody,
    DeleteChatsBody,
    UpdateChatBody,
)

router = APIRouter()
SERVICE = "chat-service"


def render_chat(chat: chat_pb2.Chat) -> dict[str, Any]:
    """The chat under both generations' names: ``llm`` / ``prompt`` (v0.22) and ``llm_id``,
    ``llm_setting``, ``prompt_config``, ... (v0.27) read the same stored settings."""
    return {
        "id": chat.id,
        "tenant_id": chat.tenant_id,
        "name": chat.name,
        "description": chat.description,
        "avatar": chat.avatar,
        "dataset_ids": list(chat.dataset_ids),
        "datasets": [{"id": d.id, "name": d.name} for d in chat.datasets],
        "kb_names": [d.name for d in chat.datasets],
        "llm": from_struct(chat.llm),
        "prompt": from_struct(chat.prompt),
        **from_struct(chat.ragflow027),
        "create_time": chat.create_time,
        "update_time": chat.update_time,
    }


def chat_spec(body: ChatFields) -> chat_pb2.ChatSpec:
    """The fields the caller sent (a field left out stays unchanged on update)."""
    spec = chat_pb2.ChatSpec()
    if body.name is not None:
        spec.name = body.name
    if body.description is not None:
        spec.description = body.description
    if body.avatar is not None:
        spec.avatar = body.avatar
    if body.dataset_ids is not None:
        spec.dataset_ids.CopyFrom(chat_pb2.DatasetIds(ids=body.dataset_ids))
    if body.llm is not None:
        spec.llm.CopyFrom(to_struct(body.llm))
    if body.prompt is not None:
        spec.prompt.CopyFrom(to_struct(body.prompt))
    given027 = body.ragflow027_fields()
    if given027:
        spec.ragflow027.CopyFrom(to_struct(given027))
    return spec


@router.post("/chats")
async def create_chat(principal: AuthDep, backends: BackendsDep, body: CreateChatBody) -> dict[str, Any]:
    spec = chat_spec(body)
    chat = await rpc(
        backends.chat.CreateChat(
            chat_pb2.CreateChatRequest(tenant_id=principal.tenant_id, spec=spec),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(render_chat(chat))


@router.put("/chats/{chat_id}")
@router.patch("/chats/{chat_id}", operation_id="patch_chat")
async def update_chat(chat_id: str, principal: AuthDep, backends: BackendsDep, body: UpdateChatBody) -> dict[str, Any]:
    spec = chat_spec(body)
    chat = await backends.chats.update(
        chat_pb2.UpdateChatRequest(tenant_id=principal.tenant_id, chat_id=chat_id, spec=spec),
        backends.settings.grpc_timeout_s,
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
async def list_chats(principal: AuthDep, backends: BackendsDep, query: ChatListParams) -> JSONResponse:
    filters = {key: value for key, value in query.filters().items() if key != "owner_ids"}
    reply = await rpc(
        backends.chat.ListChats(
            chat_pb2.ListChatsRequest(
                tenant_id=principal.tenant_id,
                page=query.page,
                page_size=query.page_size,
                orderby=query.orderby,
                desc=query.desc,
                owner_ids=query.owner_ids or [],
                **filters,
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    nothing_matched = wording(principal).chat_filter_matched_nothing
    if reply.total == 0 and nothing_matched and (query.id or query.name):
        raise NotFound(nothing_matched)
    return chat_list(principal, [render_chat(c) for c in reply.chats], reply.total)


async def _delete(backends: BackendsDep, principal: AuthDep, ids: list[str], delete_all: bool) -> dict[str, Any]:
    reply = await backends.chats.delete(
        chat_pb2.DeleteChatsRequest(tenant_id=principal.tenant_id, ids=ids, delete_all=delete_all),
        backends.settings.grpc_bulk_timeout_s,
    )
    if not reply.errors and dialect_of(principal) == "0.27":
        return envelope({"success_count": reply.success_count})  # v0.27.0's answer when every chat went
    return envelope({"success_count": reply.success_count, "errors": [reword(principal, e) for e in reply.errors]})


@router.delete("/chats")
async def delete_chats(principal: AuthDep, backends: BackendsDep, wanted: DeleteChatsBody) -> dict[str, Any]:
    if deletes_nothing(principal, wanted.id_list(), wanted.delete_all):
        if wanted.chat_id:  # v0.27's older form of a single delete
            return await delete_chat(wanted.chat_id, principal, backends)
        return envelope({})
    return await _delete(backends, principal, wanted.id_list(), wanted.delete_all)


@router.delete("/chats/{chat_id}")
async def delete_chat(chat_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    """RAGFlow v0.27's single delete: ``data: true``; 105 when the chat is unknown."""
    try:
        await _delete(backends, principal, [chat_id], False)
    except NotFound:
        raise NotFound(f"You don't own the chat {chat_id}") from None
    return envelope(True)
