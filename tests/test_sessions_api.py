"""Sessions over HTTP against the running stack (API.md §4)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import httpx
import pytest
from pymongo import MongoClient

from ragchat.session.v1 import session_pb2
from ragchat.session.v1.session_pb2_grpc import SessionServiceStub
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_common.service_auth import with_token
from ragchat_common.structs import to_struct


def client(stack: Stack, key: str) -> httpx.Client:
    return httpx.Client(base_url=stack.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30)


@pytest.fixture(scope="module")
def api(stack: Stack, make_key: Callable[[str], str]) -> Iterator[httpx.Client]:
    with client(stack, make_key("sessions-" + new_id())) as http:
        yield http


@pytest.fixture(scope="module")
def other(stack: Stack, make_key: Callable[[str], str]) -> Iterator[httpx.Client]:
    with client(stack, make_key("sessions-other-" + new_id())) as http:
        yield http


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def error(response: httpx.Response, status: int, code: int, message: str | None = None) -> str:
    body = response.json()
    assert (response.status_code, body["code"], body["data"]) == (status, code, None), body
    if message is not None:
        assert body["message"] == message
    return str(body["message"])


def new_chat(http: httpx.Client, **extra: Any) -> dict[str, Any]:
    return ok(http.post("/chats", json={"name": "chat-" + new_id()[:10], **extra}))  # type: ignore[no-any-return]


def test_create_with_opener_and_defaults(api: httpx.Client) -> None:
    chat = new_chat(api)
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={}))
    assert set(session) == {"id", "chat_id", "name", "user_id", "messages", "create_time", "update_time"}
    assert session["name"] == "New session" and session["chat_id"] == chat["id"] and session["user_id"] == ""
    [opener] = session["messages"]
    assert opener["role"] == "assistant" and opener["content"] == chat["prompt"]["opener"]
    assert len(opener["id"]) == 32 and abs(opener["created_at"] - time.time()) < 60
    assert isinstance(opener["created_at"], float)
    assert ok(api.get(f"/chats/{chat['id']}/sessions/{session['id']}")) == {**session, "avatar": chat["avatar"]}


def test_empty_opener_means_no_first_message_and_names(api: httpx.Client) -> None:
    chat = new_chat(api, prompt={"opener": ""})
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={"name": "Mine", "user_id": "u-1"}))
    assert (session["name"], session["user_id"], session["messages"]) == ("Mine", "u-1", [])


def test_opener_is_filled_with_extra_body_keys(api: httpx.Client) -> None:
    chat = new_chat(
        api,
        prompt={
            "opener": 'Hello {user}, ask me about {topic}. {unknown} {"json": 1}',
            "variables": [{"key": "knowledge", "optional": False}, {"key": "topic", "optional": True}],
        },
    )
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={"user": "Ann"}))
    assert session["messages"][0]["content"] == 'Hello Ann, ask me about . {unknown} {"json": 1}'
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={"user": "Bo", "topic": "tea"}))
    assert session["messages"][0]["content"] == 'Hello Bo, ask me about tea. {unknown} {"json": 1}'


def test_create_errors(api: httpx.Client) -> None:
    chat = new_chat(api)
    error(api.post(f"/chats/{chat['id']}/sessions", json={"name": ""}), 400, 102, "`name` can not be empty.")
    error(api.post(f"/chats/{chat['id']}/sessions", json={"name": 3}), 400, 102, "`name` should be a string")
    error(api.post(f"/chats/{new_id()}/sessions", json={"name": "x"}), 404, 105)
    error(
        api.post(f"/chats/{chat['id']}/sessions", content=b"{not json", headers={"Content-Type": "application/json"}),
        400,
        102,
        "Request body is not valid JSON.",
    )


def test_update_put_and_patch(api: httpx.Client) -> None:
    chat = new_chat(api)
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={"name": "before"}))
    path = f"/chats/{chat['id']}/sessions/{session['id']}"
    time.sleep(0.01)
    renamed = ok(api.put(path, json={"name": "after"}))
    assert renamed["name"] == "after" and renamed["messages"] == session["messages"]
    assert renamed["update_time"] > session["update_time"]
    patched = ok(api.patch(path, json={"user_id": "u9"}))
    assert (patched["name"], patched["user_id"]) == ("after", "u9")
    for key in ("messages", "message", "reference"):
        error(api.put(path, json={key: []}), 400, 102, "`messages` can not be changed")
    error(api.put(path, json={"name": ""}), 400, 102, "`name` can not be empty.")
    error(api.put(f"/chats/{chat['id']}/sessions/{new_id()}", json={"name": "x"}), 404, 105)
    other_chat = new_chat(api)
    error(api.put(f"/chats/{other_chat['id']}/sessions/{session['id']}", json={"name": "x"}), 404, 105)
    assert ok(api.get(path))["name"] == "after"


def test_list_filters_and_paging(api: httpx.Client) -> None:
    chat = new_chat(api)
    base = f"/chats/{chat['id']}/sessions"
    ids = [ok(api.post(base, json={"name": n, "user_id": u}))["id"] for n, u in [("b", "u1"), ("c", "u2"), ("a", "u1")]]
    response = api.get(base)
    assert response.headers["X-Total-Count"] == "3" and [s["id"] for s in ok(response)] == ids[::-1]
    assert [s["name"] for s in ok(api.get(base, params={"orderby": "name", "desc": "false"}))] == ["a", "b", "c"]
    by_user = api.get(base, params={"user_id": "u1"})
    assert {s["id"] for s in ok(by_user)} == {ids[0], ids[2]} and by_user.headers["X-Total-Count"] == "2"
    assert [s["id"] for s in ok(api.get(base, params={"name": "c"}))] == [ids[1]]
    assert [s["id"] for s in ok(api.get(base, params={"id": ids[0]}))] == [ids[0]]
    one = api.get(base, params={"page": 3, "page_size": 1, "desc": "False"})
    assert [s["id"] for s in ok(one)] == [ids[2]]
    assert ok(api.get(base, params={"page": 2, "page_size": 30})) == []
    assert "`page_size`" in error(api.get(base, params={"page_size": 0}), 400, 102)
    assert "`orderby`" in error(api.get(base, params={"orderby": "chat_id"}), 400, 102)
    error(api.get(f"/chats/{new_id()}/sessions"), 404, 105)


def test_delete_rules(api: httpx.Client) -> None:
    chat = new_chat(api)
    base = f"/chats/{chat['id']}/sessions"
    ids = [ok(api.post(base, json={}))["id"] for _ in range(3)]
    required = '`ids` is required; send "delete_all": true to delete every session'
    error(api.request("DELETE", base, json={}), 400, 102, required)
    error(api.request("DELETE", base, json={"ids": None}), 400, 102, required)
    assert api.get(base).headers["X-Total-Count"] == "3"
    missing = new_id()
    partial = ok(api.request("DELETE", base, json={"ids": [ids[0], missing, ids[0]]}))
    assert partial == {
        "success_count": 1,
        "errors": [f"The chat doesn't own the session {missing}", f"Duplicate session ids: {ids[0]}"],
    }
    error(api.request("DELETE", base, json={"ids": [missing]}), 404, 105)
    assert ok(api.request("DELETE", base, json={"delete_all": True}))["success_count"] == 2
    assert ok(api.get(base)) == []
    error(api.request("DELETE", f"/chats/{new_id()}/sessions", json={"delete_all": True}), 404, 105)


def test_tenant_isolation(api: httpx.Client, other: httpx.Client) -> None:
    chat = new_chat(api)
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={}))
    path = f"/chats/{chat['id']}/sessions/{session['id']}"
    error(other.get(path), 404, 105)
    error(other.put(path, json={"name": "x"}), 404, 105)
    error(other.patch(path, json={"name": "x"}), 404, 105)
    error(other.get(f"/chats/{chat['id']}/sessions"), 404, 105)
    error(other.post(f"/chats/{chat['id']}/sessions", json={}), 404, 105)
    error(other.request("DELETE", f"/chats/{chat['id']}/sessions", json={"ids": [session["id"]]}), 404, 105)
    error(other.request("DELETE", f"/chats/{chat['id']}/sessions", json={"delete_all": True}), 404, 105)
    # The other tenant's own chat cannot reach this session either.
    theirs = new_chat(other)
    error(other.get(f"/chats/{theirs['id']}/sessions/{session['id']}"), 404, 105)
    assert ok(api.get(path))["id"] == session["id"]


def test_answers_stored_through_grpc_show_in_the_session(stack: Stack, api: httpx.Client) -> None:
    """The path the worker uses: AppendUserMessage then StoreAnswer (idempotent), read over HTTP."""
    chat = new_chat(api)
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={}))
    # The tenant id is internal (never in the public API): read it from the stored session.
    with MongoClient(stack.mongo_url) as mongo:
        tenant_id = mongo["ragchat"]["sessions"].find_one({"_id": session["id"]})["tenant_id"]
    token = with_token((), stack.config.service_token)
    with grpc.insecure_channel(stack.addresses["session-service"]) as channel:
        stub = SessionServiceStub(channel)
        appended = stub.AppendUserMessage(
            session_pb2.AppendUserMessageRequest(
                tenant_id=tenant_id, chat_id=chat["id"], session_id=session["id"], content="What?"
            ),
            metadata=token,
        )
        assert [m.content for m in appended.history] == [chat["prompt"]["opener"]]
        reference = {"total": 0, "chunks": [], "doc_aggs": []}
        request = session_pb2.StoreAnswerRequest(
            tenant_id=tenant_id,
            chat_id=chat["id"],
            session_id=session["id"],
            answer_id=appended.answer_id,
            content="That.",
            reference=to_struct(reference),
        )
        assert (stub.StoreAnswer(request, metadata=token)).stored is True
        assert (stub.StoreAnswer(request, metadata=token)).stored is False
    messages = ok(api.get(f"/chats/{chat['id']}/sessions/{session['id']}"))["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("assistant", chat["prompt"]["opener"]),
        ("user", "What?"),
        ("assistant", "That."),
    ]
    assert messages[2]["id"] == appended.answer_id and messages[2]["reference"] == reference
    assert "reference" not in messages[0] and "reference" not in messages[1]
