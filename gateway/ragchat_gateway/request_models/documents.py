"""Document routes of RAGFlow v0.27.0 beyond API.md §7: upload variants, ingest, thumbnails."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from ragchat_common.paging import PAGE_SIZE_MAX
from ragchat_gateway.request_models.base import RequestModel
from ragchat_gateway.request_models.binding import json_body, query_params
from ragchat_gateway.request_models.fields import IdList, IdsParam, LenientBool, Name, Text, custom_error

UPLOAD_TYPES = ("local", "web", "empty")
# RAGFlow's task states a client may ask /documents/ingest for: run ("1") or cancel ("2").
RUN, CANCEL = "1", "2"


class UploadQuery(RequestModel):
    """``POST /datasets/{id}/documents?type=local|web|empty`` (v0.27; any case, local by default)."""

    type: Text = "local"

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in UPLOAD_TYPES:
            raise custom_error('`type` must be one of "local", "web", or "empty".')
        return value


class EmptyDocument(RequestModel):
    """``?type=empty``: a JSON body naming the new, empty document."""

    name: Any = None

    @model_validator(mode="after")
    def _named(self) -> EmptyDocument:
        if not isinstance(self.name, str) or not self.name.strip():
            raise custom_error("File name can't be empty.")
        return self

    def document_name(self) -> str:
        return str(self.name).strip()


class WebDocument(RequestModel):
    """``?type=web``: form fields ``name`` (the document's, without extension) and ``url``."""

    name: Text | None = None
    url: Text | None = None

    @model_validator(mode="after")
    def _complete(self) -> WebDocument:
        if not (self.name or "").strip():
            raise custom_error('Lack of "name"')
        if not self.url:
            raise custom_error('Lack of "url"')
        if len(self.name_stem().encode("utf-8")) > 255:
            raise custom_error("File name must be 255 bytes or less.")
        return self

    def name_stem(self) -> str:
        return (self.name or "").strip()


class IngestBody(RequestModel):
    """``POST /documents/ingest`` (v0.27): ``run`` "1" parses the documents, "2" cancels their
    parsing; ``delete`` (re-parse from scratch) and ``apply_kb`` are accepted: a re-parse always
    replaces the old chunks and takes the dataset's settings."""

    doc_ids: IdList | None = None
    run: Literal[1, 2, "1", "2"] | None = None
    delete: LenientBool = False
    apply_kb: LenientBool = False

    @model_validator(mode="after")
    def _complete(self) -> IngestBody:
        if not self.doc_ids:
            raise custom_error("`doc_ids` is required.")
        if self.run is None:
            raise custom_error('`run` must be "1" (parse) or "2" (cancel).')
        return self

    def cancels(self) -> bool:
        return str(self.run) == CANCEL


class ThumbnailsQuery(RequestModel):
    """``GET /thumbnails?doc_ids=a&doc_ids=b`` (v0.27)."""

    doc_ids: IdsParam | None = None

    @model_validator(mode="after")
    def _some(self) -> ThumbnailsQuery:
        if not self.doc_ids:
            raise custom_error('Lack of "Document ID"')
        if len(self.doc_ids) > PAGE_SIZE_MAX:
            raise custom_error(f"At most {PAGE_SIZE_MAX} `doc_ids` at once.")
        return self


class FileInfoQuery(RequestModel):
    """``POST /documents/upload?url=...`` (v0.27): a page to fetch instead of multipart files."""

    url: Text | None = None


class ArtifactQuery(RequestModel):
    session_id: Name | None = None


ArtifactParams = Annotated[ArtifactQuery, query_params(ArtifactQuery)]
UploadParams = Annotated[UploadQuery, query_params(UploadQuery)]
FileInfoParams = Annotated[FileInfoQuery, query_params(FileInfoQuery)]
IngestBodyDep = Annotated[IngestBody, json_body(IngestBody)]
ThumbnailsParams = Annotated[ThumbnailsQuery, query_params(ThumbnailsQuery)]
# Object keys in paths: a file name or image id, at most one path segment of sane length.
ObjectKey = Annotated[str, Field(max_length=512)]
