"""Bytes → JSON object → model, refusing what JSON allows but storage cannot keep.

``json.loads`` accepts ``NaN``/``Infinity``, turns ``1e999`` into infinity, and raises
RecursionError past a thousand nesting levels; each of those reached a 5xx before. Here they are
102 answers. What may be stored (free-form objects) has its own, lower depth limit (fields.py).
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ragchat_common.errors import InvalidArgument
from ragchat_gateway.request_models.errors import invalid_argument

M = TypeVar("M", bound=BaseModel)

NOT_JSON = "Request body is not valid JSON."
NOT_OBJECT = "Request body must be a JSON object."


class _NotFinite(ValueError):
    pass


def _constant(name: str) -> Any:
    raise _NotFinite(name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


def load_json(text: str, what: str) -> Any:
    """``text`` as JSON. Non-finite numbers and nesting too deep to parse are InvalidArgument
    naming ``what``; text that is not JSON at all is a ValueError, for the caller to word."""
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_float)
    except _NotFinite as exc:
        raise InvalidArgument(f"{what} holds {exc}: numbers must be finite.") from None
    except RecursionError:
        raise InvalidArgument(f"{what} is nested too deeply.") from None


def parse_json_object(raw: bytes, *, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body as a JSON object; an empty (or ``null``) body is ``empty`` ({} by default)."""
    if not raw.strip():
        return dict(empty or {})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument(f"{NOT_JSON[:-1]}: it is not UTF-8.") from None
    try:
        body = load_json(text, "Request body")
    except ValueError:
        raise InvalidArgument(NOT_JSON) from None
    if body is None:
        return dict(empty or {})
    if not isinstance(body, dict):
        raise InvalidArgument(NOT_OBJECT)
    return body


def validate(model: type[M], data: Any) -> M:
    """``data`` as ``model``, or InvalidArgument with the message of ``errors.describe``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_argument(exc, model) from None
