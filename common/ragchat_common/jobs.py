"""The completion job the gateway publishes on RabbitMQ and an inference worker consumes.

A job is a self-contained snapshot (chat configuration, history, variables), so the worker never
reads the chat or the session back: what the gateway validated is what gets answered, even if the
chat is edited while the job waits in the queue. ``message_id`` (the id of the answer) is the
idempotency key: a redelivered job answers the same message and is stored once.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JOB_SCHEMA_VERSION = 1
JOB_CONTENT_TYPE = "application/json"


class ChatTurn(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["user", "assistant"]
    content: str


class ChatSnapshot(BaseModel):
    """The parts of a chat assistant a completion needs (API.md §3 shapes, defaults applied)."""

    model_config = ConfigDict(frozen=True)

    dataset_ids: list[str] = Field(default_factory=list)
    llm: dict[str, Any] = Field(default_factory=dict)
    prompt: dict[str, Any] = Field(default_factory=dict)


class CompletionJob(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = JOB_SCHEMA_VERSION
    message_id: str
    tenant_id: str
    chat_id: str
    # Empty for stateless (OpenAI-compatible) completions: nothing is stored.
    session_id: str = ""
    question: str
    history: list[ChatTurn] = Field(default_factory=list)
    chat: ChatSnapshot = Field(default_factory=ChatSnapshot)
    variables: dict[str, str] = Field(default_factory=dict)
    quote: bool = True
    doc_ids: list[str] = Field(default_factory=list)
    # False: the answer is streamed but not stored (OpenAI-compatible route).
    store: bool = True
    created_at: float = 0.0

    def encode(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def decode(cls, body: bytes) -> CompletionJob:
        """Raises ``pydantic.ValidationError`` for a malformed body (the consumer dead-letters it)."""
        return cls.model_validate_json(body)


def completion_queue(namespace: str) -> str:
    """The durable work queue of completion jobs."""
    return f"{namespace}.completions"


def dead_letter_exchange(namespace: str) -> str:
    return f"{namespace}.completions.dlx"


def dead_letter_queue(namespace: str) -> str:
    """Jobs that failed or could not be decoded end here, for inspection (bounded, expiring)."""
    return f"{namespace}.completions.dead"


def completion_queue_arguments(namespace: str) -> dict[str, Any]:
    """Arguments of the work queue; gateway and worker must declare it identically."""
    return {"x-dead-letter-exchange": dead_letter_exchange(namespace)}


DEAD_LETTER_QUEUE_ARGUMENTS: dict[str, Any] = {
    "x-message-ttl": 24 * 3600 * 1000,
    "x-max-length": 10_000,
}
