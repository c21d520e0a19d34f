"""Regression tests of issue 11: inputs that once reached a 5xx, and the protocol edges.

Every one of these answered 500 (or a misleading 429, or an empty 307) before the request layer;
now each is a clear 4xx in the contract's envelope (the OpenAI routes: OpenAI's error body), and
the connection it came on stays usable. Real processes: the shared completion stack (fake LLM).
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fake_llm import CompletionEnv, FakeLLM, shared_completion_env

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id


@pytest.fixture(scope="module")
def env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> CompletionEnv:
    return shared_completion_env(stack, Path(tmp_path_factory.mktemp("hostile")))


@pytest.fixture(scope="module")
def key(make_key: Callable[[str], str]) -> str:
    return make_key("hostile-" + new_id())


@pytest.fixture(scope="module")
def api(env: CompletionEnv, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=env.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        yield client


@pytest.fixture(scope="module")
def chat(api: httpx.Client) -> dict[str, Any]:
    return ok(api.post("/chats", json={"name": "hostile-" + new_id(), "prompt": {"opener": ""}}))


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, (response.status_code, body)
    return body["data"]


def refused(response: httpx.Response, status: int = 400, code: int = 102) -> str:
    body = response.json()
    assert (response.status_code, body["code"], body["data"]) == (status, code, None), body
    assert isinstance(body["message"], str) and body["message"]
    return str(body["message"])


def openai_refused(response: httpx.Response, status: int = 400) -> str:
    body = response.json()
    assert response.status_code == status and set(body) == {"error"}, body
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"]
    return str(body["error"]["message"])


def raw(api: httpx.Client, method: str, path: str, body: bytes) -> httpx.Response:
    return api.request(method, path, content=body, headers={"Content-Type": "application/json"})


def openai_path(chat: dict[str, Any]) -> str:
    return f"/openai/{chat['id']}/chat/completions"


def json_routes(chat: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("POST", "/chats"),
        ("PUT", f"/chats/{chat['id']}"),
        ("POST", f"/chats/{chat['id']}/sessions"),
        ("POST", f"/chats/{chat['id']}/completions"),
        ("POST", "/chat/completions"),
        ("POST", "/datasets"),
        ("POST", "/retrieval"),
        ("DELETE", "/chats"),
    ]


# ---- point 2: bodies that reached a 5xx ------------------------------------------------------


@pytest.mark.parametrize("depth", [100, 5_000, 200_000])
def test_deeply_nested_json_on_every_route(api: httpx.Client, chat: dict[str, Any], depth: int) -> None:
    body = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    for method, path in json_routes(chat):
        response = raw(api, method, path, body)
        answer = response.json()
        assert response.status_code < 500 and set(answer) == {"code", "message", "data"}, (path, answer)
        if depth > 1000:  # past the parser's recursion: refused whatever the route
            assert refused(response) == "Request body is nested too deeply.", path
    # Inside an object that would be stored, more than 32 levels are refused.
    assert "nested too deeply" in refused(raw(api, "POST", "/chats", b'{"name": "n", "llm": ' + body + b"}"))
    if depth > 1000:
        openai_refused(raw(api, "POST", openai_path(chat), body))


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_numbers_json_cannot_hold(api: httpx.Client, chat: dict[str, Any], number: bytes) -> None:
    message = refused(raw(api, "POST", "/chats", b'{"name": "n", "llm": {"temperature": ' + number + b"}}"))
    assert message == f"Request body holds {number.decode()}: numbers must be finite."
    refused(raw(api, "POST", "/retrieval", b'{"question": "q", "dataset_ids": ["d"], "top_k": ' + number + b"}"))
    assert "finite" in openai_refused(
        raw(api, "POST", openai_path(chat), b'{"model": "m", "messages": [], "temperature": ' + number + b"}")
    )


@pytest.mark.parametrize(
    ("fragment", "word"),
    [
        (b'{"\\ud800": 1}', "surrogate"),
        (b'{"a": "\\udfff"}', "surrogate"),
        (b'{"a\\u0000b": 1}', "NUL"),
        (b'{"a": ["x\\u0000"]}', "NUL"),
        (b'{"$set": 1}', "'$'"),
    ],
)
def test_lone_surrogates_and_nul_in_stored_objects(
    api: httpx.Client, chat: dict[str, Any], fragment: bytes, word: str
) -> None:
    for key in (b"llm", b"prompt"):
        assert word in refused(raw(api, "POST", "/chats", b'{"name": "n", "' + key + b'": ' + fragment + b"}"))
        assert word in refused(raw(api, "PUT", f"/chats/{chat['id']}", b'{"' + key + b'": ' + fragment + b"}"))
    body = b'{"name": "ds-' + new_id().encode() + b'", "parser_config": ' + fragment + b"}"
    assert word in refused(raw(api, "POST", "/datasets", body))


def test_lone_surrogates_and_nul_in_meta_fields_and_names(api: httpx.Client) -> None:
    dataset = ok(api.post("/datasets", json={"name": "meta-" + new_id()}))
    [document] = ok(
        api.post(f"/datasets/{dataset['id']}/documents", files=[("file", ("a.txt", b"hello there", "text/plain"))])
    )
    path = f"/datasets/{dataset['id']}/documents/{document['id']}"
    assert "surrogate" in refused(raw(api, "PUT", path, b'{"meta_fields": {"\\ud83d": "x"}}'))
    assert "NUL" in refused(raw(api, "PUT", path, b'{"meta_fields": {"k": "a\\u0000"}}'))
    assert "surrogate" in refused(raw(api, "POST", "/chats", b'{"name": "\\ud800"}'))
    assert "NUL" in refused(raw(api, "POST", "/chats", b'{"name": "a\\u0000"}'))
    ok(api.put(path, json={"meta_fields": {"author": "Ann", "tags": ["a", "b"]}}))
    # Values are strings, numbers or lists of them, as RAGFlow's metadata filters expect.
    assert "meta_fields.obj" in refused(api.put(path, json={"meta_fields": {"obj": {"x": 1}}}))
    assert "meta_fields.tags" in refused(api.put(path, json={"meta_fields": {"tags": [{"x": 1}]}}))
    assert "meta_fields.none" in refused(api.put(path, json={"meta_fields": {"none": None}}))
    stored = ok(api.get(f"/datasets/{dataset['id']}/documents", params={"id": document["id"]}))
    assert stored["docs"][0]["meta_fields"] == {"author": "Ann", "tags": ["a", "b"]}


def test_nesting_inside_stored_objects_is_bounded(api: httpx.Client) -> None:
    def nested(depth: int) -> dict[str, Any]:
        root: dict[str, Any] = {}
        node = root
        for _ in range(depth - 1):
            node["x"] = {}
            node = node["x"]
        return root

    for depth in (33, 99, 150):
        message = refused(api.post("/chats", json={"name": "n", "prompt": {"custom": nested(depth)}}))
        assert "nested too deeply: at most 32 levels" in message
    kept = ok(api.post("/chats", json={"name": "deep-" + new_id(), "prompt": {"custom": nested(31)}}))
    assert kept["prompt"]["custom"] == nested(31)


@pytest.mark.parametrize("page", [2**31, 2**63, 10**30])
def test_huge_page_numbers(api: httpx.Client, chat: dict[str, Any], page: int) -> None:
    for path in ("/chats", f"/chats/{chat['id']}/sessions", "/datasets"):
        assert "`page` should be an integer between 1 and 2147483647." == refused(api.get(path, params={"page": page}))
    message = refused(api.post("/retrieval", json={"question": "q", "dataset_ids": ["d"], "page": page}))
    assert message == "`page` should be an integer between 1 and 2147483647."
    # The largest page is an empty page, not an overflow.
    assert ok(api.get("/chats", params={"page": 2**31 - 1, "page_size": 1000})) == []


def test_openai_settings_of_the_wrong_type(api: httpx.Client, chat: dict[str, Any]) -> None:
    hi = [{"role": "user", "content": "hi"}]
    cases = [
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}, "text"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": {"a": 1}}]}]}, "text"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]}, "text"),
        ({"model": "m", "messages": [{"role": "user", "content": 5}]}, "content"),
        ({"model": "m", "messages": hi, "temperature": "hot"}, "`temperature` should be a number between 0 and 2."),
        ({"model": "m", "messages": hi, "top_p": [1]}, "top_p"),
        ({"model": "m", "messages": hi, "max_tokens": "lots"}, "max_tokens"),
        ({"model": "m", "messages": hi, "stream": "maybe"}, "stream"),
        ({"model": "m", "messages": "hi"}, "messages"),
    ]
    for body, expected in cases:
        assert expected in openai_refused(api.post(openai_path(chat), json=body)), body


def test_a_question_longer_than_the_context_is_trimmed_not_a_500(
    api: httpx.Client, chat: dict[str, Any], env: CompletionEnv
) -> None:
    fake: FakeLLM = env.fake
    marker = "the real question " + new_id()
    question = "filler " * 30_000 + marker  # far beyond the worker's 8192-token context
    answer = ok(api.post(f"/chats/{chat['id']}/completions", json={"question": question, "stream": False}))
    assert answer["answer"]
    [sent] = fake.requests_mentioning(marker)
    asked = sent["messages"][-1]["content"]
    assert asked.startswith("… ") and asked.endswith(marker) and len(asked) < len(question) // 2


def test_chats_that_would_fail_every_completion_are_refused_when_stored(
    api: httpx.Client, chat: dict[str, Any]
) -> None:
    for prompt in ({"top_k": 2**31}, {"top_k": 4097}, {"top_k": 0}, {"top_n": 10**6}, {"top_n": -1}):
        message = refused(api.put(f"/chats/{chat['id']}", json={"prompt": prompt}))
        assert message.endswith(("between 1 and 4096.", "between 0 and 1024.")), message
    ok(api.put(f"/chats/{chat['id']}", json={"prompt": {"top_k": 4096, "top_n": 1024}}))
    answered = ok(api.post(f"/chats/{chat['id']}/completions", json={"question": "still fine?", "stream": False}))
    assert answered["answer"]


def test_an_error_echoing_a_thousand_ids_is_not_a_429(api: httpx.Client) -> None:
    ids = [new_id() for _ in range(1000)]
    for path in ("/chats", "/datasets"):
        response = api.request("DELETE", path, json={"ids": ids})
        body = response.json()
        assert response.status_code == 404 and body["code"] == 105, body
        assert len(body["message"]) < 4000
    response = api.post("/chats", json={"name": "many-" + new_id(), "dataset_ids": ids})
    assert response.status_code == 400 and response.json()["code"] == 102


def test_delete_chunks_with_an_empty_body_deletes_nothing(api: httpx.Client) -> None:
    dataset = ok(api.post("/datasets", json={"name": "chunks-" + new_id()}))
    [document] = ok(
        api.post(f"/datasets/{dataset['id']}/documents", files=[("file", ("c.txt", b"some text", "text/plain"))])
    )
    base = f"/datasets/{dataset['id']}/documents/{document['id']}/chunks"
    added = ok(api.post(base, json={"content": "a chunk to keep " + new_id()}))["chunk"]
    for body in ({}, {"chunk_ids": []}, {"chunk_ids": None}):
        assert "delete_all" in refused(api.request("DELETE", base, json=body))
    assert added["id"] in [c["id"] for c in ok(api.get(base))["chunks"]]
    ok(api.request("DELETE", base, json={"delete_all": True}))
    assert ok(api.get(base))["chunks"] == []


# ---- point 3: protocol edges -------------------------------------------------------------------


def test_405_carries_allow_and_the_envelope(api: httpx.Client, chat: dict[str, Any]) -> None:
    response = api.patch("/chats")
    assert refused(response, 405) == "Method PATCH is not allowed on /api/v1/chats."
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST", "DELETE"}
    response = api.get(openai_path(chat))
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_trailing_slash_answers_like_the_route(api: httpx.Client) -> None:
    listed = api.get("/chats/")
    assert listed.status_code == 200 and listed.json()["code"] == 0 and "X-Total-Count" in listed.headers
    created = ok(api.post("/chats/", json={"name": "slash-" + new_id()}))
    assert ok(api.get(f"/chats/{created['id']}/"))["id"] == created["id"]


def test_413_on_the_openai_routes_is_an_openai_error(api: httpx.Client, chat: dict[str, Any]) -> None:
    big = {"model": "m", "messages": [{"role": "user", "content": "x" * (2 * 1024 * 1024)}]}
    response = api.post(openai_path(chat), json=big)
    assert response.status_code == 413 and "too large" in response.json()["error"]["message"]
    assert "too large" in refused(api.post("/chats", json={"name": "x" * (2 * 1024 * 1024)}), 413)


def test_malformed_http_gets_the_envelope(env: CompletionEnv) -> None:
    address = urlsplit(env.gateway_url)
    for request in (
        b"GET /api/v1/chats HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        b"POST /api/v1/chats HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls on a plain port\r\n\r\n",
    ):
        with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
            conn.sendall(request)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), answer
        assert b"content-type: application/json" in head.lower()
        assert json.loads(body) == {
            "code": 102,
            "message": "Malformed HTTP request: it could not be parsed.",
            "data": None,
        }


def test_the_connection_stays_usable_after_errors(env: CompletionEnv, key: str) -> None:
    address = urlsplit(env.gateway_url)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    try:
        conn.connect()
        first_socket = conn.sock
        for method, path, body, status in (
            ("POST", "/api/v1/chats", b"{broken", 400),
            ("POST", "/api/v1/chats", b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}', 413),
            ("GET", "/api/v1/no-such-route", None, 404),
            ("PATCH", "/api/v1/chats", None, 405),
            ("GET", "/api/v1/chats/" + new_id(), None, 404),
            ("GET", "/api/v1/chats", None, 200),
        ):
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = json.loads(response.read())
            assert response.status == status and "code" in payload, (path, response.status, payload)
            assert conn.sock is first_socket, f"the connection was closed after {method} {path}"
    finally:
        conn.close()
