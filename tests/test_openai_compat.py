"""The OpenAI-compatible routes with the official ``openai`` client (API.md §6)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fake_llm import CompletionEnv, FakeLLM, shared_completion_env

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id


@pytest.fixture(scope="module")
def env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> CompletionEnv:
    return shared_completion_env(stack, Path(tmp_path_factory.mktemp("completions")))


@pytest.fixture(scope="module")
def fake(env: CompletionEnv) -> FakeLLM:
    return env.fake


@pytest.fixture(scope="module")
def key(make_key: Callable[[str], str]) -> str:
    return make_key("openai-" + new_id())


@pytest.fixture(scope="module")
def api(env: CompletionEnv, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=env.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        yield client


@pytest.fixture(scope="module")
def chat(api: httpx.Client) -> dict[str, Any]:
    response = api.post("/chats", json={"name": "oa-" + new_id()[:12], "dataset_ids": []})
    data: dict[str, Any] = response.json()["data"]
    return data


def client_for(env: CompletionEnv, key: str, chat_id: str, prefix: str = "openai") -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=f"{env.gateway_url}/api/v1/{prefix}/{chat_id}", max_retries=0)


def test_non_stream_with_usage_and_reference(
    env: CompletionEnv, key: str, chat: dict[str, Any], fake: FakeLLM, api: httpx.Client
) -> None:
    sessions_before = api.get(f"/chats/{chat['id']}/sessions").json()["data"]
    client = client_for(env, key, chat["id"])
    question = "oa-plain " + new_id()
    fake.script(question, answer="Plain answer here.")
    completion = client.chat.completions.create(
        model="anything",
        messages=[
            {"role": "system", "content": "ignored: the chat's prompt applies"},
            {"role": "user", "content": "earlier question"},
            {"role": "assistant", "content": "earlier answer"},
            {"role": "user", "content": question},
        ],
        extra_body={"reference": True},
    )
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "Plain answer here."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == chat["llm"]["model_name"]
    assert completion.usage is not None
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    message: Any = completion.choices[0].message
    assert message.model_extra["reference"] == {"total": 0, "chunks": [], "doc_aggs": []}
    # The history reached the model; nothing was stored (stateless).
    sent = [m["content"] for m in fake.requests_mentioning(question)[-1]["messages"]]
    assert sent[1:] == ["earlier question", "earlier answer", question]
    assert api.get(f"/chats/{chat['id']}/sessions").json()["data"] == sessions_before


def test_stream_chunks_usage_and_done(env: CompletionEnv, key: str, chat: dict[str, Any], fake: FakeLLM) -> None:
    client = client_for(env, key, chat["id"], prefix="chats_openai")
    question = "oa-stream " + new_id()
    fake.script(question, answer="Streamed words, one by one.")
    stream = client.chat.completions.create(
        model="anything",
        messages=[{"role": "user", "content": question}],
        stream=True,
        extra_body={"reference": True},
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Streamed words, one by one."
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.usage is not None and last.usage.completion_tokens > 0
    delta: Any = last.choices[0].delta
    assert delta.model_extra["reference"] == {"total": 0, "chunks": [], "doc_aggs": []}


def test_stream_raw_ends_with_done(env: CompletionEnv, key: str, chat: dict[str, Any]) -> None:
    with httpx.stream(
        "POST",
        f"{env.gateway_url}/api/v1/openai/{chat['id']}/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "raw " + new_id()}], "stream": True},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ) as response:
        body = response.read().decode()
    assert response.headers["content-type"].startswith("text/event-stream")
    assert body.endswith("data: [DONE]\n\n")
    assert body.count("data: [DONE]") == 1


def test_ragflows_literal_extra_body(env: CompletionEnv, key: str, chat: dict[str, Any], fake: FakeLLM) -> None:
    """RAGFlow's curl examples send {"extra_body": {"reference": true}} as it is; its checks on
    that object apply, and what ragchat does not serve is refused, not ignored."""
    url = f"{env.gateway_url}/api/v1/openai/{chat['id']}/chat/completions"
    question = "oa-extra " + new_id()
    fake.script(question, answer="Answered.")
    asked = {"model": "m", "messages": [{"role": "user", "content": question}]}
    headers = {"Authorization": f"Bearer {key}"}
    answered = httpx.post(url, json={**asked, "extra_body": {"reference": True}}, headers=headers, timeout=60)
    assert answered.json()["choices"][0]["message"]["reference"] == {"total": 0, "chunks": [], "doc_aggs": []}
    plain = httpx.post(url, json={**asked, "extra_body": {"reference": False}}, headers=headers, timeout=60)
    assert "reference" not in plain.json()["choices"][0]["message"]
    for extra_body, needle in [
        ("bad", "extra_body"),
        ({"reference_metadata": "bad"}, "reference_metadata"),
        ({"reference_metadata": {"fields": "author"}}, "fields"),
        ({"metadata_condition": "invalid"}, "metadata_condition"),
        (
            {"metadata_condition": {"conditions": [{"name": "a", "comparison_operator": "is", "value": 1}]}},
            "not supported",
        ),
        ({"reference_metadata": {"include": True}}, "not supported"),
    ]:
        refused = httpx.post(url, json={**asked, "extra_body": extra_body}, headers=headers, timeout=60)
        assert refused.status_code == 400, (extra_body, refused.text)
        assert needle in refused.json()["error"]["message"], refused.json()


def test_errors_are_openai_error_bodies(env: CompletionEnv, key: str, chat: dict[str, Any]) -> None:
    with pytest.raises(openai.NotFoundError) as not_found:
        client_for(env, key, new_id()).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert not_found.value.status_code == 404
    body: Any = not_found.value.body
    assert set(body) >= {"message", "type", "code"} and body["message"]

    with pytest.raises(openai.AuthenticationError) as unauthenticated:
        client_for(env, "not-a-key", chat["id"]).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    assert unauthenticated.value.status_code == 401

    raw = httpx.post(
        f"{env.gateway_url}/api/v1/openai/{chat['id']}/chat/completions",
        json={"model": "m", "messages": []},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert raw.status_code == 400
    assert raw.json()["error"]["type"] == "invalid_request_error"
    assert "messages" in raw.json()["error"]["message"]
    raw = httpx.post(
        f"{env.gateway_url}/api/v1/openai/{chat['id']}/chat/completions",
        json={"messages": [{"role": "user", "content": "x"}]},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert raw.status_code == 400 and raw.json()["error"]["message"] == "`model` is required."


def test_llm_failure_is_a_server_error(env: CompletionEnv, key: str, chat: dict[str, Any], fake: FakeLLM) -> None:
    question = "oa-broken " + new_id()
    fake.script(question, status=500)
    with pytest.raises(openai.InternalServerError) as failed:
        client_for(env, key, chat["id"]).chat.completions.create(
            model="m", messages=[{"role": "user", "content": question}]
        )
    assert "500" in str(failed.value.body)


def test_models_lists_the_chat_model(env: CompletionEnv, key: str, chat: dict[str, Any]) -> None:
    models = list(client_for(env, key, chat["id"]).models.list())
    assert [m.id for m in models] == [chat["llm"]["model_name"]]
