"""RAGFlow v0.27.0's routes for document metadata, chunk tags, the embedding check, ingestion logs,
index deletion and the dataset list's `type=filter` / `include_parsing_status` (API.md §9.1)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from dataset_http import client, error, new_dataset, ok, upload, wait_done

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits

LIMITS = KeyLimits(requests_per_minute=100_000, burst=10_000)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with client(stack.gateway_url, mint_key(stack.mongo_url, "v027meta-" + new_id(), LIMITS)) as http:
        yield http


@pytest.fixture(scope="module")
def other(stack: Stack) -> Iterator[httpx.Client]:
    with client(stack.gateway_url, mint_key(stack.mongo_url, "v027meta-other-" + new_id(), LIMITS)) as http:
        yield http


def with_metadata(api: httpx.Client, dataset_id: str, *metas: dict) -> list[str]:
    docs = upload(api, dataset_id, *((f"m{i}.txt", b"text") for i in range(len(metas))))
    for doc, meta in zip(docs, metas, strict=True):
        ok(api.put(f"/datasets/{dataset_id}/documents/{doc['id']}", json={"meta_fields": meta}))
    return [d["id"] for d in docs]


def meta_of(api: httpx.Client, dataset_id: str, document_id: str) -> dict:
    return dict(ok(api.get(f"/datasets/{dataset_id}/documents", params={"id": document_id}))["docs"][0]["meta_fields"])


def test_flattened_metadata_and_summary(api: httpx.Client, other: httpx.Client) -> None:
    first, second = new_dataset(api), new_dataset(api)
    a, b = with_metadata(api, first["id"], {"author": "Ann", "tags": ["x", "y"]}, {"author": "Bob", "year": 2024})
    (c,) = with_metadata(api, second["id"], {"author": "Ann", "when": "2026-02-03T00:00:00"})

    flat = ok(api.get("/datasets/metadata/flattened", params={"dataset_ids": f"{first['id']},{second['id']}"}))
    assert sorted(flat["author"]["Ann"]) == sorted([a, c]) and flat["author"]["Bob"] == [b]
    assert flat["tags"] == {"x": [a], "y": [a]} and flat["year"] == {"2024": [b]}
    only_first = ok(api.get("/datasets/metadata/flattened", params={"dataset_ids": first["id"]}))
    assert only_first["author"] == {"Ann": [a], "Bob": [b]} and "when" not in only_first
    assert "dataset_ids" in error(api.get("/datasets/metadata/flattened"), 400, 102)
    error(other.get("/datasets/metadata/flattened", params={"dataset_ids": first["id"]}), 404, 105)

    summary = ok(api.get(f"/datasets/{first['id']}/metadata/summary"))["summary"]
    assert summary["author"] == {"type": "string", "values": [["Ann", 1], ["Bob", 1]]} or summary["author"] == {
        "type": "string",
        "values": [["Bob", 1], ["Ann", 1]],
    }
    assert summary["tags"] == {"type": "list", "values": [["x", 1], ["y", 1]]}
    assert summary["year"] == {"type": "number", "values": [["2024", 1]]}
    assert ok(api.get(f"/datasets/{second['id']}/metadata/summary"))["summary"]["when"]["type"] == "time"
    just_b = ok(api.get(f"/datasets/{first['id']}/metadata/summary", params={"doc_ids": b}))["summary"]
    assert just_b == {
        "author": {"type": "string", "values": [["Bob", 1]]},
        "year": {"type": "number", "values": [["2024", 1]]},
    }
    error(other.get(f"/datasets/{first['id']}/metadata/summary"), 404, 105)


@pytest.mark.parametrize("route", ["metadata/update", "documents/metadatas"])
def test_bulk_metadata_update(api: httpx.Client, other: httpx.Client, route: str) -> None:
    dataset = new_dataset(api)
    a, b, c = with_metadata(api, dataset["id"], {"author": "Ann", "tags": ["x"]}, {"author": "Bob"}, {})
    url = f"/datasets/{dataset['id']}/{route}"
    send = api.post if route == "metadata/update" else api.patch

    # by ids: a value set (a list field gets it appended) and a field removed
    body = {
        "selector": {"document_ids": [a, c]},
        "updates": [{"key": "tags", "value": "z"}],
        "deletes": [{"key": "author"}],
    }
    assert ok(send(url, json=body)) == {"updated": 2, "matched_docs": 2}
    assert meta_of(api, dataset["id"], a) == {"tags": ["x", "z"]} and meta_of(api, dataset["id"], c) == {"tags": "z"}
    assert meta_of(api, dataset["id"], b) == {"author": "Bob"}

    # by a condition on the metadata alone; `match` replaces only the value it names
    condition = {"logic": "and", "conditions": [{"name": "author", "comparison_operator": "is", "value": "bob"}]}
    body = {
        "selector": {"metadata_condition": condition},
        "updates": [{"key": "author", "value": "Robert", "match": "Bob"}],
    }
    assert ok(send(url, json=body)) == {"updated": 1, "matched_docs": 1}
    assert meta_of(api, dataset["id"], b) == {"author": "Robert"}
    # ids narrowed by a condition that none of them meets: nothing
    body = {"selector": {"document_ids": [a], "metadata_condition": condition}, "updates": [{"key": "k", "value": 1}]}
    assert ok(send(url, json=body)) == {"updated": 0, "matched_docs": 0}
    # no selector chooses nothing, as in RAGFlow
    assert ok(send(url, json={"updates": [{"key": "k", "value": 1}]})) == {"updated": 0, "matched_docs": 0}

    assert error(send(url, json={"updates": {"key": "k"}}), 400, 102) == "updates and deletes must be lists."
    assert error(send(url, json={"updates": [{"key": "k"}]}), 400, 102) == "Each update requires key and value."
    assert error(send(url, json={"deletes": [{"value": 1}]}), 400, 102) == "Each delete requires key."
    assert error(send(url, json={"selector": ["x"]}), 400, 102) == "selector must be an object."
    stranger = new_id()
    message = error(send(url, json={"selector": {"document_ids": [a, stranger]}, "updates": []}), 400, 102)
    assert message == f"These documents do not belong to dataset {dataset['id']}: {stranger}"
    bad_condition = {"selector": {"metadata_condition": {"conditions": [{"name": "a", "comparison_operator": "near"}]}}}
    assert "near" in error(send(url, json=bad_condition), 400, 102)
    error(
        (other.post if route == "metadata/update" else other.patch)(url, json={"selector": {"document_ids": [a]}}),
        404,
        105,
    )
    assert meta_of(api, dataset["id"], a) == {"tags": ["x", "z"]}


def test_documents_listed_by_their_metadata(api: httpx.Client) -> None:
    """RAGFlow's list filters: metadata_condition ({logic, conditions}) and metadata (for each
    key, one of its values), both JSON in the query; they were ignored (the whole list)."""
    dataset = new_dataset(api)
    ann, bob, none = with_metadata(api, dataset["id"], {"author": "Ann", "year": 2024}, {"author": "Bob"}, {})
    url = f"/datasets/{dataset['id']}/documents"

    def listed(**params: str) -> set[str]:
        return {d["id"] for d in ok(api.get(url, params=params))["docs"]}

    is_bob = json.dumps({"conditions": [{"name": "author", "comparison_operator": "is", "value": "bob"}]})
    assert listed(metadata_condition=is_bob) == {bob}
    either = json.dumps({"logic": "or", "conditions": [
        {"name": "author", "comparison_operator": "=", "value": "Bob"},
        {"name": "year", "comparison_operator": ">", "value": 2000},
    ]})  # fmt: skip
    assert listed(metadata_condition=either) == {ann, bob}
    assert listed(metadata=json.dumps({"author": ["Ann", "Carl"]})) == {ann}
    assert listed(metadata=json.dumps({"author": "Ann"}), metadata_condition=is_bob) == set()
    assert listed(metadata_condition=json.dumps({"logic": "and", "conditions": []})) == {ann, bob, none}
    assert ok(api.get(url, params={"metadata": json.dumps({"author": "Zed"})})) == {"docs": [], "total": 0}
    bad_json = error(api.get(url, params={"metadata_condition": "{bad"}), 400, 102)
    assert bad_json == "metadata_condition must be valid JSON."
    assert error(api.get(url, params={"metadata": "[1]"}), 400, 102) == "metadata must be an object."
    # parsed as bodies are: what json.loads alone let through (a RecursionError, a 5xx) is a 102
    deep = "[" * 5000 + "]" * 5000
    assert "nested too deeply" in error(api.get(url, params={"metadata_condition": deep}), 400, 102)
    assert "finite" in error(api.get(url, params={"metadata": '{"author": NaN}'}), 400, 102)


# ragflow-sdk 0.27's retrieve() sends metadata_condition; it was accepted and ignored. v0.27.0
# also refuses document_ids that are not the datasets' (they found nothing) and reads
# "highlight": null as false (it was refused).
def test_retrieval_by_metadata_condition_and_owned_documents(api: httpx.Client) -> None:
    dataset, elsewhere = new_dataset(api), new_dataset(api)
    ann, bob = with_metadata(api, dataset["id"], {"author": "Ann"}, {"author": "Bob"})
    (stranger,) = with_metadata(api, elsewhere["id"], {"author": "Ann"})
    contents = {ann: "Otters hold hands while they sleep.", bob: "Otters sleep floating on their backs."}
    for doc_id, content in contents.items():
        ok(api.post(f"/datasets/{dataset['id']}/documents/{doc_id}/chunks", json={"content": content}))
    ask = {"question": "how do otters sleep", "dataset_ids": [dataset["id"]], "similarity_threshold": 0.0}

    def found(**extra: object) -> list[str]:
        return sorted(c["document_id"] for c in ok(api.post("/retrieval", json={**ask, **extra}))["chunks"])

    def author(operator: str, value: str) -> dict:
        return {"logic": "and", "conditions": [{"name": "author", "comparison_operator": operator, "value": value}]}

    assert found() == sorted([ann, bob])
    assert found(metadata_condition=author("is", "Bob")) == [bob]
    assert found(metadata_condition=author("not is", "Bob")) == [ann]
    assert found(metadata_condition=author("is", "Cy")) == []
    assert found(metadata_condition={"logic": "and", "conditions": []}) == sorted([ann, bob])
    assert found(metadata_condition=None, highlight=None) == sorted([ann, bob])
    assert found(document_ids=[ann], metadata_condition=author("is", "Bob")) == [ann]  # named ones win
    malformed = api.post("/retrieval", json={**ask, "metadata_condition": {**author("is", "Bob"), "logic": "xor"}})
    assert "logic" in error(malformed, 400, 102)
    assert "metadata_condition" in error(api.post("/retrieval", json={**ask, "metadata_condition": "Bob"}), 400, 102)

    refused = api.post("/retrieval", json={**ask, "document_ids": [ann, stranger]})
    assert error(refused, 400, 102) == f"The datasets don't own the document {stranger}"


def test_a_thousand_documents_take_a_metadata_update_at_once(api: httpx.Client) -> None:
    """One bulk write per hundred documents: one write each outlasted the gateway's deadline."""
    dataset = new_dataset(api)
    ids = [d["id"] for d in upload(api, dataset["id"], *((f"k{i}.txt", b"k") for i in range(1000)))]
    started = time.monotonic()
    body = {"selector": {"document_ids": ids}, "updates": [{"key": "author", "value": "x"}]}
    assert ok(api.patch(f"/datasets/{dataset['id']}/documents/metadatas", json=body)) == {
        "updated": 1000,
        "matched_docs": 1000,
    }
    print(f"metadata of 1000 documents updated in {time.monotonic() - started:.1f} s")
    assert meta_of(api, dataset["id"], ids[0]) == meta_of(api, dataset["id"], ids[-1]) == {"author": "x"}


def test_document_metadata_config(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("cfg.txt", b"config"))
    url = f"/datasets/{dataset['id']}/documents/{doc['id']}/metadata/config"
    fields = [{"key": "author", "description": "who wrote it", "enum": []}]
    updated = ok(api.put(url, json={"metadata": fields}))
    assert updated["id"] == doc["id"] and updated["parser_config"]["metadata"] == fields
    assert (
        updated["parser_config"]["chunk_token_num"] == doc["parser_config"]["chunk_token_num"]
    )  # merged, not replaced
    listed = ok(api.get(f"/datasets/{dataset['id']}/documents", params={"id": doc["id"]}))["docs"][0]
    assert listed["parser_config"]["metadata"] == fields
    assert error(api.put(url, json={}), 400, 102) == "metadata is required"
    error(other.put(url, json={"metadata": fields}), 404, 105)
    error(api.put(f"/datasets/{dataset['id']}/documents/{new_id()}/metadata/config", json={"metadata": []}), 404, 105)


def test_delete_and_rename_tags(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("tags.txt", b"Tags."))
    chunks_url = f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks"
    first = ok(api.post(chunks_url, json={"content": "Herons wade.", "tag_kwd": ["birds", "wetland"]}))["chunk"]
    second = ok(api.post(chunks_url, json={"content": "Owls hunt at night.", "tag_kwd": ["birds", "night"]}))["chunk"]

    def tags_of(chunk: dict) -> list[str]:
        return list(ok(api.get(f"{chunks_url}/{chunk['id']}"))["tag_kwd"])

    url = f"/datasets/{dataset['id']}/tags"
    assert ok(api.get(url)) == [["birds", 2], ["night", 1], ["wetland", 1]]
    aggregation = "/datasets/tags/aggregation"
    assert ok(api.get(aggregation, params={"dataset_ids": dataset["id"]}))[0] == {"value": "birds", "count": 2}
    assert ok(api.put(url, json={"from_tag": "birds", "to_tag": "avians"})) == {"from": "birds", "to": "avians"}
    assert tags_of(first) == ["avians", "wetland"] and tags_of(second) == ["avians", "night"]
    assert ok(api.request("DELETE", url, json={"tags": ["avians", "night"]})) == {}
    assert tags_of(first) == ["wetland"] and tags_of(second) == []
    assert ok(api.get(url)) == [["wetland", 1]]
    error(other.get(url), 404, 105)

    assert error(api.request("DELETE", url, json={}), 400, 102) == "Lack of tags in request body"
    assert error(api.request("DELETE", url, json={"tags": "wetland"}), 400, 102) == "tags must be a list of strings"
    assert error(api.put(url, json={"from_tag": "wetland"}), 400, 102) == "Lack of from_tag or to_tag in request body"
    assert (
        error(api.put(url, json={"from_tag": " ", "to_tag": "x"}), 400, 102) == "from_tag and to_tag must not be empty"
    )
    assert error(api.put(url, json={"from_tag": 1, "to_tag": "x"}), 400, 102) == "from_tag and to_tag must be strings"
    error(other.request("DELETE", url, json={"tags": ["wetland"]}), 404, 105)
    error(other.put(url, json={"from_tag": "wetland", "to_tag": "marsh"}), 404, 105)
    assert tags_of(first) == ["wetland"]


def test_list_datasets_filter_and_parsing_status(stack: Stack, api: httpx.Client) -> None:
    with client(stack.gateway_url, mint_key(stack.mongo_url, "v027meta-list-" + new_id(), LIMITS)) as fresh:
        assert ok(fresh.get("/datasets", params={"type": "filter"})) == {"filter": {"owner": []}, "total": 0}
        dataset = new_dataset(fresh)
        new_dataset(fresh)
        owners = ok(fresh.get("/datasets", params={"type": "filter"}))
        assert owners["total"] == 2 and [o["count"] for o in owners["filter"]["owner"]] == [2]
        upload(fresh, dataset["id"], ("p.txt", b"Pears."))
        listed = ok(fresh.get("/datasets", params={"include_parsing_status": "true", "id": dataset["id"]}))
        assert listed[0]["parsing_status"] == {
            "unstart_count": 1,
            "running_count": 0,
            "cancel_count": 0,
            "done_count": 0,
            "fail_count": 0,
        }
        assert "parsing_status" not in ok(fresh.get("/datasets", params={"id": dataset["id"]}))[0]
        assert "type" in error(fresh.get("/datasets", params={"type": "owners"}), 400, 102)


def test_embedding_check(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    url = f"/datasets/{dataset['id']}/embedding/check"
    model = dataset["embedding_model"]
    assert "No embedded chunks" in error(api.post(url, json={"embd_id": model}), 400, 102)
    (doc,) = upload(api, dataset["id"], ("emb.txt", b"Embeddings."))
    chunks_url = f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks"
    for content in ("Rivers carve valleys.", "Glaciers move slowly.", "Deserts are dry."):
        ok(api.post(chunks_url, json={"content": content}))
    checked = ok(api.post(url, json={"embd_id": model, "check_num": 2}))
    summary = checked["summary"]
    assert (summary["kb_id"], summary["model"], summary["sampled"], summary["valid"]) == (dataset["id"], model, 2, 2)
    assert summary["avg_cos_sim"] >= 0.99 and summary["min_cos_sim"] <= summary["max_cos_sim"]
    assert len(checked["results"]) == 2 and all(
        r["doc_id"] == doc["id"] and r["cos_sim"] >= 0.99 for r in checked["results"]
    )
    assert error(api.post(url, json={}), 400, 102) == "`embd_id` is required."
    assert "not available" in error(api.post(url, json={"embd_id": "no-such-model"}), 400, 102)
    assert "check_num" in error(api.post(url, json={"embd_id": model, "check_num": 0}), 400, 102)
    error(other.post(url, json={"embd_id": model}), 404, 105)


def test_ingestion_logs_record_parse_runs(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    docs = upload(api, dataset["id"], ("log1.txt", b"Lemons are sour."), ("log2.txt", b"Limes are green."))
    ids = [d["id"] for d in docs]
    ok(api.post(f"/datasets/{dataset['id']}/documents/parse", json={"document_ids": ids}))
    wait_done(api, dataset["id"], ids, timeout_s=120)
    url = f"/datasets/{dataset['id']}/ingestions"
    assert ok(api.get(url)) == {"total": 0, "logs": []}  # dataset-wide runs (graph, RAPTOR): none
    files = ok(api.get(url, params={"log_type": "file"}))
    assert files["total"] == 2
    by_doc = {log["document_id"]: log for log in files["logs"]}
    assert set(by_doc) == set(ids)
    log = by_doc[ids[0]]
    assert (log["kb_id"], log["document_name"], log["operation_status"], log["progress"]) == (
        dataset["id"],
        "log1.txt",
        "3",
        1.0,
    )
    assert "Task done" in log["progress_msg"] and log["chunk_count"] == 1 and log["create_date"]
    assert ok(api.get(f"{url}/{log['id']}")) == log
    assert ok(api.get(url, params={"log_type": "file", "keywords": "LOG2"}))["logs"][0]["document_id"] == ids[1]
    assert ok(api.get(url, params={"log_type": "file", "operation_status": "4"})) == {"total": 0, "logs": []}
    assert len(ok(api.get(url, params={"log_type": "file", "page_size": 1}))["logs"]) == 1
    # a second run of a document is a second log
    ok(api.post(f"/datasets/{dataset['id']}/documents/parse", json={"document_ids": ids[:1]}))
    wait_done(api, dataset["id"], ids[:1], timeout_s=120)
    assert ok(api.get(url, params={"log_type": "file"}))["total"] == 3

    assert "log_type" in error(api.get(url, params={"log_type": "pipeline"}), 400, 102)
    assert "create_date_from" in error(
        api.get(url, params={"log_type": "file", "create_date_from": "yesterday"}), 400, 102
    )
    for log_type in ("file", "dataset"):
        reversed_range = {"log_type": log_type, "create_date_from": "2025-02-01", "create_date_to": "2025-01-01"}
        assert "create_date_to" in error(api.get(url, params=reversed_range), 400, 102)
    same_day = {"log_type": "file", "create_date_from": "2025-01-01", "create_date_to": "2025-01-01"}
    assert ok(api.get(url, params=same_day)) == {"total": 0, "logs": []}
    error(api.get(f"{url}/{new_id()}"), 404, 105)
    error(other.get(url, params={"log_type": "file"}), 404, 105)
    error(other.get(f"{url}/{log['id']}"), 404, 105)


def test_delete_index_by_type(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    base = f"/datasets/{dataset['id']}"
    for index_type in ("graph", "raptor", "mindmap", "structure_graph"):
        assert ok(api.request("DELETE", f"{base}/{index_type}")) == {}
    assert ok(api.request("DELETE", f"{base}/graph", params={"wipe": "false"})) == {}
    assert ok(api.request("DELETE", f"{base}/index", params={"type": "raptor"})) == {}
    assert error(api.request("DELETE", f"{base}/pagerank"), 400, 102) == "Invalid index type 'pagerank'"
    assert error(api.request("DELETE", f"{base}/index", params={"type": "x"}), 400, 102) == "Invalid index type 'x'"
    error(other.request("DELETE", f"{base}/graph"), 404, 105)
    error(api.request("DELETE", f"/datasets/{new_id()}/raptor"), 404, 105)
    # the catch-all does not shadow the dataset's other DELETE routes
    (doc,) = upload(api, dataset["id"], ("keep.txt", b"Kept."))
    assert ok(api.request("DELETE", f"{base}/documents", json={"ids": [doc["id"]]})) is None
