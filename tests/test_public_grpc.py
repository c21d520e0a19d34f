"""The public gRPC API (ragchat.api.v1, API.md §9.3) on real processes, through a client built
from server reflection only (tests/reflected_grpc.py: no project stubs, no .proto).

A gateway and a worker of their own (tests/fake_llm.py as the LLM) run on the session stack's
services; HTTP requests go to the same gateway, so limits and stream slots shared between the
two transports are checked on one key. Lease sets are read from Redis directly.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import redis
from fake_llm import FakeLLM, start_completion_group
from google.rpc import error_details_pb2
from reflected_grpc import ReflectedClient, StreamCall, status_details, trailer

from ragchat_cli.endpoints import DEFAULT_MONGO_DB
from ragchat_cli.keys import run_with_db
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_common.service_auth import SERVICE_TOKEN_METADATA
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.principal import KeyLimits
from ragchat_gateway.ratelimit.leases import lease_set_key

API = "ragchat.api.v1"
CHATS, SESSIONS, COMPLETIONS, KNOWLEDGE = (
    f"{API}.{s}" for s in ("ChatAssistants", "Sessions", "Completions", "Knowledge")
)
ANSWER = "Lumio lamps ship with a two year warranty, and the base unscrews for cleaning."
SLOW_QUESTION = "slow please"
SLOW_ANSWER = " ".join(f"w{i}" for i in range(60))  # 60 tokens, 30 ms apart: ~1.8 s per stream


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        server.script("", answer=ANSWER, delay_s=0.02)
        server.script(SLOW_QUESTION, answer=SLOW_ANSWER, delay_s=0.03)  # the newest script wins
        yield server


@pytest.fixture(scope="module")
def edge(stack: Stack, fake: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    group: Stack = start_completion_group(
        stack, tmp_path_factory.mktemp("public-grpc"), fake, env={"RAGCHAT_RATELIMIT_LEASE_TTL_S": "600"}
    )
    yield group
    group.stop()


@pytest.fixture(scope="module")
def client(edge: Stack) -> Iterator[ReflectedClient]:
    reflected = ReflectedClient(edge.grpc_address)
    yield reflected
    reflected.close()


@pytest.fixture
def lease_count(edge: Stack) -> Iterator[Callable[[str], int]]:
    with redis.Redis.from_url(edge.config.redis_url) as connection:
        yield lambda key_id: int(connection.zcard(lease_set_key(edge.config.namespace, key_id)))


def mint(stack: Stack, limits: KeyLimits | None = None, tenant: str | None = None, **options: Any) -> tuple[str, str]:
    """(key, key_id) of a new key, by default for a tenant of its own (options: scopes, expires_at)."""
    name = tenant or "grpc-" + new_id()[:10]
    minted = run_with_db(stack.mongo_url, DEFAULT_MONGO_DB, lambda db: domain.create_key(db, name, limits, **options))
    return minted.key, minted.key_id


def http(edge: Stack, key: str) -> httpx.Client:
    return httpx.Client(base_url=edge.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30)


def refused(call: Callable[[], Any]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        result = call()
        if isinstance(result, StreamCall):  # a stream fails when it is read
            list(result)
    return info.value


def wait_until(condition: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"not within {within_s} s: {what}"
        time.sleep(0.05)


# -- discovery ----------------------------------------------------------------------------------


def test_reflection_lists_the_public_services_and_health_answers_without_a_key(client: ReflectedClient) -> None:
    assert set(client.services()) >= {
        CHATS,
        SESSIONS,
        COMPLETIONS,
        KNOWLEDGE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    assert client.methods(CHATS) == ["Create", "Get", "List", "Update", "Delete"]
    assert client.methods(SESSIONS) == ["Create", "Get", "List", "Update", "Delete"]
    assert client.methods(COMPLETIONS) == ["Ask", "Resume", "Stop"]
    assert client.methods(KNOWLEDGE) == ["Retrieve"]
    for service in ("", CHATS, COMPLETIONS):
        assert client.call("grpc.health.v1.Health", "Check", {"service": service}) == {"status": "SERVING"}


# -- the main path ------------------------------------------------------------------------------


def test_a_chat_created_and_asked_over_grpc_streams_the_stored_answer(edge: Stack, client: ReflectedClient) -> None:
    key, _ = mint(edge)
    chat = client.call(
        CHATS,
        "Create",
        {"name": "grpc-" + new_id()[:8], "llm": {"temperature": 0.2}, "prompt": {"opener": "Hi!", "show_quote": False}},
        key=key,
    )
    assert len(chat["id"]) == 32 and chat["llm"]["temperature"] == 0.2 and chat["llm"]["max_tokens"] == 512
    assert chat["prompt"]["opener"] == "Hi!" and chat["prompt"]["show_quote"] is False
    assert client.call(CHATS, "Get", {"chat_id": chat["id"]}, key=key)["name"] == chat["name"]

    events = list(client.stream(COMPLETIONS, "Ask", {"chat_id": chat["id"], "question": "Warranty?"}, key=key))
    deltas = [e for e in events if "delta" in e]
    assert len(deltas) > 3, events  # streamed piece by piece, not in one message
    assert [list(e)[-1] for e in events[-1:]] == ["final"] and sum("final" in e for e in events) == 1
    streamed = "".join(e["delta"].get("text", "") for e in deltas)
    final = events[-1]
    assert streamed == ANSWER == final["final"]["answer"]
    assert int(final["final"]["usage"]["total_tokens"]) > 0
    seqs = [int(e.get("seq", 0)) for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert {e["message_id"] for e in events} == {final["message_id"]} and {e["chat_id"] for e in events} == {chat["id"]}

    # Stored: the session holds the question and this exact answer, over gRPC and over HTTP.
    session = client.call(SESSIONS, "Get", {"chat_id": chat["id"], "session_id": final["session_id"]}, key=key)
    assert [(m["role"], m["content"]) for m in session["messages"]][-2:] == [
        ("user", "Warranty?"),
        ("assistant", streamed),
    ]
    with http(edge, key) as api:
        stored = api.get(f"/chats/{chat['id']}/sessions/{final['session_id']}").json()["data"]
    assert stored["messages"][-1]["content"] == streamed

    # The session continues; CRUD of sessions and chats round-trips.
    more = list(
        client.stream(
            COMPLETIONS, "Ask", {"chat_id": chat["id"], "question": "More?", "session_id": final["session_id"]}, key=key
        )
    )
    assert more[-1]["session_id"] == final["session_id"]
    own = client.call(SESSIONS, "Create", {"chat_id": chat["id"], "name": "mine", "user_id": "u1"}, key=key)
    assert own["messages"][0]["content"] == "Hi!"
    renamed = client.call(SESSIONS, "Update", {"chat_id": chat["id"], "session_id": own["id"], "name": "x"}, key=key)
    assert renamed["name"] == "x" and renamed["user_id"] == "u1"
    listed = client.call(SESSIONS, "List", {"chat_id": chat["id"], "user_id": "u1"}, key=key)
    assert [s["id"] for s in listed["sessions"]] == [own["id"]] and listed["total"] == "1"
    deleted = client.call(SESSIONS, "Delete", {"chat_id": chat["id"], "ids": [own["id"]]}, key=key)
    assert deleted == {"success_count": 1}
    updated = client.call(CHATS, "Update", {"chat_id": chat["id"], "description": "d", "llm": {"top_p": 0.5}}, key=key)
    assert updated["description"] == "d" and updated["llm"]["top_p"] == 0.5 and updated["llm"]["temperature"] == 0.2
    listing = client.call(CHATS, "List", {"options": {"name": chat["name"]}}, key=key)
    assert [c["id"] for c in listing["chat_assistants"]] == [chat["id"]]
    assert client.call(CHATS, "Delete", {"ids": [chat["id"]]}, key=key) == {"success_count": 1}


def test_knowledge_retrieve_is_the_retrieval_query(edge: Stack, client: ReflectedClient) -> None:
    key, _ = mint(edge)
    with http(edge, key) as api:
        dataset = api.post("/datasets", json={"name": "kb-" + new_id()[:8]}).json()["data"]
        over_http = api.post("/retrieval", json={"question": "lamp", "dataset_ids": [dataset["id"]]}).json()
    reply = client.call(KNOWLEDGE, "Retrieve", {"question": "lamp", "dataset_ids": [dataset["id"]]}, key=key)
    assert over_http["code"] == 0 and over_http["data"]["total"] == 0 and reply.get("total", "0") == "0"
    error = refused(lambda: client.call(KNOWLEDGE, "Retrieve", {"question": "lamp"}, key=key))
    assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "`dataset_ids` is required.")


# -- the same rules as HTTP -----------------------------------------------------------------------


def test_unauthenticated_without_a_key_with_a_bad_key_and_with_a_revoked_key(
    stack: Stack, edge: Stack, client: ReflectedClient
) -> None:
    key, key_id = mint(edge)
    run_with_db(stack.mongo_url, DEFAULT_MONGO_DB, lambda db: domain.revoke_key(db, key_id))
    attempts: list[tuple[tuple[tuple[str, str], ...], str]] = [
        ((), "Authorization header is missing"),
        ((("authorization", "Basic abc"),), "malformed"),
        ((("authorization", "Bearer not-a-key"),), "Invalid API key"),
        ((("authorization", "Bearer ragchat-" + "A" * 43),), "unknown or revoked"),
        ((("authorization", f"Bearer {key}"),), "unknown or revoked"),
    ]
    for metadata, message in attempts:
        for call in (
            lambda metadata=metadata: client.call(CHATS, "List", {}, metadata=metadata),
            lambda metadata=metadata: client.call(
                SESSIONS, "Get", {"chat_id": "c", "session_id": "s"}, metadata=metadata
            ),
            lambda metadata=metadata: client.stream(
                COMPLETIONS, "Ask", {"chat_id": "c", "question": "q"}, metadata=metadata
            ),
            lambda metadata=metadata: client.call(KNOWLEDGE, "Retrieve", {"question": "q"}, metadata=metadata),
        ):
            error = refused(call)
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED, (metadata, error)
            assert message in error.details()


def test_an_expired_key_is_unauthenticated(edge: Stack, client: ReflectedClient) -> None:
    key, _ = mint(edge, expires_at=int(time.time() * 1000) + 1500)
    assert client.call(CHATS, "List", {}, key=key) == {}  # works until it expires
    time.sleep(1.6)
    error = refused(lambda: client.call(CHATS, "List", {}, key=key))
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, "API key has expired.")


def test_a_keys_scope_limits_its_rpcs_as_over_http(edge: Stack, client: ReflectedClient) -> None:
    tenant_name = "scoped-" + new_id()[:10]
    owner, _ = mint(edge, tenant=tenant_name)
    chat = client.call(CHATS, "Create", {"name": "scoped"}, key=owner)
    reader, _ = mint(edge, tenant=tenant_name, scopes=["read"])
    chatter, _ = mint(edge, tenant=tenant_name, scopes=["chat"])
    # read: reads only.
    assert client.call(CHATS, "Get", {"chat_id": chat["id"]}, key=reader)["id"] == chat["id"]
    for call in (
        lambda: client.call(CHATS, "Create", {"name": "x"}, key=reader),
        lambda: client.call(SESSIONS, "Create", {"chat_id": chat["id"]}, key=reader),
        lambda: client.stream(COMPLETIONS, "Ask", {"chat_id": chat["id"], "question": "q"}, key=reader),
    ):
        error = refused(call)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "needs the `" in error.details()
    # chat: sessions and completions too, but not chats or retrieval.
    session = client.call(SESSIONS, "Create", {"chat_id": chat["id"]}, key=chatter)
    events = list(client.stream(COMPLETIONS, "Ask", {"chat_id": chat["id"], "question": "Hi?"}, key=chatter))
    assert events[-1]["final"]["answer"] == ANSWER and session["chat_id"] == chat["id"]
    for call in (
        lambda: client.call(CHATS, "Update", {"chat_id": chat["id"], "name": "y"}, key=chatter),
        lambda: client.call(KNOWLEDGE, "Retrieve", {"question": "q", "dataset_ids": [new_id()]}, key=chatter),
    ):
        error = refused(call)
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED and "needs the `full` scope" in error.details()


def test_another_tenants_ids_are_not_found_for_every_rpc(edge: Stack, client: ReflectedClient) -> None:
    owner, _ = mint(edge)
    other, _ = mint(edge)
    chat = client.call(CHATS, "Create", {"name": "mine-" + new_id()[:8]}, key=owner)
    session = client.call(SESSIONS, "Create", {"chat_id": chat["id"]}, key=owner)
    own_chat = client.call(CHATS, "Create", {"name": "theirs-" + new_id()[:8]}, key=other)
    with http(edge, owner) as api:
        dataset = api.post("/datasets", json={"name": "kb-" + new_id()[:8]}).json()["data"]
    ids = {"chat_id": chat["id"], "session_id": session["id"]}
    asked = list(client.stream(COMPLETIONS, "Ask", {**ids, "question": "Mine?"}, key=owner))
    message = {**ids, "message_id": asked[-1]["message_id"]}
    calls: dict[str, Callable[[], Any]] = {
        "ChatAssistants.Get": lambda: client.call(CHATS, "Get", {"chat_id": chat["id"]}, key=other),
        "ChatAssistants.Update": lambda: client.call(CHATS, "Update", {"chat_id": chat["id"], "name": "n"}, key=other),
        "ChatAssistants.Delete": lambda: client.call(CHATS, "Delete", {"ids": [chat["id"]]}, key=other),
        "Sessions.Create": lambda: client.call(SESSIONS, "Create", {"chat_id": chat["id"]}, key=other),
        "Sessions.Get": lambda: client.call(SESSIONS, "Get", ids, key=other),
        "Sessions.Get (own chat)": lambda: client.call(SESSIONS, "Get", {**ids, "chat_id": own_chat["id"]}, key=other),
        "Sessions.List": lambda: client.call(SESSIONS, "List", {"chat_id": chat["id"]}, key=other),
        "Sessions.Update": lambda: client.call(SESSIONS, "Update", {**ids, "name": "n"}, key=other),
        "Sessions.Update (own chat)": lambda: client.call(
            SESSIONS, "Update", {**ids, "chat_id": own_chat["id"], "name": "n"}, key=other
        ),
        "Sessions.Delete": lambda: client.call(
            SESSIONS, "Delete", {"chat_id": chat["id"], "ids": [session["id"]]}, key=other
        ),
        "Sessions.Delete (own chat)": lambda: client.call(
            SESSIONS, "Delete", {"chat_id": own_chat["id"], "ids": [session["id"]]}, key=other
        ),
        "Completions.Ask": lambda: client.stream(
            COMPLETIONS, "Ask", {"chat_id": chat["id"], "question": "q"}, key=other
        ),
        "Completions.Ask (own chat)": lambda: client.stream(
            COMPLETIONS, "Ask", {"chat_id": own_chat["id"], "question": "q", "session_id": session["id"]}, key=other
        ),
        "Completions.Resume": lambda: client.stream(COMPLETIONS, "Resume", message, key=other),
        "Completions.Stop": lambda: client.call(COMPLETIONS, "Stop", message, key=other),
        "Knowledge.Retrieve": lambda: client.call(
            KNOWLEDGE, "Retrieve", {"question": "q", "dataset_ids": [dataset["id"]]}, key=other
        ),
    }
    for name, call in calls.items():
        error = refused(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND, (name, error.code(), error.details())
    # Listing shows nothing of the owner's, and nothing of the owner's was changed or deleted.
    assert chat["id"] not in [c["id"] for c in client.call(CHATS, "List", {}, key=other).get("chat_assistants", [])]
    assert client.call(CHATS, "Get", {"chat_id": chat["id"]}, key=owner)["name"] == chat["name"]
    kept = client.call(SESSIONS, "Get", ids, key=owner)
    assert kept["name"] == session["name"] and len(kept["messages"]) == len(session.get("messages", [])) + 2


def test_invalid_arguments_carry_the_http_messages_and_the_field(edge: Stack, client: ReflectedClient) -> None:
    key, _ = mint(edge)
    with http(edge, key) as api:
        cases = [
            (
                lambda: client.call(CHATS, "Create", {}, key=key),
                api.post("/chats", json={}),
                "name",
            ),
            (
                lambda: client.call(CHATS, "List", {"options": {"page_size": 5000}}, key=key),
                api.get("/chats", params={"page_size": 5000}),
                "page_size",
            ),
            (
                lambda: client.call(CHATS, "List", {"options": {"orderby": "size"}}, key=key),
                api.get("/chats", params={"orderby": "size"}),
                "orderby",
            ),
            (
                lambda: client.call(CHATS, "Delete", {}, key=key),
                api.request("DELETE", "/chats", json={}),
                "ids",
            ),
        ]
        chat = api.post("/chats", json={"name": "v-" + new_id()[:8]}).json()["data"]
        cases.append(
            (
                lambda: client.stream(COMPLETIONS, "Ask", {"chat_id": chat["id"], "question": "  "}, key=key),
                api.post(f"/chats/{chat['id']}/completions", json={"question": "  "}),
                "question",
            )
        )
    for call, over_http, field in cases:
        error = refused(call)
        assert over_http.status_code == 400 and over_http.json()["code"] == 102
        assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, over_http.json()["message"])
        [bad_request] = status_details(error)
        assert isinstance(bad_request, error_details_pb2.BadRequest)
        assert bad_request.field_violations[0].field == field


def test_rate_limit_is_one_budget_with_http_and_refusals_say_when_to_retry(
    edge: Stack, client: ReflectedClient
) -> None:
    # 1 request per minute sustained and a burst of 4: a full bucket admits 5, then one a minute.
    key, _ = mint(edge, KeyLimits(requests_per_minute=1, burst=4))
    with http(edge, key) as api:
        assert [api.get("/chats").status_code for _ in range(3)] == [200, 200, 200]
        client.call(CHATS, "List", {}, key=key)
        client.call(CHATS, "List", {}, key=key)
        error = refused(lambda: client.call(CHATS, "List", {}, key=key))
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "Rate limit exceeded for this API key" in error.details()
        retry_after = trailer(error, "retry-after")
        assert retry_after is not None and 1 <= int(retry_after) <= 60
        [retry_info] = status_details(error)
        assert isinstance(retry_info, error_details_pb2.RetryInfo)
        assert retry_info.retry_delay.seconds == int(retry_after)
        # The streams take the same token first.
        error = refused(lambda: client.stream(COMPLETIONS, "Ask", {"chat_id": "c", "question": "q"}, key=key))
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        # And HTTP is refused too: the gRPC calls spent the same bucket.
        over_http = api.get("/chats")
        assert over_http.status_code == 429 and int(over_http.headers["Retry-After"]) >= 1


def _first_event(stream: Any) -> tuple[Any, Iterator[dict[str, Any]]]:
    events = iter(stream)
    return next(events), events


def test_the_eleventh_concurrent_stream_of_a_key_is_refused_across_grpc_and_http(
    edge: Stack, client: ReflectedClient, lease_count: Callable[[str], int]
) -> None:
    key, key_id = mint(edge, KeyLimits(max_streams=10))
    with http(edge, key) as api:
        chat = api.post("/chats", json={"name": "s-" + new_id()[:8]}).json()["data"]
    ask = {"chat_id": chat["id"], "question": SLOW_QUESTION}
    streams = [client.stream(COMPLETIONS, "Ask", ask, key=key) for _ in range(6)]
    firsts = [_first_event(s) for s in streams]  # each one holds its slot now
    assert all("delta" in first for first, _ in firsts)
    sse = httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=60)
    url = f"{edge.gateway_url}/api/v1/chats/{chat['id']}/completions"
    http_streams = [sse.stream("POST", url, json={"question": SLOW_QUESTION}) for _ in range(4)]
    try:
        for response in (cm.__enter__() for cm in http_streams):
            assert response.status_code == 200
        assert lease_count(key_id) == 10

        error = refused(lambda: client.stream(COMPLETIONS, "Ask", ask, key=key))
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "Too many concurrent streams" in error.details() and trailer(error, "retry-after") == "1"
        over_http = sse.post(url, json={"question": SLOW_QUESTION})
        assert over_http.status_code == 429 and over_http.json()["code"] == 429
    finally:
        for cm in http_streams:
            cm.__exit__(None, None, None)
        sse.close()
        for stream in streams:
            stream.cancel()
    wait_until(lambda: lease_count(key_id) == 0, 10, "every slot released")
    # Slots back: a new stream of the key is answered to its end.
    events = list(client.stream(COMPLETIONS, "Ask", ask, key=key))
    assert events[-1]["final"]["answer"] == SLOW_ANSWER


def test_a_client_cancelling_or_timing_out_mid_stream_frees_its_slot(
    edge: Stack, client: ReflectedClient, lease_count: Callable[[str], int]
) -> None:
    key, key_id = mint(edge, KeyLimits(max_streams=1))
    with http(edge, key) as api:
        chat = api.post("/chats", json={"name": "c-" + new_id()[:8]}).json()["data"]
    ask = {"chat_id": chat["id"], "question": SLOW_QUESTION}

    stream = client.stream(COMPLETIONS, "Ask", ask, key=key)
    first, _ = _first_event(stream)
    assert "delta" in first and lease_count(key_id) == 1
    error = refused(lambda: client.stream(COMPLETIONS, "Ask", ask, key=key))  # the one slot is held
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    stream.cancel()
    wait_until(lambda: lease_count(key_id) == 0, 5, "the cancelled stream's slot released")

    # A deadline that passes mid-stream: DEADLINE_EXCEEDED for the caller, the slot comes back.
    started = time.monotonic()
    error = refused(lambda: client.stream(COMPLETIONS, "Ask", ask, key=key, timeout=0.8))
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED and time.monotonic() - started < 1.6
    wait_until(lambda: lease_count(key_id) == 0, 5, "the expired stream's slot released")
    events = list(client.stream(COMPLETIONS, "Ask", ask, key=key))
    assert events[-1]["final"]["answer"] == SLOW_ANSWER


def test_a_dropped_stream_resumes_after_its_last_event_and_an_answer_can_be_stopped(
    edge: Stack, client: ReflectedClient, lease_count: Callable[[str], int]
) -> None:
    key, key_id = mint(edge)
    other, _ = mint(edge)
    with http(edge, key) as api:
        chat = api.post("/chats", json={"name": "r-" + new_id()[:8]}).json()["data"]
    ask = {"chat_id": chat["id"], "question": SLOW_QUESTION}

    # Resume: three events received, the call dropped; the rest arrives once, from the next seq on.
    stream = client.stream(COMPLETIONS, "Ask", ask, key=key)
    events = iter(stream)
    received = [next(events) for _ in range(3)]
    stream.cancel()
    ids = {k: received[0][k] for k in ("chat_id", "session_id", "message_id")}
    last_seq = int(received[-1].get("seq", 0))
    rest = list(client.stream(COMPLETIONS, "Resume", {**ids, "after_seq": last_seq}, key=key))
    assert int(rest[0].get("seq", 0)) == last_seq + 1 and "final" in rest[-1]
    text = "".join(e["delta"].get("text", "") for e in received + rest if "delta" in e)
    assert text == SLOW_ANSWER == rest[-1]["final"]["answer"]
    again = list(client.stream(COMPLETIONS, "Resume", ids, key=key))  # from the start, finished
    assert "".join(e["delta"].get("text", "") for e in again if "delta" in e) == SLOW_ANSWER
    wait_until(lambda: lease_count(key_id) == 0, 5, "resumed streams' slots released")

    # Stop: the asker's stream ends with a final event saying so; the partial answer is stored.
    stream = client.stream(COMPLETIONS, "Ask", ask, key=key)
    events = iter(stream)
    first = next(events)
    ref = {k: first[k] for k in ("chat_id", "session_id", "message_id")}
    foreign = refused(lambda: client.call(COMPLETIONS, "Stop", ref, key=other))
    assert foreign.code() == grpc.StatusCode.NOT_FOUND
    assert client.call(COMPLETIONS, "Stop", ref, key=key) == {"stopped": True}
    tail = list(events)
    assert tail[-1]["final"]["stopped"] is True
    partial = first["delta"]["text"] + "".join(e["delta"].get("text", "") for e in tail if "delta" in e)
    assert SLOW_ANSWER.startswith(partial) and partial != SLOW_ANSWER
    assert client.call(COMPLETIONS, "Stop", ref, key=key) == {}  # stopped: false, it had finished
    session = client.call(SESSIONS, "Get", {"chat_id": ref["chat_id"], "session_id": ref["session_id"]}, key=key)
    assert session["messages"][-1]["stopped"] is True
    assert session["messages"][-1]["content"] == tail[-1]["final"]["answer"]

    # Another tenant's message, a seq that is not one: NOT_FOUND, INVALID_ARGUMENT.
    error = refused(lambda: client.stream(COMPLETIONS, "Resume", ids, key=other))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = refused(lambda: client.stream(COMPLETIONS, "Resume", {**ids, "after_seq": -2}, key=key))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


# -- internal services --------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["chat-service", "session-service", "retrieval-service"])
def test_an_internal_service_refuses_calls_without_the_service_token(stack: Stack, service: str) -> None:
    with grpc.insecure_channel(stack.addresses[service]) as channel:
        method = {
            "chat-service": "/ragchat.chat.v1.ChatService/GetChat",
            "session-service": "/ragchat.session.v1.SessionService/GetSession",
            "retrieval-service": "/ragchat.retrieval.v1.RetrievalService/GetDatasets",
        }[service]
        # Any method of the service: the token is checked before the request is even read.
        call = channel.unary_unary(method, request_serializer=lambda _: b"", response_deserializer=lambda b: b)
        for metadata in ((), ((SERVICE_TOKEN_METADATA, "wrong"),), (("authorization", "Bearer x"),)):
            with pytest.raises(grpc.RpcError) as info:
                call(b"", metadata=metadata, timeout=10)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED, (service, metadata)
            assert "service token" in info.value.details()
        # With the deployment's token the call is served (and answers by its own rules).
        try:
            call(b"", metadata=((SERVICE_TOKEN_METADATA, stack.config.service_token),), timeout=10)
        except grpc.RpcError as error:
            assert error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT), error
        # Health stays open for probes.
        check = channel.unary_unary("/grpc.health.v1.Health/Check", lambda _: b"", lambda b: b)
        assert check(b"", timeout=10) == b"\x08\x01"  # status: SERVING


# -- the client package -------------------------------------------------------------------------

CLIENT = Path(__file__).resolve().parents[1] / "client"


def test_the_client_readme_example_asks_and_prints_the_streamed_answer(edge: Stack) -> None:
    key, _ = mint(edge)
    readme = (CLIENT / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert '"127.0.0.1:9390"' in example and 'API_KEY = "ragchat-..."' in example
    example = example.replace('"127.0.0.1:9390"', repr(edge.grpc_address)).replace('"ragchat-..."', repr(key))
    # Run alone in a fresh interpreter: it works, and it imports no server module.
    check = (
        "\nimport sys\n"
        "server = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('ragchat', 'ragchat_common', 'ragchat_gateway', 'ragchat_cli'))\n"
        "assert not server, server\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", example + check],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    printed, summary = done.stdout.rsplit("\n", 1)[0].rsplit("\n", 1)
    assert printed == ANSWER
    assert re.fullmatch(r"\(\d+ tokens, session \w{32}\)", summary)


def test_the_client_package_builds_alone_with_the_stubs_and_no_server_dependency(tmp_path: Path) -> None:
    project = tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]
    assert sorted(re.split(r"[<>=!~ ]", d)[0] for d in project["dependencies"]) == ["grpcio", "protobuf"]
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(CLIENT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("ragchat_client-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "ragchat_client/__init__.py",
        "ragchat_client/api/v1/api_pb2.py",
        "ragchat_client/api/v1/api_pb2.pyi",
        "ragchat_client/api/v1/api_pb2_grpc.py",
    } <= names
    assert not [n for n in names if n.startswith(("ragchat/", "ragchat_common/", "ragchat_gateway/"))]
