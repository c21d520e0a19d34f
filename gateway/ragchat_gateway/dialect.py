"""RAGFlow dialects (API.md §9.1): the few answers on which ragflow-sdk 0.22 and 0.27 disagree.

Each API key speaks ``ragflow-0.22`` (the default) or ``ragflow-0.27``. Everything additive is
served to both; only these follow the key:

- the payload of ``GET /chats``: a list (0.22) or ``{"chats": [...], "total": n}`` (0.27);
- a bulk delete with neither ``ids`` nor ``delete_all``: 102 (0.22) or code 0, nothing deleted;
- a chat list filtered by ``id`` / ``name`` that matches nothing: "The chat doesn't exist" (0.22,
  as RAGFlow v0.22.1) or an empty list (0.27);
- a session created without ``user_id`` records "" (0.22) or the caller's tenant (0.27);
- a streamed answer whose citations were inserted after its deltas went out: the final event
  carries the cited answer (0.22, whose clients read the last event's text) or "" (0.27, as
  RAGFlow v0.27.0; its clients add up the deltas, and would show the answer twice);
- the wording of errors that the two releases word differently (``Wording``).

The services below the gateway speak v0.22.1's words; ``reword`` turns them into v0.27's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse

from ragchat_common.errors import envelope
from ragchat_gateway.auth.principal import DEFAULT_RAGFLOW_VERSION, Principal, RagflowVersion


def dialect_of(principal: Principal | None) -> RagflowVersion:
    """The caller's dialect (the key's, else the deployment's); the default before authentication."""
    return DEFAULT_RAGFLOW_VERSION if principal is None else principal.ragflow_version


def cited_final(version: RagflowVersion) -> bool:
    """Whether the final SSE event carries an answer that citations changed after its deltas."""
    return version == "0.22"


@dataclass(frozen=True)
class Wording:
    """RAGFlow's words for failures the services report without the route's context."""

    # POST /chats/{id}/sessions on an unknown chat (v0.27 only says "no authorization": ours instead)
    chat_unknown_create_session: str
    # GET /chats/{id}/sessions
    chat_unknown_list_sessions: str
    # DELETE /chats/{id}/sessions
    chat_unknown_delete_sessions: str
    # PUT / PATCH of a session that is not the chat's
    session_unknown_update: str
    # a completion naming a session that is not the chat's
    session_unknown_completion: str
    # GET one session that is not the chat's
    session_unknown_get: str
    # GET /chats filtered by id / name, nothing matched; None: an empty list instead
    chat_filter_matched_nothing: str | None


WORDING: dict[RagflowVersion, Wording] = {
    "0.22": Wording(
        chat_unknown_create_session="You do not own the assistant.",
        chat_unknown_list_sessions="You don't own the assistant {chat_id}.",
        chat_unknown_delete_sessions="You don't own the chat {chat_id}",
        session_unknown_update="You do not own the session",
        session_unknown_completion="You don't own the session {session_id}",
        session_unknown_get="The chat doesn't own the session {session_id}",
        chat_filter_matched_nothing="The chat doesn't exist",
    ),
    "0.27": Wording(
        chat_unknown_create_session="You don't own the chat {chat_id}",
        chat_unknown_list_sessions="You don't own the chat {chat_id}",
        chat_unknown_delete_sessions="You don't own the chat {chat_id}",
        session_unknown_update="Session not found!",
        session_unknown_completion="Session not found!",
        session_unknown_get="Session not found!",
        chat_filter_matched_nothing=None,
    ),
}

# v0.22.1's words (what the services say) → v0.27.0's.
_REWORDS_027 = (
    (re.compile(r"\bAssistant\(([^)]*)\) not found\."), r"Chat(\1) not found."),
    (re.compile(r"\bDuplicate assistant ids: "), "Duplicate chat ids: "),
    (re.compile(r"^`messages` can not be changed$"), "`messages` cannot be changed"),
    (re.compile(r"^Duplicated chat name in creating chat\.$"), "duplicated chat name in creating chat"),
    (re.compile(r"^Duplicated chat name in updating chat\.$"), "duplicated chat name"),
    (re.compile(r"^`name` is required\.$"), "`name` is required"),
    (re.compile(r"^`name` cannot be empty\.$"), "`name` cannot be empty"),
    (re.compile(r"^`name` can not be empty\.$"), "`name` can not be empty"),
    (re.compile(r"^You don't own the document (.*)\.$"), r"you don't own the document \1"),
    (re.compile(r"^No properties were modified$"), "no properties were modified"),
    (re.compile(r"^`tenant_id` must not be provided\.$"), "`tenant_id` must not be provided"),
    (re.compile(r"^Can't change `(\w+)`\.$"), r"can't change `\1`"),
)


def wording(principal: Principal | None) -> Wording:
    return WORDING[dialect_of(principal)]


def reword(principal: Principal | None, message: str) -> str:
    """A service's message in the caller's dialect."""
    if dialect_of(principal) == "0.22":
        return message
    for pattern, replacement in _REWORDS_027:
        message = pattern.sub(replacement, message)
    return message


def chat_list(principal: Principal, chats: list[dict[str, Any]], total: int) -> JSONResponse:
    """``GET /chats``: a list (0.22) or ``{"chats", "total"}`` (0.27); ``X-Total-Count`` for both."""
    headers = {"X-Total-Count": str(total)}
    if dialect_of(principal) == "0.27":
        return JSONResponse(envelope({"chats": chats, "total": total}), headers=headers)
    return JSONResponse(envelope(chats), headers=headers)


def deletes_nothing(principal: Principal, ids: list[str], delete_all: bool) -> bool:
    """True when a bulk delete without ids is answered "code 0, nothing deleted" (0.27); for 0.22
    the services refuse it (102)."""
    return not ids and not delete_all and dialect_of(principal) == "0.27"


def default_session_user(principal: Principal) -> str | None:
    """The ``user_id`` a session gets when the request names none (0.27: the caller's tenant)."""
    return principal.tenant_id if dialect_of(principal) == "0.27" else None
