"""What a completion asks for, whatever transport brought it (HTTP body, public gRPC call)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ragchat_common.jobs import ChatTurn


@dataclass(frozen=True)
class CompletionRequest:
    """A question to a chat, in a session (given, or created for it) — API.md §5; with ``chat_id``
    "" the deployment's model answers it alone and nothing is stored (API.md §9.1)."""

    chat_id: str
    question: str
    stream: bool = True
    session_id: str | None = None
    user_id: str | None = None
    name: str | None = None  # a new session's name
    quote: bool | None = None  # None: the chat's show_quote
    doc_ids: list[str] = field(default_factory=list)
    given: Mapping[str, Any] = field(default_factory=dict)  # prompt variables, as sent
    # This answer's own generation settings (llm_id, temperature, ...), checked by chat-service.
    llm_overrides: Mapping[str, Any] = field(default_factory=dict)
    # The conversation before the question, for a completion without a chat (a chat's session
    # holds its own) or one that passes all history (v0.27's `pass_all_history_messages`).
    history: list[ChatTurn] = field(default_factory=list)
    # With a chat: answer from `history` instead of the session's stored messages ...
    pass_all_history: bool = False
    # ... and store nothing (v0.27's `store_history_messages: false`; needs `pass_all_history`).
    store: bool = True


@dataclass(frozen=True)
class StatelessRequest:
    """Messages answered with a chat's settings, nothing stored (the OpenAI-compatible path)."""

    chat_id: str
    question: str
    history: list[ChatTurn]
    given: Mapping[str, Any] = field(default_factory=dict)
    llm_overrides: Mapping[str, Any] = field(default_factory=dict)
