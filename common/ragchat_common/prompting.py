"""Filling ``{name}`` placeholders in prompts, openers and empty responses, and the system
prompt a chat gets when nobody writes one.

Braces that name no known variable are left exactly as written (API.md §5): a prompt may
contain JSON or code, and that must never be an error.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

# A chat's system prompt when its creator sends none (chat-service stores it with the chat).
DEFAULT_CHAT_PROMPT = (
    "You are an intelligent assistant. Answer the question using the knowledge base below, "
    "summarising the relevant content in detail. When nothing in the knowledge base is relevant "
    'to the question, say so: your answer must include the sentence "The answer you are looking '
    'for is not found in the knowledge base!" Take the chat history into account.\n'
    "Here is the knowledge base:\n{knowledge}\nThe above is the knowledge base."
)


def _fingerprint(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


# Prompts that chats carry without anyone having written them: ours, and the one ragflow-sdk
# 0.22.1's create_chat sends when its caller gives none (by fingerprint of its whitespace-
# collapsed text; a test checks it against the installed SDK).
_STOCK_PROMPTS = frozenset(
    {_fingerprint(DEFAULT_CHAT_PROMPT), "2cd05baffb1b4d63c2f2c9887036822f31e5092221f51ab133502da2be775370"}
)


def is_stock_prompt(text: str) -> bool:
    """True for a system prompt no one wrote for this chat (a default, not a choice)."""
    return _fingerprint(text) in _STOCK_PROMPTS


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(template: str) -> set[str]:
    """The variable names a template mentions."""
    return set(_PLACEHOLDER.findall(template))


def fill_placeholders(template: str, values: Mapping[str, str]) -> str:
    """Replaces ``{key}`` for every key in ``values``; other braces stay untouched."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return _PLACEHOLDER.sub(replace, template)
