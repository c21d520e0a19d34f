"""A dataset with parsed documents, for tests of chats over datasets (RAGFlow refuses a chat over a
dataset without a parsed file: "The dataset X doesn't own parsed file")."""

from __future__ import annotations

import time
from typing import Any

import httpx

from ragchat_common.ids import new_id


def _ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def parsed_dataset(
    api: httpx.Client, text: str = "The Zephyr lamp has a warranty of two years.", timeout_s: float = 90
) -> dict[str, Any]:
    """A new dataset holding one parsed text document, as ``GET /datasets`` shows it then."""
    dataset = _ok(api.post("/datasets", json={"name": f"kb-{new_id()[:10]}"}))
    [document] = _ok(api.post(f"/datasets/{dataset['id']}/documents", files=[("file", ("facts.txt", text.encode()))]))
    _ok(api.post(f"/datasets/{dataset['id']}/chunks", json={"document_ids": [document["id"]]}))
    deadline = time.monotonic() + timeout_s
    while True:
        [current] = _ok(api.get(f"/datasets/{dataset['id']}/documents", params={"id": document["id"]}))["docs"]
        if current["run"] == "DONE":
            break
        assert current["run"] in ("UNSTART", "RUNNING") and time.monotonic() < deadline, current
        time.sleep(0.2)
    [listed] = _ok(api.get("/datasets", params={"id": dataset["id"]}))
    return dict(listed)
