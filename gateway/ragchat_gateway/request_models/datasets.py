"""Datasets, documents, chunks and ``POST /retrieval`` (API.md §7).

Updates (dataset, document, chunk) are partial and free-form: the declared fields are typed,
other keys are kept for retrieval-service, which owns what they mean.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StringConstraints, model_validator

from ragchat_common.errors import InvalidArgument
from ragchat_common.search_defaults import SEARCH_DEFAULTS, TOP_K_MAX
from ragchat_gateway.request_models.base import OpenRequestModel, RequestModel
from ragchat_gateway.request_models.binding import json_body, query_params
from ragchat_gateway.request_models.common import DeleteBody, ListQuery, Page, PageSize, Paging
from ragchat_gateway.request_models.fields import (
    IDS_MAX,
    Avatar,
    FilterParam,
    FiniteFloat,
    Id,
    IdList,
    IdsParam,
    JsonObject,
    JsonValue,
    LenientBool,
    Name,
    Text,
    custom_error,
)
from ragchat_gateway.request_models.parsing import load_json

TextList = Annotated[list[Text], Field(max_length=IDS_MAX)]


def _chunk_list(value: Any) -> Any:
    # RAGFlow's words for a chunk's keyword lists (both of its versions).
    if value is not None and not isinstance(value, list):
        raise custom_error("{field} is required to be a list")
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise custom_error("{field} must be a list of strings")
    return value


ChunkTextList = Annotated[TextList, BeforeValidator(_chunk_list)]
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
    # v0.27: `type=filter` answers the owners to filter by instead of datasets;
    # `include_parsing_status` adds each dataset's documents per parse state.
    type: Literal["filter"] | None = None
    include_parsing_status: LenientBool = False


def _json_object_param(name: str) -> BeforeValidator:
    """A query parameter holding a JSON object (RAGFlow's metadata filters), parsed as request
    bodies are (parsing.load_json: no non-finite numbers, no nesting too deep to parse)."""

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = load_json(value, f"`{name}`")
            except ValueError:
                raise custom_error(f"{name} must be valid JSON.") from None
        if not isinstance(value, dict):
            raise custom_error(f"{name} must be an object.")
        return value

    return BeforeValidator(parse)


class DocumentListQuery(ListQuery):
    orderby: Literal["create_time", "update_time", "name", "size"] = "create_time"  # type: ignore[assignment]
    keywords: Text | None = None
    create_time_from: Timestamp = 0
    create_time_to: Timestamp = 0
    ids: IdsParam | None = None
    run: FilterParam | None = None
    suffix: FilterParam | None = None
    types: FilterParam | None = None
    metadata_condition: Annotated[JsonObject, _json_object_param("metadata_condition")] | None = None
    metadata: Annotated[JsonObject, _json_object_param("metadata")] | None = None


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
        if not self.document_ids:
            raise custom_error("`document_ids` is required")  # RAGFlow's words: no full stop here
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
    important_keywords: ChunkTextList | None = None
    questions: ChunkTextList | None = None
    tag_kwd: ChunkTextList | None = None

    @model_validator(mode="after")
    def _has_content(self) -> AddChunk:
        if self.content is None or not self.content.strip():
            raise custom_error("`content` is required")
        return self


class UpdateChunk(ChunkImage, OpenRequestModel):
    model_config = OpenRequestModel.model_config  # other keys are kept for retrieval-service

    content: Text | None = None
    important_keywords: ChunkTextList | None = None
    questions: ChunkTextList | None = None
    tag_kwd: ChunkTextList | None = None
    available: LenientBool | None = None


class DeleteChunks(RequestModel):
    chunk_ids: IdList | None = None
    delete_all: LenientBool = False


class AutoMetadataField(RequestModel):
    key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    type: Literal["string", "list", "time", "number"]
    description: Text | None = None
    enum: TextList | None = None


class AutoMetadataConfig(RequestModel):
    """``PUT /datasets/{id}/metadata/config`` (v0.27): the metadata fields to extract, kept in the
    dataset's parser_config as RAGFlow keeps them."""

    metadata: Annotated[list[AutoMetadataField], Field(max_length=IDS_MAX)] = []
    built_in_metadata: Annotated[list[AutoMetadataField], Field(max_length=IDS_MAX)] = []

    def as_parser_config(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include={"metadata", "built_in_metadata"})


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
    # "true"/"false" strings too, as RAGFlow reads them ("False" is false); null is false.
    highlight: LenientBool | None = False
    # RAGFlow's {logic, conditions} on document metadata (ragflow-sdk 0.27's retrieve sends it).
    metadata_condition: JsonObject | None = None

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


class DatasetIdsQuery(RequestModel):
    """``?dataset_ids=a,b`` (v0.27's ``/datasets/metadata/flattened``): at least one."""

    dataset_ids: IdsParam | None = None

    @model_validator(mode="after")
    def _some(self) -> DatasetIdsQuery:
        if not self.dataset_ids:
            raise custom_error("Lack of dataset_ids in query parameters")
        return self

    def ids(self) -> list[str]:
        return list(self.dataset_ids or [])


class MetadataSummaryQuery(RequestModel):
    """``?doc_ids=a,b``: only these documents (default: all of the dataset's)."""

    doc_ids: IdsParam | None = None


class MetadataSelector(RequestModel):
    document_ids: IdList | None = None
    metadata_condition: JsonObject | None = None


class MetadataChange(OpenRequestModel):
    """One update ``{"key", "value", "match"?}`` or delete ``{"key", "value"?}``."""

    key: Name | None = None


class UpdateMetadata(RequestModel):
    """``POST /datasets/{id}/metadata/update`` and ``PATCH .../documents/metadatas`` (v0.27):
    documents chosen by ``selector`` get ``updates`` set and ``deletes`` removed."""

    selector: MetadataSelector | None = None
    updates: Annotated[list[MetadataChange], Field(max_length=IDS_MAX)] | None = None
    deletes: Annotated[list[MetadataChange], Field(max_length=IDS_MAX)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: object) -> object:
        # RAGFlow's words for a wrong shape, before pydantic's generic ones.
        if isinstance(data, dict):
            selector = data.get("selector")
            if selector is not None and not isinstance(selector, dict):
                raise custom_error("selector must be an object.")
            for name in ("updates", "deletes"):
                if data.get(name) is not None and not isinstance(data[name], list):
                    raise custom_error("updates and deletes must be lists.")
            if isinstance(selector, dict):
                condition = selector.get("metadata_condition")
                if condition not in (None, {}) and not isinstance(condition, dict):
                    raise custom_error("metadata_condition must be an object.")
                ids = selector.get("document_ids")
                if ids not in (None, []) and not isinstance(ids, list):
                    raise custom_error("document_ids must be a list.")
        return data

    @model_validator(mode="after")
    def _complete(self) -> UpdateMetadata:
        for change in self.updates or []:
            if not change.key or "value" not in change.extras():
                raise custom_error("Each update requires key and value.")
        for change in self.deletes or []:
            if not change.key:
                raise custom_error("Each delete requires key.")
        for change in [*(self.updates or []), *(self.deletes or [])]:
            if (change.key or "").startswith("$"):
                raise custom_error("A metadata key cannot start with '$'.")
        return self

    def changes(self, name: str) -> list[dict[str, object]]:
        return [{"key": c.key, **c.extras()} for c in getattr(self, name) or []]


class DocumentMetadataConfig(RequestModel):
    """``PUT .../documents/{id}/metadata/config`` (v0.27): the document's metadata fields."""

    metadata: JsonValue = None

    @model_validator(mode="after")
    def _sent(self) -> DocumentMetadataConfig:
        if "metadata" not in self.model_fields_set:
            raise custom_error("metadata is required")
        return self


class DeleteTags(RequestModel):
    tags: Annotated[list[Text], Field(max_length=IDS_MAX)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: object) -> object:
        if isinstance(data, dict) and "tags" in data:
            tags = data["tags"]
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise custom_error("tags must be a list of strings")
        return data

    @model_validator(mode="after")
    def _sent(self) -> DeleteTags:
        if self.tags is None:
            raise custom_error("Lack of tags in request body")
        return self


class RenameTag(RequestModel):
    from_tag: Text | None = None
    to_tag: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: object) -> object:
        if isinstance(data, dict):
            if "from_tag" not in data or "to_tag" not in data:
                raise custom_error("Lack of from_tag or to_tag in request body")
            if not isinstance(data["from_tag"], str) or not isinstance(data["to_tag"], str):
                raise custom_error("from_tag and to_tag must be strings")
            if not data["from_tag"].strip() or not data["to_tag"].strip():
                raise custom_error("from_tag and to_tag must not be empty")
        return data


class CheckEmbedding(RequestModel):
    embd_id: Text | None = None
    check_num: Annotated[int, Field(ge=1, le=100)] = 5

    @model_validator(mode="after")
    def _named(self) -> CheckEmbedding:
        if not self.embd_id:
            raise custom_error("`embd_id` is required.")
        return self


def _date_ms(value: str) -> int:
    """ "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (UTC) → epoch milliseconds."""
    for layout in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return int(datetime.strptime(value, layout).replace(tzinfo=UTC).timestamp() * 1000)
        except ValueError:
            continue
    raise custom_error("{field} must be a date: YYYY-MM-DD or YYYY-MM-DD HH:MM:SS.")


def _check_date(value: str) -> str:
    _date_ms(value)
    return value


DateParam = Annotated[str, Field(max_length=32), AfterValidator(_check_date)]


class IngestionLogQuery(Paging):
    """v0.27's ``GET /datasets/{id}/ingestions``: ``log_type`` "dataset" (knowledge graph and RAPTOR
    runs, which ragchat has none of) or "file" (the parse runs of documents). ``operation_status``
    takes RAGFlow's task states: "1" running, "2" cancelled, "3" done, "4" failed."""

    orderby: Literal["create_time", "update_time"] = "create_time"
    desc: LenientBool = True
    operation_status: Annotated[list[Literal["0", "1", "2", "3", "4", "5"]], Field(max_length=6)] = []
    create_date_from: DateParam | None = None
    create_date_to: DateParam | None = None
    log_type: Literal["dataset", "file"] = "dataset"
    keywords: Text | None = None

    @model_validator(mode="after")
    def _ordered_dates(self) -> IngestionLogQuery:
        start, end = self.time_range()
        if start and end and start > end:
            raise custom_error("`create_date_from` must not be later than `create_date_to`.")
        return self

    def time_range(self) -> tuple[int, int]:
        """(from, to) in epoch ms, 0 for no bound; a date alone as an upper bound takes its whole day."""
        start = _date_ms(self.create_date_from) if self.create_date_from else 0
        end = 0
        if self.create_date_to:
            end = _date_ms(self.create_date_to)
            if len(self.create_date_to) == 10:
                end += 24 * 3600 * 1000 - 1
        return start, end


class DeleteIndexQuery(RequestModel):
    type: Text = ""
    wipe: Text = "true"


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
# No body is refused; `{}` clears both lists (v0.27.0 does both).
AutoMetadataConfigBody = Annotated[AutoMetadataConfig, json_body(AutoMetadataConfig, required=True)]
SwitchChunksBody = Annotated[SwitchChunks, json_body(SwitchChunks)]
SearchDatasetsBody = Annotated[SearchDatasets, json_body(SearchDatasets)]
BatchUpdateStatusBody = Annotated[BatchUpdateStatus, json_body(BatchUpdateStatus)]
DatasetIdsParams = Annotated[DatasetIdsQuery, query_params(DatasetIdsQuery)]
MetadataSummaryParams = Annotated[MetadataSummaryQuery, query_params(MetadataSummaryQuery)]
UpdateMetadataBody = Annotated[UpdateMetadata, json_body(UpdateMetadata)]
DocumentMetadataConfigBody = Annotated[DocumentMetadataConfig, json_body(DocumentMetadataConfig)]
DeleteTagsBody = Annotated[DeleteTags, json_body(DeleteTags)]
RenameTagBody = Annotated[RenameTag, json_body(RenameTag)]
CheckEmbeddingBody = Annotated[CheckEmbedding, json_body(CheckEmbedding)]
IngestionLogParams = Annotated[IngestionLogQuery, query_params(IngestionLogQuery)]
DeleteIndexParams = Annotated[DeleteIndexQuery, query_params(DeleteIndexQuery)]
