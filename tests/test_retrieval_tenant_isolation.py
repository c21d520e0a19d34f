"""Tenant isolation of knowledge bases: tenant B never sees or finds tenant A's data.

Both tenants index the same text, so a missing tenant filter anywhere would surface A's chunks
in B's results; checked over HTTP and directly on retrieval-service's gRPC Search.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat.retrieval.v1 import retrieval_pb2_grpc
from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.grpc_utils import insecure_channel
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits

SECRET = b"Project Bluefin launches on the ninth of March. The launch code word is periwinkle."


@pytest.fixture(scope="module")
def bulk_key(stack: Stack) -> Callable[[str], str]:
    """Keys with a high rate limit: these tests poll and loop (the limiter is tested elsewhere)."""
    return lambda tenant: mint_key(stack.mongo_url, tenant, KeyLimits(requests_per_minute=100_000, burst=10_000))


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def indexed_dataset(api: httpx.Client, filename: str) -> tuple[str, str]:
    dataset = ok(api.post("/datasets", json={"name": "iso-" + new_id()[:8]}))
    (doc,) = ok(api.post(f"/datasets/{dataset['id']}/documents", files=[("file", (filename, SECRET))]))
    ok(api.post(f"/datasets/{dataset['id']}/chunks", json={"document_ids": [doc["id"]]}))
    deadline = time.monotonic() + 60
    while ok(api.get(f"/datasets/{dataset['id']}/documents"))["docs"][0]["run"] != "DONE":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    return dataset["id"], doc["id"]


@pytest.fixture(scope="module")
def tenants(stack: Stack, bulk_key: Callable[[str], str]) -> dict[str, Any]:
    def client(name: str) -> httpx.Client:
        key = bulk_key(name)
        return httpx.Client(base_url=stack.gateway_url + "/api/v1", headers={"Authorization": f"Bearer {key}"})

    a, b = client("iso-a-" + new_id()), client("iso-b-" + new_id())
    a_dataset, a_doc = indexed_dataset(a, "a-secret.txt")
    b_dataset, b_doc = indexed_dataset(b, "b-secret.txt")
    return {"a": a, "b": b, "a_dataset": a_dataset, "a_doc": a_doc, "b_dataset": b_dataset, "b_doc": b_doc}


def test_search_of_tenant_b_returns_only_its_own_chunks(tenants: dict[str, Any]) -> None:
    b = tenants["b"]
    result = ok(
        b.post("/retrieval", json={"question": "Bluefin launch code word", "dataset_ids": [tenants["b_dataset"]]})
    )
    assert result["chunks"], "B's own copy must be found"
    assert {c["document_id"] for c in result["chunks"]} == {tenants["b_doc"]}
    assert {c["dataset_id"] for c in result["chunks"]} == {tenants["b_dataset"]}
    assert [a["doc_id"] for a in result["doc_aggs"]] == [tenants["b_doc"]]


def test_tenant_b_cannot_name_tenant_a_objects(tenants: dict[str, Any]) -> None:
    b, a_dataset, a_doc = tenants["b"], tenants["a_dataset"], tenants["a_doc"]
    for response in (
        b.post("/retrieval", json={"question": "Bluefin", "dataset_ids": [a_dataset]}),
        b.post("/retrieval", json={"question": "Bluefin", "dataset_ids": [tenants["b_dataset"], a_dataset]}),
        b.get(f"/datasets/{a_dataset}/documents"),
        b.get(f"/datasets/{a_dataset}/documents/{a_doc}"),
        b.get(f"/datasets/{a_dataset}/documents/{a_doc}/chunks"),
        b.post(f"/datasets/{a_dataset}/documents/{a_doc}/chunks", json={"content": "injected"}),
        b.post(f"/datasets/{a_dataset}/chunks", json={"document_ids": [a_doc]}),
        b.request("DELETE", f"/datasets/{a_dataset}/documents", json={"ids": [a_doc]}),
        b.put(f"/datasets/{a_dataset}", json={"name": "taken"}),
    ):
        body = response.json()
        assert (response.status_code, body["code"]) == (404, 105), body
    # A's document named in a search of B's dataset is refused as any unknown id is (RAGFlow
    # v0.27.0's words), never searched, and nothing tells that it exists.
    for doc_id in (a_doc, new_id()):
        response = b.post(
            "/retrieval", json={"question": "Bluefin", "dataset_ids": [tenants["b_dataset"]], "document_ids": [doc_id]}
        )
        body = response.json()
        assert (response.status_code, body["code"]) == (400, 102), body
        assert body["message"] == f"The datasets don't own the document {doc_id}"
    assert a_dataset not in {d["id"] for d in ok(b.get("/datasets", params={"page_size": 1000}))}
    # A's data is untouched by all of the above.
    a_result = ok(tenants["a"].post("/retrieval", json={"question": "Bluefin", "dataset_ids": [a_dataset]}))
    assert {c["document_id"] for c in a_result["chunks"]} == {a_doc}


async def test_grpc_search_with_tenant_b_never_returns_tenant_a_chunks(stack: Stack, tenants: dict[str, Any]) -> None:
    async with insecure_channel(
        stack.addresses["retrieval-service"], service_token=stack.config.service_token
    ) as channel:
        stub = retrieval_pb2_grpc.RetrievalServiceStub(channel)
        # B's tenant id, as the gateway would send it, read from a dataset B created.
        b_tenant_id = ok(tenants["b"].get("/datasets", params={"id": tenants["b_dataset"]}))[0]["tenant_id"]
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Search(
                pb.SearchRequest(tenant_id=b_tenant_id, dataset_ids=[tenants["a_dataset"]], query="Bluefin")
            )
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        reply = await stub.Search(
            pb.SearchRequest(
                tenant_id=b_tenant_id,
                dataset_ids=[tenants["b_dataset"]],
                document_ids=[tenants["a_doc"]],
                query="Bluefin launch code word",
            )
        )
        assert list(reply.chunks) == []
        found = await stub.GetDatasets(pb.GetDatasetsRequest(tenant_id=b_tenant_id, ids=[tenants["a_dataset"]]))
        assert list(found.datasets) == [] and list(found.missing) == [tenants["a_dataset"]]
