"""The request layer: bodies and queries read into models, and every failure as one 102 sentence."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from ragchat_common.errors import InvalidArgument
from ragchat_gateway.request_models.chats import ChatListQuery, CreateChat, UpdateChat
from ragchat_gateway.request_models.common import DeleteBody
from ragchat_gateway.request_models.completions import CompletionBody
from ragchat_gateway.request_models.datasets import Retrieval, UpdateDataset
from ragchat_gateway.request_models.fields import JSON_DEPTH_MAX
from ragchat_gateway.request_models.openai import OpenAIChatRequest
from ragchat_gateway.request_models.parsing import parse_json_object, validate
from ragchat_gateway.request_models.sessions import CreateSession, SessionListQuery, UpdateSession

USER_SAYS_HI = [{"role": "user", "content": "hi"}]


def refused(model: type[BaseModel], data: Any) -> str:
    with pytest.raises(InvalidArgument) as caught:
        validate(model, data)
    return caught.value.message


def nested(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(depth - 1):
        node["x"] = {}
        node = node["x"]
    return root


def test_list_query_defaults_and_values() -> None:
    query = validate(ChatListQuery, {})
    assert (query.page, query.page_size, query.orderby, query.desc, query.filters()) == (1, 30, "create_time", True, {})
    query = validate(
        SessionListQuery,
        {"page": "3", "page_size": "1000", "orderby": "name", "desc": "FaLsE", "id": "a", "name": "n", "user_id": "u"},
    )
    assert (query.page, query.page_size, query.orderby, query.desc) == (3, 1000, "name", False)
    assert query.filters() == {"id": "a", "name": "n", "user_id": "u"}
    assert validate(ChatListQuery, {"desc": "1"}).desc is True and validate(ChatListQuery, {"desc": "0"}).desc is False
    assert "user_id" not in validate(ChatListQuery, {"user_id": "u"}).filters()  # only where the route allows it


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": "0"}, "`page` should be an integer between 1 and 2147483647."),
        ({"page": "1.5"}, "`page` should be an integer between 1 and 2147483647."),
        ({"page": str(2**31)}, "`page` should be an integer between 1 and 2147483647."),
        ({"page_size": "1001"}, "`page_size` should be an integer between 1 and 1000."),
        ({"page_size": "abc"}, "`page_size` should be an integer between 1 and 1000."),
        ({"orderby": "dataset"}, "`orderby` must be one of: 'create_time', 'update_time' or 'name'."),
        ({"desc": "yes"}, "`desc` should be a boolean"),
    ],
)
def test_list_query_errors_name_the_parameter_and_its_bounds(params: dict[str, str], message: str) -> None:
    assert refused(ChatListQuery, params) == message


@pytest.mark.parametrize(
    ("model", "body", "message"),
    [
        (CreateChat, {}, "`name` is required."),
        (CreateChat, {"name": "  "}, "`name` is required."),
        (CreateChat, {"name": 5}, "`name` should be a string"),
        (CreateChat, {"name": "x" * 256}, "`name` is longer than 255 characters."),
        (CreateChat, {"name": "n", "dataset_ids": "abc"}, "`dataset_ids` should be a list"),
        (CreateChat, {"name": "n", "dataset_ids": [1]}, "`dataset_ids` should be a list of strings"),
        (CreateChat, {"name": "n", "llm": "fast"}, "`llm` should be an object"),
        (UpdateChat, {"name": None}, "`name` cannot be empty."),
        (CreateSession, {"name": ""}, "`name` can not be empty."),
        (UpdateSession, {"reference": {}}, "`messages` can not be changed"),
        (DeleteBody, {"ids": "abc"}, "`ids` should be a list"),
        (CompletionBody, {}, "`question` is required."),
        (CompletionBody, {"question": " "}, "`question` must be a non-empty string."),
        (CompletionBody, {"question": "q", "stream": "yes"}, "`stream` should be a boolean"),
        (OpenAIChatRequest, {"messages": USER_SAYS_HI}, "`model` is required."),
        (OpenAIChatRequest, {"model": "m", "messages": []}, "`messages` can not be empty."),
        (
            OpenAIChatRequest,
            {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]},
            "`messages[0].content[0].text` should be a string",
        ),
        (OpenAIChatRequest, {"model": "m", "messages": USER_SAYS_HI, "temperature": "hot"}, "`temperature` should "),
        (OpenAIChatRequest, {"model": "m", "messages": USER_SAYS_HI, "max_tokens": 0}, "`max_tokens` should "),
        (
            OpenAIChatRequest,
            {"model": "m", "messages": [{"role": "assistant", "content": "x"}]},
            "The last message must be a non-empty user message.",
        ),
        (Retrieval, {"question": "q", "dataset_ids": ["d"], "top_k": 5000}, "`top_k` should be an integer between"),
        (Retrieval, {"question": "q", "dataset_ids": []}, "`dataset_ids` is required."),
    ],
)
def test_body_errors(model: type[BaseModel], body: dict[str, Any], message: str) -> None:
    assert refused(model, body).startswith(message)


def test_a_setting_of_the_wrong_type_names_its_range() -> None:
    message = refused(OpenAIChatRequest, {"model": "m", "messages": USER_SAYS_HI, "temperature": "hot"})
    assert message == "`temperature` should be a number between 0 and 2."


@pytest.mark.parametrize("key", ["llm", "prompt"])
def test_free_form_objects_hold_only_storable_json(key: str) -> None:
    assert "NUL" in refused(CreateChat, {"name": "n", key: {"a\x00b": 1}})
    assert "NUL" in refused(CreateChat, {"name": "n", key: {"a": "x\x00"}})
    assert "surrogate" in refused(CreateChat, {"name": "n", key: {"\ud800": 1}})
    assert "surrogate" in refused(CreateChat, {"name": "n", key: {"a": ["\udfff"]}})
    assert "'$'" in refused(CreateChat, {"name": "n", key: {"$where": 1}})
    assert "nested too deeply" in refused(CreateChat, {"name": "n", key: nested(JSON_DEPTH_MAX + 1)})
    assert "2^53" in refused(CreateChat, {"name": "n", key: {"big": 2**64}})
    chat = validate(CreateChat, {"name": "n", key: nested(JSON_DEPTH_MAX)})
    assert getattr(chat, key) == nested(JSON_DEPTH_MAX)


def test_unknown_keys_of_open_bodies_are_kept_and_checked() -> None:
    update = validate(UpdateDataset, {"name": "z", "pagerank": 3})
    assert update.model_dump(exclude_unset=True) == {"name": "z", "pagerank": 3}
    assert "nested too deeply" in refused(CreateSession, {"deep": nested(JSON_DEPTH_MAX + 1)})
    assert "NUL" in refused(CompletionBody, {"question": "q", "style": "a\x00"})


def test_lenient_booleans_and_doc_ids_as_ragflow_takes_them() -> None:
    body = validate(CompletionBody, {"question": "q", "stream": "TRUE", "quote": 0, "doc_ids": "a, b,", "tone": 3})
    assert (body.stream, body.quote, body.doc_ids) == (True, False, ["a", "b"])
    assert body.variables() == {"tone": 3}
    assert validate(CompletionBody, {"question": "q", "knowledge": "mine"}).variables() == {}
    assert validate(DeleteBody, {"ids": ["a"], "delete_all": "true"}).delete_all is True


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": NaN}', "Request body holds NaN: numbers must be finite."),
        (b'{"a": -Infinity}', "Request body holds -Infinity: numbers must be finite."),
        (b'{"a": 1e999}', "Request body holds 1e999: numbers must be finite."),
        (b"[" * 100_000 + b"]" * 100_000, "Request body is nested too deeply."),
        (b"\xff\xfe", "Request body is not valid JSON: it is not UTF-8."),
        (b"[1, 2]", "Request body must be a JSON object."),
        (b'{"a": ', "Request body is not valid JSON."),
        (b'{"a": ' + b"1" * 5000 + b"}", "Request body is not valid JSON."),
    ],
)
def test_bodies_json_cannot_hold(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_json_object(raw)
    assert caught.value.message == message


def test_empty_and_null_bodies_are_empty_objects() -> None:
    assert parse_json_object(b"") == {} and parse_json_object(b"  null ") == {}
    assert parse_json_object(json.dumps({"a": [1.5, "x"]}).encode()) == {"a": [1.5, "x"]}


def test_free_form_objects_keep_every_json_value() -> None:
    value = {"s": "x", "i": -3, "f": 0.5, "b": True, "n": None, "l": [1, 2.5, "a", None, {"k": False}]}
    assert validate(CreateChat, {"name": "n", "llm": value}).llm == value
