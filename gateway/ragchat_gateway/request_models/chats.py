"""Chat assistants (API.md §3): the bodies of POST/PUT /chats and the query of GET /chats.

``llm`` and ``prompt`` are free-form objects here (unknown keys are kept and echoed); their
known keys are checked by chat-service, which owns their defaults and merging.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import model_validator

from ragchat_gateway.request_models.base import RequestModel
from ragchat_gateway.request_models.binding import json_body, query_params
from ragchat_gateway.request_models.common import DeleteBody, ListQuery
from ragchat_gateway.request_models.fields import Avatar, IdList, JsonObject, Name, Text, custom_error


class ChatFields(RequestModel):
    name: Name | None = None
    description: Text | None = None
    avatar: Avatar | None = None
    dataset_ids: IdList | None = None
    llm: JsonObject | None = None
    prompt: JsonObject | None = None


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
    pass


CreateChatBody = Annotated[CreateChat, json_body(CreateChat)]
UpdateChatBody = Annotated[UpdateChat, json_body(UpdateChat)]
ChatListParams = Annotated[ChatListQuery, query_params(ChatListQuery)]
DeleteChatsBody = Annotated[DeleteBody, json_body(DeleteBody)]
