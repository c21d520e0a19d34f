"""Routes RAGFlow v0.27.0 serves for datasets, documents and chunks beyond API.md §7 (API.md §9.1:
additive, served to every key): what ragflow-sdk 0.27 and v0.27's HTTP clients call.

Features ragchat does not have (knowledge graphs, RAPTOR, tags) answer as RAGFlow answers for a
dataset that has none of them; starting one is refused with a clear message.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat_common.errors import InvalidArgument, NotFound, envelope
from ragchat_common.grpc_utils import rpc
from ragchat_common.structs import to_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.request_models.datasets import (
    AutoMetadataConfigBody,
    BatchUpdateStatusBody,
    ParseDocumentsBody,
    SearchDatasets,
    SearchDatasetsBody,
    SwitchChunksBody,
    UpdateChunkBody,
    UpdateDocumentBody,
)
from ragchat_gateway.routes import datasets as v022
from ragchat_gateway.routes.datasets import SERVICE, chunk_json, dataset_json

router = APIRouter()


async def _dataset(backends: Any, tenant_id: str, dataset_id: str) -> pb.Dataset:
    return await v022._require_dataset(backends, tenant_id, dataset_id)


# ---- datasets -----------------------------------------------------------------------------


@router.get("/datasets/{dataset_id}")
async def get_dataset(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    return envelope(dataset_json(await _dataset(backends, principal.tenant_id, dataset_id)))


@router.get("/datasets/{dataset_id}/ingestions/summary")
async def ingestion_summary(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    summary = await rpc(
        backends.retrieval.GetDatasetSummary(
            pb.DatasetRef(tenant_id=principal.tenant_id, id=dataset_id), timeout=backends.settings.grpc_timeout_s
        ),
        SERVICE,
    )
    by_run = dict(summary.documents_by_run)
    return envelope(
        {
            "doc_num": summary.document_count,
            "chunk_num": summary.chunk_count,
            "token_num": summary.token_count,
            "status": {f"{run.lower()}_count": by_run.get(run, 0) for run in RUNS},
        }
    )


RUNS = ("UNSTART", "RUNNING", "CANCEL", "DONE", "FAIL")


@router.get("/datasets/{dataset_id}/metadata/config")
async def get_auto_metadata(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    return envelope(_auto_metadata(dataset_json(await _dataset(backends, principal.tenant_id, dataset_id))))


@router.put("/datasets/{dataset_id}/metadata/config")
async def update_auto_metadata(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: AutoMetadataConfigBody
) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.UpdateDataset(
            pb.UpdateDatasetRequest(
                tenant_id=principal.tenant_id, id=dataset_id, fields=to_struct({"auto_metadata_config": body.extras()})
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(_auto_metadata(dataset_json(reply)))


def _auto_metadata(dataset: dict[str, Any]) -> dict[str, Any]:
    config = dataset.get("parser_config") or {}
    return {"enabled": bool(config.get("enable_metadata", False)), "fields": list(config.get("metadata") or [])}


@router.post("/datasets/search")
async def search_datasets(principal: AuthDep, backends: BackendsDep, body: SearchDatasetsBody) -> dict[str, Any]:
    return envelope(await _search(backends, principal.tenant_id, body, list(body.dataset_ids or [])))


@router.post("/datasets/{dataset_id}/search")
async def search_dataset(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: SearchDatasetsBody
) -> dict[str, Any]:
    return envelope(await _search(backends, principal.tenant_id, body, [dataset_id]))


async def _search(backends: Any, tenant_id: str, body: SearchDatasets, dataset_ids: list[str]) -> dict[str, Any]:
    found = await v022.search_chunks(backends, tenant_id, body.as_retrieval(dataset_ids))
    return {"chunks": found["chunks"], "total": found["total"], "labels": []}


# Knowledge graphs, RAPTOR and tags: ragchat builds none, so a dataset has none to show.
@router.get("/datasets/{dataset_id}/knowledge_graph")
@router.get("/datasets/{dataset_id}/graph")
async def knowledge_graph(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope({"graph": {}, "mind_map": {}})


@router.delete("/datasets/{dataset_id}/knowledge_graph")
async def delete_knowledge_graph(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope(True)


@router.get("/datasets/{dataset_id}/trace_graphrag")
@router.get("/datasets/{dataset_id}/trace_raptor")
async def trace_index(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope({})


@router.post("/datasets/{dataset_id}/run_graphrag")
@router.post("/datasets/{dataset_id}/run_raptor")
@router.post("/datasets/{dataset_id}/index")
async def run_index(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await _dataset(backends, principal.tenant_id, dataset_id)
    raise InvalidArgument("Knowledge graphs and RAPTOR summaries are not supported by this server.")


@router.get("/datasets/{dataset_id}/tags")
async def list_tags(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope([])


@router.get("/datasets/tags/aggregation")
async def aggregate_tags(principal: AuthDep, backends: BackendsDep, dataset_ids: str = "") -> dict[str, Any]:
    ids = [i for i in dataset_ids.split(",") if i]
    if not ids:
        raise InvalidArgument("Lack of dataset_ids in query parameters")
    for dataset_id in dict.fromkeys(ids):
        await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope([])


@router.get("/datasets/{dataset_id}/index")
async def trace_dataset_index(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope({})


@router.delete("/datasets/{dataset_id}/index")
async def delete_dataset_index(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope(True)


# ---- documents ----------------------------------------------------------------------------


async def _parse_call(body: Any, dataset_id: str, principal: Any, backends: Any, *, stop: bool) -> Any:
    ids = body.ids()
    call = backends.retrieval.StopParsing if stop else backends.retrieval.StartParsing
    return await rpc(
        call(
            pb.ParseRequest(tenant_id=principal.tenant_id, dataset_id=dataset_id, document_ids=ids),
            timeout=backends.settings.grpc_timeout_s * 3,
        ),
        SERVICE,
    )


def _count_json(reply: pb.ParseResponse) -> dict[str, Any]:
    data: dict[str, Any] = {"success_count": reply.success_count}
    if reply.errors:
        data["errors"] = list(reply.errors)
    return envelope(data)


@router.post("/datasets/{dataset_id}/documents/parse")
async def parse_documents(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: ParseDocumentsBody
) -> dict[str, Any]:
    return _count_json(await _parse_call(body, dataset_id, principal, backends, stop=False))


@router.post("/datasets/{dataset_id}/documents/stop")
async def stop_parsing_documents(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: ParseDocumentsBody
) -> dict[str, Any]:
    return _count_json(await _parse_call(body, dataset_id, principal, backends, stop=True))


@router.patch("/datasets/{dataset_id}/documents/{document_id}")
async def patch_document(
    dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep, body: UpdateDocumentBody
) -> dict[str, Any]:
    return await v022.update_document(dataset_id, document_id, principal, backends, body)


@router.post("/datasets/{dataset_id}/documents/batch-update-status")
async def batch_update_status(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: BatchUpdateStatusBody
) -> dict[str, Any]:
    """Turns documents on (1) or off (0) for retrieval; `{doc_id: {"status": "1"}}` per document.
    Unknown ones are named in a 102 after the others are done, as partial deletes are."""
    await _dataset(backends, principal.tenant_id, dataset_id)
    result: dict[str, Any] = {}
    unknown: list[str] = []
    for document_id in dict.fromkeys(body.doc_ids or []):
        try:
            reply = await rpc(
                backends.retrieval.UpdateDocument(
                    pb.UpdateDocumentRequest(
                        tenant_id=principal.tenant_id,
                        dataset_id=dataset_id,
                        id=document_id,
                        fields=to_struct({"enabled": body.enabled()}),
                    ),
                    timeout=backends.settings.grpc_timeout_s,
                ),
                SERVICE,
            )
        except NotFound:
            unknown.append(document_id)
            continue
        result[document_id] = {"status": reply.status or "1"}
    if unknown:
        raise InvalidArgument(f"Documents not found: {unknown}")
    return envelope(result)


@router.get("/documents/{document_id}", response_model=None)
async def download_by_id(document_id: str, principal: AuthDep, backends: BackendsDep) -> Any:
    return await v022.stream_document(backends, principal.tenant_id, "", document_id)


@router.get("/documents/{document_id}/preview", response_model=None)
async def preview(document_id: str, principal: AuthDep, backends: BackendsDep) -> Any:
    return await v022.stream_document(backends, principal.tenant_id, "", document_id, inline=True)


# ---- chunks -------------------------------------------------------------------------------


@router.get("/datasets/{dataset_id}/documents/{document_id}/chunks/{chunk_id}")
async def get_chunk(
    dataset_id: str, document_id: str, chunk_id: str, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.ListChunks(
            pb.ListChunksRequest(
                tenant_id=principal.tenant_id, dataset_id=dataset_id, document_id=document_id, id=chunk_id
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(chunk_json(reply.chunks[0]))


@router.patch("/datasets/{dataset_id}/documents/{document_id}/chunks/{chunk_id}")
async def patch_chunk(
    dataset_id: str,
    document_id: str,
    chunk_id: str,
    principal: AuthDep,
    backends: BackendsDep,
    body: UpdateChunkBody,
) -> dict[str, Any]:
    return await v022.update_chunk(dataset_id, document_id, chunk_id, principal, backends, body)


@router.patch("/datasets/{dataset_id}/documents/{document_id}/chunks")
async def switch_chunks(
    dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep, body: SwitchChunksBody
) -> dict[str, Any]:
    """Turns chunks on or off for retrieval: `{"chunk_ids": [...], "available": bool}` (or
    `available_int`: 0/1)."""
    available = body.switched_on()
    for chunk_id in dict.fromkeys(body.chunk_ids or []):
        await rpc(
            backends.retrieval.UpdateChunk(
                pb.UpdateChunkRequest(
                    tenant_id=principal.tenant_id,
                    dataset_id=dataset_id,
                    document_id=document_id,
                    id=chunk_id,
                    fields=to_struct({"available": bool(available)}),
                ),
                timeout=backends.settings.grpc_timeout_s,
            ),
            SERVICE,
        )
    return envelope(True)
