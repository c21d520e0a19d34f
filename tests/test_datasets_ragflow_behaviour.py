"""RAGFlow's dataset/document/chunk behaviour where API.md is silent (issue 16, point 5), over HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from dataset_http import client, error, new_dataset, ok, parse_and_wait, unique, upload, wait_done

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits

PNG_AVATAR = "data:image/png;base64,iVBORw0KGgo="


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    key = mint_key(stack.mongo_url, "behaviour-" + new_id(), KeyLimits(requests_per_minute=100_000, burst=10_000))
    with client(stack.gateway_url, key) as http:
        yield http


@pytest.fixture(scope="module")
def dataset_with_docs(api: httpx.Client) -> Callable[..., tuple[dict, list[dict]]]:
    def make(*files: tuple[str, bytes]) -> tuple[dict, list[dict]]:
        dataset = new_dataset(api)
        return dataset, upload(api, dataset["id"], *files)

    return make


# ---- datasets -----------------------------------------------------------------------------


def test_a_taken_dataset_name_is_numbered(api: httpx.Client) -> None:
    name = unique()
    first = ok(api.post("/datasets", json={"name": name}))
    second = ok(api.post("/datasets", json={"name": name}))
    third = ok(api.post("/datasets", json={"name": name.upper()}))  # names are unique ignoring case
    assert (first["name"], second["name"], third["name"]) == (name, f"{name}(1)", f"{name.upper()}(2)")
    # a copy of a numbered name goes on from its counter
    assert ok(api.post("/datasets", json={"name": f"{name}(1)"}))["name"] == f"{name}(3)"
    # renaming onto a taken name is refused, as RAGFlow does
    message = error(api.put(f"/datasets/{second['id']}", json={"name": name}), 400, 102)
    assert message == f"Dataset name '{name}' already exists"


def test_unset_optional_fields_read_back_as_null(api: httpx.Client) -> None:
    bare = new_dataset(api)
    assert bare["description"] is None and bare["avatar"] is None
    listed = ok(api.get("/datasets", params={"id": bare["id"]}))[0]
    assert listed["description"] is None and listed["avatar"] is None
    given = new_dataset(api, description="about", avatar=PNG_AVATAR)
    assert given["description"] == "about" and given["avatar"] == PNG_AVATAR
    cleared = ok(api.put(f"/datasets/{given['id']}", json={"description": None}))
    assert cleared["description"] is None and cleared["avatar"] == PNG_AVATAR


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"chunk_method": ""}, "chunk_method"),
        ({"permission": ""}, "permission"),
        ({"permission": "everyone"}, "permission"),
        ({"avatar": "https://example.com/a.png"}, "avatar"),
        ({"avatar": "data:image/gif;base64,R0lGOD"}, "avatar"),
        ({"description": "d" * 65536}, "description"),
        ({"name": "n" * 129}, "name"),
        ({"chunk_method": None}, "chunk_method"),
        ({"permission": None}, "permission"),
        ({"parser_config": [1]}, "parser_config"),
        ({"parser_config": {"delimiter": "a" * 65536}}, "exceeds size limit"),
        ({"embedding_model": ""}, "embedding_model"),
        ({"embedding_model": "  "}, "embedding_model"),
        ({"chunk_count": 3}, "chunk_count"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_dataset_create_refuses_what_ragflow_refuses(api: httpx.Client, body: dict, needle: str) -> None:
    assert needle in error(api.post("/datasets", json={"name": unique(), **body}), 400, 102)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "No properties were modified"),
        ({"chunk_count": 5}, "chunk_count"),
        ({"id": "0" * 32}, "id"),
        ({"colour": "red"}, "colour"),
        ({"chunk_method": None}, "chunk_method"),
        ({"chunk_method": ""}, "chunk_method"),
        ({"permission": None}, "permission"),
        ({"permission": ""}, "permission"),
        ({"name": None}, "name"),
        ({"parser_config": "big"}, "parser_config"),
        ({"parser_config": {"delimiter": "a" * 65536}}, "exceeds size limit"),
        ({"embedding_model": ""}, "embedding_model"),
        ({"avatar": "not-a-data-url"}, "avatar"),
        ({"description": "d" * 65536}, "description"),
        ({"name": "n" * 129}, "name"),
        ({"pagerank": 101}, "pagerank"),
    ],
)
def test_dataset_update_refuses_what_ragflow_refuses(api: httpx.Client, body: dict, needle: str) -> None:
    dataset = new_dataset(api)
    assert needle in error(api.put(f"/datasets/{dataset['id']}", json=body), 400, 102)
    assert ok(api.get("/datasets", params={"id": dataset["id"]}))[0]["update_time"] == dataset["update_time"]


def test_dataset_update_of_the_fields_ragflow_allows(api: httpx.Client) -> None:
    dataset = new_dataset(api)
    assert (dataset["language"], dataset["connectors"]) == ("English", [])
    # v0.27's update takes a language and (empty) connectors too
    renamed = ok(api.put(f"/datasets/{dataset['id']}", json={"language": "Chinese", "connectors": []}))
    assert (renamed["language"], renamed["connectors"]) == ("Chinese", [])
    assert ok(api.get("/datasets", params={"id": dataset["id"]}))[0]["language"] == "Chinese"
    assert "language" in error(api.put(f"/datasets/{dataset['id']}", json={"language": "x" * 33}), 400, 102)
    linked = api.put(f"/datasets/{dataset['id']}", json={"connectors": [{"id": "c1"}]})
    assert "connectors" in error(linked, 400, 102)
    updated = ok(
        api.put(
            f"/datasets/{dataset['id']}",
            json={"pagerank": 7, "permission": "team", "avatar": PNG_AVATAR, "description": "now"},
        )
    )
    assert (updated["pagerank"], updated["permission"], updated["avatar"], updated["description"]) == (
        7,
        "team",
        PNG_AVATAR,
        "now",
    )


def test_a_dataset_filter_matching_nothing_is_an_error(api: httpx.Client) -> None:
    missing = new_id()
    assert f"lacks permission for dataset '{missing}'" in error(api.get("/datasets", params={"id": missing}), 404, 105)
    assert "lacks permission" in error(api.get("/datasets", params={"name": unique("nope")}), 404, 105)


def test_an_id_and_a_name_of_two_different_datasets_list_nothing(api: httpx.Client) -> None:
    """As RAGFlow: each filter must name a dataset of the tenant; together they may match none."""
    first, second = new_dataset(api), new_dataset(api)
    assert ok(api.get("/datasets", params={"id": first["id"], "name": second["name"]})) == []
    assert ok(api.get("/datasets", params={"id": first["id"], "name": first["name"]}))[0]["id"] == first["id"]
    missing = unique("nope")
    assert f"lacks permission for dataset '{missing}'" in error(
        api.get("/datasets", params={"id": first["id"], "name": missing}), 404, 105
    )


# ---- documents ----------------------------------------------------------------------------


def test_uploaded_names_taken_in_the_dataset_are_numbered(api: httpx.Client) -> None:
    dataset = new_dataset(api)
    first = upload(api, dataset["id"], ("notes.txt", b"one"), ("notes.txt", b"two"), ("notes(1).txt", b"three"))
    assert [d["name"] for d in first] == ["notes.txt", "notes(1).txt", "notes(2).txt"]
    again = upload(api, dataset["id"], ("notes.txt", b"four"))
    assert again[0]["name"] == "notes(3).txt"
    # another dataset has its own names
    assert upload(api, new_dataset(api)["id"], ("notes.txt", b"x"))[0]["name"] == "notes.txt"


def test_empty_files_are_accepted(api: httpx.Client) -> None:
    dataset = new_dataset(api)
    (empty,) = upload(api, dataset["id"], ("empty.txt", b""))
    assert empty["size"] == 0 and empty["run"] == "UNSTART"
    state = parse_and_wait(api, dataset["id"], [empty["id"]])
    assert state[empty["id"]]["run"] in ("DONE", "FAIL") and state[empty["id"]]["chunk_count"] == 0


def test_a_document_filter_matching_nothing_is_an_error(api: httpx.Client, dataset_with_docs: Callable) -> None:
    dataset, _ = dataset_with_docs(("a.txt", b"a"))
    missing = new_id()
    base = f"/datasets/{dataset['id']}/documents"
    assert error(api.get(base, params={"id": missing}), 404, 105) == f"You don't own the document {missing}."
    assert error(api.get(base, params={"name": "zzz.txt"}), 404, 105) == "You don't own the document zzz.txt."
    assert ok(api.get(base, params={"name": "a.txt"}))["total"] == 1


def test_document_delete_reports_unknown_and_duplicate_ids(api: httpx.Client, dataset_with_docs: Callable) -> None:
    dataset, docs = dataset_with_docs(("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c"))
    base = f"/datasets/{dataset['id']}/documents"
    twice = ok(api.request("DELETE", base, json={"ids": [docs[0]["id"], docs[0]["id"]]}))
    assert twice == {"success_count": 1, "errors": [f"Duplicate document ids: {docs[0]['id']}"]}
    unknown = new_id()
    message = error(api.request("DELETE", base, json={"ids": [docs[1]["id"], unknown]}), 400, 102)
    assert message == f"Documents not found: ['{unknown}']"
    assert [d["id"] for d in ok(api.get(base))["docs"]] == [docs[2]["id"]]  # the known one went
    error(api.request("DELETE", base, json={"ids": [unknown]}), 404, 105)  # all unknown: not found


# v0.27.0 checks every id before it deletes any (v0.22.1, above, deleted the known ones and then
# said 102: a client was told it failed while its documents were gone), and answers the count.
def test_document_delete_in_the_v027_dialect_is_all_or_nothing(stack: Stack) -> None:
    key = mint_key(stack.mongo_url, "behaviour027-" + new_id(), ragflow_version="0.27")
    with client(stack.gateway_url, key) as api027:
        dataset = new_dataset(api027)
        docs = upload(api027, dataset["id"], ("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c"))
        a, b, c = (d["id"] for d in docs)
        base = f"/datasets/{dataset['id']}/documents"
        unknown = new_id()
        refused = error(api027.request("DELETE", base, json={"ids": [a, unknown, b]}), 400, 102)
        assert refused == f"These documents do not belong to dataset {dataset['id']} or Document not found: {unknown}"
        twice = error(api027.request("DELETE", base, json={"ids": [a, a]}), 400, 102)
        assert twice == f"Duplicate document ids: {a}"
        assert sorted(d["id"] for d in ok(api027.get(base))["docs"]) == sorted([a, b, c])

        assert ok(api027.request("DELETE", base, json={"ids": [a, b]})) == {"deleted": 2}
        again = error(api027.request("DELETE", base, json={"ids": [a]}), 400, 102)
        assert again.endswith(f"or Document not found: {a}")
        assert ok(api027.request("DELETE", base, json={"delete_all": True})) == {"deleted": 1}
        assert ok(api027.get(base))["docs"] == []


# RAGFlow (0.22.1 and 0.27.0) parses the documents it finds and names the others in a 102, as a
# delete does; ragchat refused the whole request (404) and parsed nothing.
def test_parsing_with_unknown_ids_parses_the_known_ones(api: httpx.Client, dataset_with_docs: Callable) -> None:
    dataset, (a, b) = dataset_with_docs(("a.txt", b"Owls hunt mice."), ("b.txt", b"Bats eat moths."))
    url = f"/datasets/{dataset['id']}/chunks"
    message = error(api.post(url, json={"document_ids": [a["id"], "invalid_id", b["id"]]}), 400, 102)
    assert message == "Documents not found: ['invalid_id']"
    assert [d["run"] for d in wait_done(api, dataset["id"], [a["id"], b["id"]])] == ["DONE", "DONE"]
    stopped = error(api.request("DELETE", url, json={"document_ids": [a["id"], "invalid_id"]}), 400, 102)
    assert stopped == "Documents not found: ['invalid_id']"
    error(api.post(url, json={"document_ids": ["invalid_id"]}), 404, 105)  # all unknown: not found
    assert error(api.post(url, json={}), 400, 102) == "`document_ids` is required"  # RAGFlow's words
    error(api.request("DELETE", url, json={"document_ids": ["invalid_id"]}), 404, 105)
    # an id sent twice is parsed once, and said (RAGFlow's test_duplicate_parse)
    twice = ok(api.post(url, json={"document_ids": [a["id"], b["id"], a["id"]]}))
    assert twice == {"success_count": 2, "errors": [f"Duplicate document ids: {a['id']}"]}
    wait_done(api, dataset["id"], [a["id"], b["id"]])


def test_document_update_refusals(api: httpx.Client, dataset_with_docs: Callable) -> None:
    dataset, (a, _) = dataset_with_docs(("a.txt", b"a"), ("b.txt", b"b"))
    url = f"/datasets/{dataset['id']}/documents/{a['id']}"
    assert error(api.put(url, json={"chunk_count": 3}), 400, 102) == "Can't change `chunk_count`."
    assert error(api.put(url, json={"token_count": 3}), 400, 102) == "Can't change `token_count`."
    assert error(api.put(url, json={"progress": 0.5}), 400, 102) == "Can't change `progress`."
    assert "name" in error(api.put(url, json={"name": None}), 400, 102)
    assert error(api.put(url, json={"name": "b.txt"}), 400, 102) == "Duplicated document name in the same dataset."
    assert "chunk_method" in error(api.put(url, json={"chunk_method": ""}), 400, 102)
    assert "exceeds size limit" in error(api.put(url, json={"parser_config": {"delimiter": "a" * 65536}}), 400, 102)
    # read-only fields sent unchanged (a client echoing the object) are harmless
    same = ok(api.put(url, json={"name": "a2.txt", "chunk_count": 0, "progress": 0}))
    assert same["name"] == "a2.txt"
    assert ok(api.put(url, json={"name": "a2.txt"}))["name"] == "a2.txt"  # its own name is not "taken"


# ---- chunks -------------------------------------------------------------------------------


def test_document_update_refusals_in_the_v027_dialect(stack: Stack) -> None:
    key = mint_key(stack.mongo_url, "behaviour027-" + new_id(), ragflow_version="0.27")
    with client(stack.gateway_url, key) as api027:
        dataset = new_dataset(api027)
        (doc,) = upload(api027, dataset["id"], ("a.txt", b"a"))
        url = f"/datasets/{dataset['id']}/documents/{doc['id']}"
        # v0.27.0 words it so; v0.22.1 as "Can't change `chunk_count`." (the test above)
        assert error(api027.put(url, json={"chunk_count": 3}), 400, 102) == "can't change `chunk_count`"
        assert error(api027.put(url, json={"progress": 0.5}), 400, 102) == "can't change `progress`"


def test_chunks_keywords_deletes_and_filters(api: httpx.Client, dataset_with_docs: Callable) -> None:
    dataset, (doc,) = dataset_with_docs(("pad.txt", b"Notes about the launch pad."))
    state = parse_and_wait(api, dataset["id"], [doc["id"]])
    assert "Task done" in state[doc["id"]]["progress_msg"]
    base = f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks"
    blank = ok(api.post(base, json={"content": "kept as sent", "important_keywords": [""]}))["chunk"]
    assert blank["important_keywords"] == [""]
    listed = {c["id"]: c for c in ok(api.get(base))["chunks"]}
    assert listed[blank["id"]]["important_keywords"] == [""]
    # RAGFlow's words (v0.22.1 and v0.27.0), on adding and on updating
    assert error(api.post(base, json={"content": " "}), 400, 102) == "`content` is required"
    for field in ("important_keywords", "questions", "tag_kwd"):
        not_a_list = error(api.post(base, json={"content": "c", field: "x"}), 400, 102)
        assert not_a_list == f"`{field}` is required to be a list"
        assert error(api.put(f"{base}/{blank['id']}", json={field: "x"}), 400, 102) == not_a_list
    assert (
        error(api.post(base, json={"content": "c", "tag_kwd": [1]}), 400, 102) == "`tag_kwd` must be a list of strings"
    )
    assert error(api.put(f"{base}/{blank['id']}", json={"content": ""}), 400, 102) == "`content` is required"

    missing = new_id()
    assert error(api.get(base, params={"id": missing}), 404, 105) == f"Chunk not found: {dataset['id']}/{missing}"

    extra = [ok(api.post(base, json={"content": f"extra {i}"}))["chunk"]["id"] for i in range(3)]
    twice = ok(api.request("DELETE", base, json={"chunk_ids": [extra[0], extra[0]]}))
    assert twice == {"success_count": 1, "errors": [f"Duplicate chunk ids: {extra[0]}"]}
    message = error(api.request("DELETE", base, json={"chunk_ids": [extra[1], missing]}), 400, 102)
    assert message == f"Chunks not found: ['{missing}']"
    remaining = {c["id"] for c in ok(api.get(base))["chunks"]}
    assert extra[1] not in remaining and extra[2] in remaining
    error(api.request("DELETE", base, json={"chunk_ids": [missing]}), 404, 105)


def test_adding_the_same_chunk_text_twice_keeps_one_chunk(api: httpx.Client, dataset_with_docs: Callable) -> None:
    """As RAGFlow: a chunk added by hand is named by its text and document, so a second add replaces it."""
    dataset, (doc, other) = dataset_with_docs(("a.txt", b"a"), ("b.txt", b"b"))
    base = f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks"
    first = ok(api.post(base, json={"content": "said twice"}))["chunk"]
    second = ok(api.post(base, json={"content": "said twice", "important_keywords": ["again"]}))["chunk"]
    listed = ok(api.get(base))
    assert second["id"] == first["id"] and [c["id"] for c in listed["chunks"]] == [first["id"]]
    # the document's chunk_count counts adds, as RAGFlow's does (its suites check +1 per add)
    assert listed["chunks"][0]["important_keywords"] == ["again"] and listed["doc"]["chunk_count"] == 2
    # the same text in another document is a chunk of its own
    elsewhere = f"/datasets/{dataset['id']}/documents/{other['id']}/chunks"
    assert ok(api.post(elsewhere, json={"content": "said twice"}))["chunk"]["id"] != first["id"]


def test_lists_filtered_by_ids_return_exactly_those(api: httpx.Client, dataset_with_docs: Callable) -> None:
    dataset, docs = dataset_with_docs(("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c"))
    base = f"/datasets/{dataset['id']}/documents"
    picked = ok(api.get(base, params={"ids": [docs[0]["id"], docs[2]["id"]]}))
    assert sorted(d["id"] for d in picked["docs"]) == sorted([docs[0]["id"], docs[2]["id"]]) and picked["total"] == 2
    commas = ok(api.get(base, params={"ids": f"{docs[1]['id']},{new_id()}"}))
    assert [d["id"] for d in commas["docs"]] == [docs[1]["id"]]
    assert "either" in error(api.get(base, params={"id": docs[0]["id"], "ids": [docs[1]["id"]]}), 400, 102)
    other = new_dataset(api)
    listed = ok(api.get("/datasets", params={"ids": [dataset["id"], other["id"]]}))
    assert sorted(d["id"] for d in listed) == sorted([dataset["id"], other["id"]])


def test_documents_filtered_by_run_suffix_and_type(api: httpx.Client, dataset_with_docs: Callable) -> None:
    """As RAGFlow: each filter keeps the documents with any of its values; unknown ones are 102."""
    dataset, (parsed, waiting, page) = dataset_with_docs(
        ("parsed.txt", b"Parsed text."), ("waiting.md", b"# Waiting"), ("page.pdf", b"%PDF-1.4 never parsed here")
    )
    parse_and_wait(api, dataset["id"], [parsed["id"]])
    base = f"/datasets/{dataset['id']}/documents"

    def listed(**params: Any) -> set[str]:
        return {d["id"] for d in ok(api.get(base, params=params))["docs"]}

    assert listed(run="DONE") == listed(run="3") == {parsed["id"]}
    assert listed(run=["unstart", "FAIL"]) == {waiting["id"], page["id"]}
    assert listed(suffix="md,pdf") == {waiting["id"], page["id"]} and listed(suffix="txt") == {parsed["id"]}
    assert listed(types="pdf") == {page["id"]} and listed(types="doc", run="UNSTART") == {waiting["id"]}
    message = error(api.get(base, params={"run": "SOMETIME"}), 400, 102)
    assert message == "Invalid filter run status conditions: SOMETIME"
    assert error(api.get(base, params={"types": "video"}), 400, 102) == "Invalid filter conditions: video type"


# ---- retrieval, uploads, dates ------------------------------------------------------------


def test_retrieval_of_an_empty_question_and_highlight(api: httpx.Client, dataset_with_docs: Callable) -> None:
    dataset, (doc,) = dataset_with_docs(("owls.txt", b"Barn owls hunt mice at night."))
    parse_and_wait(api, dataset["id"], [doc["id"]])
    asked = {"dataset_ids": [dataset["id"]]}
    for blank in ("", "   "):
        assert ok(api.post("/retrieval", json={**asked, "question": blank})) == {
            "chunks": [],
            "doc_aggs": [],
            "total": 0,
        }
    assert "question" in error(api.post("/retrieval", json=asked), 400, 102)  # absent is still refused
    error(api.post("/retrieval", json={"question": "", "dataset_ids": [new_id()]}), 404, 105)
    plain = ok(api.post("/retrieval", json={**asked, "question": "owls hunt", "highlight": "False"}))
    assert plain["chunks"] and "highlight" not in plain["chunks"][0]
    marked = ok(api.post("/retrieval", json={**asked, "question": "owls hunt", "highlight": "true"}))
    assert marked["chunks"][0]["highlight"] == "Barn <em>owls</em> <em>hunt</em> mice at night."
    assert "highlight" in error(api.post("/retrieval", json={**asked, "question": "x", "highlight": "maybe"}), 400, 102)


def test_process_begin_at_is_ragflow_date_string(api: httpx.Client, dataset_with_docs: Callable) -> None:
    dataset, (doc,) = dataset_with_docs(("date.txt", b"Dates."))
    assert doc["process_begin_at"] is None
    state = parse_and_wait(api, dataset["id"], [doc["id"]])
    begun = state[doc["id"]]["process_begin_at"]
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", begun), begun


# The gateway sends all the files of an upload to retrieval-service in one streamed call, which
# stores them in a few bulk writes: ~3 s for these 1,000 on a quiet 2-core machine (one call and
# several round trips per file took ~130 s).
def test_a_thousand_files_in_one_upload(api: httpx.Client) -> None:
    dataset = new_dataset(api)
    (existing,) = upload(api, dataset["id"], ("f7.txt", b"already there"))
    names = [f"f{i}.txt" for i in range(998)] + ["f1.txt", "f1.txt"]
    files = [("file", (name, f"file {i}".encode())) for i, name in enumerate(names)]
    begun = time.monotonic()
    docs = ok(api.post(f"/datasets/{dataset['id']}/documents", files=files, timeout=300))
    print(f"1,000 files uploaded in {time.monotonic() - begun:.1f} s")
    # One document per file, in the order sent; taken names numbered, in the dataset and in the batch.
    expected = [{"f7.txt": "f7(1).txt"}.get(n, n) for n in names[:998]] + ["f1(1).txt", "f1(2).txt"]
    assert [d["name"] for d in docs] == expected
    assert [d["size"] for d in docs] == [len(f"file {i}") for i in range(1000)]
    assert len({d["id"] for d in docs} | {existing["id"]}) == 1001
    assert ok(api.get(f"/datasets/{dataset['id']}/documents", params={"page_size": 1}))["total"] == 1001
    download = api.get(f"/datasets/{dataset['id']}/documents/{docs[999]['id']}")
    assert download.content == b"file 999"


# RAGFlow's own suite deletes 1,000 datasets in one request; one by one (several writes each) it
# outran the gateway's deadline (503). Deleted in bulk writes, a few of them hold documents.
def test_a_thousand_datasets_deleted_in_one_request(api: httpx.Client) -> None:
    ids = [ok(api.post("/datasets", json={"name": f"bulk-{new_id()[:12]}"}))["id"] for _ in range(1000)]
    for dataset_id in ids[:3]:
        upload(api, dataset_id, ("kept.txt", b"gone with its dataset"))
    document = ok(api.get(f"/datasets/{ids[0]}/documents"))["docs"][0]
    reply = api.request("DELETE", "/datasets", json={"ids": ids}, timeout=120)
    assert reply.json() == {"code": 0, "message": "", "data": None}, reply.text
    for dataset_id in (ids[0], ids[500], ids[999]):
        assert api.get("/datasets", params={"id": dataset_id}).json()["code"] != 0
    assert api.get(f"/documents/{document['id']}").status_code == 404


def _thousand_documents(api: httpx.Client) -> tuple[dict, list[dict]]:
    """A dataset of 1,001 documents, two of them with a chunk each (vectors to delete)."""
    dataset = new_dataset(api)
    files = [("file", (f"d{i}.txt", f"document {i}".encode())) for i in range(1001)]
    docs = ok(api.post(f"/datasets/{dataset['id']}/documents", files=files, timeout=300))
    for doc in (docs[0], docs[1000]):
        ok(api.post(f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks", json={"content": "Owls hunt mice."}))
    return dataset, docs


def _timed_delete(api: httpx.Client, dataset_id: str, body: dict) -> httpx.Response:
    """The reply, which came well within the gateway's 30 s deadline (~2 s on a quiet 2-core
    machine; one document at a time took 15-21 s, and over 30 s on a busy one)."""
    begun = time.monotonic()
    reply = api.request("DELETE", f"/datasets/{dataset_id}/documents", json=body, timeout=120)
    elapsed = time.monotonic() - begun
    print(f"1,000 documents deleted in {elapsed:.1f} s")
    assert elapsed < 10, reply.text
    return reply


# RAGFlow's own suite deletes 1,000 documents in one request; one at a time (a vector delete and
# three writes each, ~27 ms) that outran the gateway's 30 s deadline: 503, half of them left.
def test_a_thousand_documents_deleted_in_one_request(api: httpx.Client) -> None:
    dataset, docs = _thousand_documents(api)
    doomed, kept = docs[:1000], docs[1000]
    ids = [d["id"] for d in doomed]
    reply = _timed_delete(api, dataset["id"], {"ids": [*ids, ids[5]]})
    assert reply.json() == {
        "code": 0,
        "message": "",
        "data": {"success_count": 1000, "errors": [f"Duplicate document ids: {ids[5]}"]},
    }, reply.text
    listed = ok(api.get(f"/datasets/{dataset['id']}/documents"))
    assert listed["total"] == 1 and listed["docs"][0]["id"] == kept["id"]
    assert api.get(f"/datasets/{dataset['id']}/documents/{doomed[0]['id']}").status_code == 404
    asked = {"question": "owls hunt mice", "dataset_ids": [dataset["id"]]}
    assert {c["document_id"] for c in ok(api.post("/retrieval", json=asked))["chunks"]} == {kept["id"]}


def test_delete_all_of_a_thousand_documents(api: httpx.Client) -> None:
    dataset, docs = _thousand_documents(api)
    reply = _timed_delete(api, dataset["id"], {"delete_all": True})
    assert reply.json() == {"code": 0, "message": "", "data": None}, reply.text
    assert ok(api.get(f"/datasets/{dataset['id']}/documents"))["total"] == 0
    assert (
        ok(api.post("/retrieval", json={"question": "owls hunt mice", "dataset_ids": [dataset["id"]]}))["chunks"] == []
    )
    assert api.get(f"/datasets/{dataset['id']}/documents/{docs[1000]['id']}").status_code == 404


def test_a_malformed_multipart_body_gets_a_clear_message(api: httpx.Client) -> None:
    dataset = new_dataset(api)
    url = f"/datasets/{dataset['id']}/documents"
    no_boundary = api.post(url, content=b"--x\r\n", headers={"Content-Type": "multipart/form-data"})
    assert "boundary" in error(no_boundary, 400, 102).lower()
    no_files = api.post(url, data={"note": "no file"}, files={})
    assert "file" in error(no_files, 400, 102)
    not_multipart = api.post(url, json={"file": "x"})
    assert "multipart/form-data" in error(not_multipart, 400, 102)


# ---- ragflow-0.27 keys: a bulk delete naming nothing deletes nothing ------------------------


def test_bulk_deletes_without_ids_and_wording_by_dialect(stack: Stack, api: httpx.Client) -> None:
    limits = KeyLimits(requests_per_minute=100_000, burst=10_000)
    tenant = "dialect-" + new_id()
    with client(stack.gateway_url, mint_key(stack.mongo_url, tenant, limits, ragflow_version="0.27")) as v027:
        dataset = new_dataset(v027)
        (doc,) = upload(v027, dataset["id"], ("x.txt", b"x"))
        chunks = f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks"
        ok(v027.post(chunks, json={"content": "one"}))
        assert ok(v027.request("DELETE", "/datasets", json={})) == {"success_count": 0}
        assert ok(v027.request("DELETE", f"/datasets/{dataset['id']}/documents", json={"ids": None})) is None
        assert ok(v027.request("DELETE", chunks, json={"chunk_ids": None})) is None
        assert ok(v027.get(chunks))["total"] == 1 and ok(v027.get(f"/datasets/{dataset['id']}"))["id"]
        ok(v027.request("DELETE", chunks, json={"delete_all": True}))
        assert ok(v027.get(chunks))["total"] == 0
        # and v0.27's words where the releases word an error differently
        missing = new_id()
        listed = v027.get(f"/datasets/{dataset['id']}/documents", params={"id": missing})
        assert error(listed, 404, 105) == f"you don't own the document {missing}"
        assert error(v027.put(f"/datasets/{dataset['id']}", json={}), 400, 102) == "no properties were modified"
    # ragflow-0.22 (the default): refused, as every bulk delete naming nothing (API.md §3)
    dataset = new_dataset(api)
    (doc,) = upload(api, dataset["id"], ("y.txt", b"y"))
    chunks = f"/datasets/{dataset['id']}/documents/{doc['id']}/chunks"
    ok(api.post(chunks, json={"content": "two"}))
    assert "delete_all" in error(api.request("DELETE", "/datasets", json={}), 400, 102)
    assert "delete_all" in error(api.request("DELETE", f"/datasets/{dataset['id']}/documents", json={}), 400, 102)
    assert "delete_all" in error(api.request("DELETE", chunks, json={}), 400, 102)
    assert ok(api.get(chunks))["total"] == 1
    ok(api.request("DELETE", chunks, json={"delete_all": True}))
    assert ok(api.get(chunks))["total"] == 0
