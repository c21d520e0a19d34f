"""A bounded fuzz run of the gateway's edge (issue 11, point 4), on real processes.

schemathesis reads the running gateway's /openapi.json (the routes' real request models) and,
for every operation, sends valid and invalid requests with a valid key (hypothesis drives the
generation); hypothesis strategies of our own add the hostile bodies that once reached a 5xx
(deep nesting, NaN/Infinity, lone surrogates and NUL in keys, huge pages, wrong-typed OpenAI
content). Asserted: no 5xx, every error in the contract's envelope (OpenAI's body under the
OpenAI prefixes), no answer slower than 10 s, and the stack healthy afterwards. The figures are
printed. RAGCHAT_FUZZ_EXAMPLES (default 4) sets the examples per operation and mode,
RAGCHAT_FUZZ_HOSTILE_EXAMPLES (default 120) the hostile bodies.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fake_llm import CompletionEnv, shared_completion_env
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id

EXAMPLES = int(os.environ.get("RAGCHAT_FUZZ_EXAMPLES", "4"))
HOSTILE_EXAMPLES = int(os.environ.get("RAGCHAT_FUZZ_HOSTILE_EXAMPLES", "120"))
SLOW_S = 10.0
OPENAI_PREFIXES = ("/api/v1/openai/", "/api/v1/chats_openai/")
# Operations that need a running ingestion or answer slowly by design are still fuzzed; only
# these ops endpoints, whose bodies are not JSON envelopes, are read without the envelope check.
NOT_ENVELOPED = ("/openapi.json", "/metrics", "/healthz", "/readyz")


@dataclass
class Figures:
    sent: int = 0
    server_errors: int = 0
    envelope_violations: int = 0
    slow: int = 0
    waited_s: float = 0.0  # time spent waiting for answers (the rest is generating requests)
    by_status: dict[int, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def record(self, method: str, path: str, status: int | None, body: bytes, elapsed: float, sent: Any) -> None:
        self.sent += 1
        self.waited_s += elapsed
        if status is not None:
            self.by_status[status] = self.by_status.get(status, 0) + 1
        problem = None
        if status is None or elapsed > SLOW_S:
            self.slow += 1
            problem = f"no answer within {SLOW_S} s"
        elif status >= 500:
            self.server_errors += 1
            problem = f"{status}"
        elif status >= 400 and not path.startswith(NOT_ENVELOPED) and not _enveloped(path, body):
            self.envelope_violations += 1
            problem = f"{status} outside the envelope"
        if problem and len(self.examples) < 10:
            self.examples.append(f"{method} {path} → {problem}: sent {str(sent)[:200]!r}, got {body[:200]!r}")

    def line(self) -> str:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.by_status.items()))
        return (
            f"requests sent: {self.sent}, 5xx: {self.server_errors}, envelope violations: "
            f"{self.envelope_violations}, slower than {SLOW_S:g} s: {self.slow} (statuses {statuses}; "
            f"{self.waited_s:.0f} s waiting for answers)"
        )


def _enveloped(path: str, body: bytes) -> bool:
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    if path.startswith(OPENAI_PREFIXES):
        error = answer.get("error") if isinstance(answer, dict) else None
        return isinstance(error, dict) and isinstance(error.get("message"), str) and bool(error["message"])
    return (
        isinstance(answer, dict)
        and set(answer) == {"code", "message", "data"}
        and isinstance(answer["code"], int)
        and answer["code"] != 0
        and isinstance(answer["message"], str)
        and bool(answer["message"])
        and answer["data"] is None
    )


@pytest.fixture(scope="module")
def env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> CompletionEnv:
    return shared_completion_env(stack, Path(tmp_path_factory.mktemp("fuzz")))


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def real_objects(api: httpx.Client) -> dict[str, str]:
    """Objects the valid requests can reach (fuzzing ids alone would only ever find 404s)."""
    chat = ok(api.post("/chats", json={"name": "fuzz-" + new_id()}))
    session = ok(api.post(f"/chats/{chat['id']}/sessions", json={"name": "fuzz"}))
    dataset = ok(api.post("/datasets", json={"name": "fuzz-" + new_id()}))
    [document] = ok(
        api.post(f"/datasets/{dataset['id']}/documents", files=[("file", ("f.txt", b"fuzz text", "text/plain"))])
    )
    chunk = ok(api.post(f"/datasets/{dataset['id']}/documents/{document['id']}/chunks", json={"content": "fuzz"}))
    return {
        "chat_id": chat["id"],
        "session_id": session["id"],
        "dataset_id": dataset["id"],
        "document_id": document["id"],
        "chunk_id": chunk["chunk"]["id"],
        "message_id": new_id(),
    }


# ---- hostile bodies: hypothesis strategies of the causes issue 11 found ------------------------


def _nested(depth: int, leaf: bytes = b"1") -> bytes:
    return b'{"x": ' * depth + leaf + b"}" * depth


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=20)
)
hostile_text = st.sampled_from(["\\ud800", "\\udfff", "a\\u0000b", "\\u0000", "$where", "ok"])
hostile_number = st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"9" * 400])


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["nested", "number", "key", "value", "page", "openai_text", "wrong_type"]))
    section = draw(st.sampled_from(["llm", "prompt", "parser_config", "meta_fields", "variables"]))
    if kind == "nested":
        depth = draw(st.sampled_from([33, 99, 100, 999, 1_001, 50_000]))
        return b'{"name": "n", "question": "q", "' + section.encode() + b'": ' + _nested(depth) + b"}"
    if kind == "number":
        number = draw(hostile_number)
        return b'{"name": "n", "' + section.encode() + b'": {"temperature": ' + number + b'}, "top_k": ' + number + b"}"
    if kind in ("key", "value"):
        text = draw(hostile_text).encode()
        pair = b'"' + text + b'": 1' if kind == "key" else b'"k": "' + text + b'"'
        return b'{"name": "n", "question": "q", "' + section.encode() + b'": {' + pair + b"}}"
    if kind == "page":
        page = draw(st.sampled_from([2**31, 2**63, -1, 0, 10**40]))
        return json.dumps({"question": "q", "dataset_ids": ["d"], "page": page, "page_size": page}).encode()
    if kind == "openai_text":
        text = draw(json_scalars.filter(lambda v: not isinstance(v, str)) | st.lists(json_scalars, max_size=3))
        part = {"type": "text", "text": text}
        return json.dumps({"model": "m", "messages": [{"role": "user", "content": [part]}]}).encode()
    setting = draw(st.sampled_from(["temperature", "top_p", "max_tokens", "stream", "top_k", "top_n", "page"]))
    value = draw(st.sampled_from(["hot", [], {}, True, -1, 2**64]))
    return json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], setting: value}).encode()


def hostile_targets(ids: dict[str, str]) -> list[tuple[str, str]]:
    chat, dataset, document = ids["chat_id"], ids["dataset_id"], ids["document_id"]
    return [
        ("POST", "/api/v1/chats"),
        ("PUT", f"/api/v1/chats/{chat}"),
        ("POST", f"/api/v1/chats/{chat}/sessions"),
        ("POST", f"/api/v1/chats/{chat}/completions"),
        ("POST", "/api/v1/chat/completions"),
        ("POST", f"/api/v1/openai/{chat}/chat/completions"),
        ("POST", "/api/v1/datasets"),
        ("PUT", f"/api/v1/datasets/{dataset}"),
        ("PUT", f"/api/v1/datasets/{dataset}/documents/{document}"),
        ("POST", "/api/v1/retrieval"),
    ]


# ---- the run ------------------------------------------------------------------------------------


@pytest.mark.timeout(900)
def test_fuzz_the_edge(env: CompletionEnv, make_key: Callable[[str], str], capsys: pytest.CaptureFixture[str]) -> None:
    key = make_key("fuzz-" + new_id())
    auth = {"Authorization": f"Bearer {key}"}
    base = env.gateway_url
    with httpx.Client(base_url=base + "/api/v1", headers=auth, timeout=60) as api:
        ids = real_objects(api)
    document = httpx.get(base + "/openapi.json", timeout=30).json()
    assert document["paths"]["/api/v1/chats"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateChat"
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletes last, so the objects above live through the other operations.
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    figures = Figures()
    session = requests.Session()
    started = time.monotonic()
    run_settings = settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )

    spent: dict[str, float] = {}
    for operation in operations:
        operation_started = time.monotonic()
        names = {p.name for p in operation.path_parameters}
        known = {name: ids[name] for name in names if name in ids}
        has_input = bool(names or list(operation.query) or list(operation.body))
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if has_input else (GenerationMode.POSITIVE,)
        for mode in modes:
            # Valid requests reach real objects; invalid ones invent their ids too.
            strategy = operation.as_strategy(
                generation_mode=mode, path_parameters=known if mode is GenerationMode.POSITIVE else None
            )

            @run_settings
            @given(case=strategy)
            def send(case: Any) -> None:
                begun = time.monotonic()
                try:
                    response = case.call(base_url=base, session=session, headers=auth, timeout=SLOW_S + 5)
                    status, body = response.status_code, response.content
                except requests.RequestException as exc:
                    status, body = None, repr(exc).encode()
                figures.record(case.method, case.formatted_path, status, body, time.monotonic() - begun, case.body)

            try:
                send()
            except Unsatisfiable:  # nothing the schema allows to make invalid
                continue
        spent[f"{operation.method.upper()} {operation.path}"] = time.monotonic() - operation_started

    targets = hostile_targets(ids)

    @settings(run_settings, max_examples=HOSTILE_EXAMPLES)
    @given(target=st.sampled_from(targets), body=hostile_bodies())
    def send_hostile(target: tuple[str, str], body: bytes) -> None:
        method, path = target
        headers = {**auth, "Content-Type": "application/json"}
        begun = time.monotonic()
        try:
            response = session.request(method, base + path, data=body, headers=headers, timeout=SLOW_S + 5)
            status, answer = response.status_code, response.content
        except requests.RequestException as exc:
            status, answer = None, repr(exc).encode()
        figures.record(method, path, status, answer, time.monotonic() - begun, body)

    send_hostile()

    # The stack is healthy afterwards: ready, and an ordinary request works.
    assert httpx.get(base + "/readyz", timeout=10).status_code == 200
    with httpx.Client(base_url=base + "/api/v1", headers=auth, timeout=60) as api:
        chat = ok(api.post("/chats", json={"name": "after-fuzz-" + new_id()}))
        assert ok(api.get(f"/chats/{chat['id']}"))["id"] == chat["id"]
    with capsys.disabled():
        took = time.monotonic() - started
        print(f"\nfuzz ({EXAMPLES} examples per operation and mode, {took:.0f} s): {figures.line()}")
        slowest = sorted(spent.items(), key=lambda item: -item[1])[:5]
        print("fuzz, slowest operations: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest))
    assert (figures.server_errors, figures.envelope_violations, figures.slow) == (0, 0, 0), "\n".join(figures.examples)
