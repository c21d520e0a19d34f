"""Routes RAGFlow v0.27.0 serves for datasets, documents and chunks beyond API.md §7 (API.md §9.1:
additive, served to every key): what ragflow-sdk 0.27 and v0.27's HTTP clients call.

Features ragchat does not have (knowledge graphs, RAPTOR, mind maps, wiki/skill artefacts) answer
as RAGFlow answers for a dataset that has none of them; starting one is refused with a clear
message. Document metadata, chunk tags, ingestion logs and the embedding check are real: they
live in retrieval-service, which owns datasets and documents.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat_common.errors import InvalidArgument, NotFound, envelope
from ragchat_common.grpc_utils import rpc
from ragchat_common.structs import from_struct, to_list_value, to_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.request_models.datasets import (
    AutoMetadataConfigBody,
    BatchUpdateStatusBody,
    CheckEmbeddingBody,
    DatasetIdsParams,
    DeleteIndexParams,
    DeleteTagsBody,
    DocumentMetadataConfigBody,
    IngestionLogParams,
    MetadataSummaryParams,
    ParseDocumentsBody,
    RenameTagBody,
    SearchDatasets,
    SearchDatasetsBody,
    SwitchChunksBody,
    UpdateChunkBody,
    UpdateDocumentBody,
    UpdateMetadata,
    UpdateMetadataBody,
)
from ragchat_gateway.routes import datasets as v022
from ragchat_gateway.routes.datasets import SERVICE, chunk_json, dataset_json, document_json, http_date

router = APIRouter()


async def _dataset(backends: Any, tenant_id: str, dataset_id: str) -> pb.Dataset:
    return await v022._require_dataset(backends, tenant_id, dataset_id)


# ---- datasets -----------------------------------------------------------------------------


@router.get("/datasets/{dataset_id}")
async def get_dataset(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    return envelope(dataset_json(await _dataset(backends, principal.tenant_id, dataset_id)))


@router.get("/datasets/{dataset_id}/ingestions/summary")
async def ingestion_summary(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    summary = await v022.dataset_summary(backends, principal.tenant_id, dataset_id)
    by_run = dict(summary.documents_by_run)
    return envelope(
        {
            "doc_num": summary.document_count,
            "chunk_num": summary.chunk_count,
            "token_num": summary.token_count,
            "status": {f"{run.lower()}_count": by_run.get(run, 0) for run in v022.RUN_STATES},
        }
    )


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
                tenant_id=principal.tenant_id,
                id=dataset_id,
                fields=to_struct({"parser_config": body.as_parser_config()}),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(_auto_metadata(dataset_json(reply)))


def _auto_metadata(dataset: dict[str, Any]) -> dict[str, Any]:
    """v0.27's view: the fields its /metadata/config route keeps in the parser_config."""
    config = dataset.get("parser_config") or {}
    return {
        "metadata": list(config.get("metadata") or []),
        "built_in_metadata": list(config.get("built_in_metadata") or []),
    }


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


# Knowledge graphs and RAPTOR: ragchat builds none, so a dataset has none to show.
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


async def _count_tags(backends: Any, tenant_id: str, dataset_ids: list[str]) -> list[tuple[str, int]]:
    reply = await rpc(
        backends.retrieval.CountTags(
            pb.CountTagsRequest(tenant_id=tenant_id, dataset_ids=dataset_ids),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    return [(t.tag, t.count) for t in reply.tags]


@router.get("/datasets/{dataset_id}/tags")
async def list_tags(dataset_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    """[[tag, chunks], ...], most used first (RAGFlow's aggregation pairs)."""
    return envelope([[tag, count] for tag, count in await _count_tags(backends, principal.tenant_id, [dataset_id])])


@router.get("/datasets/tags/aggregation")
async def aggregate_tags(principal: AuthDep, backends: BackendsDep, query: DatasetIdsParams) -> dict[str, Any]:
    """[{"value": tag, "count": chunks}, ...] over the datasets' chunks."""
    counted = await _count_tags(backends, principal.tenant_id, list(dict.fromkeys(query.ids())))
    return envelope([{"value": tag, "count": count} for tag, count in counted])


@router.delete("/datasets/{dataset_id}/tags")
async def delete_tags(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: DeleteTagsBody
) -> dict[str, Any]:
    """Removes the tags from every chunk of the dataset that has them."""
    await rpc(
        backends.retrieval.DeleteTags(
            pb.DeleteTagsRequest(tenant_id=principal.tenant_id, dataset_id=dataset_id, tags=body.tags or []),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    return envelope({})


@router.put("/datasets/{dataset_id}/tags")
async def rename_tag(dataset_id: str, principal: AuthDep, backends: BackendsDep, body: RenameTagBody) -> dict[str, Any]:
    """Renames a tag on every chunk of the dataset that has it."""
    from_tag, to_tag = body.from_tag or "", body.to_tag or ""
    await rpc(
        backends.retrieval.RenameTag(
            pb.RenameTagRequest(tenant_id=principal.tenant_id, dataset_id=dataset_id, from_tag=from_tag, to_tag=to_tag),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"from": from_tag, "to": to_tag})


# ---- document metadata --------------------------------------------------------------------


@router.get("/datasets/metadata/flattened")
async def flattened_metadata(principal: AuthDep, backends: BackendsDep, query: DatasetIdsParams) -> dict[str, Any]:
    """field → value → ids of the documents having it, over the datasets' documents."""
    reply = await rpc(
        backends.retrieval.FlattenMetadata(
            pb.MetadataRequest(tenant_id=principal.tenant_id, dataset_ids=query.ids()),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(from_struct(reply.fields))


@router.get("/datasets/{dataset_id}/metadata/summary")
async def metadata_summary(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: MetadataSummaryParams
) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.SummarizeMetadata(
            pb.MetadataRequest(
                tenant_id=principal.tenant_id, dataset_ids=[dataset_id], document_ids=query.doc_ids or []
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"summary": from_struct(reply.fields)})


async def _update_metadata(backends: Any, tenant_id: str, dataset_id: str, body: UpdateMetadata) -> dict[str, Any]:
    selector = body.selector
    reply = await rpc(
        backends.retrieval.UpdateMetadata(
            pb.UpdateMetadataRequest(
                tenant_id=tenant_id,
                dataset_id=dataset_id,
                document_ids=list(selector.document_ids or []) if selector else [],
                metadata_condition=to_struct(selector.metadata_condition if selector else None),
                updates=to_list_value(body.changes("updates")),
                deletes=to_list_value(body.changes("deletes")),
            ),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"updated": reply.updated, "matched_docs": reply.matched_docs})


@router.post("/datasets/{dataset_id}/metadata/update")
async def update_metadata(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: UpdateMetadataBody
) -> dict[str, Any]:
    return await _update_metadata(backends, principal.tenant_id, dataset_id, body)


@router.patch("/datasets/{dataset_id}/documents/metadatas")
async def update_documents_metadata(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: UpdateMetadataBody
) -> dict[str, Any]:
    return await _update_metadata(backends, principal.tenant_id, dataset_id, body)


@router.put("/datasets/{dataset_id}/documents/{document_id}/metadata/config")
async def update_document_metadata_config(
    dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep, body: DocumentMetadataConfigBody
) -> dict[str, Any]:
    """The document's own metadata fields to extract (its parser_config's `metadata`)."""
    fields = {"parser_config": {"metadata": body.metadata}}
    reply = await v022.update_document_fields(backends, principal.tenant_id, dataset_id, document_id, fields)
    return envelope(document_json(reply))


# ---- embedding check, ingestion logs --------------------------------------------------------


@router.post("/datasets/{dataset_id}/embedding/check")
async def check_embedding(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: CheckEmbeddingBody
) -> dict[str, Any]:
    """Re-embeds a sample of the dataset's chunks with `embd_id` and compares with the stored
    vectors; an average similarity under 0.9 means the model does not fit the dataset."""
    reply = await rpc(
        backends.retrieval.CheckEmbedding(
            pb.CheckEmbeddingRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                embedding_model=body.embd_id or "",
                check_num=body.check_num,
            ),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    if not reply.effective:
        raise InvalidArgument(
            "Embedding model switch failed: the average similarity between old and new vectors is below 0.9, "
            "indicating incompatible vector spaces."
        )
    return envelope({"summary": from_struct(reply.summary), "results": [from_struct(r) for r in reply.results]})


def _date(epoch_ms: int) -> str | None:
    """RAGFlow's `create_date` / `update_date`: "YYYY-MM-DD HH:MM:SS" (UTC here)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_ms / 1000)) if epoch_ms else None


def ingestion_log_json(log: pb.IngestionLog, tenant_id: str) -> dict[str, Any]:
    return {
        "id": log.id,
        "document_id": log.document_id,
        "tenant_id": tenant_id,
        "kb_id": log.dataset_id,
        "pipeline_id": None,
        "pipeline_title": "",
        "parser_id": log.parser_id,
        "document_name": log.document_name,
        "document_suffix": log.document_suffix,
        "document_type": log.document_type,
        "source_from": "",
        "progress": round(float(log.progress), 4),
        "progress_msg": log.progress_msg,
        "process_begin_at": http_date(log.process_begin_at),
        "process_duration": round(float(log.process_duration), 3),
        "dsl": {},
        "task_type": "parse",
        "operation_status": log.operation_status,
        "avatar": "",
        "status": "1",
        "chunk_count": log.chunk_count,
        "create_time": log.create_time,
        "create_date": _date(log.create_time),
        "update_time": log.update_time,
        "update_date": _date(log.update_time),
    }


@router.get("/datasets/{dataset_id}/ingestions")
async def list_ingestion_logs(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: IngestionLogParams
) -> dict[str, Any]:
    """`log_type=file`: one log per parse run of the dataset's documents; `dataset` (the default):
    the dataset-wide runs (knowledge graph, RAPTOR), of which ragchat has none."""
    if query.log_type == "dataset":
        await _dataset(backends, principal.tenant_id, dataset_id)
        return envelope({"total": 0, "logs": []})
    start, end = query.time_range()
    reply = await rpc(
        backends.retrieval.ListIngestionLogs(
            pb.ListIngestionLogsRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                page=query.page,
                page_size=query.page_size,
                orderby=query.orderby,
                desc=query.desc,
                operation_status=query.operation_status,
                create_time_from=start,
                create_time_to=end,
                keywords=query.keywords or "",
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(
        {"total": reply.total, "logs": [ingestion_log_json(log, principal.tenant_id) for log in reply.logs]}
    )


@router.get("/datasets/{dataset_id}/ingestions/{log_id}")
async def get_ingestion_log(dataset_id: str, log_id: str, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.GetIngestionLog(
            pb.IngestionLogRef(tenant_id=principal.tenant_id, dataset_id=dataset_id, id=log_id),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(ingestion_log_json(reply, principal.tenant_id))


@router.get("/datasets/{dataset_id}/index")
async def trace_dataset_index(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: DeleteIndexParams
) -> dict[str, Any]:
    """No index task ever runs here, so there is none to trace; an unknown `type` is refused."""
    if query.type:
        _check_index_type(query.type.lower())
    await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope({})


# The index types v0.27.0 knows (`DELETE /datasets/{id}/{index_type}`, `DELETE .../index?type=`).
INDEX_TYPES = frozenset(
    {
        "graph",
        "raptor",
        "mindmap",
        "wiki",
        "skill",
        "structure",
        "structure_graph",
        "structure_mindmap",
        "timeline",
        "session_graph",
        "session_essence",
    }
)


def _check_index_type(index_type: str) -> None:
    if index_type not in INDEX_TYPES:
        raise InvalidArgument(f"Invalid index type '{index_type}'")


@router.delete("/datasets/{dataset_id}/index")
async def delete_dataset_index(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: DeleteIndexParams
) -> dict[str, Any]:
    # Without `type` this answers as it always has (true); with one, as v0.27 answers.
    if query.type:
        _check_index_type(query.type.lower())
    await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope({} if query.type else True)


# ---- documents ----------------------------------------------------------------------------


async def _parse_call(body: Any, dataset_id: str, principal: Any, backends: Any, *, stop: bool) -> Any:
    ids = body.ids()
    call = backends.retrieval.StopParsing if stop else backends.retrieval.StartParsing
    return await rpc(
        call(
            pb.ParseRequest(tenant_id=principal.tenant_id, dataset_id=dataset_id, document_ids=ids),
            timeout=backends.settings.grpc_bulk_timeout_s,
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
            reply = await v022.update_document_fields(
                backends, principal.tenant_id, dataset_id, document_id, {"enabled": body.enabled()}
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


@router.get("/document/get/{document_id}", response_model=None, deprecated=True)  # v0.27's older path
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
    chunk = reply.chunks[0]
    # v0.27 answers this one with the stored chunk as it is (its text in `content_with_weight`):
    # those names beside ours.
    stored_names = {
        "content_with_weight": chunk.content,
        "doc_id": chunk.document_id,
        "kb_id": chunk.dataset_id,
        "important_kwd": list(chunk.important_keywords),
        "question_kwd": list(chunk.questions),
        "available_int": 1 if chunk.available else 0,
    }
    return envelope({**chunk_json(chunk), **stored_names})


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


# Last of all: `DELETE /datasets/{id}/{index_type}` would otherwise shadow every other
# `DELETE /datasets/{id}/<word>` route (documents, chunks, tags, knowledge_graph, index).
@router.delete("/datasets/{dataset_id}/{index_type}")
async def delete_index_of_type(
    dataset_id: str, index_type: str, principal: AuthDep, backends: BackendsDep, query: DeleteIndexParams
) -> dict[str, Any]:
    """Cancels and wipes a dataset-wide index: ragchat builds none of these, so there is nothing to
    remove; an unknown type is refused as v0.27 refuses it. `wipe` is accepted and has no effect."""
    _check_index_type(index_type.lower())
    await _dataset(backends, principal.tenant_id, dataset_id)
    return envelope({})
