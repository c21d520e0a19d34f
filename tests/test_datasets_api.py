"""Datasets, documents, parsing, chunks and /retrieval over HTTP against the running stack (API.md §7)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from dataset_http import client, error, new_dataset, ok, parse_and_wait, unique, upload

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits
from ragchat_retrieval.testing import minimal_pdf

DATASET_KEYS = {
    "id",
    "name",
    "description",
    "avatar",
    "chunk_count",
    "document_count",
    "embedding_model",
    "chunk_method",
    "parser_config",
    "permission",
    "create_time",
    "update_time",
}
DOCUMENT_KEYS = {"id", "name", "size", "type", "run", "progress", "chunk_count", "dataset_id"}


@pytest.fixture(scope="module")
def api(stack: Stack, bulk_key: Callable[[str], str]) -> Iterator[httpx.Client]:
    with client(stack.gateway_url, bulk_key("datasets-" + new_id())) as http:
        yield http


@pytest.fixture(scope="module")
def other(stack: Stack, bulk_key: Callable[[str], str]) -> Iterator[httpx.Client]:
    with client(stack.gateway_url, bulk_key("datasets-other-" + new_id())) as http:
        yield http


@pytest.fixture(scope="module")
def bulk_key(stack: Stack) -> Callable[[str], str]:
    """Keys with a high rate limit: these tests poll and loop (the limiter is tested elsewhere)."""
    return lambda tenant: mint_key(stack.mongo_url, tenant, KeyLimits(requests_per_minute=100_000, burst=10_000))


# ---- datasets -----------------------------------------------------------------------------


def test_create_dataset_returns_the_full_object_with_defaults(api: httpx.Client) -> None:
    name = unique()
    dataset = ok(api.post("/datasets", json={"name": name, "description": "d", "embedding_model": None}))
    assert DATASET_KEYS <= set(dataset)
    assert len(dataset["id"]) == 32 and dataset["name"] == name and dataset["description"] == "d"
    assert dataset["chunk_method"] == "naive" and dataset["permission"] == "me"
    assert dataset["chunk_count"] == 0 and dataset["document_count"] == 0
    assert dataset["embedding_model"] == "all-MiniLM-L6-v2"
    assert dataset["parser_config"]["chunk_token_num"] == 512


def test_create_dataset_validation(api: httpx.Client) -> None:
    assert "name" in error(api.post("/datasets", json={}), 400, 102)
    assert "name" in error(api.post("/datasets", json={"name": "  "}), 400, 102)
    error(api.post("/datasets", content=b"{not json", headers={"Content-Type": "application/json"}), 400, 102)
    message = error(api.post("/datasets", json={"name": unique(), "embedding_model": "bge-m3"}), 400, 102)
    assert "bge-m3" in message and "all-MiniLM-L6-v2" in message
    message = error(api.post("/datasets", json={"name": unique(), "chunk_method": "picture"}), 400, 102)
    assert "picture" in message and "naive" in message and "qa" in message
    bad_config = {"name": unique(), "parser_config": {"chunk_token_num": 0}}
    assert "chunk_token_num" in error(api.post("/datasets", json=bad_config), 400, 102)
    for key, value in (("auto_keywords", -1), ("topn_tags", 11), ("html4excel", "yes"), ("tag_kb_ids", "kb")):
        bad_config = {"name": unique(), "parser_config": {key: value}}
        assert key in error(api.post("/datasets", json=bad_config), 400, 102)
    name = unique()
    ok(api.post("/datasets", json={"name": name}))
    # a taken name is numbered, as RAGFlow does (names are unique ignoring case)
    assert ok(api.post("/datasets", json={"name": name.upper()}))["name"] == name.upper() + "(1)"


def test_parser_config_is_kept_and_merged(api: httpx.Client) -> None:
    dataset = new_dataset(api, parser_config={"chunk_token_num": 128, "delimiter": "\n!?"})
    assert dataset["parser_config"]["chunk_token_num"] == 128
    assert dataset["parser_config"]["delimiter"] == "\n!?"
    updated = ok(api.put(f"/datasets/{dataset['id']}", json={"parser_config": {"chunk_token_num": 256}}))
    assert updated["parser_config"]["chunk_token_num"] == 256 and updated["parser_config"]["delimiter"] == "\n!?"
    refused = api.put(f"/datasets/{dataset['id']}", json={"parser_config": {"auto_questions": 3.5}})
    assert "auto_questions" in error(refused, 400, 102)
    assert "auto_questions" not in ok(api.get("/datasets", params={"id": dataset["id"]}))[0]["parser_config"]


def test_list_update_and_delete_datasets(api: httpx.Client, other: httpx.Client) -> None:
    a, b = new_dataset(api), new_dataset(api)
    response = api.get("/datasets", params={"page_size": 1000})
    listed = ok(response)
    assert isinstance(listed, list) and {a["id"], b["id"]} <= {d["id"] for d in listed}
    assert int(response.headers["X-Total-Count"]) >= 2
    assert response.json()["total_datasets"] == int(response.headers["X-Total-Count"])
    by_name = api.get("/datasets", params={"name": a["name"]})
    assert [d["id"] for d in ok(by_name)] == [a["id"]] and by_name.json()["total_datasets"] == 1
    assert [d["id"] for d in ok(api.get("/datasets", params={"id": b["id"]}))] == [b["id"]]
    assert "orderby" in error(api.get("/datasets", params={"orderby": "size"}), 400, 102)
    assert "desc" in error(api.get("/datasets", params={"desc": "maybe"}), 400, 102)
    assert "page_size" in error(api.get("/datasets", params={"page_size": 0}), 400, 102)
    by_name = ok(api.get("/datasets", params={"orderby": "name", "desc": "False", "page_size": 1000}))
    names = [d["name"].lower() for d in by_name]
    assert names == sorted(names)

    renamed = ok(api.put(f"/datasets/{a['id']}", json={"name": a["name"] + "-x", "description": "new"}))
    assert renamed["name"] == a["name"] + "-x" and renamed["description"] == "new"
    error(api.put(f"/datasets/{new_id()}", json={"name": "z"}), 404, 105)
    error(other.put(f"/datasets/{a['id']}", json={"name": "stolen"}), 404, 105)
    error(api.put(f"/datasets/{a['id']}", json={"name": ""}), 400, 102)

    assert "delete_all" in error(api.request("DELETE", "/datasets", json={}), 400, 102)
    error(other.request("DELETE", "/datasets", json={"ids": [a["id"]]}), 404, 105)
    partial = ok(api.request("DELETE", "/datasets", json={"ids": [a["id"], new_id()]}))
    assert partial["success_count"] == 1 and len(partial["errors"]) == 1
    assert "lacks permission" in error(api.get("/datasets", params={"id": a["id"]}), 404, 105)
    twice = ok(api.request("DELETE", "/datasets", json={"ids": [b["id"], b["id"]]}))
    assert twice == {"success_count": 1, "errors": [f"Duplicate dataset ids: {b['id']}"]}
    error(api.request("DELETE", "/datasets", json={"ids": [b["id"]]}), 404, 105)


# ---- documents ----------------------------------------------------------------------------


def test_upload_list_download_and_validation(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    docs = upload(
        api,
        dataset["id"],
        ("notes.txt", b"plain text"),
        ("readme.md", b"# Title\n\nbody"),
        ("page.html", b"<p>hi</p>"),
        ("paper.pdf", minimal_pdf(["a pdf"])),
    )
    assert [d["name"] for d in docs] == ["notes.txt", "readme.md", "page.html", "paper.pdf"]
    for doc in docs:
        assert DOCUMENT_KEYS <= set(doc)
        assert doc["run"] == "UNSTART" and doc["progress"] == 0 and doc["dataset_id"] == dataset["id"]
    assert docs[0]["size"] == len(b"plain text") and docs[3]["type"] == "pdf"

    listing = ok(api.get(f"/datasets/{dataset['id']}/documents"))
    assert listing["total"] == 4 and len(listing["docs"]) == 4
    only = ok(api.get(f"/datasets/{dataset['id']}/documents", params={"id": docs[1]["id"]}))
    assert [d["name"] for d in only["docs"]] == ["readme.md"]
    assert ok(api.get(f"/datasets/{dataset['id']}/documents", params={"keywords": "PAGE"}))["total"] == 1
    paged = ok(api.get(f"/datasets/{dataset['id']}/documents", params={"page": 2, "page_size": 3}))
    assert len(paged["docs"]) == 1 and paged["total"] == 4
    assert ok(api.get("/datasets", params={"id": dataset["id"]}))[0]["document_count"] == 4

    downloaded = api.get(f"/datasets/{dataset['id']}/documents/{docs[0]['id']}")
    assert downloaded.status_code == 200 and downloaded.content == b"plain text"
    error(other.get(f"/datasets/{dataset['id']}/documents/{docs[0]['id']}"), 404, 105)

    renamed = ok(api.put(f"/datasets/{dataset['id']}/documents/{docs[0]['id']}", json={"name": "renamed.txt"}))
    assert renamed["name"] == "renamed.txt"

    unsupported = api.post(f"/datasets/{dataset['id']}/documents", files=[("file", ("tool.exe", b"MZ"))])
    assert "tool.exe" in error(unsupported, 400, 102)
    error(api.post(f"/datasets/{new_id()}/documents", files=[("file", ("a.txt", b"x"))]), 404, 105)
    error(other.post(f"/datasets/{dataset['id']}/documents", files=[("file", ("a.txt", b"x"))]), 404, 105)
    error(other.get(f"/datasets/{dataset['id']}/documents"), 404, 105)
    assert ok(api.get(f"/datasets/{dataset['id']}/documents"))["total"] == 4  # the failed batches stored nothing

    unknown = new_id()
    partial = api.request("DELETE", f"/datasets/{dataset['id']}/documents", json={"ids": [docs[0]["id"], unknown]})
    assert error(partial, 400, 102) == f"Documents not found: ['{unknown}']"
    assert ok(api.get(f"/datasets/{dataset['id']}/documents"))["total"] == 3  # the known one is deleted


def test_upload_limit_is_per_file_and_configurable(
    api: httpx.Client, stack: Stack, gateway_group: Callable[..., Stack], bulk_key: Callable[[str], str]
) -> None:
    small = gateway_group(1, {"RAGCHAT_MAX_UPLOAD_BYTES": "2048"})
    with client(small.gateway_url, bulk_key("upload-limit-" + new_id())) as limited:
        dataset = new_dataset(limited)
        fits = upload(limited, dataset["id"], ("fits.txt", b"x" * 2000))
        assert fits[0]["size"] == 2000
        response = limited.post(
            f"/datasets/{dataset['id']}/documents",
            files=[("file", ("ok.txt", b"fine")), ("file", ("big.txt", b"y" * 4096))],
        )
        assert "big.txt" in error(response, 413, 102)
        assert ok(limited.get(f"/datasets/{dataset['id']}/documents"))["total"] == 1


# ---- parsing, chunks, retrieval -----------------------------------------------------------

GUIDE = "\n\n".join(
    f"Section {i}. The Zephyr {i} model supports feature {i} and needs firmware version {i}.{i}." for i in range(40)
)


def test_parse_chunks_and_retrieval_end_to_end(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api, parser_config={"chunk_token_num": 64, "delimiter": "\n"})
    guide, pdf, broken = upload(
        api,
        dataset["id"],
        ("guide.md", GUIDE.encode()),
        ("warranty.pdf", minimal_pdf(["Every Lumio lamp carries a five year warranty.", "Keep the receipt."])),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf"),
    )
    state = parse_and_wait(api, dataset["id"], [guide["id"], pdf["id"], broken["id"]])
    assert state[guide["id"]]["run"] == "DONE" and state[guide["id"]]["progress"] == 1
    assert state[guide["id"]]["chunk_count"] > 5  # 64-token budget splits the guide
    assert state[pdf["id"]]["run"] == "DONE" and state[pdf["id"]]["chunk_count"] == 1
    assert state[broken["id"]]["run"] == "FAIL"
    assert "broken.pdf" in state[broken["id"]]["progress_msg"]
    assert "not a readable PDF" in state[broken["id"]]["progress_msg"]
    total_chunks = state[guide["id"]]["chunk_count"] + 1
    assert ok(api.get("/datasets", params={"id": dataset["id"]}))[0]["chunk_count"] == total_chunks

    # chunks of a document, paged, in order
    listed = ok(api.get(f"/datasets/{dataset['id']}/documents/{guide['id']}/chunks", params={"page_size": 100}))
    assert listed["total"] == state[guide["id"]]["chunk_count"] and listed["doc"]["id"] == guide["id"]
    assert listed["chunks"][0]["content"].startswith("Section 0.")
    assert all(c["document_id"] == guide["id"] for c in listed["chunks"])
    found = ok(
        api.get(f"/datasets/{dataset['id']}/documents/{guide['id']}/chunks", params={"keywords": "Zephyr 17 model"})
    )
    assert found["total"] == 1 and "Zephyr 17 model" in found["chunks"][0]["content"]

    # retrieval: the right chunk first, doc_aggs, scores in range
    result = ok(
        api.post(
            "/retrieval", json={"question": "Which firmware does the Zephyr 17 need?", "dataset_ids": [dataset["id"]]}
        )
    )
    assert "Zephyr 17 model" in result["chunks"][0]["content"]
    assert result["chunks"][0]["document_id"] == guide["id"] and result["chunks"][0]["document_name"] == "guide.md"
    assert result["total"] >= 1 and result["doc_aggs"][0]["doc_id"] == guide["id"]
    for chunk in result["chunks"]:
        assert 0.2 <= chunk["similarity"] <= 1 and 0 <= chunk["vector_similarity"] <= 1
    # similarity_threshold is a hard floor, in the second, looser scoring too (it was lowered 15 %
    # there, so a threshold just above the best chunk still returned it)
    best = result["chunks"][0]["similarity"]
    for threshold in (min(1.0, best + 0.01), 1.0):
        asked = {"question": "Which firmware does the Zephyr 17 need?", "dataset_ids": [dataset["id"]]}
        above = ok(api.post("/retrieval", json={**asked, "similarity_threshold": threshold}))
        assert all(c["similarity"] >= threshold for c in above["chunks"]), (threshold, above["chunks"])
    warranty = ok(
        api.post("/retrieval", json={"question": "How long is the lamp warranty?", "dataset_ids": [dataset["id"]]})
    )
    assert warranty["chunks"][0]["document_id"] == pdf["id"]
    assert warranty["chunks"][0]["document_name"] == "warranty.pdf"
    ok(api.put(f"/datasets/{dataset['id']}/documents/{pdf['id']}", json={"name": "lamp-warranty.pdf"}))
    renamed = ok(api.post("/retrieval", json={"question": "lamp warranty years", "dataset_ids": [dataset["id"]]}))
    assert renamed["chunks"][0]["document_name"] == "lamp-warranty.pdf"
    assert {"doc_id": pdf["id"], "doc_name": "lamp-warranty.pdf"}.items() <= renamed["doc_aggs"][0].items()
    restricted = ok(
        api.post(
            "/retrieval",
            json={"question": "warranty", "dataset_ids": [dataset["id"]], "document_ids": [guide["id"]]},
        )
    )
    assert all(c["document_id"] == guide["id"] for c in restricted["chunks"])
    error(other.post("/retrieval", json={"question": "warranty", "dataset_ids": [dataset["id"]]}), 404, 105)
    assert "question" in error(api.post("/retrieval", json={"dataset_ids": [dataset["id"]]}), 400, 102)

    # add a chunk by hand: searchable at once
    added = ok(
        api.post(
            f"/datasets/{dataset['id']}/documents/{pdf['id']}/chunks",
            json={"content": "Quokkas are small marsupials.", "important_keywords": ["animal"]},
        )
    )["chunk"]
    assert added["content"] == "Quokkas are small marsupials." and added["document_id"] == pdf["id"]
    hits = ok(api.post("/retrieval", json={"question": "quokkas marsupials", "dataset_ids": [dataset["id"]]}))
    assert hits["chunks"][0]["id"] == added["id"]
    assert "content" in error(api.post(f"/datasets/{dataset['id']}/documents/{pdf['id']}/chunks", json={}), 400, 102)

    # delete that chunk: gone from search and from the count
    ok(
        api.request(
            "DELETE", f"/datasets/{dataset['id']}/documents/{pdf['id']}/chunks", json={"chunk_ids": [added["id"]]}
        )
    )
    hits = ok(api.post("/retrieval", json={"question": "quokkas marsupials", "dataset_ids": [dataset["id"]]}))
    assert added["id"] not in {c["id"] for c in hits["chunks"]}
    error(
        api.request(
            "DELETE", f"/datasets/{dataset['id']}/documents/{pdf['id']}/chunks", json={"chunk_ids": [new_id()]}
        ),
        404,
        105,
    )

    # re-parse replaces the old chunks (same count, new ids, no duplicates in search)
    old_ids = {c["id"] for c in listed["chunks"]}
    again = parse_and_wait(api, dataset["id"], [guide["id"]])
    assert again[guide["id"]]["run"] == "DONE"
    relisted = ok(api.get(f"/datasets/{dataset['id']}/documents/{guide['id']}/chunks", params={"page_size": 100}))
    assert relisted["total"] == listed["total"] and not old_ids & {c["id"] for c in relisted["chunks"]}

    # deleting the document removes its vectors
    ok(api.request("DELETE", f"/datasets/{dataset['id']}/documents", json={"ids": [guide["id"]]}))
    after = ok(api.post("/retrieval", json={"question": "Zephyr 17 firmware", "dataset_ids": [dataset["id"]]}))
    assert guide["id"] not in {c["document_id"] for c in after["chunks"]}


def test_parse_errors(api: httpx.Client) -> None:
    dataset = new_dataset(api)
    assert "document_ids" in error(api.post(f"/datasets/{dataset['id']}/chunks", json={}), 400, 102)
    error(api.post(f"/datasets/{dataset['id']}/chunks", json={"document_ids": [new_id()]}), 404, 105)
    error(api.post(f"/datasets/{new_id()}/chunks", json={"document_ids": [new_id()]}), 404, 105)


def test_deleting_a_dataset_removes_its_vectors(api: httpx.Client) -> None:
    keep, drop = new_dataset(api), new_dataset(api)
    body = b"The Orinoco basin hosts pink river dolphins."
    (kept,) = upload(api, keep["id"], ("dolphins.txt", body))
    (dropped,) = upload(api, drop["id"], ("dolphins.txt", body))
    parse_and_wait(api, keep["id"], [kept["id"]])
    parse_and_wait(api, drop["id"], [dropped["id"]])
    ok(api.request("DELETE", "/datasets", json={"ids": [drop["id"]]}))
    error(api.post("/retrieval", json={"question": "pink river dolphins", "dataset_ids": [drop["id"]]}), 404, 105)
    result = ok(api.post("/retrieval", json={"question": "pink river dolphins", "dataset_ids": [keep["id"]]}))
    assert [c["document_id"] for c in result["chunks"]] == [kept["id"]]


def test_retrieval_scores_do_not_depend_on_top_k(api: httpx.Client) -> None:
    """Every candidate is scored on both sides, whichever search found it: with more matching
    chunks than top_k, a chunk only the vector search found still gets its keyword score (found
    running RAGFlow's SDK suite: "chunk test 3" scored 0.229, term 0, at top_k 1)."""
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("chunks.txt", b"placeholder"))
    for i in range(4):
        ok(api.post(f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks", json={"content": f"chunk test {i}"}))
    scores = {}
    for top_k in (1, 2, 10):
        ask = {"question": "chunk", "dataset_ids": [dataset["id"]], "top_k": top_k}
        chunks = ok(api.post("/retrieval", json=ask))["chunks"]
        assert chunks and all(c["term_similarity"] == pytest.approx(1.0) for c in chunks), (top_k, chunks)
        scores[top_k] = {c["id"]: (c["similarity"], c["vector_similarity"]) for c in chunks}
    assert len(scores[10]) == 4
    for top_k in (1, 2):
        for chunk_id, (similarity, vector) in scores[top_k].items():
            assert similarity == pytest.approx(scores[10][chunk_id][0], abs=1e-4)
            assert vector == pytest.approx(scores[10][chunk_id][1], abs=1e-4)
