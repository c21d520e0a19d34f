"""End to end with the real local model (SmolLM2-135M-Instruct via llama-cpp-python).

The session stack's worker runs the local default (no RAGCHAT_LLM_BASE_URL): this is the path
``make run`` uses. Answers are short (max_tokens) to keep the test quick on a small CPU.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id


def test_local_model_answers_streams_and_stores(stack: Stack, make_key: Callable[[str], str]) -> None:
    key = make_key("local-llm-" + new_id())
    with httpx.Client(
        base_url=stack.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=120
    ) as api:
        chat = api.post(
            "/chats",
            json={
                "name": "local-" + new_id()[:10],
                "llm": {"max_tokens": 12, "temperature": 0.1},
                "prompt": {"prompt": "You are a helpful assistant. {knowledge}", "opener": ""},
            },
        ).json()["data"]
        assert chat["llm"]["model_name"] == "smollm2-135m-instruct"

        body = api.post(
            f"/chats/{chat['id']}/completions", json={"question": "What is the capital of France?", "stream": False}
        ).json()
        assert body["code"] == 0, body
        answer = body["data"]["answer"]
        assert answer.strip()
        session = api.get(f"/chats/{chat['id']}/sessions/{body['data']['session_id']}").json()["data"]
        assert [m["content"] for m in session["messages"]] == ["What is the capital of France?", answer]

        with api.stream(
            "POST", f"/chats/{chat['id']}/completions", json={"question": "Name a colour.", "stream": True}
        ) as response:
            raw = response.read().decode()
        events = [json.loads(line[6:]) for line in raw.split("\n") if line.startswith("data: {")]
        deltas = [e["data"] for e in events if isinstance(e["data"], dict) and not e["data"].get("final")]
        assert events[-1] == {"code": 0, "message": "", "data": True} and raw.endswith("data: [DONE]\n\n")
        streamed = "".join(d["answer"] for d in deltas)
        assert streamed.strip()
        session = api.get(f"/chats/{chat['id']}/sessions/{deltas[0]['session_id']}").json()["data"]
        assert session["messages"][-1]["content"] == streamed
