"""Sessions of a chat (API.md §4)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StrictBool, model_validator

from ragchat_gateway.request_models.base import OpenRequestModel, RequestModel
from ragchat_gateway.request_models.binding import json_body, query_params
from ragchat_gateway.request_models.common import DeleteBody, ListQuery
from ragchat_gateway.request_models.fields import Id, Name, Text, custom_error

IMMUTABLE_FIELDS = ("messages", "message", "reference")


class SessionFields(OpenRequestModel):
    name: Name | None = None
    user_id: Id | None = None

    @model_validator(mode="after")
    def _not_emptied(self) -> SessionFields:
        if "name" in self.model_fields_set and self.name is not None and not self.name.strip():
            raise custom_error("`name` can not be empty.")
        return self


class CreateSession(SessionFields):
    """Keys other than ``name`` and ``user_id`` are variables for the chat's opener."""


class UpdateSession(SessionFields):
    @model_validator(mode="after")
    def _messages_kept(self) -> UpdateSession:
        if any(key in (self.model_extra or {}) for key in IMMUTABLE_FIELDS):
            raise custom_error("`messages` can not be changed")
        return self


class SessionListQuery(ListQuery):
    user_id: Id | None = None


class MessageFeedback(RequestModel):
    """``PUT .../messages/{message_id}/feedback`` (API.md §9.1): a thumb up or down on an answer,
    with an optional comment."""

    thumbup: StrictBool
    feedback: Text | None = None


CreateSessionBody = Annotated[CreateSession, json_body(CreateSession)]
UpdateSessionBody = Annotated[UpdateSession, json_body(UpdateSession)]
SessionListParams = Annotated[SessionListQuery, query_params(SessionListQuery)]
DeleteSessionsBody = Annotated[DeleteBody, json_body(DeleteBody)]
MessageFeedbackBody = Annotated[MessageFeedback, json_body(MessageFeedback)]
