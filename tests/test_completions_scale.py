"""Several gateways and workers at once, and a worker that dies mid-answer."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_llm import FakeLLM, start_completion_group

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    with FakeLLM(delay_s=0.004) as server:
        yield server


def parse_stream(raw: str) -> list[dict[str, Any]]:
    events = []
    for block in raw.split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: ") and line != "data: [DONE]":
                events.append(json.loads(line[6:]))
    return events


async def ask(client: httpx.AsyncClient, url: str, chat_id: str, question: str) -> tuple[str, str, str]:
    async with client.stream(
        "POST", f"{url}/api/v1/chats/{chat_id}/completions", json={"question": question, "stream": True}
    ) as response:
        assert response.status_code == 200
        raw = (await response.aread()).decode()
    assert raw.endswith('data: {"code": 0, "message": "", "data": true}\n\ndata: [DONE]\n\n')
    events = parse_stream(raw)
    deltas = [e["data"] for e in events[:-2]]
    assert all(e["code"] == 0 for e in events)
    assert {d["id"] for d in deltas} | {events[-2]["data"]["id"]} == {deltas[0]["id"]}
    return "".join(d["answer"] for d in deltas), deltas[0]["session_id"], deltas[0]["id"]


def test_two_gateways_two_workers_50_concurrent_streams(
    stack: Stack, fake: FakeLLM, make_key: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    group = start_completion_group(stack, Path(tmp_path_factory.mktemp("scale")), fake, gateways=2, workers=2)
    try:
        key = make_key("scale-" + new_id())
        headers = {"Authorization": f"Bearer {key}"}
        chat = httpx.post(
            f"{group.gateway_urls[0]}/api/v1/chats", json={"name": "scale-" + new_id()[:10]}, headers=headers
        ).json()["data"]
        questions = [f"question {i} token{new_id()} over and out" for i in range(50)]

        async def run_all() -> list[tuple[str, str, str]]:
            limits = httpx.Limits(max_connections=100)
            async with httpx.AsyncClient(headers=headers, timeout=120, limits=limits) as client:
                return await asyncio.gather(
                    *(ask(client, group.gateway_urls[i % 2], chat["id"], q) for i, q in enumerate(questions))
                )

        results = asyncio.run(run_all())
        for question, (answer, _, _) in zip(questions, results, strict=True):
            assert answer == f"Echo: {question}"  # exactly its own tokens, no cross-talk
        assert len({sid for _, sid, _ in results}) == 50

        with httpx.Client(base_url=group.gateway_urls[1] + "/api/v1", headers=headers, timeout=30) as api:
            for question, (answer, session_id, message_id) in zip(questions, results, strict=True):
                messages = api.get(f"/chats/{chat['id']}/sessions/{session_id}").json()["data"]["messages"]
                answers = [m for m in messages if m["role"] == "assistant" and m["id"] == message_id]
                assert len(answers) == 1 and answers[0]["content"] == answer  # stored once
                assert [m["content"] for m in messages if m["role"] == "user"] == [question]
    finally:
        group.stop()


def test_a_worker_killed_mid_answer_is_replaced_with_a_reset_and_the_answer_is_stored_once(
    stack: Stack, fake: FakeLLM, make_key: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    group = start_completion_group(stack, Path(tmp_path_factory.mktemp("redeliver")), fake, gateways=1, workers=1)
    try:
        key = make_key("redeliver-" + new_id())
        headers = {"Authorization": f"Bearer {key}"}
        api = httpx.Client(base_url=group.gateway_url + "/api/v1", headers=headers, timeout=60)
        chat = api.post("/chats", json={"name": "redeliver-" + new_id()[:10]}).json()["data"]
        question = "long story " + new_id()
        words = " ".join(f"word{i}" for i in range(60))
        fake.script(question, answer=words, delay_s=0.05)
        worker = group.find("inference-worker")[0]
        seen: list[dict[str, Any]] = []
        with api.stream("POST", f"/chats/{chat['id']}/completions", json={"question": question}) as response:
            lines = response.iter_lines()
            for line in lines:
                if line.startswith("data: {"):
                    seen.append(json.loads(line[6:]))
                if len(seen) == 3:
                    break
            group.kill(worker, signal.SIGKILL)
            group.restart(worker)
            for line in lines:
                if line.startswith("data: {"):
                    seen.append(json.loads(line[6:]))
        datas = [e["data"] for e in seen if isinstance(e["data"], dict)]
        reset_at = next(i for i, d in enumerate(datas) if d.get("reset"))
        after = "".join(d["answer"] for d in datas[reset_at:] if not d.get("final"))
        assert after == words
        assert datas[-1]["final"] is True
        session_id = datas[0]["session_id"]
        deadline = time.monotonic() + 10
        messages = api.get(f"/chats/{chat['id']}/sessions/{session_id}").json()["data"]["messages"]
        while messages[-1]["role"] != "assistant" and time.monotonic() < deadline:
            time.sleep(0.2)
            messages = api.get(f"/chats/{chat['id']}/sessions/{session_id}").json()["data"]["messages"]
        assert [m["content"] for m in messages if m["role"] == "assistant"][1:] == [words]  # after the opener
    finally:
        group.stop()


def test_sigterm_lets_the_worker_finish_its_answer_then_exit(
    stack: Stack, fake: FakeLLM, make_key: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    group = start_completion_group(stack, Path(tmp_path_factory.mktemp("sigterm")), fake, gateways=1, workers=1)
    try:
        headers = {"Authorization": f"Bearer {make_key('sigterm-' + new_id())}"}
        api = httpx.Client(base_url=group.gateway_url + "/api/v1", headers=headers, timeout=60)
        chat = api.post("/chats", json={"name": "sigterm-" + new_id()[:10]}).json()["data"]
        question = "graceful " + new_id()
        words = " ".join(f"w{i}" for i in range(40))
        fake.script(question, answer=words, delay_s=0.03)
        worker = group.find("inference-worker")[0]
        datas: list[dict[str, Any]] = []
        with api.stream("POST", f"/chats/{chat['id']}/completions", json={"question": question}) as response:
            lines = response.iter_lines()
            for line in lines:
                if line.startswith("data: {"):
                    datas.append(json.loads(line[6:])["data"])
                    break
            worker.popen.send_signal(signal.SIGTERM)  # the worker's own process; it stops consuming
            for line in lines:
                if line.startswith("data: {"):
                    datas.append(json.loads(line[6:])["data"])
        assert worker.popen.wait(timeout=30) == 0
        answers = [d for d in datas if isinstance(d, dict)]
        assert not any(d.get("reset") for d in answers)
        assert "".join(d["answer"] for d in answers if not d.get("final")) == words
        assert answers[-1]["final"] is True
    finally:
        group.stop()
