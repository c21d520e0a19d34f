"""Two RAGFlow client generations over raw HTTP (API.md §9.1): the dialect of each key, the v0.27
chat and session fields and routes, the three completion modes, messages; RAGFlow's words where
the contract is silent.

A gateway and a worker of their own answer with tests/fake_llm.py (shared with the other
completion tests); chat, session and retrieval services are the session stack's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_llm import CompletionEnv, FakeLLM, shared_completion_env
from knowledge import parsed_dataset

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id


@pytest.fixture(scope="module")
def env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> CompletionEnv:
    return shared_completion_env(stack, Path(tmp_path_factory.mktemp("ragflow027")))


@pytest.fixture(scope="module")
def fake(env: CompletionEnv) -> FakeLLM:
    return env.fake


def _client(env: CompletionEnv, key: str) -> httpx.Client:
    return httpx.Client(base_url=env.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)


@pytest.fixture(scope="module")
def v022(env: CompletionEnv, make_key: Callable[[str], str]) -> Iterator[httpx.Client]:
    """A key of the default dialect, ragflow-0.22."""
    with _client(env, make_key("v022-" + new_id())) as http:
        yield http


@pytest.fixture(scope="module")
def v027(env: CompletionEnv, make_key027: Callable[[str], str]) -> Iterator[httpx.Client]:
    with _client(env, make_key027("v027-" + new_id())) as http:
        yield http


@pytest.fixture(scope="module")
def intruder(env: CompletionEnv, make_key027: Callable[[str], str]) -> Iterator[httpx.Client]:
    """Another tenant."""
    with _client(env, make_key027("intruder-" + new_id())) as http:
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
    return str(body["message"])


def new_chat(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    chat: dict[str, Any] = ok(http.post("/chats", json={"name": "c-" + new_id()[:12], **fields}))
    return chat


def sse_events(raw: bytes) -> list[Any]:
    return [json.loads(block[6:]) for block in raw.decode().split("\n\n") if block.startswith("data: {")]


# ---- dialects ------------------------------------------------------------------------------


def test_chat_list_payload_follows_the_key(v022: httpx.Client, v027: httpx.Client) -> None:
    old, new = new_chat(v022), new_chat(v027)
    listed_old = v022.get("/chats")
    assert [c["id"] for c in ok(listed_old)] == [old["id"]] and listed_old.headers["X-Total-Count"] == "1"
    listed_new = v027.get("/chats")
    assert ok(listed_new) == {"chats": [ok(v027.get(f"/chats/{new['id']}"))], "total": 1}
    assert listed_new.headers["X-Total-Count"] == "1"
    # A filter that matches nothing: RAGFlow v0.22.1's error, v0.27's empty list.
    error(v022.get("/chats", params={"name": "nobody"}), 404, 105, "The chat doesn't exist")
    error(v022.get("/chats", params={"id": new["id"]}), 404, 105, "The chat doesn't exist")  # another tenant's
    assert ok(v027.get("/chats", params={"name": "nobody"})) == {"chats": [], "total": 0}


def test_bulk_delete_without_ids_follows_the_key(v022: httpx.Client, v027: httpx.Client) -> None:
    for http in (v022, v027):
        chat = new_chat(http)
        ok(http.post(f"/chats/{chat['id']}/sessions", json={}))
    required = '`ids` is required; send "delete_all": true to delete every chat'
    error(v022.request("DELETE", "/chats", json={}), 400, 102, required)
    error(v022.request("DELETE", "/chats", json={"ids": []}), 400, 102, required)
    chats_before = ok(v027.get("/chats"))["total"]
    assert ok(v027.request("DELETE", "/chats", json={})) == {}
    assert ok(v027.request("DELETE", "/chats", json={"ids": None, "delete_all": False})) == {}
    assert ok(v027.get("/chats"))["total"] == chats_before  # nothing deleted
    chat = ok(v027.get("/chats"))["chats"][0]
    sessions = f"/chats/{chat['id']}/sessions"
    count = len(ok(v027.get(sessions)))
    assert ok(v027.request("DELETE", sessions, json={"ids": []})) == {} and len(ok(v027.get(sessions))) == count
    old_chat = ok(v022.get("/chats"))[0]
    error(v022.request("DELETE", f"/chats/{old_chat['id']}/sessions", json={}), 400, 102)


def test_error_words_follow_the_key(v022: httpx.Client, v027: httpx.Client) -> None:
    missing = new_id()
    error(v022.request("DELETE", "/chats", json={"ids": [missing]}), 404, 105, f"Assistant({missing}) not found.")
    error(v027.request("DELETE", "/chats", json={"ids": [missing]}), 404, 105, f"Chat({missing}) not found.")
    for http, noun in ((v022, "assistant"), (v027, "chat")):
        chat = new_chat(http)
        report = ok(http.request("DELETE", "/chats", json={"ids": [chat["id"], chat["id"], missing]}))
        gone = "Assistant" if noun == "assistant" else "Chat"
        assert report == {
            "success_count": 1,
            "errors": [f"{gone}({missing}) not found.", f"Duplicate {noun} ids: {chat['id']}"],
        }
    # Everything deleted: v0.27.0 answers the count for chats and `true` for sessions.
    chat = new_chat(v027)
    session = ok(v027.post(f"/chats/{chat['id']}/sessions", json={"name": "s"}))
    assert ok(v027.request("DELETE", f"/chats/{chat['id']}/sessions", json={"ids": [session["id"]]})) is True
    assert ok(v027.request("DELETE", "/chats", json={"ids": [chat["id"]]})) == {"success_count": 1}
    # Sessions: RAGFlow v0.22.1's words for an unknown chat or session of the chat.
    error(v022.post(f"/chats/{missing}/sessions", json={}), 404, 105, "You do not own the assistant.")
    error(v022.get(f"/chats/{missing}/sessions"), 404, 105, f"You don't own the assistant {missing}.")
    chat = new_chat(v022)
    error(
        v022.put(f"/chats/{chat['id']}/sessions/{missing}", json={"name": "x"}), 404, 105, "You do not own the session"
    )
    error(
        v027.patch(f"/chats/{new_chat(v027)['id']}/sessions/{missing}", json={"name": "x"}),
        404,
        105,
        "Session not found!",
    )
    # Validation words differ too (the SDKs raise them verbatim).
    taken = new_chat(v027)["name"]
    error(v027.post("/chats", json={"name": taken}), 400, 102, "duplicated chat name in creating chat")
    error(v022.post("/chats", json={"name": chat["name"]}), 400, 102, "Duplicated chat name in creating chat.")
    error(v027.patch(f"/chats/{new_chat(v027)['id']}", json={"name": taken}), 400, 102, "duplicated chat name")
    error(v027.post("/chats", json={}), 400, 102, "`name` is required")
    error(v022.post("/chats", json={}), 400, 102, "`name` is required.")
    error(v027.patch(f"/chats/{new_chat(v027)['id']}", json={"name": ""}), 400, 102, "`name` cannot be empty")
    session = ok(v022.post(f"/chats/{chat['id']}/sessions", json={}))
    report = ok(v022.request("DELETE", f"/chats/{chat['id']}/sessions", json={"ids": [session["id"], session["id"]]}))
    assert report == {"success_count": 1, "errors": [f"Duplicate session ids: {session['id']}"]}


def test_sessions_record_user_id(v022: httpx.Client, v027: httpx.Client) -> None:
    old = ok(v022.post(f"/chats/{new_chat(v022)['id']}/sessions", json={}))
    assert old["user_id"] == ""
    chat = new_chat(v027)
    new = ok(v027.post(f"/chats/{chat['id']}/sessions", json={}))
    assert new["user_id"] == chat["tenant_id"]  # the caller, as RAGFlow v0.27 records it
    assert ok(v027.post(f"/chats/{chat['id']}/sessions", json={"user_id": "u-7"}))["user_id"] == "u-7"


# ---- v0.27 chat fields and routes (every key) -----------------------------------------------


@pytest.mark.parametrize("dialect", ["v022", "v027"])
def test_v027_fields_and_patch_merge_key_by_key(dialect: str, request: pytest.FixtureRequest) -> None:
    http: httpx.Client = request.getfixturevalue(dialect)
    chat = new_chat(
        http,
        icon="data:image/png;base64,AAAA",
        llm_setting={"temperature": 0.8, "max_tokens": 300},
        prompt_config={"system": "Use {knowledge}.", "prologue": "Welcome!", "quote": False, "tts": False},
        similarity_threshold=0.25,
        vector_similarity_weight=0.4,
        top_n=4,
        top_k=512,
        rerank_id="",
    )
    assert chat["icon"] == chat["avatar"] == "data:image/png;base64,AAAA"
    assert chat["llm_id"] == chat["llm"]["model_name"] and chat["llm_id"]
    assert chat["llm_setting"] == {k: v for k, v in chat["llm"].items() if k != "model_name"}
    assert (chat["llm"]["temperature"], chat["llm"]["max_tokens"]) == (0.8, 300)
    config = chat["prompt_config"]
    assert (config["system"], config["prologue"], config["quote"], config["tts"]) == (
        "Use {knowledge}.",
        "Welcome!",
        False,
        False,
    )
    assert (chat["prompt"]["prompt"], chat["prompt"]["opener"], chat["prompt"]["show_quote"]) == (
        "Use {knowledge}.",
        "Welcome!",
        False,
    )
    assert (chat["similarity_threshold"], chat["top_n"], chat["top_k"], chat["rerank_id"]) == (0.25, 4, 512, "")
    assert (chat["prompt"]["similarity_threshold"], chat["prompt"]["top_n"], chat["prompt"]["top_k"]) == (0.25, 4, 512)
    assert chat["vector_similarity_weight"] == 0.4 and chat["prompt"]["keywords_similarity_weight"] == 0.6

    path = f"/chats/{chat['id']}"
    patched = ok(http.patch(path, json={"llm_setting": {"top_p": 0.5}, "prompt_config": {"prologue": "Hi again"}}))
    assert (patched["llm_setting"]["temperature"], patched["llm_setting"]["top_p"]) == (0.8, 0.5)
    assert patched["llm_setting"]["max_tokens"] == 300
    assert (patched["prompt_config"]["prologue"], patched["prompt_config"]["system"]) == (
        "Hi again",
        "Use {knowledge}.",
    )
    # The v0.22 names write the same settings, and read back under both.
    again = ok(http.patch(path, json={"llm": {"temperature": 0.2}, "prompt": {"top_n": 0, "opener": "Yo"}}))
    assert again["llm_setting"]["temperature"] == 0.2 and again["llm_setting"]["top_p"] == 0.5
    assert again["top_n"] == 0 and again["prompt_config"]["prologue"] == "Yo"  # top_n 0 accepted
    assert ok(http.get(path)) == again
    # New sessions open with the prologue; GET one session shows the chat's icon as avatar.
    session = ok(http.post(f"{path}/sessions", json={"name": "s"}))
    assert [(m["role"], m["content"]) for m in session["messages"]] == [("assistant", "Yo")]
    assert ok(http.get(f"{path}/sessions/{session['id']}"))["avatar"] == "data:image/png;base64,AAAA"
    renamed = ok(http.patch(f"{path}/sessions/{session['id']}", json={"name": "renamed"}))
    assert renamed["name"] == "renamed" and renamed["messages"] == session["messages"]


def test_v027_field_errors(v027: httpx.Client) -> None:
    name = "e-" + new_id()[:10]
    error(v027.post("/chats", json={"name": name, "llm_id": "gpt-nine"}), 400, 102, "`llm_id` gpt-nine doesn't exist")
    error(v027.post("/chats", json={"name": name, "llm_setting": "hot"}), 400, 102, "`llm_setting` should be an object")
    error(
        v027.post("/chats", json={"name": name, "prompt_config": {"quote": "yes"}}),
        400,
        102,
        "`prompt_config.quote` should be a boolean.",
    )
    error(
        v027.post("/chats", json={"name": name, "vector_similarity_weight": 3}),
        400,
        102,
        "`vector_similarity_weight` should be a number between 0 and 1.",
    )
    chat = new_chat(v027)
    error(v027.patch(f"/chats/{chat['id']}", json={"llm_id": "gpt-nine"}), 400, 102, "`llm_id` gpt-nine doesn't exist")
    empty = ok(v027.post("/datasets", json={"name": "empty-" + new_id()[:10]}))
    error(
        v027.patch(f"/chats/{chat['id']}", json={"dataset_ids": [empty["id"]]}),
        400,
        102,
        f"The dataset {empty['id']} doesn't own parsed file",
    )


def test_list_keywords_owner_ids_and_single_delete(v027: httpx.Client, intruder: httpx.Client) -> None:
    marker = new_id()[:8]
    wanted = new_chat(v027, name=f"Support {marker} EU")
    new_chat(v027, name=f"Sales {marker}")
    new_chat(intruder, name=f"support {marker}")
    found = ok(v027.get("/chats", params={"keywords": f"SUPPORT {marker}"}))
    assert [c["id"] for c in found["chats"]] == [wanted["id"]] and found["total"] == 1
    assert ok(v027.get("/chats", params={"keywords": marker}))["total"] == 2
    mine = wanted["tenant_id"]
    assert ok(v027.get("/chats", params={"keywords": marker, "owner_ids": [mine]}))["total"] == 2
    theirs = ok(intruder.get("/chats"))["chats"][0]["tenant_id"]
    assert ok(v027.get("/chats", params={"owner_ids": [theirs]})) == {"chats": [], "total": 0}
    assert ok(v027.request("DELETE", f"/chats/{wanted['id']}")) is True
    older = new_chat(v027)
    assert ok(v027.request("DELETE", "/chats", json={"chat_id": older["id"]})) is True  # v0.27's older form
    error(v027.get(f"/chats/{older['id']}"), 404, 105)
    error(v027.get(f"/chats/{wanted['id']}"), 404, 105)
    error(intruder.request("DELETE", f"/chats/{new_chat(v027)['id']}"), 404, 105)


# ---- completions ----------------------------------------------------------------------------


def test_three_completion_modes(v027: httpx.Client, fake: FakeLLM) -> None:
    # 1. No chat: the deployment's model, no datasets, nothing stored, session_id "".
    question = "direct " + new_id()
    answer = ok(v027.post("/chat/completions", json={"question": question, "stream": False}))
    assert answer["answer"] == f"Echo: {question}" and answer["session_id"] == "" and answer["chat_id"] == ""
    [sent] = fake.requests_mentioning(question)
    system = " ".join(m["content"] for m in sent["messages"] if m["role"] == "system")
    assert "knowledge" not in system.lower()  # no knowledge base, and no prompt that speaks of one
    with v027.stream("POST", "/chat/completions", json={"question": question + " s"}) as response:
        events = sse_events(response.read())
    assert all(e["data"]["session_id"] == "" and e["data"]["chat_id"] == "" for e in events[:-1])
    assert events[-1] == {"code": 0, "message": "", "data": True}
    error(v027.post("/chat/completions", json={"question": "q", "session_id": new_id()}), 400, 102)

    # 2. chat_id alone: a new session, answered.
    chat = new_chat(v027, prompt_config={"prologue": "Hello!"})
    question = "first " + new_id()
    first = ok(v027.post("/chat/completions", json={"chat_id": chat["id"], "question": question, "stream": False}))
    assert first["answer"] == f"Echo: {question}" and first["chat_id"] == chat["id"] and first["session_id"]
    session = ok(v027.get(f"/chats/{chat['id']}/sessions/{first['session_id']}"))
    assert [(m["role"], m["content"]) for m in session["messages"]] == [
        ("assistant", "Hello!"),
        ("user", question),
        ("assistant", f"Echo: {question}"),
    ]

    # 3. chat_id + session_id (or its alias conversation_id): the conversation goes on.
    follow = "then " + new_id()
    body = {"chat_id": chat["id"], "conversation_id": first["session_id"], "question": follow}
    with v027.stream("POST", "/chat/completions", json=body) as response:
        events = sse_events(response.read())
    assert all(
        e["data"]["chat_id"] == chat["id"] and e["data"]["session_id"] == first["session_id"] for e in events[:-1]
    )
    assert all(e["data"]["audio_binary"] is None for e in events[:-1])
    session = ok(v027.get(f"/chats/{chat['id']}/sessions/{first['session_id']}"))
    assert [m["content"] for m in session["messages"]][-2:] == [follow, f"Echo: {follow}"]
    # The question saw the history of its session.
    [sent] = fake.requests_mentioning(follow)
    assert any(m["content"] == question for m in sent["messages"])
    # The native route carries chat_id too.
    native = ok(v027.post(f"/chats/{chat['id']}/completions", json={"question": "n " + new_id(), "stream": False}))
    assert native["audio_binary"] is None  # RAGFlow's text-to-speech slot, always there
    assert native["chat_id"] == chat["id"]


def test_per_request_generation_settings(v022: httpx.Client, fake: FakeLLM) -> None:
    chat = new_chat(v022, llm={"temperature": 0.9, "max_tokens": 200})
    question = "tuned " + new_id()
    overrides = {"temperature": 0.1, "top_p": 0.2, "frequency_penalty": 0.3, "presence_penalty": 0.4, "max_tokens": 42}
    ok(v022.post(f"/chats/{chat['id']}/completions", json={"question": question, "stream": False, **overrides}))
    [sent] = fake.requests_mentioning(question)
    assert {key: sent[key] for key in overrides} == overrides
    plain = "plain " + new_id()
    ok(v022.post(f"/chats/{chat['id']}/completions", json={"question": plain, "stream": False}))
    [sent] = fake.requests_mentioning(plain)
    assert (sent["temperature"], sent["max_tokens"]) == (0.9, 200)  # for that answer only
    assert ok(v022.get(f"/chats/{chat['id']}"))["llm"]["temperature"] == 0.9
    model = chat["llm"]["model_name"]
    ok(
        v022.post(
            f"/chats/{chat['id']}/completions", json={"question": "m " + new_id(), "stream": False, "llm_id": model}
        )
    )
    error(
        v022.post(f"/chats/{chat['id']}/completions", json={"question": "q", "llm_id": "gpt-nine"}),
        400,
        102,
        "Cannot use specified model gpt-nine.",
    )
    error(
        v022.post(f"/chats/{chat['id']}/completions", json={"question": "q", "temperature": "warm"}),
        400,
        102,
        "`temperature` should be a number between 0 and 2.",
    )


def test_a_chat_over_a_parsed_dataset_is_accepted(v027: httpx.Client) -> None:
    dataset = parsed_dataset(v027)
    chat = new_chat(v027, dataset_ids=[dataset["id"]])
    assert chat["dataset_ids"] == [dataset["id"]] and chat["kb_names"] == [dataset["name"]]


def test_empty_parameters_over_datasets_get_the_knowledge_one(v027: httpx.Client) -> None:
    """As RAGFlow v0.27 saves it: a chat over datasets whose system prompt uses {knowledge} and
    whose prompt_config.parameters is empty gets the knowledge parameter; without datasets, or
    under the v0.22 names, the empty list is kept."""
    dataset = parsed_dataset(v027)
    over = new_chat(v027, dataset_ids=[dataset["id"]], prompt_config={"parameters": []})
    assert over["prompt_config"]["parameters"] == [{"key": "knowledge", "optional": False}]
    assert over["prompt"]["variables"] == [{"key": "knowledge", "optional": False}]
    custom = new_chat(v027, dataset_ids=[dataset["id"]], prompt_config={"system": "Be brief.", "parameters": []})
    assert custom["prompt_config"]["parameters"] == []
    assert new_chat(v027, dataset_ids=[], prompt_config={"parameters": []})["prompt_config"]["parameters"] == []
    v022_names = new_chat(v027, dataset_ids=[dataset["id"]], prompt={"variables": []})
    assert v022_names["prompt_config"]["parameters"] == []


def test_a_tenant_id_in_a_chat_body_is_refused(v027: httpx.Client, v022: httpx.Client) -> None:
    name = "t-" + new_id()[:10]
    body = {"name": name, "tenant_id": "someone-else"}
    error(v027.post("/chats", json=body), 400, 102, "`tenant_id` must not be provided")
    error(v022.post("/chats", json=body), 400, 102, "`tenant_id` must not be provided.")
    chat = new_chat(v027)
    error(v027.put(f"/chats/{chat['id']}", json=body), 400, 102, "`tenant_id` must not be provided")
    error(v027.patch(f"/chats/{chat['id']}", json=body), 400, 102, "`tenant_id` must not be provided")
    assert ok(v027.get(f"/chats/{chat['id']}"))["name"] == chat["name"]
    assert ok(v027.get("/chats", params={"name": name}))["chats"] == []


# ---- messages -------------------------------------------------------------------------------


def test_message_delete_and_feedback_with_tenant_isolation(v027: httpx.Client, intruder: httpx.Client) -> None:
    chat = new_chat(v027, prompt_config={"prologue": ""})
    first = ok(v027.post(f"/chats/{chat['id']}/completions", json={"question": "one " + new_id(), "stream": False}))
    sid = first["session_id"]
    second = ok(
        v027.post(
            f"/chats/{chat['id']}/completions",
            json={"question": "two " + new_id(), "session_id": sid, "stream": False},
        )
    )
    base = f"/chats/{chat['id']}/sessions/{sid}"
    messages = ok(v027.get(base))["messages"]
    assert [m["id"] for m in messages] == [first["id"], first["id"], second["id"], second["id"]]

    # Another tenant can neither rate nor delete, and learns nothing.
    error(intruder.put(f"{base}/messages/{first['id']}/feedback", json={"thumbup": False}), 404, 105)
    error(intruder.request("DELETE", f"{base}/messages/{first['id']}"), 404, 105)
    assert ok(v027.get(base))["messages"] == messages

    rated = ok(v027.put(f"{base}/messages/{second['id']}/feedback", json={"thumbup": False, "feedback": "Too vague"}))
    answer = rated["messages"][3]
    assert (answer["thumbup"], answer["feedback"]) == (False, "Too vague") and "thumbup" not in rated["messages"][2]
    assert ok(v027.get(base))["messages"][3]["feedback"] == "Too vague"
    up = ok(v027.put(f"{base}/messages/{second['id']}/feedback", json={"thumbup": True}))
    assert up["messages"][3]["thumbup"] is True and "feedback" not in up["messages"][3]
    error(v027.put(f"{base}/messages/{second['id']}/feedback", json={"thumbup": "yes"}), 400, 102)
    # An id the session does not have changes nothing and answers the session (RAGFlow v0.27).
    assert ok(v027.put(f"{base}/messages/{new_id()}/feedback", json={"thumbup": False}))["messages"] == up["messages"]

    after = ok(v027.request("DELETE", f"{base}/messages/{first['id']}"))
    assert [m["id"] for m in after["messages"]] == [second["id"], second["id"]]
    assert ok(v027.get(base))["messages"] == after["messages"]
    assert ok(v027.request("DELETE", f"{base}/messages/{first['id']}"))["messages"] == after["messages"]
    error(v027.request("DELETE", f"/chats/{chat['id']}/sessions/{new_id()}/messages/{second['id']}"), 404, 105)


def test_completion_from_messages(v027: httpx.Client, fake: FakeLLM) -> None:
    """RAGFlow v0.27 also takes the conversation as ``messages``: the last user message is asked."""
    question = "from messages " + new_id()
    earlier = "earlier " + new_id()
    messages = [
        {"role": "system", "content": "ignored"},
        {"role": "assistant", "content": "a greeting before any question is dropped"},
        {"role": "user", "content": earlier},
        {"role": "assistant", "content": "an earlier answer"},
        {"role": "user", "content": question},
    ]
    answer = ok(v027.post("/chat/completions", json={"messages": messages, "stream": False}))
    assert answer["answer"] == f"Echo: {question}" and answer["session_id"] == ""
    [sent] = fake.requests_mentioning(question)
    assert [(m["role"], m["content"]) for m in sent["messages"] if m["role"] != "system"] == [
        ("user", earlier),
        ("assistant", "an earlier answer"),
        ("user", question),
    ]
    # With a chat, its session holds the history: only the question is taken from the messages.
    chat = new_chat(v027, prompt_config={"prologue": ""})
    stored = ok(v027.post("/chat/completions", json={"chat_id": chat["id"], "messages": messages, "stream": False}))
    session = ok(v027.get(f"/chats/{chat['id']}/sessions/{stored['session_id']}"))
    assert [m["content"] for m in session["messages"]] == [question, f"Echo: {question}"]
    error(v027.post("/chat/completions", json={"messages": [{"role": "assistant", "content": "x"}]}), 400, 102)
    error(v027.post("/chat/completions", json={}), 400, 102, "`question` is required.")


def test_completion_passing_all_history_and_storing_nothing(v027: httpx.Client, fake: FakeLLM) -> None:
    """v0.27's `pass_all_history_messages` answers from the messages sent instead of the session's;
    `store_history_messages: false` (which needs it) stores neither the question nor the answer."""
    chat = new_chat(v027, prompt_config={"prologue": ""})
    first = ok(
        v027.post("/chat/completions", json={"chat_id": chat["id"], "question": "stored " + new_id(), "stream": False})
    )
    sid = first["session_id"]
    stored_before = ok(v027.get(f"/chats/{chat['id']}/sessions/{sid}"))["messages"]
    question, earlier = "passed " + new_id(), "sent earlier " + new_id()
    messages = [
        {"role": "user", "content": earlier},
        {"role": "assistant", "content": "sent answer"},
        {"role": "user", "content": question},
    ]
    passed = ok(
        v027.post(
            "/chat/completions",
            json={
                "chat_id": chat["id"],
                "session_id": sid,
                "messages": messages,
                "pass_all_history": True,
                "stream": False,
            },
        )
    )
    assert passed["answer"] == f"Echo: {question}" and passed["session_id"] == sid
    [sent] = fake.requests_mentioning(question)
    turns = [(m["role"], m["content"]) for m in sent["messages"] if m["role"] != "system"]
    assert turns == [("user", earlier), ("assistant", "sent answer"), ("user", question)]  # not the stored ones
    after = ok(v027.get(f"/chats/{chat['id']}/sessions/{sid}"))["messages"]
    assert [m["content"] for m in after] == [m["content"] for m in stored_before] + [question, f"Echo: {question}"]

    unstored = "unstored " + new_id()
    sessions_before = ok(v027.get(f"/chats/{chat['id']}/sessions"))
    for extra in ({"session_id": sid}, {}):
        body = {
            "chat_id": chat["id"],
            "messages": [{"role": "user", "content": unstored}],
            "pass_all_history_messages": "true",
            "store_history_messages": False,
            "stream": False,
            **extra,
        }
        answer = ok(v027.post("/chat/completions", json=body))
        assert answer["answer"] == f"Echo: {unstored}" and answer["chat_id"] == chat["id"]
        assert answer["session_id"] == extra.get("session_id", "")
        with v027.stream("POST", "/chat/completions", json={**body, "stream": True}) as response:
            events = sse_events(response.read())
        assert events[-1] == {"code": 0, "message": "", "data": True}
        assert all(e["data"]["session_id"] == extra.get("session_id", "") for e in events[:-1])
    assert ok(v027.get(f"/chats/{chat['id']}/sessions/{sid}"))["messages"] == after  # nothing stored
    assert ok(v027.get(f"/chats/{chat['id']}/sessions")) == sessions_before  # no session created

    refused = {"chat_id": chat["id"], "question": "q", "store_history_messages": False}
    error(
        v027.post("/chat/completions", json=refused),
        400,
        102,
        "`pass_all_history_messages` must be true when `store_history_messages` is false.",
    )
    unknown_session = {**refused, "pass_all_history": True, "session_id": new_id(), "stream": False}
    error(v027.post("/chat/completions", json=unknown_session), 404, 105)


def test_related_questions_and_refused_tools(v027: httpx.Client, fake: FakeLLM) -> None:
    topic = "solar panels " + new_id()
    fake.script(topic, answer="Here you go:\n1. How efficient are solar panels?\n2. What do they cost?\nThanks")
    for path in ("/chat/recommendation", "/sessions/related_questions", "/searchbots/related_questions"):
        assert ok(v027.post(path, json={"question": topic, "industry": "energy"})) == [
            "How efficient are solar panels?",
            "What do they cost?",
        ]
    [sent, _, _] = fake.requests_mentioning(topic)
    assert "related" in next(m["content"] for m in sent["messages"] if m["role"] == "system").lower()
    error(v027.post("/chat/recommendation", json={}), 400, 102, "`question` is required.")
    error(v027.post("/searchbots/related_questions", json={}), 400, 102, "`question` is required.")
    error(
        v027.post("/chat/audio/speech", json={"text": "hi"}), 400, 102, "This deployment has no text-to-speech model."
    )
    error(v027.post("/chat/mindmap", json={"question": "q", "kb_ids": []}), 400, 102)
