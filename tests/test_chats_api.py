"""Chat assistants over HTTP against the running stack (API.md §3)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from knowledge import parsed_dataset

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id


def client(stack: Stack, key: str) -> httpx.Client:
    return httpx.Client(base_url=stack.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30)


@pytest.fixture(scope="module")
def api(stack: Stack, make_key: Callable[[str], str]) -> Iterator[httpx.Client]:
    with client(stack, make_key("chats-" + new_id())) as http:
        yield http


@pytest.fixture(scope="module")
def other(stack: Stack, make_key: Callable[[str], str]) -> Iterator[httpx.Client]:
    with client(stack, make_key("chats-other-" + new_id())) as http:
        yield http


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0 and body["message"] == "", body
    return body["data"]


def error(response: httpx.Response, status: int, code: int, message: str | None = None) -> str:
    body = response.json()
    assert (response.status_code, body["code"], body["data"]) == (status, code, None), body
    if message is not None:
        assert body["message"] == message
    assert body["message"]
    return str(body["message"])


def unique(prefix: str = "chat") -> str:
    return f"{prefix}-{new_id()[:10]}"


def test_create_returns_the_full_object_with_defaults(api: httpx.Client) -> None:
    name = unique()
    chat = ok(api.post("/chats", json={"name": name}))
    assert set(chat) == {
        "id",
        "tenant_id",
        "name",
        "description",
        "avatar",
        "dataset_ids",
        "datasets",
        "kb_names",
        "llm",
        "prompt",
        "create_time",
        "update_time",
        # the same settings under RAGFlow v0.27's names (API.md §9.1)
        "icon",
        "llm_id",
        "llm_setting",
        "prompt_config",
        "similarity_threshold",
        "vector_similarity_weight",
        "top_n",
        "top_k",
        "rerank_id",
    }
    assert chat["name"] == name and len(chat["id"]) == 32
    assert chat["dataset_ids"] == [] and chat["datasets"] == []
    assert chat["llm"]["model_name"] and chat["llm"]["temperature"] == 0.1 and chat["llm"]["max_tokens"] == 512
    prompt = chat["prompt"]
    assert "{knowledge}" in prompt["prompt"]
    assert prompt["variables"] == [{"key": "knowledge", "optional": False}]
    assert (prompt["top_n"], prompt["top_k"], prompt["similarity_threshold"]) == (6, 1024, 0.2)
    assert prompt["keywords_similarity_weight"] == 0.7 and prompt["show_quote"] is True
    assert abs(chat["create_time"] - time.time() * 1000) < 60_000
    assert ok(api.get(f"/chats/{chat['id']}")) == chat


def test_nulls_aliases_unknown_keys_and_weight_as_sent(api: httpx.Client) -> None:
    chat = ok(
        api.post(
            "/chats",
            json={
                "name": unique(),
                "description": None,
                "dataset_ids": None,
                "llm": {"model_name": None, "temperature": None, "top_p": 0.9, "vendor_flag": True},
                "prompt": {
                    "system": "Answer with {knowledge} in a {tone} tone.",
                    "parameters": [{"key": "knowledge", "optional": False}, {"key": "tone", "optional": True}],
                    "keywords_similarity_weight": 0.3,
                    "opener": None,
                    "custom": {"a": [1, "b"]},
                },
            },
        )
    )
    assert chat["llm"]["temperature"] == 0.1 and chat["llm"]["top_p"] == 0.9 and chat["llm"]["vendor_flag"] is True
    assert chat["prompt"]["prompt"] == "Answer with {knowledge} in a {tone} tone."
    assert chat["prompt"]["variables"][1] == {"key": "tone", "optional": True}
    assert "system" not in chat["prompt"] and "parameters" not in chat["prompt"]
    assert chat["prompt"]["keywords_similarity_weight"] == 0.3
    assert chat["prompt"]["opener"] and chat["prompt"]["custom"] == {"a": [1, "b"]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "`name` is required."),
        ({"name": None}, "`name` is required."),
        ({"name": ""}, "`name` is required."),
        ({"name": 5}, "`name` should be a string"),
        ({"name": "x" * 256}, "`name` is longer than 255 characters."),
        ({"name": "n", "dataset_ids": "abc"}, "`dataset_ids` should be a list"),
        ({"name": "n", "dataset_ids": [1]}, "`dataset_ids` should be a list of strings"),
        ({"name": "n", "llm": "fast"}, "`llm` should be an object"),
        ({"name": "n", "prompt": []}, "`prompt` should be an object"),
        ({"name": "n", "llm": {"model_name": "no-such-model"}}, "`model_name` no-such-model doesn't exist"),
        ({"name": "n", "prompt": {"prompt": "Just answer."}}, "Parameter 'knowledge' is not used"),
        (
            {"name": "n", "prompt": {"prompt": "{knowledge}", "variables": [{"key": "lang", "optional": False}]}},
            "Parameter 'lang' is not used",
        ),
        ({"name": "n", "llm": {"temperature": 7}}, "`llm.temperature` should be a number between 0 and 2."),
        ({"name": "n", "prompt": {"top_n": "many"}}, "`prompt.top_n` should be an integer between 0 and 1024."),
        ({"name": "n", "prompt": {"top_k": 2**40}}, "`prompt.top_k` should be an integer between 1 and 4096."),
    ],
)
def test_create_errors(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    error(api.post("/chats", json=body), 400, 102, message)


def test_dataset_ownership(api: httpx.Client) -> None:
    unknown = new_id()
    error(
        api.post("/chats", json={"name": unique(), "dataset_ids": [unknown]}),
        400,
        102,
        f"You don't own the dataset {unknown}",
    )


def test_dataset_of_another_tenant_and_own_dataset(api: httpx.Client, other: httpx.Client) -> None:
    response = other.post("/datasets", json={"name": unique("ds")})
    if response.status_code in (404, 405):
        pytest.skip("POST /datasets is not available yet")
    foreign = ok(response)
    error(
        api.post("/chats", json={"name": unique(), "dataset_ids": [foreign["id"]]}),
        400,
        102,
        f"You don't own the dataset {foreign['id']}",
    )
    empty = ok(api.post("/datasets", json={"name": unique("ds")}))
    error(
        api.post("/chats", json={"name": unique(), "dataset_ids": [empty["id"]]}),
        400,
        102,
        f"The dataset {empty['id']} doesn't own parsed file",
    )
    mine = parsed_dataset(api)
    chat = ok(api.post("/chats", json={"name": unique(), "dataset_ids": [mine["id"]]}))
    assert chat["dataset_ids"] == [mine["id"]]
    assert chat["datasets"] == [{"id": mine["id"], "name": mine["name"]}]
    assert ok(api.get(f"/chats/{chat['id']}"))["datasets"] == [{"id": mine["id"], "name": mine["name"]}]


def test_duplicate_names_ignore_case_per_tenant(api: httpx.Client, other: httpx.Client) -> None:
    name = unique("Dup")
    ok(api.post("/chats", json={"name": name}))
    error(api.post("/chats", json={"name": name.upper()}), 400, 102, "Duplicated chat name in creating chat.")
    ok(other.post("/chats", json={"name": name}))  # another tenant may use it
    second = ok(api.post("/chats", json={"name": unique("Dup")}))
    error(
        api.put(f"/chats/{second['id']}", json={"name": name.lower()}),
        400,
        102,
        "Duplicated chat name in updating chat.",
    )


def test_update_is_partial_and_merges(api: httpx.Client) -> None:
    chat = ok(api.post("/chats", json={"name": unique(), "llm": {"temperature": 0.5}, "prompt": {"top_n": 3}}))
    time.sleep(0.01)
    updated = ok(api.put(f"/chats/{chat['id']}", json={"llm": {"max_tokens": 100}, "description": "new"}))
    assert updated["llm"]["temperature"] == 0.5 and updated["llm"]["max_tokens"] == 100
    assert updated["prompt"] == chat["prompt"] and updated["name"] == chat["name"]
    assert updated["description"] == "new" and updated["update_time"] > chat["update_time"]
    assert updated["create_time"] == chat["create_time"]
    assert ok(api.get(f"/chats/{chat['id']}")) == updated
    error(api.put(f"/chats/{chat['id']}", json={"name": ""}), 400, 102, "`name` cannot be empty.")
    error(api.put(f"/chats/{chat['id']}", json={"name": None}), 400, 102, "`name` cannot be empty.")
    error(
        api.put(f"/chats/{chat['id']}", json={"prompt": {"prompt": "x"}}), 400, 102, "Parameter 'knowledge' is not used"
    )
    error(
        api.put(f"/chats/{chat['id']}", json={"llm": {"model_name": "nope"}}),
        400,
        102,
        "`model_name` nope doesn't exist",
    )
    error(api.put(f"/chats/{new_id()}", json={"name": "x"}), 404, 105)


def test_tenant_isolation(api: httpx.Client, other: httpx.Client) -> None:
    chat = ok(api.post("/chats", json={"name": unique()}))
    error(other.get(f"/chats/{chat['id']}"), 404, 105)
    error(other.put(f"/chats/{chat['id']}", json={"name": "stolen"}), 404, 105)
    error(other.request("DELETE", "/chats", json={"ids": [chat["id"]]}), 404, 105)
    error(other.get("/chats", params={"id": chat["id"]}), 404, 105, "The chat doesn't exist")
    assert chat["id"] not in [c["id"] for c in ok(other.get("/chats", params={"page_size": 1000}))]
    ok(other.request("DELETE", "/chats", json={"delete_all": True}))
    assert ok(api.get(f"/chats/{chat['id']}"))["id"] == chat["id"]


def test_list_filters_paging_and_total_header(stack: Stack, make_key: Callable[[str], str]) -> None:
    with client(stack, make_key("list-" + new_id())) as http:
        names = ["b-chat", "c-chat", "a-chat"]
        ids = [ok(http.post("/chats", json={"name": n}))["id"] for n in names]
        response = http.get("/chats")
        assert response.headers["X-Total-Count"] == "3"
        assert [c["id"] for c in ok(response)] == ids[::-1]
        asc = ok(http.get("/chats", params={"desc": "FALSE"}))
        assert [c["id"] for c in asc] == ids
        assert [c["name"] for c in ok(http.get("/chats", params={"orderby": "name", "desc": "0"}))] == sorted(names)
        assert [c["name"] for c in ok(http.get("/chats", params={"orderby": "name", "desc": "True"}))] == sorted(
            names, reverse=True
        )
        page2 = http.get("/chats", params={"page": 2, "page_size": 1, "desc": "false"})
        assert [c["id"] for c in ok(page2)] == [ids[1]] and page2.headers["X-Total-Count"] == "3"
        beyond = http.get("/chats", params={"page": 4, "page_size": 1})
        assert ok(beyond) == [] and beyond.headers["X-Total-Count"] == "3"
        assert [c["id"] for c in ok(http.get("/chats", params={"name": "c-chat"}))] == [ids[1]]
        # exact name; a filter that matches nothing is an error, as in RAGFlow v0.22.1
        error(http.get("/chats", params={"name": "C-CHAT"}), 404, 105, "The chat doesn't exist")
        assert [c["id"] for c in ok(http.get("/chats", params={"id": ids[2]}))] == [ids[2]]
        assert len(ok(http.get("/chats", params={"orderby": "update_time"}))) == 3


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "-3"}, "page_size"),
        ({"orderby": "id"}, "orderby"),
        ({"desc": "maybe"}, "desc"),
    ],
)
def test_list_bad_query_values(api: httpx.Client, params: dict[str, str], parameter: str) -> None:
    assert f"`{parameter}`" in error(api.get("/chats", params=params), 400, 102)


def test_delete_rules(stack: Stack, make_key: Callable[[str], str]) -> None:
    with client(stack, make_key("delete-" + new_id())) as http:
        ids = [ok(http.post("/chats", json={"name": f"d{i}"}))["id"] for i in range(4)]
        required = '`ids` is required; send "delete_all": true to delete every chat'
        error(http.delete("/chats"), 400, 102, required)
        error(http.request("DELETE", "/chats", json={"ids": None}), 400, 102, required)
        error(http.request("DELETE", "/chats", json={"ids": []}), 400, 102, required)
        error(http.request("DELETE", "/chats", json={"ids": "abc"}), 400, 102, "`ids` should be a list")
        assert http.get("/chats").headers["X-Total-Count"] == "4"  # nothing deleted
        missing = new_id()
        partial = ok(http.request("DELETE", "/chats", json={"ids": [ids[0], ids[0], missing]}))
        assert partial == {
            "success_count": 1,
            "errors": [f"Assistant({missing}) not found.", f"Duplicate assistant ids: {ids[0]}"],
        }
        error(
            http.request("DELETE", "/chats", json={"ids": [ids[0], missing]}),
            404,
            105,
            f"Assistant({ids[0]}) not found.; Assistant({missing}) not found.",
        )
        full = ok(http.request("DELETE", "/chats", json={"ids": [ids[1]]}))
        assert full == {"success_count": 1, "errors": []}
        everything = ok(http.request("DELETE", "/chats", json={"delete_all": True}))
        assert everything["success_count"] == 2
        assert ok(http.get("/chats")) == []


def test_deleting_a_chat_deletes_its_sessions(api: httpx.Client) -> None:
    chat = ok(api.post("/chats", json={"name": unique()}))
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={"name": "s"}))
    ok(api.request("DELETE", "/chats", json={"ids": [chat["id"]]}))
    error(api.get(f"/chats/{chat['id']}/sessions/{session['id']}"), 404, 105)
    # A new chat never sees sessions of a deleted one, even under the same name.
    again = ok(api.post("/chats", json={"name": chat["name"]}))
    assert ok(api.get(f"/chats/{again['id']}/sessions")) == []
