"""The OpenAI Chat Completions request (API.md §6), as far as ragchat reads it.

Fields OpenAI clients send that ragchat does not use (``n``, ``seed``, ``tools``...) are
ignored; the ones it uses are typed and bounded as OpenAI documents them. Errors of these
routes leave as OpenAI error bodies (routes/openai_compat.py) with the same messages.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from ragchat_gateway.request_models.base import RequestModel
from ragchat_gateway.request_models.binding import json_body
from ragchat_gateway.request_models.fields import FiniteFloat, JsonValue, Text, custom_error

MESSAGES_MAX = 1000
MAX_TOKENS_MAX = 1_000_000


class ContentPart(RequestModel):
    type: Text
    text: Text | None = None

    @model_validator(mode="after")
    def _text_part(self) -> ContentPart:
        if self.type == "text" and self.text is None:
            raise custom_error("A content part of type `text` needs a string `text`.")
        return self


class ChatMessage(RequestModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: Text | Annotated[list[ContentPart], Field(max_length=MESSAGES_MAX)] | None = None

    def text(self) -> str:
        """Plain text, or the text parts joined (other parts, e.g. images, are not understood)."""
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class StreamOptions(RequestModel):
    include_usage: StrictBool | None = None


class ReferenceMetadata(RequestModel):
    include: StrictBool | None = None
    fields: list[Text] | None = None


class ExtraBody(RequestModel):
    """RAGFlow's literal ``extra_body`` object in the request (its curl examples send one; the
    ``openai`` SDK's own ``extra_body=`` merges its keys into the top level instead)."""

    reference: StrictBool | None = None
    reference_metadata: ReferenceMetadata | None = None
    metadata_condition: dict[str, JsonValue] | None = None

    @model_validator(mode="after")
    def _served(self) -> ExtraBody:
        # Asked for, these would change the answer: refused rather than silently left out.
        if self.reference_metadata is not None and self.reference_metadata.include:
            raise custom_error("`extra_body.reference_metadata.include` is not supported.")
        if self.metadata_condition:
            raise custom_error("`extra_body.metadata_condition` is not supported; use `doc_ids` on the native route.")
        return self


class OpenAIChatRequest(RequestModel):
    model: Text
    messages: Annotated[list[ChatMessage], Field(min_length=1, max_length=MESSAGES_MAX)]
    stream: StrictBool | None = None
    reference: StrictBool | None = None  # the openai SDK's extra_body={"reference": true}
    extra_body: ExtraBody | None = None  # RAGFlow's literal {"extra_body": {"reference": true}}
    variables: dict[str, JsonValue] | None = None
    stream_options: StreamOptions | None = None
    temperature: Annotated[FiniteFloat, Field(ge=0, le=2)] | None = None
    top_p: Annotated[FiniteFloat, Field(ge=0, le=1)] | None = None
    presence_penalty: Annotated[FiniteFloat, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[FiniteFloat, Field(ge=-2, le=2)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=MAX_TOKENS_MAX)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1, le=MAX_TOKENS_MAX)] | None = None

    @field_validator("model")
    @classmethod
    def _model_named(cls, model: str) -> str:
        if not model:
            raise custom_error("`model` is required.")
        return model

    @model_validator(mode="after")
    def _asks(self) -> OpenAIChatRequest:
        turns = self.turns()
        if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
            raise custom_error("The last message must be a non-empty user message.")
        return self

    def wants_reference(self) -> bool:
        return bool(self.reference or (self.extra_body and self.extra_body.reference))

    def turns(self) -> list[tuple[Literal["user", "assistant"], str]]:
        """The conversation; system and developer messages are dropped (the chat assistant's
        own system prompt applies)."""
        turns: list[tuple[Literal["user", "assistant"], str]] = []
        for message in self.messages:
            if message.role == "user" or message.role == "assistant":
                turns.append((message.role, message.text()))
        return turns

    def conversation(self) -> tuple[str, list[tuple[Literal["user", "assistant"], str]]]:
        """The question (the last user message) and the turns before it."""
        turns = self.turns()
        return turns[-1][1], turns[:-1]

    def llm_overrides(self) -> dict[str, Any]:
        """The chat's ``llm`` settings this request overrides."""
        overrides = self.model_dump(
            include={"temperature", "top_p", "presence_penalty", "frequency_penalty", "max_tokens"}, exclude_none=True
        )
        if self.max_completion_tokens is not None:
            overrides["max_tokens"] = self.max_completion_tokens
        return overrides


OpenAIChatBody = Annotated[OpenAIChatRequest, json_body(OpenAIChatRequest)]
