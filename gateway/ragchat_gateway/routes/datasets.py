"""API.md §7: datasets, documents, chunks and /retrieval — thin HTTP over retrieval-service gRPC."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.datastructures import UploadFile

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat_common.errors import InvalidArgument, NotFound, PayloadTooLarge, envelope
from ragchat_common.grpc_utils import rpc
from ragchat_common.structs import from_struct, to_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.deps import BackendsDep

router = APIRouter()
SERVICE = "retrieval-service"
UPLOAD_PIECE_BYTES = 1024 * 1024


# ---- request parsing ----------------------------------------------------------------------


async def json_body(request: Request, *, required: bool = True) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise InvalidArgument("Request body is required.")
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise InvalidArgument("Request body is not valid JSON.") from None
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise InvalidArgument("Request body must be a JSON object.")
    return body


def opt_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidArgument(f"`{key}` should be a string.")
    return value


def opt_list(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"`{key}` should be a list of strings.")
    return value


def opt_number(body: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgument(f"`{key}` should be a number.")
    if not low <= float(value) <= high:
        raise InvalidArgument(f"`{key}` must be between {low:g} and {high:g}.")
    return float(value)


def opt_int(body: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"`{key}` should be an integer.")
    if not low <= value <= high:
        raise InvalidArgument(f"`{key}` must be between {low} and {high}.")
    return value


def query_int(request: Request, key: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidArgument(f"`{key}` should be an integer.") from None
    if not low <= value <= high:
        raise InvalidArgument(f"`{key}` must be between {low} and {high}.")
    return value


def query_bool(request: Request, key: str, default: bool) -> bool:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise InvalidArgument(f"`{key}` should be true or false.")


def query_ids(request: Request, key: str = "ids") -> list[str]:
    """`?ids=a&ids=b` or `?ids=a,b` (both forms RAGFlow reads)."""
    return [part for value in request.query_params.getlist(key) for part in value.split(",") if part]


def query_choice(request: Request, key: str, default: str, choices: tuple[str, ...]) -> str:
    raw = request.query_params.get(key) or default
    if raw not in choices:
        raise InvalidArgument(f"`{key}` must be one of: {', '.join(choices)}.")
    return raw


# ---- response shapes ----------------------------------------------------------------------


def dataset_json(d: pb.Dataset) -> dict[str, Any]:
    return {
        "id": d.id,
        "tenant_id": d.tenant_id,
        "name": d.name,
        "description": d.description if d.HasField("description") else None,
        "avatar": d.avatar if d.HasField("avatar") else None,
        "embedding_model": d.embedding_model,
        "chunk_method": d.chunk_method,
        "parser_config": from_struct(d.parser_config),
        "permission": d.permission,
        "chunk_count": d.chunk_count,
        "document_count": d.document_count,
        "pagerank": d.pagerank,
        "create_time": d.create_time,
        "update_time": d.update_time,
    }


def document_json(d: pb.Document) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "location": d.location or d.name,
        "size": d.size,
        "type": d.type,
        "run": d.run,
        "status": "1",
        "progress": round(float(d.progress), 4),
        "progress_msg": d.progress_msg,
        "chunk_count": d.chunk_count,
        "token_count": d.token_count,
        "dataset_id": d.dataset_id,
        "chunk_method": d.chunk_method,
        "parser_config": from_struct(d.parser_config),
        "meta_fields": from_struct(d.meta_fields),
        "source_type": "local",
        "thumbnail": None,
        "process_begin_at": d.process_begin_at or None,
        "process_duration": round(float(d.process_duration), 3),
        "create_time": d.create_time,
        "update_time": d.update_time,
    }


def chunk_json(c: pb.Chunk) -> dict[str, Any]:
    return {
        "id": c.id,
        "content": c.content,
        "document_id": c.document_id,
        "document_name": c.document_name,
        "docnm_kwd": c.document_name,
        "dataset_id": c.dataset_id,
        "important_keywords": list(c.important_keywords),
        "questions": list(c.questions),
        "available": c.available,
        "create_timestamp": c.create_time / 1000,
        "create_time": c.create_time,
        "positions": [],
        "image_id": "",
    }


def delete_json(reply: pb.DeleteResponse) -> dict[str, Any]:
    if reply.errors:
        return envelope({"success_count": reply.success_count, "errors": list(reply.errors)})
    return envelope(None)


# ---- datasets -----------------------------------------------------------------------------


@router.post("/datasets")
async def create_dataset(request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    body = await json_body(request)
    if body.get("name") is None:
        raise InvalidArgument("`name` is required.")
    if not isinstance(body["name"], str):
        raise InvalidArgument("`name` should be a string.")
    parser_config = body.get("parser_config")
    if parser_config is not None and not isinstance(parser_config, dict):
        raise InvalidArgument("`parser_config` should be an object.")
    auto_metadata = body.get("auto_metadata_config")
    if auto_metadata is not None and not isinstance(auto_metadata, dict):
        raise InvalidArgument("`auto_metadata_config` should be an object.")
    reply = await rpc(
        backends.retrieval.CreateDataset(
            pb.CreateDatasetRequest(
                tenant_id=principal.tenant_id,
                name=body["name"],
                description=body.get("description") and opt_str(body, "description"),
                avatar=body.get("avatar") and opt_str(body, "avatar"),
                embedding_model=opt_str(body, "embedding_model"),
                chunk_method=opt_str(body, "chunk_method") if "chunk_method" in body else None,
                permission=opt_str(body, "permission") if "permission" in body else None,
                parser_config=to_struct(parser_config) if parser_config is not None else None,
                auto_metadata_config=to_struct(auto_metadata) if auto_metadata is not None else None,
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(dataset_json(reply))


@router.get("/datasets")
async def list_datasets(request: Request, principal: AuthDep, backends: BackendsDep) -> JSONResponse:
    reply = await rpc(
        backends.retrieval.ListDatasets(
            pb.ListDatasetsRequest(
                tenant_id=principal.tenant_id,
                page=query_int(request, "page", 1, 1, 1_000_000),
                page_size=query_int(request, "page_size", 30, 1, 1000),
                orderby=query_choice(request, "orderby", "create_time", ("create_time", "update_time", "name")),
                desc=query_bool(request, "desc", True),
                id=request.query_params.get("id") or "",
                name=request.query_params.get("name") or "",
                ids=query_ids(request),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return JSONResponse(
        envelope([dataset_json(d) for d in reply.datasets]), headers={"X-Total-Count": str(reply.total)}
    )


@router.put("/datasets/{dataset_id}")
async def update_dataset(
    dataset_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    body = await json_body(request)
    if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
        raise InvalidArgument("`name` cannot be empty.")
    reply = await rpc(
        backends.retrieval.UpdateDataset(
            pb.UpdateDatasetRequest(tenant_id=principal.tenant_id, id=dataset_id, fields=to_struct(body)),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(dataset_json(reply))


@router.delete("/datasets")
async def delete_datasets(request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    body = await json_body(request, required=False)
    reply = await rpc(
        backends.retrieval.DeleteDatasets(
            pb.DeleteRequest(
                tenant_id=principal.tenant_id, ids=opt_list(body, "ids"), delete_all=body.get("delete_all") is True
            ),
            timeout=backends.settings.grpc_timeout_s * 3,
        ),
        SERVICE,
    )
    return delete_json(reply)


# ---- documents ----------------------------------------------------------------------------


async def _upload_messages(
    principal_tenant: str, dataset_id: str, upload: UploadFile
) -> AsyncIterator[pb.UploadDocumentRequest]:
    yield pb.UploadDocumentRequest(
        header=pb.UploadDocumentRequest.Header(
            tenant_id=principal_tenant, dataset_id=dataset_id, name=upload.filename or "", size=upload.size or 0
        )
    )
    await upload.seek(0)
    while True:
        piece = await upload.read(UPLOAD_PIECE_BYTES)
        if not piece:
            break
        yield pb.UploadDocumentRequest(data=piece)


@router.post("/datasets/{dataset_id}/documents")
async def upload_documents(
    dataset_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise InvalidArgument("Upload files as multipart/form-data in the field `file`.")
    limit = backends.settings.max_upload_bytes
    try:
        form = await request.form(max_files=100)
    except Exception:
        raise InvalidArgument("The multipart body could not be read.") from None
    files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    if not files:
        raise InvalidArgument("No file part: send the files in the multipart field `file`.")
    # Check every file before storing any, so a bad one in a batch stores nothing.
    for upload in files:
        name = upload.filename or ""
        if not name.strip():
            raise InvalidArgument("Every uploaded file needs a file name.")
        if (upload.size or 0) > limit:
            raise PayloadTooLarge(f"File '{name}' exceeds the upload limit of {limit // (1024 * 1024)} MiB.")
    # Unknown/foreign dataset → 105 before any upload.
    await _require_dataset(backends, principal.tenant_id, dataset_id)
    documents = []
    for upload in files:
        reply = await rpc(
            backends.retrieval.UploadDocument(
                _upload_messages(principal.tenant_id, dataset_id, upload),
                timeout=backends.settings.grpc_timeout_s * 6,
            ),
            SERVICE,
        )
        documents.append(document_json(reply))
    return envelope(documents)


async def _require_dataset(backends: Any, tenant_id: str, dataset_id: str) -> pb.Dataset:
    reply = await rpc(
        backends.retrieval.GetDatasets(
            pb.GetDatasetsRequest(tenant_id=tenant_id, ids=[dataset_id]), timeout=backends.settings.grpc_timeout_s
        ),
        SERVICE,
    )
    if not reply.datasets:
        raise NotFound(f"Dataset {dataset_id} not found.")
    dataset: pb.Dataset = reply.datasets[0]
    return dataset


@router.get("/datasets/{dataset_id}/documents")
async def list_documents(
    dataset_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    params = request.query_params
    reply = await rpc(
        backends.retrieval.ListDocuments(
            pb.ListDocumentsRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                page=query_int(request, "page", 1, 1, 1_000_000),
                page_size=query_int(request, "page_size", 30, 1, 1000),
                orderby=query_choice(request, "orderby", "create_time", ("create_time", "update_time", "name", "size")),
                desc=query_bool(request, "desc", True),
                id=params.get("id") or "",
                name=params.get("name") or "",
                keywords=params.get("keywords") or "",
                create_time_from=query_int(request, "create_time_from", 0, 0, 2**62),
                create_time_to=query_int(request, "create_time_to", 0, 0, 2**62),
                ids=query_ids(request),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"docs": [document_json(d) for d in reply.docs], "total": reply.total})


@router.put("/datasets/{dataset_id}/documents/{document_id}")
async def update_document(
    dataset_id: str, document_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    body = await json_body(request)
    reply = await rpc(
        backends.retrieval.UpdateDocument(
            pb.UpdateDocumentRequest(
                tenant_id=principal.tenant_id, dataset_id=dataset_id, id=document_id, fields=to_struct(body)
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(document_json(reply))


@router.get("/datasets/{dataset_id}/documents/{document_id}", response_model=None)
async def download_document(dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep) -> Response:
    call = backends.retrieval.DownloadDocument(
        pb.DocumentRef(tenant_id=principal.tenant_id, dataset_id=dataset_id, id=document_id),
        timeout=backends.settings.grpc_timeout_s * 6,
    )
    stream = call.__aiter__()
    first = await rpc(stream.__anext__(), SERVICE)
    document = first.document

    async def body() -> AsyncIterator[bytes]:
        async for message in stream:
            yield message.data

    disposition = f"attachment; filename*=UTF-8''{quote(document.name)}"
    return StreamingResponse(
        body(), media_type="application/octet-stream", headers={"Content-Disposition": disposition}
    )


@router.delete("/datasets/{dataset_id}/documents")
async def delete_documents(
    dataset_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    body = await json_body(request, required=False)
    reply = await rpc(
        backends.retrieval.DeleteDocuments(
            pb.DeleteRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                ids=opt_list(body, "ids"),
                delete_all=body.get("delete_all") is True,
            ),
            timeout=backends.settings.grpc_timeout_s * 3,
        ),
        SERVICE,
    )
    return delete_json(reply)


# ---- parsing ------------------------------------------------------------------------------


@router.post("/datasets/{dataset_id}/chunks")
async def start_parsing(dataset_id: str, request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    body = await json_body(request)
    ids = opt_list(body, "document_ids")
    if not ids:
        raise InvalidArgument("`document_ids` is required.")
    reply = await rpc(
        backends.retrieval.StartParsing(
            pb.ParseRequest(tenant_id=principal.tenant_id, dataset_id=dataset_id, document_ids=ids),
            timeout=backends.settings.grpc_timeout_s * 3,
        ),
        SERVICE,
    )
    return delete_json(pb.DeleteResponse(success_count=reply.success_count, errors=list(reply.errors)))


@router.delete("/datasets/{dataset_id}/chunks")
async def stop_parsing(dataset_id: str, request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    body = await json_body(request)
    ids = opt_list(body, "document_ids")
    if not ids:
        raise InvalidArgument("`document_ids` is required.")
    reply = await rpc(
        backends.retrieval.StopParsing(
            pb.ParseRequest(tenant_id=principal.tenant_id, dataset_id=dataset_id, document_ids=ids),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return delete_json(pb.DeleteResponse(success_count=reply.success_count, errors=list(reply.errors)))


# ---- chunks -------------------------------------------------------------------------------


@router.get("/datasets/{dataset_id}/documents/{document_id}/chunks")
async def list_chunks(
    dataset_id: str, document_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.ListChunks(
            pb.ListChunksRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                document_id=document_id,
                page=query_int(request, "page", 1, 1, 1_000_000),
                page_size=query_int(request, "page_size", 30, 1, 1000),
                keywords=request.query_params.get("keywords") or "",
                id=request.query_params.get("id") or "",
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(
        {"chunks": [chunk_json(c) for c in reply.chunks], "doc": document_json(reply.document), "total": reply.total}
    )


@router.post("/datasets/{dataset_id}/documents/{document_id}/chunks")
async def add_chunk(
    dataset_id: str, document_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    body = await json_body(request)
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        raise InvalidArgument("`content` is required.")
    reply = await rpc(
        backends.retrieval.AddChunk(
            pb.AddChunkRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                document_id=document_id,
                content=content,
                important_keywords=opt_list(body, "important_keywords"),
                questions=opt_list(body, "questions"),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"chunk": chunk_json(reply)})


@router.put("/datasets/{dataset_id}/documents/{document_id}/chunks/{chunk_id}")
async def update_chunk(
    dataset_id: str, document_id: str, chunk_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    body = await json_body(request)
    reply = await rpc(
        backends.retrieval.UpdateChunk(
            pb.UpdateChunkRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                document_id=document_id,
                id=chunk_id,
                fields=to_struct(body),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(chunk_json(reply))


@router.delete("/datasets/{dataset_id}/documents/{document_id}/chunks")
async def delete_chunks(
    dataset_id: str, document_id: str, request: Request, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    body = await json_body(request, required=False)
    reply = await rpc(
        backends.retrieval.DeleteChunks(
            pb.DeleteChunksRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                document_id=document_id,
                ids=opt_list(body, "chunk_ids"),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return delete_json(reply)


# ---- retrieval ----------------------------------------------------------------------------


@router.post("/retrieval")
async def retrieval(request: Request, principal: AuthDep, backends: BackendsDep) -> dict[str, Any]:
    body = await json_body(request)
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise InvalidArgument("`question` is required.")
    dataset_ids = opt_list(body, "dataset_ids")
    if not dataset_ids:
        raise InvalidArgument("`dataset_ids` is required.")
    if body.get("rerank_id"):
        raise InvalidArgument("Reranking is not supported: leave `rerank_id` empty.")
    vector_weight = opt_number(body, "vector_similarity_weight", 0.3, 0.0, 1.0)
    page_size = opt_int(body, "page_size", 30, 1, 1000)
    reply = await rpc(
        backends.retrieval.Search(
            pb.SearchRequest(
                tenant_id=principal.tenant_id,
                dataset_ids=dataset_ids,
                document_ids=opt_list(body, "document_ids"),
                query=question,
                similarity_threshold=opt_number(body, "similarity_threshold", 0.2, 0.0, 1.0),
                keywords_similarity_weight=1.0 - vector_weight,
                top_k=opt_int(body, "top_k", 1024, 1, 4096),
                top_n=page_size,
                page=opt_int(body, "page", 1, 1, 1_000_000),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    chunks = [
        {
            "id": c.id,
            "content": c.content,
            "content_ltks": c.content,
            "highlight": c.content,
            "document_id": c.document_id,
            "document_name": c.document_name,
            "document_keyword": c.document_name,
            "dataset_id": c.dataset_id,
            "kb_id": c.dataset_id,
            "important_keywords": list(c.important_keywords),
            "similarity": round(c.similarity, 6),
            "vector_similarity": round(c.vector_similarity, 6),
            "term_similarity": round(c.term_similarity, 6),
            "positions": [],
            "image_id": "",
        }
        for c in reply.chunks
    ]
    doc_aggs = [{"doc_id": a.doc_id, "doc_name": a.doc_name, "count": a.count} for a in reply.doc_aggs]
    return envelope({"chunks": chunks, "doc_aggs": doc_aggs, "total": reply.total})
