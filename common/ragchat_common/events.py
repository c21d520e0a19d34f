"""Events of one answer's token stream, from an inference worker to the gateways, over Redis.

Each event is published live on ``stream_channel`` and appended to ``stream_log_key`` (a capped,
expiring Redis stream) in the same round trip: the live channel gives low latency, the log lets a
gateway fill gaps (a subscription that was not yet active, a reconnect) and lets a stream resume.

``seq`` numbers the events of one message from 0 and never restarts, not even after a redelivered
job emits ``reset``; a gateway relays every seq once, in order.

Order of a successful answer: ``delta``* (each the NEW text only), ``final`` (the full answer, its
reference, usage; ``stopped`` when a client stopped it and the answer is the partial text),
``done``. A failure: ``delta``*, ``error``, ``done``. A worker that takes over a
redelivered job first sends ``reset``: the text streamed so far is void and the answer restarts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class Usage(BaseModel):
    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int]:
        """The shape clients see (API.md §9.2)."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


class _StreamEventBase(BaseModel):
    model_config = ConfigDict(frozen=True)

    # W3C traceparent of the worker span that emitted the event ("" when tracing is off), so a
    # relay or a resumed stream can be tied to the trace of the answer.
    traceparent: str = ""


class DeltaEvent(_StreamEventBase):
    model_config = ConfigDict(frozen=True)

    type: Literal["delta"] = "delta"
    seq: int
    text: str


class ResetEvent(_StreamEventBase):
    model_config = ConfigDict(frozen=True)

    type: Literal["reset"] = "reset"
    seq: int
    reason: str = "The answer restarted after a worker failure."


class FinalEvent(_StreamEventBase):
    model_config = ConfigDict(frozen=True)

    type: Literal["final"] = "final"
    seq: int
    answer: str
    reference: dict[str, Any]
    created_at: float
    model: str = ""
    usage: Usage = Field(default_factory=Usage)
    # A client stopped the answer: ``answer`` is the text generated until then.
    stopped: bool = False
    # ``answer`` is not the deltas joined: citations were inserted after generation, so the
    # final SSE event carries the whole answer (as RAGFlow's last event does).
    answer_rewritten: bool = False


class ErrorEvent(_StreamEventBase):
    model_config = ConfigDict(frozen=True)

    type: Literal["error"] = "error"
    seq: int
    # Safe to show to the client (no internals).
    message: str


class DoneEvent(_StreamEventBase):
    model_config = ConfigDict(frozen=True)

    type: Literal["done"] = "done"
    seq: int


StreamEvent = Annotated[
    DeltaEvent | ResetEvent | FinalEvent | ErrorEvent | DoneEvent,
    Field(discriminator="type"),
]

_EVENT_ADAPTER: TypeAdapter[StreamEvent] = TypeAdapter(StreamEvent)

# Field of a stream-log entry that holds the encoded event.
LOG_FIELD = b"e"


def encode_event(event: StreamEvent) -> bytes:
    return event.model_dump_json().encode()


def decode_event(payload: bytes | str) -> StreamEvent:
    """Raises ``pydantic.ValidationError`` for a payload that is not an event."""
    return _EVENT_ADAPTER.validate_json(payload)


def stream_channel(namespace: str, message_id: str) -> str:
    """The Redis pub/sub channel carrying one answer's live events."""
    return f"{namespace}:stream:{message_id}"


def stream_log_key(namespace: str, message_id: str) -> str:
    """The Redis stream (capped, expiring) holding one answer's events for replay."""
    return f"{namespace}:streamlog:{message_id}"


def stream_control_channel(namespace: str, message_id: str) -> str:
    """The Redis pub/sub channel on which the worker holding an answer hears a stop for it."""
    return f"{namespace}:control:{message_id}"


def stream_stop_key(namespace: str, message_id: str) -> str:
    """Set (expiring) when a stop was asked for: read by a worker that starts the job later."""
    return f"{namespace}:stop:{message_id}"


def job_claim_key(namespace: str, message_id: str) -> str:
    """Held (expiring, renewed) by the worker running the message's job: a second delivery of
    the job waits instead of answering it again."""
    return f"{namespace}:claim:{message_id}"


def stream_finishing_key(namespace: str, message_id: str) -> str:
    """Set (expiring) by the worker once the answer is complete: a stop after that is too late."""
    return f"{namespace}:finishing:{message_id}"
