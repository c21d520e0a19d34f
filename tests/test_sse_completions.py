"""Completions over raw HTTP/SSE against real processes and a fake LLM (API.md §5).

A gateway and an inference worker of their own (own namespace and queue) run on the session
stack's chat, session and retrieval services; the LLM is tests/fake_llm.py over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from fake_llm import CompletionEnv, FakeLLM, shared_completion_env
from knowledge import parsed_dataset

from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.ids import new_id
from ragchat_common.jobs import dead_letter_queue


@pytest.fixture(scope="module")
def env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> CompletionEnv:
    return shared_completion_env(stack, Path(tmp_path_factory.mktemp("completions")))


@pytest.fixture(scope="module")
def fake(env: CompletionEnv) -> FakeLLM:
    return env.fake


@pytest.fixture(scope="module")
def api(env: CompletionEnv, make_key: Callable[[str], str]) -> Iterator[httpx.Client]:
    key = make_key("sse-" + new_id())
    with httpx.Client(
        base_url=env.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        yield client


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def make_chat(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": "sse-" + new_id()[:12], "dataset_ids": [], **fields}
    return ok(api.post("/chats", json=body))  # type: ignore[no-any-return]


def raw_stream(api: httpx.Client, chat_id: str, body: dict[str, Any]) -> tuple[httpx.Response, bytes]:
    with api.stream("POST", f"/chats/{chat_id}/completions", json={"stream": True, **body}) as response:
        raw = response.read()
    return response, raw


def blocks(raw: bytes) -> list[str]:
    text = raw.decode()
    assert text.endswith("\n\n")
    return text[:-2].split("\n\n")


def data_of(block: str) -> Any:
    line = next(x for x in block.split("\n") if x.startswith("data: "))
    payload = line[len("data: ") :]
    return payload if payload == "[DONE]" else json.loads(payload)


def session_of(api: httpx.Client, chat_id: str, session_id: str) -> dict[str, Any]:
    return ok(api.get(f"/chats/{chat_id}/sessions/{session_id}"))  # type: ignore[no-any-return]


def test_stream_framing_byte_for_byte(api: httpx.Client, fake: FakeLLM) -> None:
    chat = make_chat(api, prompt={"opener": ""})
    question = "framing " + new_id()
    fake.script(question, answer="Hello there, world. Bonjour à tous!")
    response, raw = raw_stream(api, chat["id"], {"question": question})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.headers["connection"] == "keep-alive"
    assert "x-ratelimit-limit" in response.headers

    parts = [b for b in blocks(raw) if b != ": ping"]
    first = data_of(parts[0])["data"]
    mid, sid = first["id"], first["session_id"]
    deltas = [data_of(b)["data"]["answer"] for b in parts[:-3]]
    final = data_of(parts[-3])["data"]
    (asked,) = fake.requests_mentioning(question)
    prompt_words = sum(len(str(m["content"]).split()) for m in asked["messages"])
    # Rebuild the whole body independently from the contract and compare bytes.
    expected = ""
    for seq, text in enumerate(deltas):
        data = {"answer": text, "reference": {}, "id": mid, "session_id": sid, "chat_id": chat["id"], "final": False}
        data["audio_binary"] = None  # RAGFlow's text-to-speech slot
        expected += f"id: {mid}:{seq}\ndata: " + json.dumps(
            {"code": 0, "message": "", "data": data}, ensure_ascii=False
        )
        expected += "\n\n"
    final_data = {
        "answer": "",
        "reference": {"total": 0, "chunks": [], "doc_aggs": []},
        "id": mid,
        "session_id": sid,
        "chat_id": chat["id"],
        "final": True,
        "created_at": final["created_at"],
        "audio_binary": None,
        # API.md §9.2: the tokens the model reported (the fake counts prompt words and its tokens).
        "usage": {"prompt_tokens": prompt_words, "completion_tokens": 9, "total_tokens": prompt_words + 9},
    }
    expected += f"id: {mid}:{len(deltas)}\ndata: " + json.dumps(
        {"code": 0, "message": "", "data": final_data}, ensure_ascii=False
    )
    expected += '\n\ndata: {"code": 0, "message": "", "data": true}\n\ndata: [DONE]\n\n'
    assert raw.decode().replace(": ping\n\n", "") == expected
    assert "".join(deltas) == "Hello there, world. Bonjour à tous!"
    assert isinstance(final["created_at"], float) and abs(final["created_at"] - time.time()) < 60

    # The session was created (named after the question) and holds question and answer, in order.
    session = session_of(api, chat["id"], sid)
    assert session["name"] == question
    assert [(m["role"], m["content"]) for m in session["messages"]] == [
        ("user", question),
        ("assistant", "Hello there, world. Bonjour à tous!"),
    ]
    assert session["messages"][0]["id"] == session["messages"][1]["id"] == mid  # one id for both (RAGFlow)
    assert session["messages"][1]["reference"] == final_data["reference"]


def test_keepalive_comments_while_the_model_is_slow(api: httpx.Client, fake: FakeLLM) -> None:
    chat = make_chat(api)
    question = "slow " + new_id()
    fake.script(question, answer="one two", delay_s=1.2)
    _, raw = raw_stream(api, chat["id"], {"question": question})
    parts = blocks(raw)
    assert ": ping" in parts  # the test gateway pings every 0.5 s
    answer = "".join(data_of(b)["data"]["answer"] for b in parts if b.startswith("id:") and '"final": false' in b)
    assert answer == "one two"
    assert parts[-2:] == ['data: {"code": 0, "message": "", "data": true}', "data: [DONE]"]


def dead_lettered(env: CompletionEnv) -> int:
    """Jobs in the group's dead-letter queue."""

    async def count() -> int:
        connection = await aio_pika.connect(env.group.config.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(dead_letter_queue(env.group.config.namespace), passive=True)
            return int(queue.declaration_result.message_count or 0)

    return asyncio.run(count())


def test_error_mid_stream_is_an_error_event_then_both_terminators(
    api: httpx.Client, fake: FakeLLM, env: CompletionEnv
) -> None:
    chat = make_chat(api)
    question = "fails " + new_id()
    fake.script(question, answer="alpha beta gamma delta epsilon", fail_after=3, delay_s=0.02)
    dead_before = dead_lettered(env)
    response, raw = raw_stream(api, chat["id"], {"question": question})
    assert response.status_code == 200
    parts = blocks(raw)
    assert parts[-2:] == ['data: {"code": 0, "message": "", "data": true}', "data: [DONE]"]
    error = data_of(parts[-3])
    assert error["code"] == 500 and error["message"]
    assert error["data"]["answer"] == "**ERROR**: " + error["message"]
    assert error["data"]["reference"] == {}
    streamed = "".join(data_of(b)["data"]["answer"] for b in parts[:-3])
    assert streamed == "alpha beta gamma"
    # Nothing half-stored: the session has the question only; the failed job was dead-lettered.
    session = session_of(api, chat["id"], error["data"]["session_id"])
    assert [m["role"] for m in session["messages"]] == ["assistant", "user"]  # opener, question
    deadline = time.monotonic() + 5
    while dead_lettered(env) == dead_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dead_lettered(env) == dead_before + 1


def test_non_stream_aggregates_the_same_answer(api: httpx.Client, fake: FakeLLM) -> None:
    chat = make_chat(api, prompt={"opener": ""})
    question = "plain " + new_id()
    fake.script(question, answer="A complete answer.")
    data = ok(api.post(f"/chats/{chat['id']}/completions", json={"question": question, "stream": False}))
    assert data["answer"] == "A complete answer."
    assert data["reference"] == {"total": 0, "chunks": [], "doc_aggs": []}
    assert set(data) >= {"id", "session_id", "created_at"}
    session = session_of(api, chat["id"], data["session_id"])
    assert session["messages"][-1]["content"] == "A complete answer."
    assert session["messages"][-1]["id"] == data["id"]
    # The chat's generation settings reached the model.
    sent = fake.requests_mentioning(question)[-1]
    llm = chat["llm"]
    assert (sent["model"], sent["max_tokens"], sent["temperature"], sent["top_p"]) == (
        llm["model_name"],
        llm["max_tokens"],
        llm["temperature"],
        llm["top_p"],
    )
    assert (sent["presence_penalty"], sent["frequency_penalty"]) == (llm["presence_penalty"], llm["frequency_penalty"])


def test_existing_session_gets_history_and_every_event_carries_its_id(api: httpx.Client, fake: FakeLLM) -> None:
    chat = make_chat(api, prompt={"opener": "Hi {name}!", "variables": [{"key": "knowledge", "optional": True}]})
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={"name": "mine"}))
    first = "first " + new_id()
    ok(
        api.post(
            f"/chats/{chat['id']}/completions", json={"question": first, "stream": False, "session_id": session["id"]}
        )
    )
    second = "second " + new_id()
    _, raw = raw_stream(api, chat["id"], {"question": second, "session_id": session["id"]})
    events = [data_of(b) for b in blocks(raw) if b.startswith("id:")]
    assert {e["data"]["session_id"] for e in events} == {session["id"]}
    # The worker got the earlier turn as history.
    request = fake.requests_mentioning(second)[-1]
    contents = [m["content"] for m in request["messages"]]
    assert first in contents and f"Echo: {first}" in contents
    stored = session_of(api, chat["id"], session["id"])["messages"]
    assert [m["role"] for m in stored] == ["assistant", "user", "assistant", "user", "assistant"]
    assert stored[-1]["content"] == f"Echo: {second}"


def test_required_variable_missing_is_102_before_any_stream(api: httpx.Client, fake: FakeLLM) -> None:
    chat = make_chat(
        api,
        prompt={
            "prompt": "Be {style}. Tone: [{tone}]. {knowledge}",
            "variables": [
                {"key": "knowledge", "optional": True},
                {"key": "style", "optional": False},
                {"key": "tone", "optional": True},
            ],
        },
    )
    question = "vars " + new_id()
    response = api.post(f"/chats/{chat['id']}/completions", json={"question": question})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"code": 102, "message": "Missing required variable: 'style'", "data": None}
    assert fake.requests_mentioning(question) == []

    _, raw = raw_stream(api, chat["id"], {"question": question, "style": "formal"})
    assert blocks(raw)[-1] == "data: [DONE]"
    system = fake.requests_mentioning(question)[-1]["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("Be formal. Tone: [].")


def test_empty_response_without_any_llm_call(api: httpx.Client, fake: FakeLLM) -> None:
    dataset = parsed_dataset(api)  # a chat needs a parsed dataset; the threshold lets nothing through
    chat = make_chat(
        api,
        dataset_ids=[dataset["id"]],
        prompt={
            "empty_response": "Nothing on {topic} here.",
            "variables": [{"key": "knowledge"}, {"key": "topic"}],
            "prompt": "{knowledge} {topic}",
            "similarity_threshold": 1.0,
        },
    )
    question = "unanswerable " + new_id()
    _, raw = raw_stream(api, chat["id"], {"question": question, "topic": "moons"})
    parts = blocks(raw)
    answer = "".join(data_of(b)["data"]["answer"] for b in parts[:-3])
    assert answer == "Nothing on moons here."
    assert data_of(parts[-3])["data"]["final"] is True
    assert fake.requests_mentioning(question) == []


def test_default_empty_response_answers_without_the_llm(api: httpx.Client, fake: FakeLLM) -> None:
    dataset = parsed_dataset(api)  # a chat needs a parsed dataset; the threshold lets nothing through
    chat = make_chat(api, dataset_ids=[dataset["id"]], prompt={"similarity_threshold": 1.0})
    assert chat["prompt"]["empty_response"] == "Sorry! No relevant content was found in the knowledge base!"
    question = "nothing relevant " + new_id()
    data = ok(api.post(f"/chats/{chat['id']}/completions", json={"question": question, "stream": False}))
    assert data["answer"] == "Sorry! No relevant content was found in the knowledge base!"
    assert data["reference"]["chunks"] == []
    assert data["usage"]["prompt_tokens"] > 0 and data["usage"]["completion_tokens"] > 0
    asked = {"model": "model", "messages": [{"role": "user", "content": question}]}
    openai = api.post(f"/chats_openai/{chat['id']}/chat/completions", json=asked).json()
    assert openai["choices"][0]["message"]["content"] == data["answer"]
    assert openai["usage"]["prompt_tokens"] > 0 and openai["usage"]["completion_tokens"] > 0
    _, raw = raw_stream(api, chat["id"], {"question": question})
    parts = blocks(raw)
    assert "".join(data_of(b)["data"]["answer"] for b in parts[:-3]) == data["answer"]
    assert fake.requests_mentioning(question) == []


def test_citations_are_inserted_when_the_model_wrote_none(api: httpx.Client, fake: FakeLLM) -> None:
    dataset = parsed_dataset(
        api, "The Zephyr lamp has a warranty of two years.\n\nZephyr charges over USB-C in two hours."
    )
    chat = make_chat(api, dataset_ids=[dataset["id"]])
    question = "How long is the Zephyr warranty? " + new_id()
    fake.script(question, answer="The Zephyr lamp comes with a two-year warranty.")
    data = ok(api.post(f"/chats/{chat['id']}/completions", json={"question": question, "stream": False}))
    assert data["answer"] == "The Zephyr lamp comes with a two-year warranty. [ID:0]"
    assert "two years" in data["reference"]["chunks"][0]["content"]
    # Streaming: the deltas are the model's text; the final event carries the cited answer, and
    # the stored answer is the same text.
    _, raw = raw_stream(api, chat["id"], {"question": question})
    parts = blocks(raw)
    assert (
        "".join(data_of(b)["data"]["answer"] for b in parts[:-3]) == "The Zephyr lamp comes with a two-year warranty."
    )
    final = data_of(parts[-3])["data"]
    assert final["final"] is True and final["answer"] == data["answer"]
    session = session_of(api, chat["id"], final["session_id"])
    assert session["messages"][-1]["content"] == data["answer"]
    # Quoting off: no citations added.
    plain = ok(
        api.post(f"/chats/{chat['id']}/completions", json={"question": question, "stream": False, "quote": False})
    )
    assert plain["answer"] == "The Zephyr lamp comes with a two-year warranty."


def test_a_0_27_client_gets_the_cited_answer_stored_and_an_empty_final_event(
    env: CompletionEnv, fake: FakeLLM, make_key027: Callable[[str], str]
) -> None:
    """RAGFlow v0.27 streams deltas and ends with "answer": "": its clients add the deltas up, so
    the cited text in the final event would show them the answer twice."""
    key = make_key027("sse-027-" + new_id())
    with httpx.Client(
        base_url=env.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as api027:
        dataset = parsed_dataset(api027, "The Zephyr lamp has a warranty of two years.")
        chat = make_chat(api027, dataset_ids=[dataset["id"]])
        question = "How long is the Zephyr warranty? " + new_id()
        fake.script(question, answer="The Zephyr lamp comes with a two-year warranty.")
        _, raw = raw_stream(api027, chat["id"], {"question": question})
        parts = blocks(raw)
        deltas = "".join(data_of(b)["data"]["answer"] for b in parts[:-3])
        final = data_of(parts[-3])["data"]
        assert deltas == "The Zephyr lamp comes with a two-year warranty."
        assert final["final"] is True and final["answer"] == "" and final["reference"]["chunks"]
        stored = session_of(api027, chat["id"], final["session_id"])["messages"][-1]["content"]
        assert stored == "The Zephyr lamp comes with a two-year warranty. [ID:0]"


def test_unknown_chat_and_foreign_session_are_105(api: httpx.Client, make_key: Callable[[str], str]) -> None:
    response = api.post(f"/chats/{new_id()}/completions", json={"question": "q"})
    assert response.status_code == 404 and response.json()["code"] == 105
    chat_a, chat_b = make_chat(api), make_chat(api)
    session_b = ok(api.post(f"/chats/{chat_b['id']}/sessions", json={"name": "b"}))
    response = api.post(f"/chats/{chat_a['id']}/completions", json={"question": "q", "session_id": session_b["id"]})
    assert response.status_code == 404 and response.json()["code"] == 105
    response = api.post(f"/chats/{chat_a['id']}/completions", json={"question": "  "})
    assert response.status_code == 400 and response.json()["code"] == 102


def test_alias_route_takes_chat_id_in_the_body(api: httpx.Client, fake: FakeLLM) -> None:
    chat = make_chat(api)
    question = "alias " + new_id()
    data = ok(api.post("/chat/completions", json={"chat_id": chat["id"], "question": question, "stream": False}))
    assert data["answer"] == f"Echo: {question}"
    response = api.post("/chat/completions", json={"question": question, "session_id": new_id()})
    assert response.status_code == 400 and response.json()["code"] == 102  # a session needs its chat


def test_client_disconnect_does_not_stop_generation(api: httpx.Client, fake: FakeLLM) -> None:
    chat = make_chat(api)
    question = "leaver " + new_id()
    words = " ".join(f"w{i}" for i in range(30))
    fake.script(question, answer=words, delay_s=0.03)
    with api.stream("POST", f"/chats/{chat['id']}/completions", json={"question": question}) as response:
        lines = response.iter_lines()
        first = next(lines)
        while not first.startswith("data: "):
            first = next(lines)
        session_id = json.loads(first[6:])["data"]["session_id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        messages = session_of(api, chat["id"], session_id)["messages"]
        if messages[-1]["role"] == "assistant":
            break
        time.sleep(0.2)
    assert messages[-1]["content"] == words


def test_broker_down_is_503_and_nothing_is_written(
    stack: Stack, env: CompletionEnv, api: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> None:
    chat = make_chat(api)
    addresses = {"RAGCHAT_" + n.upper().replace("-", "_") + "_ADDR": a for n, a in stack.addresses.items()}
    config = StackConfig(
        state_dir=Path(tmp_path_factory.mktemp("no-broker")),
        mongo_url=stack.mongo_url,
        service_token=stack.config.service_token,
        amqp_url="amqp://guest:guest@127.0.0.1:1/",  # nothing listens there
        only=("gateway",),
        env={**addresses, "RAGCHAT_AMQP_CONNECT_TIMEOUT_S": "0.5"},
    )
    before = ok(api.get(f"/chats/{chat['id']}/sessions"))
    with Stack(config) as broken:
        headers = dict(api.headers)
        for stream in (True, False):
            response = httpx.post(
                f"{broken.gateway_url}/api/v1/chats/{chat['id']}/completions",
                json={"question": "anyone?", "stream": stream},
                headers=headers,
                timeout=30,
            )
            assert response.status_code == 503, response.text
            assert response.json()["code"] == 503 and "RabbitMQ" in response.json()["message"]
    assert ok(api.get(f"/chats/{chat['id']}/sessions")) == before
