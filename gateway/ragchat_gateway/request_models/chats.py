"""Chat assistants (API.md §3): the bodies of POST/PUT /chats and the query of GET /chats.

``llm`` and ``prompt`` are free-form objects here (unknown keys are kept and echoed); their
known keys are checked by chat-service, which owns their defaults and merging.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import model_validator

from ragchat_gateway.request_models.base import RequestModel
from ragchat_gateway.request_models.binding import json_body, query_params
from ragchat_gateway.request_models.common import DeleteBody, ListQuery
from ragchat_gateway.request_models.fields import (
    Avatar,
    Id,
    IdList,
    IdsParam,
    JsonObject,
    JsonValue,
    Name,
    Text,
    custom_error,
)

RAGFLOW027_FIELDS = frozenset(
    {
        "icon",
        "llm_id",
        "llm_setting",
        "prompt_config",
        "similarity_threshold",
        "vector_similarity_weight",
        "top_n",
        "top_k",
        "rerank_id",
    }
)


class ChatFields(RequestModel):
    name: Name | None = None
    description: Text | None = None
    avatar: Avatar | None = None
    dataset_ids: IdList | None = None
    llm: JsonObject | None = None
    prompt: JsonObject | None = None
    # The same settings under RAGFlow v0.27's names (API.md §9.1): chat-service checks their
    # values, and its messages name the fields as sent.
    icon: Avatar | None = None
    llm_id: Name | None = None
    llm_setting: JsonObject | None = None
    prompt_config: JsonObject | None = None
    similarity_threshold: JsonValue | None = None
    vector_similarity_weight: JsonValue | None = None
    top_n: JsonValue | None = None
    top_k: JsonValue | None = None
    rerank_id: JsonValue | None = None
    # A chat belongs to the key's tenant: naming one is refused (as RAGFlow does), not ignored.
    tenant_id: JsonValue | None = None

    @model_validator(mode="after")
    def _no_tenant(self) -> ChatFields:
        if self.tenant_id:
            raise custom_error("`tenant_id` must not be provided.")
        return self

    def ragflow027_fields(self) -> dict[str, Any]:
        """The v0.27-named fields given (null: not given)."""
        return {
            key: value for key, value in self.model_dump(include=set(RAGFLOW027_FIELDS)).items() if value is not None
        }


class CreateChat(ChatFields):
    @model_validator(mode="after")
    def _named(self) -> CreateChat:
        if self.name is None or not self.name.strip():
            raise custom_error("`name` is required.")
        return self


class UpdateChat(ChatFields):
    """Partial: a field left out is left unchanged; ``name`` may not be emptied."""

    @model_validator(mode="after")
    def _not_emptied(self) -> UpdateChat:
        if "name" in self.model_fields_set and (self.name is None or not self.name.strip()):
            raise custom_error("`name` cannot be empty.")
        return self


class ChatListQuery(ListQuery):
    keywords: Text | None = None  # part of the name, any case (RAGFlow v0.27); ignored with id or name
    owner_ids: IdsParam | None = None  # tenants whose chats to list (a key sees its own only)


CreateChatBody = Annotated[CreateChat, json_body(CreateChat)]
UpdateChatBody = Annotated[UpdateChat, json_body(UpdateChat)]
ChatListParams = Annotated[ChatListQuery, query_params(ChatListQuery)]


class DeleteChats(DeleteBody):
    # RAGFlow v0.27 still takes one chat as {"chat_id": X} when neither ids nor delete_all is sent.
    chat_id: Id | None = None


DeleteChatsBody = Annotated[DeleteChats, json_body(DeleteChats)]
