"""Datasets, documents, chunks and ``POST /retrieval`` (API.md §7).

Updates (dataset, document, chunk) are partial and free-form: the declared fields are typed,
other keys are kept for retrieval-service, which owns what they mean.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, model_validator

from ragchat_common.errors import InvalidArgument
from ragchat_common.search_defaults import SEARCH_DEFAULTS, TOP_K_MAX
from ragchat_gateway.request_models.base import OpenRequestModel, RequestModel
from ragchat_gateway.request_models.binding import json_body, query_params
from ragchat_gateway.request_models.common import DeleteBody, ListQuery, Page, PageSize, Paging
from ragchat_gateway.request_models.fields import (
    IDS_MAX,
    Avatar,
    FiniteFloat,
    Id,
    IdList,
    IdsParam,
    JsonObject,
    LenientBool,
    Name,
    Text,
    custom_error,
)

TextList = Annotated[list[Text], Field(max_length=IDS_MAX)]
Timestamp = Annotated[int, Field(ge=0, le=2**62)]
Fraction = Annotated[FiniteFloat, Field(ge=0, le=1)]


def _required_ids(name: str, ids: list[str] | None) -> list[str]:
    if not ids:
        raise custom_error(f"`{name}` is required.")
    return ids


class DatasetFields(OpenRequestModel):
    name: Name | None = None
    description: Text | None = None
    avatar: Avatar | None = None
    embedding_model: Text | None = None
    chunk_method: Text | None = None
    permission: Text | None = None
    parser_config: JsonObject | None = None
    auto_metadata_config: JsonObject | None = None


class CreateDataset(DatasetFields):
    """A new dataset: only the fields RAGFlow takes; any other (unknown, or read-only as
    `chunk_count`) is refused, as RAGFlow refuses it."""

    @model_validator(mode="after")
    def _named(self) -> CreateDataset:
        if self.name is None or not self.name.strip():
            raise custom_error("`name` is required.")
        other = sorted(self.extras())
        if other:
            fields = ", ".join(DatasetFields.model_fields)
            raise custom_error(f"Unknown field `{other[0]}`: a dataset is created from {fields}.")
        return self


class UpdateDataset(DatasetFields):
    @model_validator(mode="after")
    def _not_emptied(self) -> UpdateDataset:
        if "name" in self.model_fields_set and (self.name is None or not self.name.strip()):
            raise custom_error("`name` cannot be empty.")
        return self


class DatasetListQuery(ListQuery):
    ids: IdsParam | None = None


class DocumentListQuery(ListQuery):
    orderby: Literal["create_time", "update_time", "name", "size"] = "create_time"  # type: ignore[assignment]
    keywords: Text | None = None
    create_time_from: Timestamp = 0
    create_time_to: Timestamp = 0
    ids: IdsParam | None = None


class UpdateDocument(OpenRequestModel):
    name: Name | None = None
    chunk_method: Text | None = None
    parser_config: JsonObject | None = None
    meta_fields: JsonObject | None = None
    enabled: LenientBool | None = None


class ParseDocuments(RequestModel):
    document_ids: IdList | None = None

    @model_validator(mode="after")
    def _some(self) -> ParseDocuments:
        _required_ids("document_ids", self.document_ids)
        return self

    def ids(self) -> list[str]:
        return list(self.document_ids or [])


class ChunkListQuery(Paging):
    keywords: Text | None = None
    id: Id | None = None


def decode_image_base64(value: Any) -> bytes:
    """A chunk's ``image_base64`` (RAGFlow v0.27: plain base64, no data-URL prefix)."""
    if not isinstance(value, str) or not value.strip():
        raise custom_error("`image_base64` must be a non-empty string")
    try:
        image = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise custom_error("Invalid `image_base64`") from None
    if not image:
        raise custom_error("`image_base64` is empty")
    return image


class ChunkImage(RequestModel):
    """``image_base64`` of a chunk create or update: stored, and served as the chunk's image."""

    image_base64: Any = None

    @model_validator(mode="after")
    def _decodable(self) -> ChunkImage:
        if "image_base64" in self.model_fields_set:
            decode_image_base64(self.image_base64)
        return self

    def image(self) -> bytes:
        return decode_image_base64(self.image_base64) if "image_base64" in self.model_fields_set else b""


class AddChunk(ChunkImage):
    content: Text | None = None
    important_keywords: TextList | None = None
    questions: TextList | None = None
    tag_kwd: TextList | None = None

    @model_validator(mode="after")
    def _has_content(self) -> AddChunk:
        if self.content is None or not self.content.strip():
            raise custom_error("`content` is required.")
        return self


class UpdateChunk(ChunkImage, OpenRequestModel):
    model_config = OpenRequestModel.model_config  # other keys are kept for retrieval-service

    content: Text | None = None
    important_keywords: TextList | None = None
    questions: TextList | None = None
    tag_kwd: TextList | None = None
    available: LenientBool | None = None


class DeleteChunks(RequestModel):
    chunk_ids: IdList | None = None
    delete_all: LenientBool = False


class AutoMetadataConfig(OpenRequestModel):
    """``PUT /datasets/{id}/metadata/config`` (v0.27): stored as sent, checked by retrieval-service."""


class SwitchChunks(RequestModel):
    """``PATCH .../chunks`` (v0.27): ``{"chunk_ids": [...], "available": bool}`` or ``available_int`` 0/1."""

    chunk_ids: IdList | None = None
    available: StrictBool | None = None
    available_int: Literal[0, 1] | None = None

    @model_validator(mode="after")
    def _complete(self) -> SwitchChunks:
        _required_ids("chunk_ids", self.chunk_ids)
        if self.available_int is None and self.available is None:
            raise custom_error("`available_int` or `available` is required.")
        return self

    def switched_on(self) -> bool:
        return bool(self.available_int) if self.available_int is not None else bool(self.available)


class BatchUpdateStatus(RequestModel):
    """``POST .../documents/batch-update-status`` (v0.27): ``{"doc_ids": [...], "status": 0|1}``."""

    doc_ids: IdList | None = None
    status: Literal[0, 1, "0", "1"] | None = None

    @model_validator(mode="after")
    def _complete(self) -> BatchUpdateStatus:
        _required_ids("doc_ids", self.doc_ids)
        if self.status is None:
            raise custom_error("`status` must be 0 or 1.")
        return self

    def enabled(self) -> int:
        return int(self.status or 0)


class Retrieval(RequestModel):
    question: Text | None = None
    dataset_ids: IdList | None = None
    document_ids: IdList | None = None
    similarity_threshold: Fraction = SEARCH_DEFAULTS.similarity_threshold
    vector_similarity_weight: Fraction = SEARCH_DEFAULTS.vector_similarity_weight
    top_k: Annotated[int, Field(ge=1, le=TOP_K_MAX)] = SEARCH_DEFAULTS.top_k
    page: Page = 1
    page_size: PageSize = SEARCH_DEFAULTS.page_size
    rerank_id: Text | None = None
    # "true"/"false" strings too, as RAGFlow reads them ("False" is false).
    highlight: LenientBool = False

    @model_validator(mode="after")
    def _asked(self) -> Retrieval:
        # An empty question is asked and finds nothing (RAGFlow answers it with no chunks).
        if self.question is None:
            raise custom_error("`question` is required.")
        _required_ids("dataset_ids", self.dataset_ids)
        return self


class SearchDatasets(RequestModel):
    """v0.27's dataset search (``POST /datasets/search``, ``/datasets/{id}/search``): retrieval under
    other names (``doc_ids``, ``size``) and a threshold of 0 by default."""

    question: Text | None = None
    dataset_ids: IdList | None = None
    doc_ids: IdList | None = None
    page: Page = 1
    size: PageSize = SEARCH_DEFAULTS.page_size
    top_k: Annotated[int, Field(ge=1, le=TOP_K_MAX)] = SEARCH_DEFAULTS.top_k
    similarity_threshold: Fraction = 0.0
    vector_similarity_weight: Fraction = SEARCH_DEFAULTS.vector_similarity_weight

    @model_validator(mode="after")
    def _asked(self) -> SearchDatasets:
        if self.question is None or not self.question.strip():
            raise custom_error("`question` is required.")
        return self

    def as_retrieval(self, dataset_ids: list[str]) -> Retrieval:
        if not dataset_ids:
            raise InvalidArgument("`dataset_ids` is required.")
        return Retrieval(
            question=self.question,
            dataset_ids=dataset_ids,
            document_ids=self.doc_ids,
            page=self.page,
            page_size=self.size,
            top_k=self.top_k,
            similarity_threshold=self.similarity_threshold,
            vector_similarity_weight=self.vector_similarity_weight,
        )


CreateDatasetBody = Annotated[CreateDataset, json_body(CreateDataset)]
UpdateDatasetBody = Annotated[UpdateDataset, json_body(UpdateDataset)]
DatasetListParams = Annotated[DatasetListQuery, query_params(DatasetListQuery)]
DeleteDatasetsBody = Annotated[DeleteBody, json_body(DeleteBody)]
DocumentListParams = Annotated[DocumentListQuery, query_params(DocumentListQuery)]
UpdateDocumentBody = Annotated[UpdateDocument, json_body(UpdateDocument)]
DeleteDocumentsBody = Annotated[DeleteBody, json_body(DeleteBody)]
ParseDocumentsBody = Annotated[ParseDocuments, json_body(ParseDocuments)]
ChunkListParams = Annotated[ChunkListQuery, query_params(ChunkListQuery)]
AddChunkBody = Annotated[AddChunk, json_body(AddChunk)]
UpdateChunkBody = Annotated[UpdateChunk, json_body(UpdateChunk)]
DeleteChunksBody = Annotated[DeleteChunks, json_body(DeleteChunks)]
RetrievalBody = Annotated[Retrieval, json_body(Retrieval)]
AutoMetadataConfigBody = Annotated[AutoMetadataConfig, json_body(AutoMetadataConfig)]
SwitchChunksBody = Annotated[SwitchChunks, json_body(SwitchChunks)]
SearchDatasetsBody = Annotated[SearchDatasets, json_body(SearchDatasets)]
BatchUpdateStatusBody = Annotated[BatchUpdateStatus, json_body(BatchUpdateStatus)]
