"""Each gateway caches the chat settings completions read; a change made through any replica
(HTTP or the public gRPC API) reaches every replica's next completion at once.

Two gateways and a worker of their own on the session stack's services; the fake LLM shows which
system prompt each answer was generated with.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_llm import FakeLLM, start_completion_group

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module")
def replicas(stack: Stack, fake: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    group: Stack = start_completion_group(stack, Path(tmp_path_factory.mktemp("chat-cache")), fake, gateways=2)
    yield group
    group.stop()


@pytest.fixture(scope="module")
def clients(stack: Stack, replicas: Stack) -> Iterator[list[httpx.Client]]:
    key = mint_key(stack.mongo_url, "chat-cache-" + new_id())
    headers = {"Authorization": f"Bearer {key}"}
    opened = [httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=30) for url in replicas.gateway_urls]
    yield opened
    for client in opened:
        client.close()


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def system_prompt_of_answer(client: httpx.Client, fake: FakeLLM, chat_id: str) -> str:
    question = "which prompt? " + new_id()
    ok(client.post(f"/chats/{chat_id}/completions", json={"question": question, "stream": False}))
    [request] = fake.requests_mentioning(question)
    return str(request["messages"][0]["content"])


def test_a_change_through_one_replica_reaches_the_next_answer_of_the_other(
    clients: list[httpx.Client], fake: FakeLLM
) -> None:
    first, second = clients
    prompt = {"prompt": "You are version one.", "variables": []}
    chat = ok(first.post("/chats", json={"name": "cache-" + new_id()[:8], "prompt": prompt}))
    for client in clients:  # both replicas have the chat cached now
        assert "version one" in system_prompt_of_answer(client, fake, chat["id"])

    ok(second.put(f"/chats/{chat['id']}", json={"prompt": {"prompt": "You are version two."}}))
    for client in (second, first):  # the replica that changed it, and the other one
        assert "version two" in system_prompt_of_answer(client, fake, chat["id"])

    ok(first.patch(f"/chats/{chat['id']}", json={"prompt_config": {"system": "You are version three."}}))
    for client in (first, second):
        assert "version three" in system_prompt_of_answer(client, fake, chat["id"])


def test_a_chat_deleted_through_one_replica_is_gone_for_the_other(clients: list[httpx.Client], fake: FakeLLM) -> None:
    first, second = clients
    chat = ok(first.post("/chats", json={"name": "gone-" + new_id()[:8]}))
    system_prompt_of_answer(first, fake, chat["id"])  # cached on the first replica
    ok(second.request("DELETE", "/chats", json={"ids": [chat["id"]]}))
    response = first.post(f"/chats/{chat['id']}/completions", json={"question": "still there?", "stream": False})
    assert (response.status_code, response.json()["code"]) == (404, 105), response.text


def test_another_tenant_never_reads_a_cached_chat(stack: Stack, clients: list[httpx.Client], fake: FakeLLM) -> None:
    first = clients[0]
    chat = ok(first.post("/chats", json={"name": "mine-" + new_id()[:8]}))
    system_prompt_of_answer(first, fake, chat["id"])
    other_key = mint_key(stack.mongo_url, "chat-cache-other-" + new_id())
    response = first.post(
        f"/chats/{chat['id']}/completions",
        json={"question": "yours?", "stream": False},
        headers={"Authorization": f"Bearer {other_key}"},
    )
    assert (response.status_code, response.json()["code"]) == (404, 105), response.text
    assert chat["id"] in response.json()["message"]
