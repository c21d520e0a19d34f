"""gRPC adapter of chat.proto over the domain functions (no rules here)."""

from __future__ import annotations

from typing import Any

import grpc

from ragchat.chat.v1 import chat_pb2, chat_pb2_grpc
from ragchat_chat.domain import chats, ragflow027
from ragchat_chat.domain.types import Chat, ChatQuery, ChatSpec, DatasetDirectory, ModelCatalog, SessionCleaner
from ragchat_chat.store import ChatStore
from ragchat_common.structs import from_struct, to_struct

SERVICE_NAME = chat_pb2.DESCRIPTOR.services_by_name["ChatService"].full_name


def chat_pb(chat: Chat) -> chat_pb2.Chat:
    return chat_pb2.Chat(
        id=chat.id,
        tenant_id=chat.tenant_id,
        name=chat.name,
        description=chat.description,
        avatar=chat.avatar,
        dataset_ids=chat.dataset_ids,
        datasets=[chat_pb2.DatasetRef(id=d.id, name=d.name) for d in chat.datasets],
        llm=to_struct(chat.llm),
        prompt=to_struct(chat.prompt),
        create_time=chat.create_time,
        update_time=chat.update_time,
        ragflow027=to_struct(ragflow027.view(chat.avatar, chat.llm, chat.prompt)),
    )


def spec_from_pb(spec: chat_pb2.ChatSpec) -> ChatSpec:
    def optional(name: str) -> Any:
        return getattr(spec, name) if spec.HasField(name) else None

    return ChatSpec(
        name=optional("name"),
        description=optional("description"),
        avatar=optional("avatar"),
        dataset_ids=list(spec.dataset_ids.ids) if spec.HasField("dataset_ids") else None,
        llm=from_struct(spec.llm) if spec.HasField("llm") else None,
        prompt=from_struct(spec.prompt) if spec.HasField("prompt") else None,
        ragflow027=from_struct(spec.ragflow027) if spec.HasField("ragflow027") else None,
    )


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    def __init__(
        self, store: ChatStore, datasets: DatasetDirectory, sessions: SessionCleaner, models: ModelCatalog
    ) -> None:
        self.store = store
        self.datasets = datasets
        self.sessions = sessions
        self.models = models

    async def CreateChat(self, request: chat_pb2.CreateChatRequest, context: grpc.aio.ServicerContext) -> chat_pb2.Chat:
        chat = await chats.create_chat(
            self.store, self.datasets, self.models, request.tenant_id, spec_from_pb(request.spec)
        )
        return chat_pb(chat)

    async def UpdateChat(self, request: chat_pb2.UpdateChatRequest, context: grpc.aio.ServicerContext) -> chat_pb2.Chat:
        chat = await chats.update_chat(
            self.store, self.datasets, self.models, request.tenant_id, request.chat_id, spec_from_pb(request.spec)
        )
        return chat_pb(chat)

    async def GetChat(self, request: chat_pb2.GetChatRequest, context: grpc.aio.ServicerContext) -> chat_pb2.Chat:
        if request.deployment_default and not request.chat_id:
            chat = chats.deployment_chat(request.tenant_id, self.models)
        else:
            chat = await chats.get_chat(
                self.store,
                self.datasets,
                request.tenant_id,
                request.chat_id,
                current_names=not request.skip_dataset_names,
            )
        if request.HasField("llm_overrides"):
            chat = chats.with_llm_overrides(chat, from_struct(request.llm_overrides), self.models)
        return chat_pb(chat)

    async def ListChats(
        self, request: chat_pb2.ListChatsRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.ListChatsResponse:
        query = ChatQuery(
            page=request.page or 1,
            page_size=request.page_size or 30,
            orderby=request.orderby or "create_time",
            desc=request.desc,
            id=request.id if request.HasField("id") else None,
            name=request.name if request.HasField("name") else None,
            keywords=request.keywords if request.HasField("keywords") else None,
            owner_ids=tuple(request.owner_ids),
        )
        page = await chats.list_chats(self.store, self.datasets, request.tenant_id, query)
        return chat_pb2.ListChatsResponse(chats=[chat_pb(c) for c in page.chats], total=page.total)

    async def DeleteChats(
        self, request: chat_pb2.DeleteChatsRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.DeleteChatsResponse:
        result = await chats.delete_chats(
            self.store, self.sessions, request.tenant_id, list(request.ids), request.delete_all
        )
        return chat_pb2.DeleteChatsResponse(success_count=result.success_count, errors=result.errors)
