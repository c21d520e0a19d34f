"""Completions (API.md §5): ``POST /chats/{chat_id}/completions`` and ``POST /chat/completions``.

Keys other than the declared ones are the chat's prompt variables (``"style": "formal"``);
``completion.variables`` decides what they mean.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from ragchat_common.jobs import ChatTurn
from ragchat_gateway.request_models.base import OpenRequestModel
from ragchat_gateway.request_models.binding import json_body
from ragchat_gateway.request_models.fields import IDS_MAX, Id, JsonValue, LenientBool, Name, Text, custom_error
from ragchat_gateway.request_models.openai import MESSAGES_MAX, ChatMessage

# `knowledge` is filled by retrieval, never by the client.
NOT_VARIABLES = frozenset({"knowledge"})
LLM_OVERRIDES = frozenset({"llm_id", "temperature", "top_p", "frequency_penalty", "presence_penalty", "max_tokens"})


def _doc_id_list(value: Any) -> Any:
    """RAGFlow also accepts ``"id1,id2"``; an empty string means none."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class CompletionBody(OpenRequestModel):
    question: Text | None = None
    # RAGFlow v0.27 also takes the conversation (the last user message is the question); with a
    # chat, its session holds the history, so only a completion without a chat (or one passing
    # all history) uses the rest.
    messages: Annotated[list[ChatMessage], Field(min_length=1, max_length=MESSAGES_MAX)] | None = None
    stream: LenientBool | None = None
    session_id: Id | None = None
    user_id: Id | None = None
    name: Text | None = None  # the new session's name (else the question)
    quote: LenientBool | None = None
    doc_ids: Annotated[list[Id], Field(max_length=IDS_MAX)] | None = None
    chat_id: Id | None = None  # the alias route's chat (none: the deployment's model, nothing stored)
    conversation_id: Id | None = None  # RAGFlow v0.27's alias of session_id
    # One answer's own generation settings (API.md §9.1); chat-service checks them.
    llm_id: Name | None = None
    temperature: JsonValue | None = None
    top_p: JsonValue | None = None
    frequency_penalty: JsonValue | None = None
    presence_penalty: JsonValue | None = None
    max_tokens: JsonValue | None = None
    # RAGFlow v0.27: answer from the `messages` sent (not the session's stored history), and
    # whether to store the question and answer (false needs the former: nothing else to go on).
    pass_all_history_messages: LenientBool | None = None
    pass_all_history: LenientBool | None = None
    store_history_messages: LenientBool | None = None
    store_history: LenientBool | None = None

    _split_doc_ids = field_validator("doc_ids", mode="before")(_doc_id_list)

    @model_validator(mode="after")
    def _asks(self) -> CompletionBody:
        if self.question is not None:
            if not self.question.strip():
                raise custom_error("`question` must be a non-empty string.")
        elif self.messages is None:
            raise custom_error("`question` is required.")
        else:
            turns = self._turns()
            if not turns or turns[-1].role != "user" or not turns[-1].content.strip():
                raise custom_error("The last message must be a non-empty user message.")
        if not self.stores_history() and not self.passes_all_history():
            raise custom_error("`pass_all_history_messages` must be true when `store_history_messages` is false.")
        return self

    def passes_all_history(self) -> bool:
        """v0.27's `pass_all_history_messages` (or `pass_all_history`); false by default."""
        given = self.pass_all_history_messages
        return bool(given if given is not None else self.pass_all_history)

    def stores_history(self) -> bool:
        """v0.27's `store_history_messages` (or `store_history`); true by default."""
        given = self.store_history_messages if self.store_history_messages is not None else self.store_history
        return True if given is None else given

    def _turns(self) -> list[ChatTurn]:
        """``messages`` as turns: system messages dropped, and answers before the first question."""
        turns: list[ChatTurn] = []
        for message in self.messages or []:
            if message.role == "user" or (message.role == "assistant" and turns):
                turns.append(ChatTurn(role=message.role, content=message.text()))
        return turns

    def asked(self) -> str:
        """The question: ``question``, else the last user message."""
        return self.question if self.question is not None else self._turns()[-1].content

    def earlier_turns(self) -> list[ChatTurn]:
        """The conversation before the question, when it came as ``messages``."""
        return [] if self.question is not None else self._turns()[:-1]

    def llm_overrides(self) -> dict[str, Any]:
        """The generation settings given for this answer only (nulls are "not given")."""
        return {key: value for key, value in self.model_dump(include=set(LLM_OVERRIDES)).items() if value is not None}

    def variables(self) -> dict[str, Any]:
        """The keys that may fill the chat's prompt variables (nulls are "not given")."""
        return {k: v for k, v in self.extras().items() if k not in NOT_VARIABLES and v is not None}


CompletionBodyDep = Annotated[CompletionBody, json_body(CompletionBody)]
