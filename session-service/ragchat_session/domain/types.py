"""Sessions and messages as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ORDER_FIELDS = ("create_time", "update_time", "name")
DEFAULT_SESSION_NAME = "New session"
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class TokenUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TokenUsage:
        return cls(int(doc.get("prompt_tokens", 0)), int(doc.get("completion_tokens", 0)))


@dataclass(frozen=True)
class Message:
    id: str
    role: str  # user | assistant
    content: str
    created_at: float  # epoch seconds
    reference: dict[str, Any] | None = None  # assistant answers only
    # Answers only (API.md §9.2): stopped by a client (content is the partial text), tokens used.
    stopped: bool = False
    usage: TokenUsage | None = None
    thumbup: bool | None = None  # the user's rating of an answer; None: not rated
    feedback: str = ""  # the user's comment with a thumb down

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "role": self.role, "content": self.content, "created_at": self.created_at}
        if self.reference is not None:
            doc["reference"] = self.reference
        if self.stopped:
            doc["stopped"] = True
        if self.usage is not None:
            doc["usage"] = {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
            }
        if self.thumbup is not None:
            doc["thumbup"] = self.thumbup
        if self.feedback:
            doc["feedback"] = self.feedback
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Message:
        return cls(
            id=doc["id"],
            role=doc["role"],
            content=doc.get("content", ""),
            created_at=float(doc.get("created_at", 0.0)),
            reference=doc.get("reference"),
            stopped=bool(doc.get("stopped", False)),
            usage=TokenUsage.from_doc(doc["usage"]) if isinstance(doc.get("usage"), dict) else None,
            thumbup=doc.get("thumbup"),
            feedback=doc.get("feedback", ""),
        )


@dataclass(frozen=True)
class Session:
    id: str
    tenant_id: str
    chat_id: str
    name: str
    user_id: str
    create_time: int  # epoch ms
    update_time: int
    messages: list[Message] = field(default_factory=list)


@dataclass(frozen=True)
class SessionQuery:
    """A page of one chat's sessions, filtered and ordered (validated by the caller's transport)."""

    page: int = 1
    page_size: int = 30
    orderby: str = "create_time"
    desc: bool = True
    id: str | None = None
    name: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class SessionPage:
    sessions: list[Session]
    total: int


@dataclass(frozen=True)
class AppendedQuestion:
    session_id: str
    user_message_id: str
    answer_id: str
    history: list[Message]  # the messages before the question, oldest first
