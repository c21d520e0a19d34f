"""A chat's settings under RAGFlow v0.27's names (API.md §9.1): one stored setting, two names.

v0.27 names a chat's settings ``icon``, ``llm_id``, ``llm_setting``, ``prompt_config`` (``system``,
``prologue``, ``parameters``, ``empty_response``, ``quote``, ...) and top-level
``similarity_threshold``, ``vector_similarity_weight``, ``top_n``, ``top_k``, ``rerank_id``.
ragchat stores each setting once, in ``avatar``, ``llm`` and ``prompt`` (API.md §3); this module
turns the v0.27 names into changes of those and reads them back under the v0.27 names.

``vector_similarity_weight`` is the share of vector similarity in the hybrid score, so it reads
and writes ``1 - prompt.keywords_similarity_weight``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ragchat_chat.domain.config import LLM_CHECKS, PROMPT_CHECKS, check_number
from ragchat_common.errors import InvalidArgument

# prompt_config key (v0.27) → prompt key (API.md §3); other prompt_config keys keep their name.
PROMPT_CONFIG_NAMES = {
    "system": "prompt",
    "prologue": "opener",
    "parameters": "variables",
    "empty_response": "empty_response",
    "quote": "show_quote",
}
# Top-level v0.27 field → prompt key; vector_similarity_weight is handled apart (1 - weight).
TOP_LEVEL_NAMES = {
    "similarity_threshold": "similarity_threshold",
    "top_n": "top_n",
    "top_k": "top_k",
    "rerank_id": "rerank_model",
}
VECTOR_WEIGHT = "vector_similarity_weight"
# prompt keys that v0.27 keeps at the top level, not in prompt_config.
RETRIEVAL_KEYS = frozenset({*TOP_LEVEL_NAMES.values(), "keywords_similarity_weight"})
FIELDS = frozenset({"icon", "llm_id", "llm_setting", "prompt_config", VECTOR_WEIGHT, *TOP_LEVEL_NAMES})
_PROMPT_KEY_NAMES = {canonical: name for name, canonical in PROMPT_CONFIG_NAMES.items()}


@dataclass(frozen=True)
class Changes:
    """What the v0.27 fields change: the avatar, and keys of llm / prompt (merged like them)."""

    avatar: str | None = None
    llm: dict[str, Any] = field(default_factory=dict)
    prompt: dict[str, Any] = field(default_factory=dict)
    model_field: str | None = None  # "llm_id" when the model was named that way (for messages)
    rerank_field: str | None = None  # "rerank_id" when the rerank model was named that way


def _weight_complement(value: float) -> float:
    # Rounded so that 0.7 reads back as 0.3, not 0.30000000000000004.
    return round(1.0 - value, 10)


def _object(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidArgument(f"`{name}` should be an object.")
    return value


def changes_from(fields: dict[str, Any]) -> Changes:
    """Validates the v0.27 fields (messages name them as sent) and maps them onto llm / prompt.

    A null value means "not given", as for the v0.22 names.
    """
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise InvalidArgument(f"Unknown RAGFlow v0.27 chat field(s): {', '.join(unknown)}.")
    llm: dict[str, Any] = {}
    prompt: dict[str, Any] = {}
    avatar = fields.get("icon")
    if avatar is not None and not isinstance(avatar, str):
        raise InvalidArgument("`icon` should be a string.")
    model = fields.get("llm_id")
    if model is not None:
        LLM_CHECKS["model_name"]("llm_id", model)
        llm["model_name"] = model
    setting = fields.get("llm_setting")
    if setting is not None:
        for key, value in _object("llm_setting", setting).items():
            if key == "model_name":
                continue  # the model is llm_id in v0.27
            if value is not None and key in LLM_CHECKS:
                LLM_CHECKS[key](f"llm_setting.{key}", value)
            llm[key] = value
    config = fields.get("prompt_config")
    if config is not None:
        for key, value in _object("prompt_config", config).items():
            canonical = PROMPT_CONFIG_NAMES.get(key, key)
            if canonical in RETRIEVAL_KEYS:
                continue  # top-level in v0.27: not a prompt_config key
            if value is not None and canonical in PROMPT_CHECKS:
                PROMPT_CHECKS[canonical](f"prompt_config.{key}", value)
            prompt[canonical] = value
    for name, canonical in TOP_LEVEL_NAMES.items():
        value = fields.get(name)
        if value is not None:
            PROMPT_CHECKS[canonical](name, value)
            prompt[canonical] = value
    weight = fields.get(VECTOR_WEIGHT)
    if weight is not None:
        check_number(VECTOR_WEIGHT, weight, 0, 1)
        prompt["keywords_similarity_weight"] = _weight_complement(weight)
    return Changes(
        avatar=avatar,
        llm=llm,
        prompt=prompt,
        model_field="llm_id" if model is not None else None,
        rerank_field="rerank_id" if fields.get("rerank_id") is not None else None,
    )


def view(avatar: str, llm: dict[str, Any], prompt: dict[str, Any]) -> dict[str, Any]:
    """The stored settings under the v0.27 names."""
    return {
        "icon": avatar,
        "llm_id": llm.get("model_name"),
        "llm_setting": {key: value for key, value in llm.items() if key != "model_name"},
        "prompt_config": {
            _PROMPT_KEY_NAMES.get(key, key): value for key, value in prompt.items() if key not in RETRIEVAL_KEYS
        },
        **{name: prompt.get(canonical) for name, canonical in TOP_LEVEL_NAMES.items()},
        VECTOR_WEIGHT: _weight_complement(float(prompt.get("keywords_similarity_weight", 0.7))),
    }
