"""Documents as people have them, through the HTTP API: every format parses, every chunk method
cuts the chunks it promises, a damaged file of each format ends FAIL saying why, and
parser_config asks for nothing the service cannot do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits
from ragchat_retrieval.testing import CORRUPT_FILES, build_document

SECTIONS = [
    ("Charging", ["The Orbit lamp charges over USB-C in two hours.", "A full charge lasts nine evenings."]),
    ("Cleaning", ["Wipe the shade with a dry cloth; never use solvents."]),
]
TABLE = (["Model", "Lumens", "Price"], [["Orbit S", "300", "49 EUR"], ["Orbit L", "600", "79 EUR"]])
FORMATS = ["txt", "md", "html", "pdf", "docx", "xlsx", "csv", "pptx", "json", "eml", "epub"]


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    key = mint_key(stack.mongo_url, "formats-" + new_id(), KeyLimits(requests_per_minute=100_000, burst=10_000))
    with httpx.Client(
        base_url=stack.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        yield client


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def dataset(api: httpx.Client, **fields: Any) -> str:
    return str(ok(api.post("/datasets", json={"name": "formats-" + new_id()[:12], **fields}))["id"])


def parse(api: httpx.Client, dataset_id: str, files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Uploads and parses the files; the documents by name once every run has ended."""
    docs = ok(api.post(f"/datasets/{dataset_id}/documents", files=[("file", (n, d)) for n, d in files.items()]))
    ok(api.post(f"/datasets/{dataset_id}/chunks", json={"document_ids": [d["id"] for d in docs]}))
    deadline = time.monotonic() + 120
    while True:
        listed = ok(api.get(f"/datasets/{dataset_id}/documents", params={"page_size": 100}))["docs"]
        if all(d["run"] in ("DONE", "FAIL") for d in listed):
            return {d["name"]: d for d in listed}
        assert time.monotonic() < deadline, [(d["name"], d["run"]) for d in listed]
        time.sleep(0.3)


def chunks_of(api: httpx.Client, dataset_id: str, doc: dict[str, Any]) -> list[str]:
    listed = ok(api.get(f"/datasets/{dataset_id}/documents/{doc['id']}/chunks", params={"page_size": 100}))
    return [c["content"] for c in listed["chunks"]]


def test_every_format_parses_and_tables_read_row_by_row(api: httpx.Client) -> None:
    dataset_id = dataset(api)
    files = {
        f"orbit.{fmt}": build_document(fmt, "Orbit lamp guide", SECTIONS, None if fmt == "epub" else TABLE)
        for fmt in FORMATS
    }
    docs = parse(api, dataset_id, files)
    for name, doc in docs.items():
        assert doc["run"] == "DONE", (name, doc["progress_msg"])
        text = "\n".join(chunks_of(api, dataset_id, doc))
        if not name.endswith((".csv", ".xlsx")):
            assert "charges over USB-C in two hours" in text, (name, text)
        if name.endswith((".csv", ".xlsx", ".md", ".html", ".docx", ".pptx", ".json")):
            assert "Model: Orbit L; Lumens: 600; Price: 79 EUR" in text, (name, text)


def test_a_damaged_file_of_each_format_fails_with_a_clear_message(api: httpx.Client) -> None:
    dataset_id = dataset(api)
    docs = parse(api, dataset_id, {f"broken.{fmt}": data for fmt, data in CORRUPT_FILES.items()})
    assert len(docs) == len(CORRUPT_FILES)
    for name, doc in docs.items():
        assert doc["run"] == "FAIL", (name, doc["progress_msg"])
        assert f"'{name}'" in doc["progress_msg"], doc["progress_msg"]
        assert "internal error" not in doc["progress_msg"]
        assert doc["chunk_count"] == 0


@pytest.mark.parametrize(
    ("method", "name", "data", "expected"),
    [
        (
            "qa",
            "faq.xlsx",
            build_document(
                "xlsx",
                "FAQ",
                table=(["Question", "Answer"], [["Is it dimmable?", "Yes, in 5 steps."], ["Does it fold?", "No."]]),
            ),
            ["Question: Is it dimmable?\nAnswer: Yes, in 5 steps.", "Question: Does it fold?\nAnswer: No."],
        ),
        (
            "table",
            "prices.csv",
            build_document("csv", "Prices", table=TABLE),
            ["Model: Orbit S; Lumens: 300; Price: 49 EUR", "Model: Orbit L; Lumens: 600; Price: 79 EUR"],
        ),
        ("one", "guide.docx", build_document("docx", "Orbit lamp guide", SECTIONS, TABLE), None),
        ("manual", "guide.md", build_document("md", "Orbit lamp guide", [(h, ps * 6) for h, ps in SECTIONS]), None),
        ("laws", "guide.pdf", build_document("pdf", "Orbit lamp guide", [(h, ps * 6) for h, ps in SECTIONS]), None),
    ],
)
def test_chunk_methods(api: httpx.Client, method: str, name: str, data: bytes, expected: list[str] | None) -> None:
    dataset_id = dataset(api, chunk_method=method, parser_config={"chunk_token_num": 48})
    doc = parse(api, dataset_id, {name: data})[name]
    assert doc["run"] == "DONE", doc["progress_msg"]
    chunks = chunks_of(api, dataset_id, doc)
    if expected is not None:
        assert chunks == expected
    elif method == "one":
        assert len(chunks) == 1 and "never use solvents" in chunks[0] and "79 EUR" in chunks[0]
    else:  # heading-aware: every chunk of a section starts with its heading
        for chunk in [c for c in chunks if "charges" in c]:
            assert "Charging" in chunk.split("\n", 1)[0], chunk
        for chunk in [c for c in chunks if "solvents" in c]:
            assert "Cleaning" in chunk.split("\n", 1)[0] and "charges" not in chunk, chunk


def test_chunk_token_num_and_delimiter_are_honoured(api: httpx.Client) -> None:
    body = "# ".join(f"clause {i} says the lamp may be returned within thirty days" for i in range(40)).encode()
    dataset_id = dataset(api, parser_config={"chunk_token_num": 30, "delimiter": "#", "overlapped_percent": 0})
    doc = parse(api, dataset_id, {"terms.txt": body})["terms.txt"]
    chunks = chunks_of(api, dataset_id, doc)
    assert len(chunks) >= 10
    assert all(len(c.split()) <= 30 for c in chunks)
    assert all(c.endswith("#") for c in chunks[:-1])


def test_raptor_and_graphrag_are_not_supported(api: httpx.Client) -> None:
    for feature in ("raptor", "graphrag"):
        body = {"name": "f-" + new_id()[:10], "parser_config": {feature: {f"use_{feature}": True}}}
        response = api.post("/datasets", json=body)
        assert response.status_code == 400 and response.json()["code"] == 102
        assert response.json()["message"] == f"`parser_config.{feature}` is not supported."
    # RAGFlow's own default config switches them off: accepted.
    off = {"raptor": {"use_raptor": False}, "graphrag": {"use_graphrag": False}}
    ok(api.post("/datasets", json={"name": "f-" + new_id()[:10], "parser_config": off}))


def test_unknown_chunk_method_names_the_supported_ones(api: httpx.Client) -> None:
    response = api.post("/datasets", json={"name": "f-" + new_id()[:10], "chunk_method": "picture"})
    assert response.status_code == 400
    message = response.json()["message"]
    for method in ("naive", "qa", "table", "one", "manual", "paper", "book", "laws"):
        assert method in message
