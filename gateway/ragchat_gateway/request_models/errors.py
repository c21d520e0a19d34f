"""The one place where a validation failure becomes the contract's 102 message (API.md §1).

Bodies (``binding.json_body``), queries (FastAPI's ``RequestValidationError``) and the public
gRPC API all end here, so a field gets the same sentence whichever way it came in. Messages
follow RAGFlow's wording where ragflow-sdk shows them ("`name` should be a string", "`ids`
should be a list"); a range names both bounds, whatever the wrong value was.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from ragchat_common.errors import InvalidArgument

_STRING = {"string_type", "string_sub_type"}
_LIST = {"list_type", "tuple_type", "set_type", "iterable_type"}
_OBJECT = {"dict_type", "model_type", "model_attributes_type", "dataclass_type"}
_BOOL = {"bool_type", "bool_parsing"}
_INT = {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}
_FLOAT = {"float_type", "float_parsing", "finite_number"}
_NUMBER_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "multiple_of"}


def field_path(loc: Sequence[int | str]) -> str:
    """``("messages", 0, "content")`` → ``messages[0].content``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


@functools.cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _resolve(node: dict[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    """Follows ``$ref`` and picks the non-null option of ``anyOf`` (``X | None`` fields)."""
    for _ in range(8):
        if "$ref" in node:
            node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        elif "anyOf" in node:
            options = [o for o in node["anyOf"] if o.get("type") != "null"]
            if len(options) != 1:
                return node
            node = options[0]
        else:
            return node
    return node


def _number_schema(model: type[BaseModel] | None, loc: Sequence[int | str]) -> dict[str, Any]:
    """The JSON schema of the number at ``loc`` (its type and bounds), {} when unknown."""
    if model is None:
        return {}
    schema = _schema(model)
    defs = schema.get("$defs", {})
    node: dict[str, Any] = schema
    for part in loc:
        node = _resolve(node, defs)
        child = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
        if not isinstance(child, dict):
            return {}
        node = child
    return _resolve(node, defs)


def _bound(value: Any) -> str:
    return str(value) if isinstance(value, int) or float(value).is_integer() else f"{value:g}"


def _range_sentence(name: str, kind: str, schema: Mapping[str, Any]) -> str:
    article = "an" if kind == "integer" else "a"
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if kind == "integer" and low == 1 and high is None:
        return f"{name} should be a positive integer."
    if low is not None and high is not None:
        return f"{name} should be {article} {kind} between {_bound(low)} and {_bound(high)}."
    if low is not None:
        return f"{name} should be {article} {kind} >= {_bound(low)}."
    if high is not None:
        return f"{name} should be {article} {kind} <= {_bound(high)}."
    return f"{name} should be {article} {kind}."


def _is_type_tag(part: int | str) -> bool:
    """Union members and validator wrappers name themselves in ``loc`` (``list[ContentPart]``,
    ``function-after[...]``); our field names never hold brackets."""
    return isinstance(part, str) and ("[" in part or part in _TYPE_TAGS)


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "tagged-union"}


def describe_error(error: Mapping[str, Any], model: type[BaseModel] | None = None) -> str:
    """One pydantic error as a sentence naming its field."""
    loc = [p for p in error.get("loc", ()) if p not in ("body", "query", "path", "header") and not _is_type_tag(p)]
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    # A list item's type error speaks of the list ("`ids` should be a list of strings").
    item_of_list = bool(loc) and isinstance(loc[-1], int)
    path = field_path(loc)
    name = f"`{path}`" if path else "The request body"
    if kind == "ragchat":
        return str(error.get("msg", "")).replace("{field}", name)
    if kind == "missing":
        return f"{name} is required." if path else "Request body is required."
    if kind == "string_unicode":
        return f"{name} is not valid Unicode text (it holds a lone surrogate)."
    if kind in _STRING:
        if item_of_list:
            return f"`{field_path(loc[:-1])}` should be a list of strings"
        return f"{name} should be a string"
    if kind in _LIST:
        return f"{name} should be a list"
    if kind in _OBJECT:
        if item_of_list:
            return f"`{field_path(loc[:-1])}` should be a list of objects"
        return f"{name} should be an object"
    if kind in _BOOL:
        return f"{name} should be a boolean"
    if kind in _INT or kind in _FLOAT or kind in _NUMBER_RANGE:
        schema = _number_schema(model, loc)
        declared = schema.get("type")
        number_kind = declared if declared in ("integer", "number") else ("integer" if kind in _INT else "number")
        return _range_sentence(name, number_kind, schema)
    if kind == "string_too_long":
        return f"{name} is longer than {ctx.get('max_length')} characters."
    if kind == "string_too_short":
        return f"{name} can not be empty." if ctx.get("min_length") == 1 else f"{name} is too short."
    if kind == "too_long":
        return f"{name} has more than {ctx.get('max_length')} items."
    if kind == "too_short":
        return f"{name} can not be empty." if ctx.get("min_length") == 1 else f"{name} has too few items."
    if kind in ("literal_error", "enum"):
        return f"{name} must be one of: {ctx.get('expected', '')}."
    if kind == "extra_forbidden":
        return f"{name} is not a known field."
    if kind == "recursion_loop":
        return f"{name} is nested too deeply."
    return f"{name}: {error.get('msg', 'invalid value')}."


def describe(errors: Sequence[Mapping[str, Any]], model: type[BaseModel] | None = None) -> str:
    """One error as one sentence (ragflow-sdk shows one message): the first field's, and of
    a union's member errors the deepest (the member that matched the input best)."""
    if not errors:
        return "Invalid request."
    first_field = errors[0].get("loc", ())[:1]
    same_field = [e for e in errors if tuple(e.get("loc", ()))[:1] == tuple(first_field)]
    return describe_error(max(same_field, key=lambda e: len(e.get("loc", ()))), model)


def invalid_argument(exc: ValidationError, model: type[BaseModel] | None = None) -> InvalidArgument:
    return InvalidArgument(describe(exc.errors(include_url=False), model))
