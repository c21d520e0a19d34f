"""The dataset, document and chunk routes RAGFlow v0.27.0 serves beyond API.md §7 (API.md §9.1)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from dataset_http import client, error, new_dataset, ok, unique, upload, wait_done

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits

LIMITS = KeyLimits(requests_per_minute=100_000, burst=10_000)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with client(stack.gateway_url, mint_key(stack.mongo_url, "v027-" + new_id(), LIMITS)) as http:
        yield http


@pytest.fixture(scope="module")
def other(stack: Stack) -> Iterator[httpx.Client]:
    with client(stack.gateway_url, mint_key(stack.mongo_url, "v027-other-" + new_id(), LIMITS)) as http:
        yield http


def test_get_one_dataset_and_its_summary(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api, description="one")
    assert ok(api.get(f"/datasets/{dataset['id']}")) == dataset
    error(other.get(f"/datasets/{dataset['id']}"), 404, 105)
    error(api.get(f"/datasets/{new_id()}"), 404, 105)
    docs = upload(api, dataset["id"], ("a.txt", b"Apples are red."), ("b.txt", b"Bananas are yellow."))
    ok(api.post(f"/datasets/{dataset['id']}/documents/parse", json={"document_ids": [docs[0]["id"]]}))
    wait_done(api, dataset["id"], [docs[0]["id"]])
    summary = ok(api.get(f"/datasets/{dataset['id']}/ingestions/summary"))
    assert summary["doc_num"] == 2 and summary["chunk_num"] == 1 and summary["token_num"] > 0
    assert summary["status"] == {
        "unstart_count": 1,
        "running_count": 0,
        "cancel_count": 0,
        "done_count": 1,
        "fail_count": 0,
    }
    error(other.get(f"/datasets/{dataset['id']}/ingestions/summary"), 404, 105)


def test_parse_and_stop_under_documents(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("c.txt", b"Cherries grow on trees."))
    base = f"/datasets/{dataset['id']}/documents"
    assert "document_ids" in error(api.post(f"{base}/parse", json={}), 400, 102)
    error(other.post(f"{base}/parse", json={"document_ids": [doc["id"]]}), 404, 105)
    assert ok(api.post(f"{base}/parse", json={"document_ids": [doc["id"]]})) == {"success_count": 1}
    (done,) = wait_done(api, dataset["id"], [doc["id"]])
    assert done["run"] == "DONE" and "Task done" in done["progress_msg"]
    # stopping a finished parse is refused, naming why
    assert "not being parsed" in error(api.post(f"{base}/stop", json={"document_ids": [doc["id"]]}), 400, 102)


def test_patch_document_and_download_by_id(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("d.txt", b"Dates are sweet."))
    renamed = ok(api.patch(f"/datasets/{dataset['id']}/documents/{doc['id']}", json={"name": "dates.txt"}))
    assert renamed["name"] == "dates.txt"
    downloaded = api.get(f"/documents/{doc['id']}")
    assert downloaded.status_code == 200 and downloaded.content == b"Dates are sweet."
    assert "attachment" in downloaded.headers["content-disposition"]
    error(other.get(f"/documents/{doc['id']}"), 404, 105)
    shown = api.get(f"/documents/{doc['id']}/preview")
    assert shown.status_code == 200 and shown.content == b"Dates are sweet."
    assert shown.headers["content-type"].startswith("text/plain") and "inline" in shown.headers["content-disposition"]
    error(other.get(f"/documents/{doc['id']}/preview"), 404, 105)
    legacy = api.get(f"/document/get/{doc['id']}")  # the older path v0.27 still serves
    assert legacy.status_code == 200 and legacy.content == b"Dates are sweet."
    error(other.get(f"/document/get/{doc['id']}"), 404, 105)


def test_one_chunk_patch_and_switch(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("e.txt", b"Elderberries."))
    base = f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks"
    chunk = ok(api.post(base, json={"content": "Eggplants are purple."}))["chunk"]
    assert ok(api.get(f"{base}/{chunk['id']}"))["content"] == "Eggplants are purple."
    error(other.get(f"{base}/{chunk['id']}"), 404, 105)
    error(api.get(f"{base}/{new_id()}"), 404, 105)
    patched = ok(api.patch(f"{base}/{chunk['id']}", json={"content": "Eggplants are berries.", "questions": ["?"]}))
    assert patched["content"] == "Eggplants are berries." and patched["questions"] == ["?"]
    ask = {"question": "are eggplants berries", "dataset_ids": [dataset["id"]]}
    assert [c["id"] for c in ok(api.post("/retrieval", json=ask))["chunks"]] == [chunk["id"]]
    assert ok(api.patch(base, json={"chunk_ids": [chunk["id"]], "available": False})) is True
    assert ok(api.get(f"{base}/{chunk['id']}"))["available"] is False
    assert ok(api.post("/retrieval", json=ask)) == {"chunks": [], "doc_aggs": [], "total": 0}  # switched off
    assert ok(api.patch(base, json={"chunk_ids": [chunk["id"]], "available_int": 1})) is True
    assert ok(api.get(f"{base}/{chunk['id']}"))["available"] is True
    assert [c["id"] for c in ok(api.post("/retrieval", json=ask))["chunks"]] == [chunk["id"]]
    assert "available" in error(api.patch(base, json={"chunk_ids": [chunk["id"]]}), 400, 102)
    assert "chunk_ids" in error(api.patch(base, json={"available": True}), 400, 102)


def test_auto_metadata_config(api: httpx.Client) -> None:
    fields = [{"name": "author", "type": "string", "description": "who wrote it"}]
    dataset = ok(api.post("/datasets", json={"name": unique(), "auto_metadata_config": {"fields": fields}}))
    url = f"/datasets/{dataset['id']}/metadata/config"
    # v0.27 keeps both in the parser_config; its /metadata/config route reads and writes them as
    # {"metadata": [...], "built_in_metadata": [...]}
    assert ok(api.get(url)) == {"metadata": fields, "built_in_metadata": []}
    wanted = {
        "metadata": [{"key": "author", "type": "string", "description": "who", "enum": None}],
        "built_in_metadata": [{"key": "year", "type": "number", "description": None, "enum": ["2024", "2025"]}],
    }
    assert ok(api.put(url, json=wanted)) == wanted
    assert ok(api.get(url)) == wanted
    assert ok(api.get(f"/datasets/{dataset['id']}"))["parser_config"]["chunk_token_num"] == 512  # merged in
    assert "type" in error(api.put(url, json={"metadata": [{"key": "a", "type": "colour"}]}), 400, 102)
    assert "key" in error(api.put(url, json={"metadata": [{"type": "string"}]}), 400, 102)
    # No body is refused and changes nothing; `{}` clears both lists, as v0.27.0 does.
    assert error(api.put(url), 400, 102) == "A JSON body is required."
    assert ok(api.get(url)) == wanted
    cleared = {"metadata": [], "built_in_metadata": []}
    assert ok(api.put(url, json={})) == cleared
    assert ok(api.get(url)) == cleared


def test_graph_raptor_and_tags_as_for_a_dataset_without_them(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    base = f"/datasets/{dataset['id']}"
    assert ok(api.get(f"{base}/knowledge_graph")) == {"graph": {}, "mind_map": {}}
    assert ok(api.get(f"{base}/graph")) == {"graph": {}, "mind_map": {}}
    assert ok(api.request("DELETE", f"{base}/knowledge_graph")) is True
    assert ok(api.get(f"{base}/trace_graphrag")) == {} and ok(api.get(f"{base}/trace_raptor")) == {}
    assert ok(api.get(f"{base}/tags")) == []
    assert ok(api.get("/datasets/tags/aggregation", params={"dataset_ids": dataset["id"]})) == []
    assert "dataset_ids" in error(api.get("/datasets/tags/aggregation"), 400, 102)
    error(other.get("/datasets/tags/aggregation", params={"dataset_ids": dataset["id"]}), 404, 105)
    assert ok(api.get(f"{base}/index")) == {} and ok(api.request("DELETE", f"{base}/index")) is True
    assert ok(api.get(f"{base}/index", params={"type": "graph"})) == {}
    assert error(api.get(f"{base}/index", params={"type": "invalid_type"}), 400, 102) == (
        "Invalid index type 'invalid_type'"
    )
    assert "not supported" in error(api.post(f"{base}/run_graphrag"), 400, 102)
    assert "not supported" in error(api.post(f"{base}/run_raptor"), 400, 102)
    error(other.get(f"{base}/knowledge_graph"), 404, 105)


def test_dataset_search_routes(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("f.txt", b"Foxes dig dens in sandy soil."))
    ok(api.post(f"/datasets/{dataset['id']}/documents/parse", json={"document_ids": [doc["id"]]}))
    wait_done(api, dataset["id"], [doc["id"]])
    one = ok(api.post(f"/datasets/{dataset['id']}/search", json={"question": "where do foxes dig", "size": 5}))
    assert one["chunks"][0]["document_id"] == doc["id"] and one["total"] >= 1 and one["labels"] == []
    many = ok(api.post("/datasets/search", json={"question": "foxes", "dataset_ids": [dataset["id"]]}))
    assert many["chunks"][0]["document_id"] == doc["id"]
    assert "question" in error(api.post(f"/datasets/{dataset['id']}/search", json={"question": " "}), 400, 102)
    assert "dataset_ids" in error(api.post("/datasets/search", json={"question": "foxes"}), 400, 102)
    error(other.post(f"/datasets/{dataset['id']}/search", json={"question": "foxes"}), 404, 105)


def test_documents_switched_off_and_on(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    first, second = upload(api, dataset["id"], ("g.txt", b"Giraffes sleep standing."), ("h.txt", b"Hippos sweat red."))
    ok(api.post(f"/datasets/{dataset['id']}/documents/parse", json={"document_ids": [first["id"], second["id"]]}))
    wait_done(api, dataset["id"], [first["id"], second["id"]])
    ask = {"question": "do giraffes sleep standing", "dataset_ids": [dataset["id"]], "similarity_threshold": 0.3}
    assert [c["document_id"] for c in ok(api.post("/retrieval", json=ask))["chunks"]] == [first["id"]]

    url = f"/datasets/{dataset['id']}/documents/{first['id']}"
    assert ok(api.patch(url, json={"enabled": 0}))["status"] == "0"
    assert ok(api.post("/retrieval", json=ask))["chunks"] == []
    # a chunk added to a disabled document is off too
    chunk = ok(api.post(f"{url}/chunks", json={"content": "Giraffes sleep standing up."}))["chunk"]
    assert chunk["available"] is False and ok(api.post("/retrieval", json=ask))["chunks"] == []
    assert "enabled" in error(api.patch(url, json={"enabled": 5}), 400, 102)

    batch = f"/datasets/{dataset['id']}/documents/batch-update-status"
    assert ok(api.post(batch, json={"doc_ids": [first["id"], second["id"]], "status": 1})) == {
        first["id"]: {"status": "1"},
        second["id"]: {"status": "1"},
    }
    assert first["id"] in {c["document_id"] for c in ok(api.post("/retrieval", json=ask))["chunks"]}
    missing = new_id()
    message = error(api.post(batch, json={"doc_ids": [second["id"], missing], "status": "0"}), 400, 102)
    assert message == f"Documents not found: ['{missing}']"
    assert ok(api.get(f"/datasets/{dataset['id']}/documents", params={"id": second["id"]}))["docs"][0]["status"] == "0"
    assert "status" in error(api.post(batch, json={"doc_ids": [first["id"]], "status": 2}), 400, 102)
    error(other.post(batch, json={"doc_ids": [first["id"]], "status": 1}), 404, 105)


def test_chunk_tags_round_trip(api: httpx.Client) -> None:
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("i.txt", b"Ibises."))
    base = f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks"
    chunk = ok(api.post(base, json={"content": "Ibises probe mud.", "tag_kwd": ["birds", "wetland"]}))["chunk"]
    assert chunk["tag_kwd"] == ["birds", "wetland"]
    assert ok(api.patch(f"{base}/{chunk['id']}", json={"tag_kwd": ["birds"]}))["tag_kwd"] == ["birds"]
    assert ok(api.get(f"{base}/{chunk['id']}"))["tag_kwd"] == ["birds"]
    # A blank tag is kept as sent (as important_keywords: [""] is), and one chunk read by its id
    # carries the stored chunk's own id fields too.
    blank = ok(api.post(base, json={"content": "Ibises roost.", "tag_kwd": [""]}))["chunk"]
    shown = ok(api.get(f"{base}/{blank['id']}"))
    assert shown["tag_kwd"] == [""] and (shown["doc_id"], shown["kb_id"]) == (doc["id"], dataset["id"])
    assert (shown["content_with_weight"], shown["important_kwd"], shown["available_int"]) == ("Ibises roost.", [], 1)
