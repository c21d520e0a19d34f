"""The RAGFlow v0.27 client, unchanged: ragflow-sdk 0.27.3 (Python 3.13, tests/sdk027/chats.py)
through every RAGFlow chat method, Chat, Session and Message, against a ``ragflow-0.27`` key
(API.md §9.1). Answers come from tests/fake_llm.py (the completion tests' shared gateway)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fake_llm import CompletionEnv, FakeLLM, shared_completion_env
from sdk027_harness import Sdk027

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id


@pytest.fixture(scope="module")
def env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> CompletionEnv:
    return shared_completion_env(stack, Path(tmp_path_factory.mktemp("sdk027")))


@pytest.fixture(scope="module")
def fake(env: CompletionEnv) -> FakeLLM:
    return env.fake


@pytest.fixture(scope="module")
def sdk(sdk027: Sdk027, env: CompletionEnv) -> Sdk027:
    return Sdk027(sdk027.python, env.gateway_url)


@pytest.fixture
def key(make_key027: Callable[[str], str]) -> str:
    """A fresh tenant per test: its lists hold only what the test made."""
    return make_key027("sdk027-" + new_id())


@pytest.fixture
def api(env: CompletionEnv, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=env.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as http:
        yield http


def test_chat_create_get_update_and_errors(sdk: Sdk027, key: str, api: httpx.Client) -> None:
    made = sdk.run("chats", "chat_lifecycle", key=key, params={"prefix": "p" + new_id()[:6]})
    # What the SDK saw is what is stored, under the v0.22 names too.
    chat = api.get(f"/chats/{made['id']}").json()["data"]
    assert chat["llm"]["top_p"] == 0.5 and chat["prompt"]["opener"] == "Welcome back!" and chat["prompt"]["top_n"] == 0
    assert chat["tenant_id"] == made["tenant_id"]


def test_list_chats_and_delete_chats(sdk: Sdk027, key: str, api: httpx.Client) -> None:
    tenant = api.post("/chats", json={"name": "probe"}).json()["data"]
    api.request("DELETE", "/chats", json={"ids": [tenant["id"]]})
    sdk.run(
        "chats",
        "list_and_delete_chats",
        key=key,
        params={"prefix": "l" + new_id()[:6], "tenant_id": tenant["tenant_id"]},
    )


def test_sessions(sdk: Sdk027, key: str, api: httpx.Client) -> None:
    tenant_id = api.post("/chats", json={"name": "probe"}).json()["data"]["tenant_id"]
    sdk.run("chats", "sessions", key=key, params={"prefix": "s" + new_id()[:6], "tenant_id": tenant_id})


def test_ask_stream_and_not(sdk: Sdk027, key: str, api: httpx.Client, fake: FakeLLM) -> None:
    asked = sdk.run("chats", "ask", key=key, params={"prefix": "a" + new_id()[:6]})
    [sent] = fake.requests_mentioning(asked["tuned"])
    assert (sent["max_tokens"], sent["temperature"]) == (16, 0.0)  # the SDK's extra arguments arrived
    session = api.get(f"/chats/{asked['chat_id']}/sessions/{asked['session_id']}").json()["data"]
    assert session["messages"][2]["id"] == asked["answer_id"]
