"""The one home of the prompt-variable and opener rules (API.md §5).

- A chat declares variables in ``prompt.variables`` (``{"key": ..., "optional": bool}``);
  ``knowledge`` is filled by retrieval, never by the client.
- A completion must give every non-optional variable (else 102 "Missing required variable:
  '{key}'"); optional ones not given are empty.
- A given value is text: a string as sent, a number or boolean written out; an object or list
  for a declared variable is a 102.
- The opener (and ``empty_response``) is filled with the given values: declared ones, the
  optional defaults, and any other scalar key the caller sent (a create-session body may name
  placeholders the chat does not declare). Braces naming nothing given are left as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ragchat_common.errors import InvalidArgument
from ragchat_common.prompting import fill_placeholders

RETRIEVED = "knowledge"


def declared_variables(prompt: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(key, optional) of the chat's variables, ``knowledge`` left out."""
    declared = []
    for item in prompt.get("variables") or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str) and item["key"] != RETRIEVED:
            declared.append((item["key"], bool(item.get("optional"))))
    return declared


def as_text(value: Any) -> str | None:
    """A scalar as prompt text; None for values that are not text (objects, lists, null)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def resolve_variables(prompt: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, str]:
    """The values of the chat's declared variables for one completion."""
    values: dict[str, str] = {}
    for key, optional in declared_variables(prompt):
        if given.get(key) is not None:
            text = as_text(given[key])
            if text is None:
                raise InvalidArgument(f"Variable '{key}' must be a string.")
            values[key] = text
        elif optional:
            values[key] = ""
        else:
            raise InvalidArgument(f"Missing required variable: '{key}'")
    return values


def opener_values(prompt: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, str]:
    """What fills the opener: every scalar given, and optional declared variables not given as ''.
    A required variable not given stays as written (creating a session never fails on it)."""
    values = {key: "" for key, optional in declared_variables(prompt) if optional}
    for key, value in given.items():
        text = as_text(value)
        if text is not None and key != RETRIEVED:
            values[key] = text
    return values


def render_opener(prompt: Mapping[str, Any], given: Mapping[str, Any]) -> str:
    opener = prompt.get("opener") or ""
    return fill_placeholders(str(opener), opener_values(prompt, given)) if opener else ""
