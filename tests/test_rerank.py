"""Rerank models end to end: a stack whose retrieval-service is configured with a fake rerank
server (real HTTP); /retrieval's rerank_id and a chat's rerank_model reorder the chunks, and an
unknown model name is refused naming the available ones."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_llm import FakeLLM
from fake_rerank import FakeReranker

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits

# The search alone ranks the exact-match paragraph first; the reranker prefers the other one.
DOCUMENT = (
    "The Zephyr lamp warranty lasts two years from the date of purchase.\n\n"
    "Service note rerankme: repairs under the Zephyr lamp warranty take ten days."
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, FakeReranker, FakeLLM]]:
    reranker = FakeReranker().start()
    llm = FakeLLM().start()
    config = StackConfig(
        state_dir=Path(tmp_path_factory.mktemp("rerank")),
        env={
            "RAGCHAT_RERANK_BASE_URL": reranker.url,
            "RAGCHAT_RERANK_MODELS": "bge-reranker-v2-m3, jina-reranker-v2",
            "RAGCHAT_LLM_BASE_URL": llm.url,
            "RAGCHAT_LLM_MODEL": "fake-model",
        },
    )
    with Stack(config) as stack:
        yield stack, reranker, llm
    reranker.stop()
    llm.stop()


@pytest.fixture(scope="module")
def api(env: tuple[Stack, FakeReranker, FakeLLM]) -> Iterator[httpx.Client]:
    stack = env[0]
    key = mint_key(stack.mongo_url, "rerank-" + new_id(), KeyLimits(requests_per_minute=100_000, burst=10_000))
    with httpx.Client(
        base_url=stack.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        yield client


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


@pytest.fixture(scope="module")
def dataset_id(api: httpx.Client) -> str:
    dataset = ok(
        api.post("/datasets", json={"name": "rerank-" + new_id()[:8], "parser_config": {"chunk_token_num": 16}})
    )
    [doc] = ok(api.post(f"/datasets/{dataset['id']}/documents", files=[("file", ("zephyr.txt", DOCUMENT.encode()))]))
    ok(api.post(f"/datasets/{dataset['id']}/chunks", json={"document_ids": [doc["id"]]}))
    deadline = time.monotonic() + 60
    while ok(api.get(f"/datasets/{dataset['id']}/documents"))["docs"][0]["run"] != "DONE":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    return str(dataset["id"])


def retrieve(api: httpx.Client, dataset_id: str, **extra: Any) -> list[dict[str, Any]]:
    body = {"question": "How long is the Zephyr lamp warranty?", "dataset_ids": [dataset_id], **extra}
    return list(ok(api.post("/retrieval", json=body))["chunks"])


def test_rerank_id_reorders_the_chunks(
    api: httpx.Client, dataset_id: str, env: tuple[Stack, FakeReranker, FakeLLM]
) -> None:
    plain = retrieve(api, dataset_id)
    assert len(plain) == 2 and "two years" in plain[0]["content"]
    reranked = retrieve(api, dataset_id, rerank_id="bge-reranker-v2-m3")
    assert [c["id"] for c in reranked] == [plain[1]["id"], plain[0]["id"]]
    assert reranked[0]["vector_similarity"] == pytest.approx(0.95)
    sent = env[1].requests[-1]
    assert sent["model"] == "bge-reranker-v2-m3" and sent["query"] == "How long is the Zephyr lamp warranty?"


def test_an_unknown_rerank_model_is_102_naming_the_available_ones(api: httpx.Client, dataset_id: str) -> None:
    response = api.post("/retrieval", json={"question": "warranty", "dataset_ids": [dataset_id], "rerank_id": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 102
    assert (
        "nope" in body["message"] and "bge-reranker-v2-m3" in body["message"] and "jina-reranker-v2" in body["message"]
    )


def test_a_chat_with_a_rerank_model_gets_the_reranked_chunks(
    api: httpx.Client, dataset_id: str, env: tuple[Stack, FakeReranker, FakeLLM]
) -> None:
    chat = ok(
        api.post(
            "/chats",
            json={
                "name": "rr-" + new_id()[:8],
                "dataset_ids": [dataset_id],
                "prompt": {"rerank_model": "jina-reranker-v2"},
            },
        )
    )
    question = "How long is the Zephyr lamp warranty? " + new_id()
    data = ok(api.post(f"/chats/{chat['id']}/completions", json={"question": question, "stream": False}))
    assert "rerankme" in data["reference"]["chunks"][0]["content"]
    assert any(r["model"] == "jina-reranker-v2" for r in env[1].requests)


def test_a_chat_naming_an_unknown_rerank_model_is_refused_when_saved(api: httpx.Client, dataset_id: str) -> None:
    name = "rr-" + new_id()[:8]
    for body, field in (
        ({"name": name, "dataset_ids": [dataset_id], "prompt": {"rerank_model": "nope"}}, "rerank_model"),
        ({"name": name, "dataset_ids": [dataset_id], "rerank_id": "nope"}, "rerank_id"),  # RAGFlow v0.27's name
    ):
        response = api.post("/chats", json=body)
        assert response.status_code == 400 and response.json()["code"] == 102, response.text
        message = response.json()["message"]
        assert message.startswith(f"`{field}` nope doesn't exist") and "jina-reranker-v2" in message
    chat = ok(api.post("/chats", json={"name": name, "dataset_ids": [dataset_id]}))
    refused = api.put(f"/chats/{chat['id']}", json={"prompt": {"rerank_model": "nope"}})
    assert refused.json()["code"] == 102 and "bge-reranker-v2-m3" in refused.json()["message"]
    ok(api.put(f"/chats/{chat['id']}", json={"prompt": {"rerank_model": "bge-reranker-v2-m3"}}))
    assert ok(api.get("/chats", params={"id": chat["id"]}))[0]["prompt"]["rerank_model"] == "bge-reranker-v2-m3"
