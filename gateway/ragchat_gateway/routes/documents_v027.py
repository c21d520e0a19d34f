"""Document routes RAGFlow v0.27.0 serves outside a dataset's path (API.md §9.1, additive):
the tenant's file store (``/documents/upload``), ``/documents/ingest``, thumbnails, images and
sandbox artifacts."""

from __future__ import annotations

import io
import os
import re
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat_common.errors import InvalidArgument, NotFound, envelope
from ragchat_common.grpc_utils import rpc
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.request_models.documents import (
    ArtifactParams,
    FileInfoParams,
    IngestBodyDep,
    ObjectKey,
    ThumbnailsParams,
)
from ragchat_gateway.routes.datasets import SERVICE, UPLOAD_PIECE_BYTES, read_upload_files
from ragchat_gateway.web_pages import fetch_page

router = APIRouter()

# What v0.27 serves as a sandbox artifact: a bare file name with one of these extensions.
ARTIFACT_EXTENSIONS = (".png", ".jpg", ".jpeg", ".svg", ".pdf", ".csv", ".json", ".html")


# ---- the tenant's file store --------------------------------------------------------------


def stored_file_json(info: pb.StoredFile, tenant_id: str) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "size": info.size,
        "extension": info.extension,
        "mime_type": info.mime_type,
        "created_by": tenant_id,
        "created_at": info.create_time / 1000,
        "preview_url": None,
    }


async def store_files(backends: Any, tenant_id: str, files: list[UploadFile]) -> list[pb.StoredFile]:
    async def messages() -> Any:
        for upload in files:
            yield pb.UploadDocumentRequest(
                header=pb.UploadDocumentRequest.Header(
                    tenant_id=tenant_id, name=upload.filename or "", size=upload.size or 0
                )
            )
            await upload.seek(0)
            while piece := await upload.read(UPLOAD_PIECE_BYTES):
                yield pb.UploadDocumentRequest(data=piece)

    reply = await rpc(
        backends.retrieval.StoreFiles(messages(), timeout=backends.settings.grpc_timeout_s * 6 + len(files) * 0.05),
        SERVICE,
    )
    return list(reply.files)


def _page_name(url: str, extension: str) -> str:
    """A file name for a fetched page: the URL's last path segment (or host) and its type."""
    tail = re.sub(r"[?#].*$", "", url).rstrip("/").rsplit("/", 1)[-1] or "page"
    stem = re.sub(r"[^\w.\-]", "_", tail)[:200]
    return stem if stem.lower().endswith(extension) else stem + extension


@router.post("/documents/upload")
async def upload_files(request: Request, principal: AuthDep, backends: BackendsDep, query: FileInfoParams) -> Any:
    """Keeps files (multipart `file`, or the page at `?url=`) in the tenant's file store, outside
    any dataset, and answers their info: one object for one file, a list for several."""
    has_files = request.headers.get("content-type", "").startswith("multipart/form-data")
    if has_files and query.url:
        raise InvalidArgument("Provide either multipart file(s) or ?url=..., not both.")
    if not has_files and not query.url:
        raise InvalidArgument("Missing input: provide multipart file(s) or url")
    if query.url:
        settings = backends.settings
        page = await fetch_page(
            query.url,
            allow_private=settings.web_fetch_private_hosts,
            max_bytes=settings.max_upload_bytes,
            timeout_s=settings.web_fetch_timeout_s,
        )
        name = _page_name(query.url, page.extension)
        files = [UploadFile(io.BytesIO(page.data), size=len(page.data), filename=name)]
    else:
        files = await read_upload_files(request, backends)
    stored = [stored_file_json(f, principal.tenant_id) for f in await store_files(backends, principal.tenant_id, files)]
    return envelope(stored[0] if len(stored) == 1 else stored)


# ---- parsing by document id ---------------------------------------------------------------


@router.post("/documents/ingest")
async def ingest(principal: AuthDep, backends: BackendsDep, body: IngestBodyDep) -> dict[str, Any]:
    """Parses (`run` "1") or cancels the parsing of (`run` "2") the tenant's documents, wherever
    they are; true when done."""
    call = backends.retrieval.StopParsing if body.cancels() else backends.retrieval.StartParsing
    await rpc(
        call(
            pb.ParseRequest(tenant_id=principal.tenant_id, document_ids=list(body.doc_ids or [])),
            timeout=backends.settings.grpc_bulk_timeout_s,
        ),
        SERVICE,
    )
    return envelope(True)


# ---- thumbnails, images, artifacts --------------------------------------------------------


@router.get("/thumbnails")
async def thumbnails(principal: AuthDep, backends: BackendsDep, query: ThumbnailsParams) -> dict[str, Any]:
    """`{doc_id: thumbnail}` for those of the documents that are the caller's (others are left
    out, as v0.27 leaves out unknown ids); ragchat makes no thumbnails, so each is null."""
    reply = await rpc(
        backends.retrieval.ListDocuments(
            pb.ListDocumentsRequest(
                tenant_id=principal.tenant_id, ids=list(query.doc_ids or []), page_size=len(query.doc_ids or [])
            ),
            timeout=backends.settings.grpc_timeout_s,
        ),
        SERVICE,
    )
    return envelope({doc.id: None for doc in reply.docs})


@router.get("/documents/images/{image_id}", response_model=None)
async def document_image(image_id: ObjectKey, principal: AuthDep, backends: BackendsDep) -> Response:
    """`{dataset_id}-{chunk_id}`: the image of one of the caller's chunks (given as
    `image_base64`); any other id, or another tenant's, is "Image not found."."""
    reply = await rpc(
        backends.retrieval.GetImage(
            pb.ImageRef(tenant_id=principal.tenant_id, id=image_id), timeout=backends.settings.grpc_timeout_s
        ),
        SERVICE,
    )
    return Response(reply.data, media_type=image_media_type(reply.data))


def image_media_type(data: bytes) -> str:
    """The image's type from its first bytes (JPEG when unknown, as RAGFlow serves them)."""
    for magic, media_type in IMAGE_MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


@router.get("/documents/artifact/{filename}")
async def sandbox_artifact(filename: ObjectKey, principal: AuthDep, query: ArtifactParams) -> dict[str, Any]:
    """A file an agent's code sandbox wrote. ragchat runs no agents, so there is none to serve;
    the name is checked as v0.27 checks it."""
    if os.path.basename(filename) != filename or "\\" in filename or not filename.strip("."):
        raise InvalidArgument("Invalid filename.")
    if os.path.splitext(filename)[1].lower() not in ARTIFACT_EXTENSIONS:
        raise InvalidArgument("invalid file type")
    raise NotFound("Artifact not found.")
