"""Reading the wire: JSON bodies, typed fields, list queries and delete bodies (API.md §1, §3).

Every route module parses requests with these, so a bad body or query gets the same clear
102 message everywhere ("`page_size` must be ...", "`dataset_ids` should be a list").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from ragchat_common.errors import InvalidArgument, envelope

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 30
ORDER_FIELDS = ("create_time", "update_time", "name")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}``."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidArgument("Request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InvalidArgument("Request body must be a JSON object.")
    return body


def optional_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidArgument(f"`{key}` should be a string")
    return value


def optional_object(body: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise InvalidArgument(f"`{key}` should be an object")
    return value


def optional_str_list(body: Mapping[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidArgument(f"`{key}` should be a list")
    if not all(isinstance(item, str) for item in value):
        raise InvalidArgument(f"`{key}` should be a list of strings")
    return value


def optional_bool(body: Mapping[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(f"`{key}` should be a boolean")
    return value


@dataclass(frozen=True)
class DeleteRequest:
    ids: list[str]
    delete_all: bool


async def delete_request(request: Request) -> DeleteRequest:
    """``{"ids": [...], "delete_all": bool}``; the rules on empty ids live in the domain."""
    body = await json_body(request)
    return DeleteRequest(ids=optional_str_list(body, "ids") or [], delete_all=bool(optional_bool(body, "delete_all")))


@dataclass(frozen=True)
class ListQuery:
    page: int
    page_size: int
    orderby: str
    desc: bool
    filters: dict[str, str]  # id, name (exact) and any extra filter the route allows


def _int_param(params: Mapping[str, str], key: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"between {low} and {high}"
        raise InvalidArgument(f"`{key}` must be an integer {bounds}; got {raw!r}.")
    return value


def list_query(params: Mapping[str, str], extra_filters: Iterable[str] = ()) -> ListQuery:
    """page (>= 1), page_size (1..1000), orderby, desc (true/false/1/0, any case), id, name, extras."""
    page = _int_param(params, "page", 1, 1, None)
    page_size = _int_param(params, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    orderby = (params.get("orderby") or "create_time").strip()
    if orderby not in ORDER_FIELDS:
        raise InvalidArgument(f"`orderby` must be one of {', '.join(ORDER_FIELDS)}; got {orderby!r}.")
    raw_desc = (params.get("desc") or "true").strip().lower()
    if raw_desc not in _TRUE | _FALSE:
        raise InvalidArgument(f"`desc` must be true or false; got {params.get('desc')!r}.")
    filters = {key: params[key] for key in ("id", "name", *extra_filters) if params.get(key)}
    return ListQuery(page=page, page_size=page_size, orderby=orderby, desc=raw_desc in _TRUE, filters=filters)


def list_response(items: list[Any], total: int) -> JSONResponse:
    """A list in ``data`` (ragflow-sdk iterates it) and the total in ``X-Total-Count``."""
    return JSONResponse(envelope(items), headers={"X-Total-Count": str(total)})
