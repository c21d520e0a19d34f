"""Resume and stop (API.md §9.2) with an httpx client, against real processes and the paced fake LLM.

The shared completion group (one gateway, one worker, own namespace) of the run; answers are
scripted to take a second or two, so there is time to drop a connection or stop mid-answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fake_llm import CompletionEnv, FakeLLM, shared_completion_env
from sse_client import Answer, message_path, read, resume

from ragchat_cli.endpoints import DEFAULT_MONGO_DB
from ragchat_cli.keys import run_with_db
from ragchat_cli.stack import Stack
from ragchat_common.events import stream_log_key
from ragchat_common.ids import new_id
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.principal import KeyLimits

PACED = " ".join(f"word{i}" for i in range(40)) + "."  # 41 tokens, 30 ms apart: ~1.2 s


@pytest.fixture(scope="module")
def env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> CompletionEnv:
    return shared_completion_env(stack, Path(tmp_path_factory.mktemp("completions")))


@pytest.fixture(scope="module")
def fake(env: CompletionEnv) -> FakeLLM:
    return env.fake


@pytest.fixture(scope="module")
def key(make_key: Callable[[str], str]) -> str:
    return make_key("streams-" + new_id())


@pytest.fixture(scope="module")
def api(env: CompletionEnv, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=env.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture(scope="module")
def chat_id(api: httpx.Client) -> str:
    return str(ok(api.post("/chats", json={"name": "streams-" + new_id()[:12], "dataset_ids": []}))["id"])


@pytest.fixture(scope="module")
def log(env: CompletionEnv, stack: Stack) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(stack.config.redis_url)
    yield client
    client.close()


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def ask(api: httpx.Client, fake: FakeLLM, chat_id: str, *, deltas: int | None, answer: str = PACED) -> Answer:
    """Asks a question whose answer is paced; reads ``deltas`` text events (None: all) and leaves."""
    question = "paced " + new_id()
    fake.script(question, answer=answer, delay_s=0.03)
    with api.stream("POST", f"/chats/{chat_id}/completions", json={"question": question, "stream": True}) as response:
        assert response.status_code == 200
        return read(response, Answer(), deltas=deltas)


def stored_answer(api: httpx.Client, chat_id: str, answer: Answer) -> dict[str, Any]:
    session = ok(api.get(f"/chats/{chat_id}/sessions/{answer.session_id}"))
    stored = [m for m in session["messages"] if m["id"] == answer.message_id and m["role"] == "assistant"]
    assert len(stored) == 1, session["messages"]
    return stored[0]  # type: ignore[no-any-return]


def wait_stored(api: httpx.Client, chat_id: str, answer: Answer, within_s: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while True:
        session = ok(api.get(f"/chats/{chat_id}/sessions/{answer.session_id}"))
        if any(m["id"] == answer.message_id and m["role"] == "assistant" for m in session["messages"]):
            return stored_answer(api, chat_id, answer)
        assert time.monotonic() < deadline, "the answer was never stored"
        time.sleep(0.1)


def assert_abandoned(fake: FakeLLM, question: str) -> None:
    """The fake LLM saw its client close the request mid-answer (it notices at its next token)."""
    deadline = time.monotonic() + 2
    while question not in fake.abandoned:
        assert time.monotonic() < deadline, "the LLM request was not closed"
        time.sleep(0.02)


def test_a_dropped_connection_resumes_with_last_event_id_and_gets_the_text_exactly_once(
    api: httpx.Client, fake: FakeLLM, chat_id: str
) -> None:
    answer = ask(api, fake, chat_id, deltas=5)
    assert not answer.finished and answer.text and answer.last_event_id
    assert answer.last_event_id.startswith(answer.message_id + ":")
    resume(api, chat_id, answer, deltas=5)  # dropped a second time
    assert not answer.finished
    resume(api, chat_id, answer)
    assert answer.finished and answer.final is not None and answer.error is None
    assert answer.text == PACED == stored_answer(api, chat_id, answer)["content"]
    usage = answer.final["usage"]
    assert usage["completion_tokens"] > 0 and usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert answer.final.get("stopped") is None
    stored = stored_answer(api, chat_id, answer)
    assert stored["usage"] == usage and "stopped" not in stored
    # The ids a client saw are strictly increasing: nothing was sent twice.
    seqs = [int(e.id.rsplit(":", 1)[1]) for e in answer.events if e.id]
    assert seqs == sorted(set(seqs))


def test_after_query_and_a_finished_answer_replay_from_the_log_then_from_the_stored_message(
    api: httpx.Client, fake: FakeLLM, chat_id: str, env: CompletionEnv, log: redis.Redis
) -> None:
    answer = ask(api, fake, chat_id, deltas=None, answer="Short and done.")
    assert answer.finished and answer.text == "Short and done."
    path = message_path(chat_id, answer.session_id, answer.message_id) + "/events"
    # Finished and still in the log: the whole stream again, the same final event and terminators.
    with api.stream("GET", path) as response:
        again = read(response, Answer())
    assert again.text == "Short and done." and again.finished and again.final == answer.final
    # ?after=<seq of the first delta>: the rest only.
    first_delta = next(e for e in answer.events if e.id and e.data["data"].get("answer"))
    with api.stream("GET", path, params={"after": first_delta.id.rsplit(":", 1)[1]}) as response:  # type: ignore[union-attr]
        rest = read(response, Answer())
    assert first_delta.data["data"]["answer"] + rest.text == "Short and done."
    # A resume point beyond the end: no event is invented, the stream ends at once.
    with api.stream("GET", path, params={"after": "999"}) as response:
        beyond = read(response, Answer())
    assert beyond.finished and beyond.text == "" and beyond.error is None
    # Older than the log: one final event from the stored message, then the terminators.
    log.delete(stream_log_key(env.group.config.namespace, answer.message_id))
    with api.stream("GET", path, headers={"Last-Event-ID": answer.last_event_id or ""}) as response:
        raw = response.read().decode()
    blocks = raw.strip().split("\n\n")
    assert len(blocks) == 3 and blocks[1:] == ['data: {"code": 0, "message": "", "data": true}', "data: [DONE]"]
    final = json.loads(blocks[0].split("data: ", 1)[1])["data"]
    assert final["final"] is True and final["answer"] == "Short and done." and final["usage"] == answer.final["usage"]  # type: ignore[index]


def test_stop_ends_every_stream_of_the_answer_closes_the_llm_request_and_stores_the_partial_text(
    api: httpx.Client, fake: FakeLLM, chat_id: str
) -> None:
    question = "paced " + new_id()
    fake.script(question, answer=PACED, delay_s=0.03)
    asker = Answer()
    with api.stream("POST", f"/chats/{chat_id}/completions", json={"question": question}) as original:
        read(original, asker, deltas=3)
        # A second client follows the same answer (resumed), and an unrelated answer runs beside.
        path = message_path(chat_id, asker.session_id, asker.message_id)
        follower = Answer(last_event_id=asker.last_event_id)
        with (
            api.stream("POST", f"/chats/{chat_id}/completions", json={"question": "other " + new_id()}) as other,
            api.stream("GET", path + "/events", headers={"Last-Event-ID": asker.last_event_id or ""}) as resumed,
        ):
            assert other.status_code == 200 and resumed.status_code == 200
            started = time.monotonic()
            assert ok(api.post(path + "/stop")) == {"stopped": True}
            read(resumed, follower)
            read(original, asker)
            took = time.monotonic() - started
            unrelated = read(other, Answer())
    for answer in (asker, follower):
        assert answer.finished and answer.final is not None and answer.final["stopped"] is True
    assert took < 2.0, f"the final event came {took:.2f} s after the stop"
    assert 0 < len(asker.text) < len(PACED) and PACED.startswith(asker.text)
    assert asker.text.endswith(follower.text) and asker.final == follower.final
    stored = stored_answer(api, chat_id, asker)
    assert stored["content"] == asker.text and stored["stopped"] is True
    assert stored["usage"]["completion_tokens"] == asker.final["usage"]["completion_tokens"] > 0  # type: ignore[index]
    # The model stopped too: its request was closed before the end of the answer.
    assert_abandoned(fake, question)
    assert unrelated.finished and unrelated.final is not None and "stopped" not in unrelated.final
    assert ok(api.post(path + "/stop")) == {"stopped": False}


def test_the_native_route_keeps_generating_when_its_client_leaves(
    api: httpx.Client, fake: FakeLLM, chat_id: str
) -> None:
    answer = ask(api, fake, chat_id, deltas=2)
    assert not answer.finished
    stored = wait_stored(api, chat_id, answer)
    assert stored["content"] == PACED and "stopped" not in stored


# Deleting the session mid-answer made StoreAnswer NotFound, which ended the stream in an error
# ("The answer could not be stored: ...", a 500 for a non-stream caller). RAGFlow answers.
def test_an_answer_whose_session_is_deleted_meanwhile_still_reaches_its_caller(
    api: httpx.Client, fake: FakeLLM, chat_id: str
) -> None:
    question = "paced " + new_id()
    fake.script(question, answer=PACED, delay_s=0.03)
    with api.stream("POST", f"/chats/{chat_id}/completions", json={"question": question, "stream": True}) as response:
        answer = read(response, Answer(), deltas=2)
        assert not answer.finished
        ok(api.request("DELETE", f"/chats/{chat_id}/sessions", json={"ids": [answer.session_id]}))
        read(response, answer)
    assert answer.finished and answer.error is None, answer.error
    assert answer.final is not None and answer.text == PACED
    gone = api.get(f"/chats/{chat_id}/sessions/{answer.session_id}")
    assert gone.status_code == 404


def test_the_non_stream_answer_carries_usage(api: httpx.Client, fake: FakeLLM, chat_id: str) -> None:
    question = "usage " + new_id()
    fake.script(question, answer="Two words.")
    data = ok(api.post(f"/chats/{chat_id}/completions", json={"question": question, "stream": False}))
    (asked,) = fake.requests_mentioning(question)
    prompt_words = sum(len(str(m["content"]).split()) for m in asked["messages"])
    assert data["answer"] == "Two words."
    assert data["usage"] == {"prompt_tokens": prompt_words, "completion_tokens": 3, "total_tokens": prompt_words + 3}


def test_the_openai_route_stops_generating_when_its_client_leaves(
    env: CompletionEnv, key: str, fake: FakeLLM, chat_id: str, log: redis.Redis
) -> None:
    question = "openai paced " + new_id()
    fake.script(question, answer=PACED, delay_s=0.03)
    body = {"model": "m", "messages": [{"role": "user", "content": question}], "stream": True}
    url = f"{env.gateway_url}/api/v1/chats_openai/{chat_id}/chat/completions"
    with httpx.stream("POST", url, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30) as response:
        lines = response.iter_lines()
        first = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
        for line in lines:
            if line.startswith("data: ") and json.loads(line[6:])["choices"][0]["delta"].get("content"):
                break
    message_id = first["id"].removeprefix("chatcmpl-")
    key_name = stream_log_key(env.group.config.namespace, message_id)
    deadline = time.monotonic() + 10
    while True:
        events = [json.loads(fields[b"e"]) for _, fields in log.xrange(key_name)]  # type: ignore[union-attr]
        if events and events[-1]["type"] == "done":
            break
        assert time.monotonic() < deadline, "the abandoned answer was not stopped"
        time.sleep(0.05)
    final = events[-2]
    assert final["type"] == "final" and final["stopped"] is True and len(final["answer"]) < len(PACED)
    assert_abandoned(fake, question)  # the model's request was closed


def test_unknown_foreign_and_malformed_resume_points(
    api: httpx.Client, fake: FakeLLM, chat_id: str, env: CompletionEnv, make_key: Callable[[str], str]
) -> None:
    answer = ask(api, fake, chat_id, deltas=None, answer="Mine.")
    path = message_path(chat_id, answer.session_id, answer.message_id)
    unknown = message_path(chat_id, answer.session_id, new_id())
    for response in (api.get(unknown + "/events"), api.post(unknown + "/stop")):
        assert response.status_code == 404 and response.json()["code"] == 105
    other = {"Authorization": f"Bearer {make_key('intruder-' + new_id())}"}
    for response in (
        httpx.get(env.gateway_url + "/api/v1" + path + "/events", headers=other),
        httpx.post(env.gateway_url + "/api/v1" + path + "/stop", headers=other),
    ):
        assert response.status_code == 404 and response.json()["code"] == 105
    for headers, params in (({"Last-Event-ID": "someone-else:3"}, {}), ({}, {"after": "x"})):
        response = api.get(path + "/events", headers=headers, params=params)
        assert response.status_code == 400 and response.json()["code"] == 102, response.text
    assert ok(api.post(path + "/stop")) == {"stopped": False}


def test_a_resume_takes_a_stream_slot(env: CompletionEnv, stack: Stack, fake: FakeLLM) -> None:
    tenant = "one-slot-" + new_id()[:8]
    minted = run_with_db(
        stack.mongo_url, DEFAULT_MONGO_DB, lambda db: domain.create_key(db, tenant, KeyLimits(max_streams=1))
    )
    headers = {"Authorization": f"Bearer {minted.key}"}
    with httpx.Client(base_url=env.gateway_url + "/api/v1", headers=headers, timeout=30) as one_slot:
        chat = ok(one_slot.post("/chats", json={"name": "slots-" + new_id()[:12], "dataset_ids": []}))["id"]
        question = "paced " + new_id()
        fake.script(question, answer=PACED, delay_s=0.03)
        with one_slot.stream("POST", f"/chats/{chat}/completions", json={"question": question}) as response:
            answer = read(response, Answer(), deltas=1)
            events = message_path(chat, answer.session_id, answer.message_id) + "/events"
            refused = one_slot.get(events)  # the key's one slot is taken by the open stream
            assert refused.status_code == 429 and refused.json()["code"] == 429
        # The slot comes back once the gateway has seen the first stream's client leave.
        deadline = time.monotonic() + 10
        while (held := one_slot.get(events, params={"after": "999"})).status_code == 429:
            assert time.monotonic() < deadline, held.text
            time.sleep(0.1)
        resume(one_slot, chat, answer)
        assert answer.finished and answer.text == PACED
