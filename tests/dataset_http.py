"""Plain HTTP helpers shared by the dataset/document/chunk tests (no fixtures here)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from ragchat_common.ids import new_id


def client(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def error(response: httpx.Response, status: int, code: int) -> str:
    body = response.json()
    assert (response.status_code, body["code"], body["data"]) == (status, code, None), body
    assert body["message"]
    return str(body["message"])


def unique(prefix: str = "kb") -> str:
    return f"{prefix}-{new_id()[:10]}"


def new_dataset(api: httpx.Client, **extra: Any) -> dict[str, Any]:
    dataset: dict[str, Any] = ok(api.post("/datasets", json={"name": unique(), **extra}))
    return dataset


def upload(api: httpx.Client, dataset_id: str, *files: tuple[str, bytes]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = ok(
        api.post(f"/datasets/{dataset_id}/documents", files=[("file", (n, d)) for n, d in files])
    )
    return docs


def parse_and_wait(api: httpx.Client, dataset_id: str, ids: list[str], timeout_s: float = 90) -> dict[str, dict]:
    ok(api.post(f"/datasets/{dataset_id}/chunks", json={"document_ids": ids}))
    deadline = time.monotonic() + timeout_s
    while True:
        docs = ok(api.get(f"/datasets/{dataset_id}/documents", params={"page_size": 100}))["docs"]
        state = {d["id"]: d for d in docs if d["id"] in ids}
        if all(d["run"] in ("DONE", "FAIL", "CANCEL") for d in state.values()):
            return state
        assert time.monotonic() < deadline, f"parsing did not finish: {state}"
        time.sleep(0.3)


def wait_done(api: httpx.Client, dataset_id: str, ids: list[str], timeout_s: float = 90) -> list[dict]:
    """The documents once their parse ended (DONE, FAIL or CANCEL)."""
    deadline = time.monotonic() + timeout_s
    while True:
        docs = ok(api.get(f"/datasets/{dataset_id}/documents", params={"ids": ids}))["docs"]
        if all(d["run"] in ("DONE", "FAIL", "CANCEL") for d in docs):
            return list(docs)
        assert time.monotonic() < deadline, docs
        time.sleep(0.3)
