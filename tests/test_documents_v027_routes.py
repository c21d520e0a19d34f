"""Document routes of RAGFlow v0.27.0 beyond API.md §7 (API.md §9.1): upload variants, the file
store, ingest, thumbnails, chunk images, artifacts, and the compiled-knowledge routes of a
dataset that has nothing compiled."""

from __future__ import annotations

import base64
import http.server
import re
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from dataset_http import client, error, new_dataset, ok, upload

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits

LIMITS = KeyLimits(requests_per_minute=100_000, burst=10_000)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with client(stack.gateway_url, mint_key(stack.mongo_url, "docs027-" + new_id(), LIMITS)) as http:
        yield http


@pytest.fixture(scope="module")
def other(stack: Stack) -> Iterator[httpx.Client]:
    with client(stack.gateway_url, mint_key(stack.mongo_url, "docs027-other-" + new_id(), LIMITS)) as http:
        yield http


def docs_of(api: httpx.Client, dataset_id: str) -> dict[str, dict]:
    return {d["id"]: d for d in ok(api.get(f"/datasets/{dataset_id}/documents", params={"page_size": 100}))["docs"]}


# ---- POST /datasets/{id}/documents?type=empty|web ----------------------------------------


def test_an_empty_document(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    url = f"/datasets/{dataset['id']}/documents"
    doc = ok(api.post(url, params={"type": "EMPTY"}, json={"name": "  notes  "}))
    assert (doc["name"], doc["size"], doc["type"], doc["run"], doc["dataset_id"]) == (
        "notes",
        0,
        "virtual",
        "UNSTART",
        dataset["id"],
    )
    assert docs_of(api, dataset["id"])[doc["id"]]["name"] == "notes"
    taken = api.post(url, params={"type": "empty"}, json={"name": "notes"})
    assert error(taken, 400, 102) == "Duplicated document name in the same dataset."
    assert error(api.post(url, params={"type": "empty"}, json={"name": " "}), 400, 102) == "File name can't be empty."
    assert error(api.post(url, params={"type": "empty"}, json={}), 400, 102) == "File name can't be empty."
    long_name = api.post(url, params={"type": "empty"}, json={"name": "é" * 128})
    assert error(long_name, 400, 102) == "File name must be 255 bytes or less."
    bad_type = api.post(url, params={"type": "ftp"}, json={"name": "x"})
    assert error(bad_type, 400, 102) == '`type` must be one of "local", "web", or "empty".'
    error(other.post(url, params={"type": "empty"}, json={"name": "mine"}), 404, 105)
    assert len(docs_of(api, dataset["id"])) == 1


def test_a_web_page_is_checked_before_it_is_fetched(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    url = f"/datasets/{dataset['id']}/documents"
    web = {"type": "web"}
    assert error(api.post(url, params=web, data={"url": "https://example.com"}), 400, 102) == 'Lack of "name"'
    assert error(api.post(url, params=web, data={"name": "page"}), 400, 102) == 'Lack of "url"'
    for bad in ("ftp://example.com/x", "not a url", "http://127.0.0.1:9/x", "http://10.1.2.3/", "http://localhost/"):
        refused = api.post(url, params=web, data={"name": "page", "url": bad})
        assert error(refused, 400, 102) == "The URL format is invalid", bad
    assert "form" in error(api.post(url, params=web, json={"name": "p", "url": "https://example.com"}), 400, 102)
    error(other.post(url, params=web, data={"name": "page", "url": "https://example.com"}), 404, 105)
    assert docs_of(api, dataset["id"]) == {}


class _Pages(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/lamp")
            self.end_headers()
            return
        if self.path != "/lamp":
            self.send_response(404)
            self.end_headers()
            return
        body = b"<html><body><h1>Lumio</h1><p>The Lumio lamp dims to 5 percent.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def page_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_web_page_becomes_a_document(stack: Stack, gateway_group: Callable[..., Stack], page_server: str) -> None:
    """Private hosts are refused by default; a deployment that allows them (here, to reach the
    test's own server) fetches the page, follows redirects, and stores it under its type."""
    group = gateway_group(1, {"RAGCHAT_WEB_FETCH_PRIVATE_HOSTS": "true"})
    key = mint_key(stack.mongo_url, "web-" + new_id(), LIMITS)
    with client(group.gateway_urls[0], key) as api:
        dataset = new_dataset(api)
        url = f"/datasets/{dataset['id']}/documents"
        doc = ok(api.post(url, params={"type": "web"}, data={"name": "lamp", "url": page_server + "/moved"}))
        assert (doc["name"], doc["type"], doc["run"]) == ("lamp.html", "doc", "UNSTART")
        again = ok(api.post(url, params={"type": "web"}, data={"name": "lamp", "url": page_server + "/lamp"}))
        assert again["name"] == "lamp(1).html"
        download = api.get(f"/datasets/{dataset['id']}/documents/{doc['id']}")
        assert b"dims to 5 percent" in download.content
        missing = api.post(url, params={"type": "web"}, data={"name": "gone", "url": page_server + "/gone"})
        assert "404" in error(missing, 400, 102)


# ---- the file store, ingest, thumbnails ---------------------------------------------------


def test_files_kept_outside_datasets(api: httpx.Client) -> None:
    one = ok(api.post("/documents/upload", files=[("file", ("plan.txt", b"# Plan"))]))
    assert (one["name"], one["size"], one["extension"], one["mime_type"]) == ("plan.txt", 6, "txt", "text/plain")
    assert re.fullmatch(r"[0-9a-f]{32}", one["id"]) and one["preview_url"] is None
    assert abs(one["created_at"] - time.time()) < 120
    several = ok(api.post("/documents/upload", files=[("file", ("a.bin", b"\x00\x01")), ("file", ("b", b""))]))
    assert [(f["name"], f["size"], f["extension"]) for f in several] == [("a.bin", 2, "bin"), ("b", 0, "")]
    assert len({f["id"] for f in several}) == 2
    both = api.post("/documents/upload", params={"url": "https://example.com"}, files=[("file", ("a.txt", b"a"))])
    assert error(both, 400, 102) == "Provide either multipart file(s) or ?url=..., not both."
    assert error(api.post("/documents/upload"), 400, 102) == "Missing input: provide multipart file(s) or url"
    local = api.post("/documents/upload", params={"url": "http://127.0.0.1:1/x"})
    assert error(local, 400, 102) == "The URL format is invalid"


def test_ingest_parses_and_cancels_by_document_id(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    doc, idle = upload(api, dataset["id"], ("owls.txt", b"Barn owls hunt at night."), ("idle.txt", b"Idle."))
    assert ok(api.post("/documents/ingest", json={"doc_ids": [doc["id"]], "run": "1"})) is True
    deadline = time.monotonic() + 90
    while docs_of(api, dataset["id"])[doc["id"]]["run"] not in ("DONE", "FAIL"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert docs_of(api, dataset["id"])[doc["id"]]["run"] == "DONE"
    assert docs_of(api, dataset["id"])[idle["id"]]["run"] == "UNSTART"
    not_running = api.post("/documents/ingest", json={"doc_ids": [idle["id"]], "run": 2})
    assert error(not_running, 400, 102) == f"Document {idle['id']} is not being parsed."
    error(other.post("/documents/ingest", json={"doc_ids": [doc["id"]], "run": "1"}), 404, 105)
    assert error(api.post("/documents/ingest", json={"run": "1"}), 400, 102) == "`doc_ids` is required."
    assert "run" in error(api.post("/documents/ingest", json={"doc_ids": [doc["id"]], "run": "7"}), 400, 102)


def test_thumbnails(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    first, second = upload(api, dataset["id"], ("a.txt", b"a"), ("b.txt", b"b"))
    ids = [first["id"], second["id"], new_id()]
    assert ok(api.get("/thumbnails", params={"doc_ids": ids})) == {first["id"]: None, second["id"]: None}
    assert ok(other.get("/thumbnails", params={"doc_ids": ids})) == {}  # another tenant's are left out
    assert error(api.get("/thumbnails"), 400, 102) == 'Lack of "Document ID"'


# ---- chunks: images and dates -------------------------------------------------------------


def test_chunk_images_and_dates(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("pics.txt", b"pictures"))
    chunks = f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks"
    encoded = base64.b64encode(PNG).decode()
    chunk = ok(api.post(chunks, json={"content": "a lamp photo", "image_base64": encoded}))["chunk"]
    assert chunk["image_id"] == f"{dataset['id']}-{chunk['id']}" and chunk["doc_type_kwd"] == "image"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", chunk["create_time"]), chunk["create_time"]
    assert abs(chunk["create_timestamp"] - time.time()) < 120
    image = api.get(f"/documents/images/{chunk['image_id']}")
    assert (image.status_code, image.headers["content-type"], image.content) == (200, "image/png", PNG)
    error(other.get(f"/documents/images/{chunk['image_id']}"), 404, 105)
    assert error(api.get(f"/documents/images/{dataset['id']}-{new_id()}"), 404, 105) == "Image not found."
    error(api.get("/documents/images/nohyphen"), 404, 105)

    jpeg = b"\xff\xd8\xff\xe0" + b"\x01" * 8
    updated = ok(api.put(f"{chunks}/{chunk['id']}", json={"image_base64": base64.b64encode(jpeg).decode()}))
    assert updated["image_id"] == chunk["image_id"] and updated["content"] == "a lamp photo"
    replaced = api.get(f"/documents/images/{chunk['image_id']}")
    assert (replaced.headers["content-type"], replaced.content) == ("image/jpeg", jpeg)
    listed = ok(api.get(chunks))["chunks"]
    assert [(c["id"], c["image_id"]) for c in listed] == [(chunk["id"], chunk["image_id"])]
    plain = ok(api.post(chunks, json={"content": "no picture"}))["chunk"]
    assert (plain["image_id"], plain["doc_type_kwd"]) == ("", "text")

    for bad, message in (
        ("", "`image_base64` must be a non-empty string"),
        (5, "`image_base64` must be a non-empty string"),
        ("not base64!", "Invalid `image_base64`"),
        ("data:image/png;base64," + encoded, "Invalid `image_base64`"),
    ):
        assert message in error(api.post(chunks, json={"content": "x", "image_base64": bad}), 400, 102)
        assert message in error(api.put(f"{chunks}/{chunk['id']}", json={"image_base64": bad}), 400, 102)
    ok(api.request("DELETE", chunks, json={"chunk_ids": [chunk["id"]]}))
    error(api.get(f"/documents/images/{chunk['image_id']}"), 404, 105)  # gone with its chunk


def test_sandbox_artifacts(api: httpx.Client) -> None:
    assert error(api.get("/documents/artifact/report.exe"), 400, 102) == "invalid file type"
    assert error(api.get("/documents/artifact/..%5Creport.png"), 400, 102) == "Invalid filename."
    assert error(api.get("/documents/artifact/report.png"), 404, 105) == "Artifact not found."


# ---- compiled knowledge: a dataset that has none ------------------------------------------


def test_compiled_knowledge_of_a_dataset_without_any(api: httpx.Client, other: httpx.Client) -> None:
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("a.txt", b"a"))
    base = f"/datasets/{dataset['id']}"
    empty = {"total": 0, "items": []}
    reads = {
        "/artifacts": empty,
        "/artifacts/topics": empty,
        "/artifacts/graph": {"entities": [], "relations": []},
        "/artifacts/structure?kind=mind-map": {"kind": "mind-map", "templates": []},
        "/artifacts/alteration?kind=tree": {
            "removed": 0,
            "newly_uploaded": 0,
            "removed_doc_ids": [],
            "newly_uploaded_doc_ids": [],
            "involved_doc_ids": [],
            "eligible_doc_ids": [],
        },
        "/artifacts/entity/lumio/lamp": None,
        "/skills": None,
        "/skills/some/skill": None,
        "/navigation": empty,
        "/navigation?keywords=x&top_k=0": empty,
        "/navigation/search?q=lamp&mode=chunk": {"mode": "chunk", **empty},
        "/navigation/search": {"mode": "nav_doc", **empty},
        "/navigation/a/b/children": empty,
        f"/documents/{doc['id']}/structure/graph": {"templates": []},
    }
    for path, expected in reads.items():
        assert ok(api.get(base + path)) == expected, path
        error(other.get(base + path), 404, 105)
    writes = [
        ("DELETE", "/artifacts", None, {"deleted": {}}),
        ("DELETE", "/artifacts/structure?kind=graph&wipe=false", None, {}),
        ("PUT", "/artifacts/entity/lumio", {"content_md": "# Lumio"}, None),
        ("DELETE", "/skills", None, {"deleted": 0}),
        ("DELETE", "/skills/some/skill", None, {"deleted": 0}),
        ("DELETE", "/navigation", None, {"deleted": 0}),
        ("DELETE", "/navigation/a/b", None, {"deleted": 0}),
        ("DELETE", f"/documents/{doc['id']}/structure/graph", {"template_id": "raptor"}, {"deleted": 0}),
    ]
    for method, path, body, expected in writes:
        assert ok(api.request(method, base + path, json=body)) == expected, path
        error(other.request(method, base + path, json=body), 404, 105)
    for path in ("/artifacts", "/skills"):
        assert api.head(base + path).status_code == 404
        assert other.head(base + path).status_code == 404
    refused = {
        "/artifacts/structure": "`kind` is required (one of: graph, mindmap, timeline, session_essence, "
        "session_graph).",
        "/artifacts/structure?kind=tree": "Unsupported structure kind: 'tree'. Expected one of: graph, mindmap, "
        "timeline, session_essence, session_graph.",
        "/artifacts/alteration?kind=wild": "Unsupported kind: 'wild'. Expected one of: wiki, graph, mindmap, "
        "timeline, tree.",
        "/navigation?top_k=many": "top_k must be a positive integer",
        "/navigation/search?q=x&mode=deep": "unknown mode: deep, expected one of ['chunk', 'nav_doc', "
        "'nav_cluster', 'navigation_tree', 'all']",
        "/artifacts?page=0": "page",
    }
    for path, message in refused.items():
        assert message in error(api.get(base + path), 400, 102), path
    edit = api.put(base + "/artifacts/entity/lumio", json={"content_md": 5})
    assert error(edit, 400, 102) == "'content_md' must be a string."
    graph = f"{base}/documents/{doc['id']}/structure/graph"
    assert error(api.request("DELETE", graph, json={}), 400, 102) == "`template_id` is required"
    assert error(api.request("DELETE", graph, json={"template_id": "legacy: "}), 400, 102) == "`template_id` is invalid"
    error(api.get(f"{base}/documents/{new_id()}/structure/graph"), 404, 105)
    refused_build = api.post(base + "/navigation", json={})
    assert error(refused_build, 400, 102) == "Dataset navigation trees are not supported by this server."
    error(other.post(base + "/navigation", json={}), 404, 105)
