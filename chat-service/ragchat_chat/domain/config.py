"""The ``llm`` and ``prompt`` objects of a chat: defaults, aliases, merging and validation.

Null means "the default" for every known key (ragflow-sdk sends nulls); unknown keys are kept
and echoed as sent. ``prompt.system`` is an alias of ``prompt.prompt`` and
``prompt.parameters`` of ``prompt.variables`` (API.md §3).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ragchat_common.errors import InvalidArgument
from ragchat_common.prompting import DEFAULT_CHAT_PROMPT
from ragchat_common.search_defaults import SEARCH_DEFAULTS, TOP_K_MAX, TOP_N_MAX

DEFAULT_OPENER = "Hi! I'm your assistant. What can I do for you?"
# RAGFlow's default: a chat with datasets that retrieves nothing answers this without the LLM.
DEFAULT_EMPTY_RESPONSE = "Sorry! No relevant content was found in the knowledge base!"
DEFAULT_DESCRIPTION = "A helpful Assistant"

LLM_DEFAULTS: dict[str, Any] = {
    "model_name": None,  # filled with the deployment's default model
    "temperature": 0.1,
    "top_p": 0.3,
    "presence_penalty": 0.4,
    "frequency_penalty": 0.7,
    "max_tokens": 512,
}


def prompt_defaults() -> dict[str, Any]:
    return {
        "prompt": DEFAULT_CHAT_PROMPT,
        "opener": DEFAULT_OPENER,
        "empty_response": DEFAULT_EMPTY_RESPONSE,
        "variables": [{"key": "knowledge", "optional": False}],
        "similarity_threshold": SEARCH_DEFAULTS.similarity_threshold,
        "keywords_similarity_weight": SEARCH_DEFAULTS.keywords_similarity_weight,
        "top_n": SEARCH_DEFAULTS.top_n,
        "top_k": SEARCH_DEFAULTS.top_k,
        "rerank_model": "",
        "show_quote": True,
    }


PROMPT_ALIASES = {"system": "prompt", "parameters": "variables"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_number(name: str, value: Any, low: float, high: float) -> None:
    if not _is_number(value) or not low <= value <= high:
        raise InvalidArgument(f"`{name}` should be a number between {low:g} and {high:g}.")


def _number(low: float, high: float) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        check_number(name, value, low, high)

    return check


def _positive_int(name: str, value: Any) -> None:
    if not _is_int(value) or value < 1:
        raise InvalidArgument(f"`{name}` should be a positive integer.")


def _int_between(low: int, high: int) -> Callable[[str, Any], None]:
    """low..high: a stored setting beyond what search takes would fail every completion later."""

    def check(name: str, value: Any) -> None:
        if not _is_int(value) or not low <= value <= high:
            raise InvalidArgument(f"`{name}` should be an integer between {low} and {high}.")

    return check


def _string(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidArgument(f"`{name}` should be a string.")


def _boolean(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(f"`{name}` should be a boolean.")


def _variables(name: str, value: Any) -> None:
    if not isinstance(value, list):
        raise InvalidArgument(f"`{name}` should be a list.")
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
            raise InvalidArgument(f'`{name}` items should be objects like {{"key": "name", "optional": false}}.')
        if "optional" in item and item["optional"] is not None and not isinstance(item["optional"], bool):
            raise InvalidArgument(f"`{name}[].optional` should be a boolean.")
    keys = [item["key"] for item in value]
    repeated = next((key for i, key in enumerate(keys) if key in keys[:i]), None)
    if repeated is not None:  # which one would fill the placeholder? (RAGFlow v0.27 refuses it too)
        raise InvalidArgument(f"`{name}` contains duplicate key: {repeated}")


LLM_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "model_name": _string,
    "temperature": _number(0, 2),
    "top_p": _number(0, 1),
    "presence_penalty": _number(-2, 2),
    "frequency_penalty": _number(-2, 2),
    "max_tokens": _positive_int,
}
PROMPT_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "prompt": _string,
    "opener": _string,
    "empty_response": _string,
    "variables": _variables,
    "similarity_threshold": _number(0, 1),
    "keywords_similarity_weight": _number(0, 1),
    "top_n": _int_between(0, TOP_N_MAX),  # 0 (as RAGFlow accepts): the retrieval's default page size
    "top_k": _int_between(1, TOP_K_MAX),
    "rerank_model": _string,
    "show_quote": _boolean,
}


def resolve_prompt_aliases(given: dict[str, Any]) -> dict[str, Any]:
    """``system`` → ``prompt`` and ``parameters`` → ``variables`` (the canonical key wins)."""
    resolved = dict(given)
    for alias, canonical in PROMPT_ALIASES.items():
        if alias in resolved:
            value = resolved.pop(alias)
            if resolved.get(canonical) is None:
                resolved[canonical] = value
    return resolved


def _complete(
    stored: dict[str, Any], given: dict[str, Any], defaults: dict[str, Any], section: str, checks: dict[str, Any]
) -> dict[str, Any]:
    merged = {**stored, **given}
    for key, default in defaults.items():
        if merged.get(key) is None:
            merged[key] = default
        else:
            checks[key](f"{section}.{key}", merged[key])
    return merged


def build_llm(stored: dict[str, Any], given: dict[str, Any] | None, default_model: str) -> dict[str, Any]:
    llm = _complete(stored, given or {}, LLM_DEFAULTS, "llm", LLM_CHECKS)
    if llm["model_name"] is None:
        llm["model_name"] = default_model
    return llm


def build_prompt(stored: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    prompt = _complete(stored, resolve_prompt_aliases(given or {}), prompt_defaults(), "prompt", PROMPT_CHECKS)
    prompt["variables"] = [{**item, "optional": bool(item.get("optional") or False)} for item in prompt["variables"]]
    return prompt


def check_variables_used(prompt: dict[str, Any]) -> None:
    """Every non-optional variable must appear as ``{key}`` in the system prompt."""
    text = prompt["prompt"]
    for item in prompt["variables"]:
        if not item["optional"] and "{" + item["key"] + "}" not in text:
            raise InvalidArgument(f"Parameter '{item['key']}' is not used")
