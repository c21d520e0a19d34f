"""API.md §7: datasets, documents, chunks and /retrieval — thin HTTP over retrieval-service gRPC."""

from __future__ import annotations

import asyncio
import io
import mimetypes
import re
from collections.abc import AsyncIterator
from datetime import datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat_common.errors import InvalidArgument, NotFound, PayloadTooLarge, envelope
from ragchat_common.grpc_utils import rpc
from ragchat_common.structs import from_struct, to_struct
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.backends import Backends
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.dialect import deletes_nothing, dialect_of
from ragchat_gateway.request_models.datasets import (
    AddChunkBody,
    ChunkListParams,
    CreateDatasetBody,
    DatasetListParams,
    DeleteChunksBody,
    DeleteDatasetsBody,
    DeleteDocumentsBody,
    DocumentListParams,
    ParseDocumentsBody,
    Retrieval,
    RetrievalBody,
    UpdateChunkBody,
    UpdateDatasetBody,
    UpdateDocumentBody,
)
from ragchat_gateway.request_models.documents import EmptyDocument, UploadParams, WebDocument
from ragchat_gateway.request_models.parsing import parse_json_object, validate
from ragchat_gateway.responses import list_response
from ragchat_gateway.web_pages import fetch_page

router = APIRouter()
SERVICE = "retrieval-service"
UPLOAD_PIECE_BYTES = 1024 * 1024


def _sent(body: Any) -> dict[str, Any]:
    """The fields an update body sent (unknown ones included), for retrieval-service to apply."""
    return dict(body.model_dump(exclude_unset=True))


def highlighted(content: str, question: str) -> str:
    """`content` with the question's words (two letters or more) in <em>, as RAGFlow highlights."""
    words = sorted({w for w in re.findall(r"\w+", question.lower()) if len(w) > 1}, key=len, reverse=True)
    if not words:
        return content
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    return pattern.sub(r"<em>\1</em>", content)


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
        "language": d.language or "English",  # (none from a replica older than the field)
        "connectors": [],  # v0.27's data-source links: none here
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
        "status": d.status or "1",
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
        "process_begin_at": http_date(d.process_begin_at),
        "process_duration": round(float(d.process_duration), 3),
        "create_time": d.create_time,
        "update_time": d.update_time,
    }


def http_date(epoch_ms: int) -> str | None:
    """RAGFlow's date format for a document's `process_begin_at`: "Mon, 07 Dec 2026 04:00:00 GMT"."""
    return formatdate(epoch_ms / 1000, usegmt=True) if epoch_ms else None


def chunk_date(epoch_ms: int) -> str:
    """RAGFlow's chunk `create_time`: the server's local time, "2026-12-07 04:00:00"."""
    return datetime.fromtimestamp(epoch_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


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
        "tag_kwd": list(c.tag_kwd),
        "available": c.available,
        "create_timestamp": c.create_time / 1000,
        "create_time": chunk_date(c.create_time),
        "positions": [],
        "image_id": c.image_id,
        "doc_type_kwd": "image" if c.image_id else "text",
    }


def delete_json(reply: pb.DeleteResponse) -> dict[str, Any]:
    if reply.errors:
        return envelope({"success_count": reply.success_count, "errors": list(reply.errors)})
    return envelope(None)


# ---- datasets -----------------------------------------------------------------------------


@router.post("/datasets")
async def create_dataset(principal: AuthDep, backends: BackendsDep, body: CreateDatasetBody) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.CreateDataset(
            pb.CreateDatasetRequest(
                tenant_id=principal.tenant_id,
                name=body.name or "",
                description=body.description,
                avatar=body.avatar,
                embedding_model=body.embedding_model,  # null or absent: the deployment's model
                # Sent as null or empty: the service says they cannot be (absent: the default).
                chunk_method=(body.chunk_method or "") if "chunk_method" in body.given() else None,
                permission=(body.permission or "") if "permission" in body.given() else None,
                parser_config=to_struct(body.parser_config) if body.parser_config is not None else None,
                auto_metadata_config=(
                    to_struct(body.auto_metadata_config) if body.auto_metadata_config is not None else None
                ),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(dataset_json(reply))


@router.get("/datasets")
async def list_datasets(principal: AuthDep, backends: BackendsDep, query: DatasetListParams) -> JSONResponse:
    if query.type == "filter":
        return JSONResponse(await _owner_filter(backends, principal.tenant_id))
    reply = await rpc(
        backends.retrieval.ListDatasets(
            pb.ListDatasetsRequest(
                tenant_id=principal.tenant_id,
                page=query.page,
                page_size=query.page_size,
                orderby=query.orderby,
                desc=query.desc,
                id=query.id or "",
                name=query.name or "",
                ids=query.ids or [],
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    datasets = [dataset_json(d) for d in reply.datasets]
    if query.include_parsing_status:
        calls = asyncio.Semaphore(PARALLEL_SUMMARIES)

        async def status_of(dataset_id: str) -> dict[str, int]:
            async with calls:
                return await parsing_status(backends, principal.tenant_id, dataset_id)

        statuses = await asyncio.gather(*(status_of(d["id"]) for d in datasets))
        for dataset, status in zip(datasets, statuses, strict=True):
            dataset["parsing_status"] = status
    # RAGFlow (v0.22.1 and v0.27.0) puts the total beside `data` as `total_datasets`.
    return list_response(datasets, reply.total, total_field="total_datasets")


# A page of up to 1,000 datasets asks for their summaries a few at a time.
PARALLEL_SUMMARIES = 8


RUN_STATES = ("UNSTART", "RUNNING", "CANCEL", "DONE", "FAIL")


async def dataset_summary(backends: Any, tenant_id: str, dataset_id: str) -> pb.DatasetSummary:
    summary: pb.DatasetSummary = await rpc(
        backends.retrieval.GetDatasetSummary(
            pb.DatasetRef(tenant_id=tenant_id, id=dataset_id), timeout=backends.settings.grpc_timeout_s
        ),
        SERVICE,
    )
    return summary


async def parsing_status(backends: Any, tenant_id: str, dataset_id: str) -> dict[str, int]:
    """The dataset's documents per parse state, under RAGFlow's names (`done_count`, ...)."""
    by_run = dict((await dataset_summary(backends, tenant_id, dataset_id)).documents_by_run)
    return {f"{run.lower()}_count": by_run.get(run, 0) for run in RUN_STATES}


async def _owner_filter(backends: Any, tenant_id: str) -> dict[str, Any]:
    """v0.27's `GET /datasets?type=filter`: the owners whose datasets the caller sees, with counts;
    a key sees its own tenant's only."""
    reply = await rpc(
        backends.retrieval.ListDatasets(
            pb.ListDatasetsRequest(tenant_id=tenant_id, page=1, page_size=1),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    owners = [{"id": tenant_id, "label": tenant_id, "count": reply.total}] if reply.total else []
    return envelope({"filter": {"owner": owners}, "total": reply.total})


@router.put("/datasets/{dataset_id}")
async def update_dataset(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: UpdateDatasetBody
) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.UpdateDataset(
            pb.UpdateDatasetRequest(tenant_id=principal.tenant_id, id=dataset_id, fields=to_struct(_sent(body))),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(dataset_json(reply))


@router.delete("/datasets")
async def delete_datasets(principal: AuthDep, backends: BackendsDep, body: DeleteDatasetsBody) -> dict[str, Any]:
    if deletes_nothing(principal, body.id_list(), body.delete_all):
        return envelope({"success_count": 0})
    reply = await rpc(
        backends.retrieval.DeleteDatasets(
            pb.DeleteRequest(tenant_id=principal.tenant_id, ids=body.id_list(), delete_all=body.delete_all),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    return delete_json(reply)


# ---- documents ----------------------------------------------------------------------------


# Files of one request go to retrieval-service in as few calls as this allows (each call's
# files are held in its memory until they are stored).
UPLOAD_BATCH_BYTES = 64 * 1024 * 1024


def upload_batches(files: list[UploadFile]) -> list[list[UploadFile]]:
    """The files in order, cut into calls of at most UPLOAD_BATCH_BYTES (a bigger file alone)."""
    batches: list[list[UploadFile]] = []
    size = 0
    for upload in files:
        if not batches or size + (upload.size or 0) > UPLOAD_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(upload)
        size += upload.size or 0
    return batches


async def _upload_messages(
    tenant_id: str, dataset_id: str, uploads: list[UploadFile]
) -> AsyncIterator[pb.UploadDocumentRequest]:
    for upload in uploads:
        yield pb.UploadDocumentRequest(
            header=pb.UploadDocumentRequest.Header(
                tenant_id=tenant_id, dataset_id=dataset_id, name=upload.filename or "", size=upload.size or 0
            )
        )
        await upload.seek(0)
        while True:
            piece = await upload.read(UPLOAD_PIECE_BYTES)
            if not piece:
                break
            yield pb.UploadDocumentRequest(data=piece)


async def store_uploads(backends: Any, tenant_id: str, dataset_id: str, files: list[UploadFile]) -> list[pb.Document]:
    """Stores the files as documents of the dataset, in order: one streamed call per batch."""
    documents: list[pb.Document] = []
    for batch in upload_batches(files):
        reply = await rpc(
            backends.retrieval.UploadDocuments(
                _upload_messages(tenant_id, dataset_id, batch),
                timeout=backends.settings.grpc_timeout_s * 6 + len(batch) * 0.05,
            ),
            SERVICE,
        )
        documents.extend(reply.documents)
    return documents


async def create_empty_document(backends: Any, tenant_id: str, dataset_id: str, name: str) -> pb.Document:
    """RAGFlow v0.27's empty document (no file; a name the dataset has is refused)."""

    async def messages() -> AsyncIterator[pb.UploadDocumentRequest]:
        yield pb.UploadDocumentRequest(
            header=pb.UploadDocumentRequest.Header(tenant_id=tenant_id, dataset_id=dataset_id, name=name, empty=True)
        )

    reply = await rpc(backends.retrieval.UploadDocuments(messages(), timeout=backends.settings.grpc_timeout_s), SERVICE)
    document: pb.Document = reply.documents[0]
    return document


@router.post("/datasets/{dataset_id}/documents")
async def upload_documents(
    dataset_id: str, request: Request, principal: AuthDep, backends: BackendsDep, query: UploadParams
) -> dict[str, Any]:
    """Multipart files (`?type=local`, the default); v0.27 also takes `?type=empty` (a JSON body
    naming an empty document) and `?type=web` (form fields `name` and `url`: the page, fetched)."""
    if query.type == "empty":
        body = validate(EmptyDocument, parse_json_object(await request.body()))
        await _require_dataset(backends, principal.tenant_id, dataset_id)
        document = await create_empty_document(backends, principal.tenant_id, dataset_id, body.document_name())
        return envelope(document_json(document))
    if query.type == "web":
        return envelope(document_json(await add_web_page(request, principal.tenant_id, dataset_id, backends)))
    files = await read_upload_files(request, backends)
    # Unknown/foreign dataset → 105 before any upload.
    await _require_dataset(backends, principal.tenant_id, dataset_id)
    documents = await store_uploads(backends, principal.tenant_id, dataset_id, files)
    return envelope([document_json(d) for d in documents])


async def read_form(request: Request, backends: Any) -> FormData:
    """The multipart (or url-encoded) form, or a 102 saying what is wrong with it."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise InvalidArgument("Send the form as multipart/form-data or application/x-www-form-urlencoded.")
    try:
        return await request.form(max_files=backends.settings.max_upload_files)
    except MultiPartException as exc:
        raise InvalidArgument(f"The multipart body is malformed: {exc.message}") from None
    except HTTPException as exc:  # Starlette reports a malformed body so inside an app
        raise InvalidArgument(f"The multipart body is malformed: {exc.detail}") from None
    except Exception:
        raise InvalidArgument("The multipart body could not be read.") from None


async def read_upload_files(request: Request, backends: Any) -> list[UploadFile]:
    """The files of the multipart field `file`, each named and within the size limit (checked
    before any is stored, so a bad one in a batch stores nothing)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidArgument("Upload files as multipart/form-data in the field `file`.")
    form = await read_form(request, backends)
    files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    if not files:
        raise InvalidArgument("No file part: send the files in the multipart field `file`.")
    limit = backends.settings.max_upload_bytes
    for upload in files:
        name = upload.filename or ""
        if not name.strip():
            raise InvalidArgument("Every uploaded file needs a file name.")
        if (upload.size or 0) > limit:
            raise PayloadTooLarge(f"File '{name}' exceeds the upload limit of {limit // (1024 * 1024)} MiB.")
    return files


async def add_web_page(request: Request, tenant_id: str, dataset_id: str, backends: Any) -> pb.Document:
    """`?type=web`: the page at `url` becomes the document "<name>.<its type>" (numbered when
    taken). RAGFlow prints pages to PDF; ragchat keeps the page as fetched (web_pages)."""
    form = await read_form(request, backends)
    body = validate(WebDocument, {k: v for k, v in form.items() if isinstance(v, str)})
    await _require_dataset(backends, tenant_id, dataset_id)
    settings = backends.settings
    page = await fetch_page(
        body.url or "",
        allow_private=settings.web_fetch_private_hosts,
        max_bytes=settings.max_upload_bytes,
        timeout_s=settings.web_fetch_timeout_s,
    )
    name = body.name_stem() + page.extension
    (document,) = await store_uploads(
        backends, tenant_id, dataset_id, [UploadFile(io.BytesIO(page.data), size=len(page.data), filename=name)]
    )
    return document


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


async def require_document(backends: Any, tenant_id: str, dataset_id: str, document_id: str) -> pb.Document:
    """The tenant's document of that dataset, or 105 ("You don't own the document X.")."""
    reply = await rpc(
        backends.retrieval.ListDocuments(
            pb.ListDocumentsRequest(tenant_id=tenant_id, dataset_id=dataset_id, id=document_id, page_size=1),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    document: pb.Document = reply.docs[0]
    return document


@router.get("/datasets/{dataset_id}/documents")
async def list_documents(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, query: DocumentListParams
) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.ListDocuments(
            pb.ListDocumentsRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                page=query.page,
                page_size=query.page_size,
                orderby=query.orderby,
                desc=query.desc,
                id=query.id or "",
                name=query.name or "",
                keywords=query.keywords or "",
                create_time_from=query.create_time_from,
                create_time_to=query.create_time_to,
                ids=query.ids or [],
                run=query.run or [],
                suffix=query.suffix or [],
                types=query.types or [],
                metadata_condition=to_struct(query.metadata_condition) if query.metadata_condition else None,
                metadata=to_struct(query.metadata) if query.metadata else None,
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"docs": [document_json(d) for d in reply.docs], "total": reply.total})


@router.put("/datasets/{dataset_id}/documents/{document_id}")
async def update_document(
    dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep, body: UpdateDocumentBody
) -> dict[str, Any]:
    reply = await update_document_fields(backends, principal.tenant_id, dataset_id, document_id, _sent(body))
    return envelope(document_json(reply))


async def update_document_fields(
    backends: Backends, tenant_id: str, dataset_id: str, document_id: str, fields: dict[str, Any]
) -> pb.Document:
    """UpdateDocument with ``fields`` (RAGFlow's names); the document as stored after it."""
    document: pb.Document = await rpc(
        backends.retrieval.UpdateDocument(
            pb.UpdateDocumentRequest(
                tenant_id=tenant_id, dataset_id=dataset_id, id=document_id, fields=to_struct(fields)
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return document


@router.get("/datasets/{dataset_id}/documents/{document_id}", response_model=None)
async def download_document(dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep) -> Response:
    return await stream_document(backends, principal.tenant_id, dataset_id, document_id)


async def stream_document(
    backends: Any, tenant_id: str, dataset_id: str, document_id: str, *, inline: bool = False
) -> Response:
    """The document's file: an attachment, or `inline` with its media type (for previews);
    an empty `dataset_id` finds it in any of the tenant's datasets."""
    call = backends.retrieval.DownloadDocument(
        pb.DocumentRef(tenant_id=tenant_id, dataset_id=dataset_id, id=document_id),
        timeout=backends.settings.grpc_timeout_s * 6,
    )
    stream = call.__aiter__()
    first = await rpc(stream.__anext__(), SERVICE)
    document = first.document

    async def body() -> AsyncIterator[bytes]:
        async for message in stream:
            yield message.data

    kind = "inline" if inline else "attachment"
    media_type = (mimetypes.guess_type(document.name)[0] if inline else None) or "application/octet-stream"
    disposition = f"{kind}; filename*=UTF-8''{quote(document.name)}"
    return StreamingResponse(body(), media_type=media_type, headers={"Content-Disposition": disposition})


@router.delete("/datasets/{dataset_id}/documents")
async def delete_documents(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: DeleteDocumentsBody
) -> dict[str, Any]:
    if deletes_nothing(principal, body.id_list(), body.delete_all):
        return envelope(None)
    # v0.27 checks every id before it deletes any, and answers with the count; v0.22 deletes the
    # ones it finds, then names the others.
    v027 = dialect_of(principal) == "0.27"
    reply = await rpc(
        backends.retrieval.DeleteDocuments(
            pb.DeleteRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                ids=body.id_list(),
                delete_all=body.delete_all,
                all_or_nothing=v027,
            ),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"deleted": reply.success_count}) if v027 else delete_json(reply)


# ---- parsing ------------------------------------------------------------------------------


@router.post("/datasets/{dataset_id}/chunks")
async def start_parsing(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: ParseDocumentsBody
) -> dict[str, Any]:
    ids = body.ids()
    reply = await rpc(
        backends.retrieval.StartParsing(
            pb.ParseRequest(tenant_id=principal.tenant_id, dataset_id=dataset_id, document_ids=ids),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    return delete_json(pb.DeleteResponse(success_count=reply.success_count, errors=list(reply.errors)))


@router.delete("/datasets/{dataset_id}/chunks")
async def stop_parsing(
    dataset_id: str, principal: AuthDep, backends: BackendsDep, body: ParseDocumentsBody
) -> dict[str, Any]:
    ids = body.ids()
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
    dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep, query: ChunkListParams
) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.ListChunks(
            pb.ListChunksRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                document_id=document_id,
                page=query.page,
                page_size=query.page_size,
                keywords=query.keywords or "",
                id=query.id or "",
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
    dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep, body: AddChunkBody
) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.AddChunk(
            pb.AddChunkRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                document_id=document_id,
                content=body.content or "",
                important_keywords=body.important_keywords or [],
                questions=body.questions or [],
                tag_kwd=body.tag_kwd or [],
                image=body.image(),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope({"chunk": chunk_json(reply)})


@router.put("/datasets/{dataset_id}/documents/{document_id}/chunks/{chunk_id}")
async def update_chunk(
    dataset_id: str,
    document_id: str,
    chunk_id: str,
    principal: AuthDep,
    backends: BackendsDep,
    body: UpdateChunkBody,
) -> dict[str, Any]:
    reply = await rpc(
        backends.retrieval.UpdateChunk(
            pb.UpdateChunkRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                document_id=document_id,
                id=chunk_id,
                fields=to_struct({k: v for k, v in _sent(body).items() if k != "image_base64"}),
                image=body.image(),
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope(chunk_json(reply))


@router.delete("/datasets/{dataset_id}/documents/{document_id}/chunks")
async def delete_chunks(
    dataset_id: str, document_id: str, principal: AuthDep, backends: BackendsDep, body: DeleteChunksBody
) -> dict[str, Any]:
    """No `chunk_ids`: every chunk of the document goes with `delete_all`; without it a
    ragflow-0.22 key gets the 102 of every bulk delete (issue 11) and a ragflow-0.27 key code 0,
    nothing deleted."""
    if deletes_nothing(principal, list(body.chunk_ids or []), body.delete_all):
        return envelope(None)
    reply = await rpc(
        backends.retrieval.DeleteChunks(
            pb.DeleteChunksRequest(
                tenant_id=principal.tenant_id,
                dataset_id=dataset_id,
                document_id=document_id,
                ids=list(body.chunk_ids or []),
                delete_all=body.delete_all,
            ),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    return delete_json(reply)


# ---- retrieval ----------------------------------------------------------------------------


@router.post("/retrieval")
async def retrieval(principal: AuthDep, backends: BackendsDep, body: RetrievalBody) -> dict[str, Any]:
    return envelope(await search_chunks(backends, principal.tenant_id, body))


async def search_chunks(backends: Any, tenant_id: str, body: Retrieval) -> dict[str, Any]:
    """`{chunks, doc_aggs, total}` of a retrieval request (also behind v0.27's dataset search)."""
    question = (body.question or "").strip()
    if not question:  # nothing asked, nothing found; the datasets must still be the caller's
        for dataset_id in dict.fromkeys(body.dataset_ids or []):
            await _require_dataset(backends, tenant_id, dataset_id)
        return {"chunks": [], "doc_aggs": [], "total": 0}
    reply = await rpc(
        backends.retrieval.Search(
            pb.SearchRequest(
                tenant_id=tenant_id,
                dataset_ids=body.dataset_ids or [],
                document_ids=body.document_ids or [],
                query=body.question or "",
                similarity_threshold=body.similarity_threshold,
                keywords_similarity_weight=1.0 - body.vector_similarity_weight,
                top_k=body.top_k,
                top_n=body.page_size,
                page=body.page,
                # One of the deployment's rerank models (retrieval-service checks the name).
                rerank_model=body.rerank_id or "",
                metadata_condition=to_struct(body.metadata_condition) if body.metadata_condition else None,
                check_document_ids=True,
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
    if body.highlight:
        for chunk in chunks:
            chunk["highlight"] = highlighted(chunk["content"], question)
    doc_aggs = [{"doc_id": a.doc_id, "doc_name": a.doc_name, "count": a.count} for a in reply.doc_aggs]
    return {"chunks": chunks, "doc_aggs": doc_aggs, "total": reply.total}
