from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Dataset(_message.Message):
    __slots__ = ("id", "tenant_id", "name", "description", "avatar", "embedding_model", "chunk_method", "parser_config", "permission", "chunk_count", "document_count", "create_time", "update_time", "pagerank", "language")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    CHUNK_METHOD_FIELD_NUMBER: _ClassVar[int]
    PARSER_CONFIG_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGERANK_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    name: str
    description: str
    avatar: str
    embedding_model: str
    chunk_method: str
    parser_config: _struct_pb2.Struct
    permission: str
    chunk_count: int
    document_count: int
    create_time: int
    update_time: int
    pagerank: int
    language: str
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., avatar: _Optional[str] = ..., embedding_model: _Optional[str] = ..., chunk_method: _Optional[str] = ..., parser_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., permission: _Optional[str] = ..., chunk_count: _Optional[int] = ..., document_count: _Optional[int] = ..., create_time: _Optional[int] = ..., update_time: _Optional[int] = ..., pagerank: _Optional[int] = ..., language: _Optional[str] = ...) -> None: ...

class DatasetRef(_message.Message):
    __slots__ = ("tenant_id", "id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    id: str
    def __init__(self, tenant_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class DatasetSummary(_message.Message):
    __slots__ = ("document_count", "chunk_count", "token_count", "documents_by_run")
    class DocumentsByRunEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_BY_RUN_FIELD_NUMBER: _ClassVar[int]
    document_count: int
    chunk_count: int
    token_count: int
    documents_by_run: _containers.ScalarMap[str, int]
    def __init__(self, document_count: _Optional[int] = ..., chunk_count: _Optional[int] = ..., token_count: _Optional[int] = ..., documents_by_run: _Optional[_Mapping[str, int]] = ...) -> None: ...

class GetDatasetsRequest(_message.Message):
    __slots__ = ("tenant_id", "ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetDatasetsResponse(_message.Message):
    __slots__ = ("datasets", "missing")
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    datasets: _containers.RepeatedCompositeFieldContainer[Dataset]
    missing: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, datasets: _Optional[_Iterable[_Union[Dataset, _Mapping]]] = ..., missing: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateDatasetRequest(_message.Message):
    __slots__ = ("tenant_id", "name", "description", "avatar", "embedding_model", "chunk_method", "permission", "parser_config", "auto_metadata_config")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    CHUNK_METHOD_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    PARSER_CONFIG_FIELD_NUMBER: _ClassVar[int]
    AUTO_METADATA_CONFIG_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    name: str
    description: str
    avatar: str
    embedding_model: str
    chunk_method: str
    permission: str
    parser_config: _struct_pb2.Struct
    auto_metadata_config: _struct_pb2.Struct
    def __init__(self, tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., avatar: _Optional[str] = ..., embedding_model: _Optional[str] = ..., chunk_method: _Optional[str] = ..., permission: _Optional[str] = ..., parser_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., auto_metadata_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class UpdateDatasetRequest(_message.Message):
    __slots__ = ("tenant_id", "id", "fields")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    id: str
    fields: _struct_pb2.Struct
    def __init__(self, tenant_id: _Optional[str] = ..., id: _Optional[str] = ..., fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListDatasetsRequest(_message.Message):
    __slots__ = ("tenant_id", "page", "page_size", "orderby", "desc", "id", "name", "ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ORDERBY_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    page: int
    page_size: int
    orderby: str
    desc: bool
    id: str
    name: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., orderby: _Optional[str] = ..., desc: _Optional[bool] = ..., id: _Optional[str] = ..., name: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListDatasetsResponse(_message.Message):
    __slots__ = ("datasets", "total")
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    datasets: _containers.RepeatedCompositeFieldContainer[Dataset]
    total: int
    def __init__(self, datasets: _Optional[_Iterable[_Union[Dataset, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class DeleteRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "ids", "delete_all", "all_or_nothing")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    DELETE_ALL_FIELD_NUMBER: _ClassVar[int]
    ALL_OR_NOTHING_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    delete_all: bool
    all_or_nothing: bool
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., delete_all: _Optional[bool] = ..., all_or_nothing: _Optional[bool] = ...) -> None: ...

class DeleteResponse(_message.Message):
    __slots__ = ("success_count", "errors")
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    success_count: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, success_count: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class Document(_message.Message):
    __slots__ = ("id", "dataset_id", "tenant_id", "name", "size", "type", "run", "progress", "progress_msg", "chunk_count", "token_count", "chunk_method", "parser_config", "meta_fields", "process_begin_at", "process_duration", "create_time", "update_time", "location", "status")
    ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_MSG_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_METHOD_FIELD_NUMBER: _ClassVar[int]
    PARSER_CONFIG_FIELD_NUMBER: _ClassVar[int]
    META_FIELDS_FIELD_NUMBER: _ClassVar[int]
    PROCESS_BEGIN_AT_FIELD_NUMBER: _ClassVar[int]
    PROCESS_DURATION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    id: str
    dataset_id: str
    tenant_id: str
    name: str
    size: int
    type: str
    run: str
    progress: float
    progress_msg: str
    chunk_count: int
    token_count: int
    chunk_method: str
    parser_config: _struct_pb2.Struct
    meta_fields: _struct_pb2.Struct
    process_begin_at: int
    process_duration: float
    create_time: int
    update_time: int
    location: str
    status: str
    def __init__(self, id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., size: _Optional[int] = ..., type: _Optional[str] = ..., run: _Optional[str] = ..., progress: _Optional[float] = ..., progress_msg: _Optional[str] = ..., chunk_count: _Optional[int] = ..., token_count: _Optional[int] = ..., chunk_method: _Optional[str] = ..., parser_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., meta_fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., process_begin_at: _Optional[int] = ..., process_duration: _Optional[float] = ..., create_time: _Optional[int] = ..., update_time: _Optional[int] = ..., location: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class UploadDocumentRequest(_message.Message):
    __slots__ = ("header", "data")
    class Header(_message.Message):
        __slots__ = ("tenant_id", "dataset_id", "name", "size", "empty")
        TENANT_ID_FIELD_NUMBER: _ClassVar[int]
        DATASET_ID_FIELD_NUMBER: _ClassVar[int]
        NAME_FIELD_NUMBER: _ClassVar[int]
        SIZE_FIELD_NUMBER: _ClassVar[int]
        EMPTY_FIELD_NUMBER: _ClassVar[int]
        tenant_id: str
        dataset_id: str
        name: str
        size: int
        empty: bool
        def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., name: _Optional[str] = ..., size: _Optional[int] = ..., empty: _Optional[bool] = ...) -> None: ...
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    header: UploadDocumentRequest.Header
    data: bytes
    def __init__(self, header: _Optional[_Union[UploadDocumentRequest.Header, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class UploadDocumentsResponse(_message.Message):
    __slots__ = ("documents",)
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[Document]
    def __init__(self, documents: _Optional[_Iterable[_Union[Document, _Mapping]]] = ...) -> None: ...

class StoredFile(_message.Message):
    __slots__ = ("id", "name", "size", "extension", "mime_type", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    EXTENSION_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    size: int
    extension: str
    mime_type: str
    create_time: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., size: _Optional[int] = ..., extension: _Optional[str] = ..., mime_type: _Optional[str] = ..., create_time: _Optional[int] = ...) -> None: ...

class StoreFilesResponse(_message.Message):
    __slots__ = ("files",)
    FILES_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[StoredFile]
    def __init__(self, files: _Optional[_Iterable[_Union[StoredFile, _Mapping]]] = ...) -> None: ...

class ListDocumentsRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "page", "page_size", "orderby", "desc", "id", "name", "keywords", "create_time_from", "create_time_to", "ids", "run", "suffix", "types", "metadata_condition", "metadata")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ORDERBY_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FROM_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_TO_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    SUFFIX_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    METADATA_CONDITION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    page: int
    page_size: int
    orderby: str
    desc: bool
    id: str
    name: str
    keywords: str
    create_time_from: int
    create_time_to: int
    ids: _containers.RepeatedScalarFieldContainer[str]
    run: _containers.RepeatedScalarFieldContainer[str]
    suffix: _containers.RepeatedScalarFieldContainer[str]
    types: _containers.RepeatedScalarFieldContainer[str]
    metadata_condition: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., orderby: _Optional[str] = ..., desc: _Optional[bool] = ..., id: _Optional[str] = ..., name: _Optional[str] = ..., keywords: _Optional[str] = ..., create_time_from: _Optional[int] = ..., create_time_to: _Optional[int] = ..., ids: _Optional[_Iterable[str]] = ..., run: _Optional[_Iterable[str]] = ..., suffix: _Optional[_Iterable[str]] = ..., types: _Optional[_Iterable[str]] = ..., metadata_condition: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListDocumentsResponse(_message.Message):
    __slots__ = ("docs", "total")
    DOCS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    docs: _containers.RepeatedCompositeFieldContainer[Document]
    total: int
    def __init__(self, docs: _Optional[_Iterable[_Union[Document, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class UpdateDocumentRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "id", "fields")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    id: str
    fields: _struct_pb2.Struct
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., id: _Optional[str] = ..., fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class DocumentRef(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    id: str
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class DownloadDocumentResponse(_message.Message):
    __slots__ = ("document", "data")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    document: Document
    data: bytes
    def __init__(self, document: _Optional[_Union[Document, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ParseRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "document_ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., document_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ParseResponse(_message.Message):
    __slots__ = ("success_count", "errors")
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    success_count: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, success_count: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class Chunk(_message.Message):
    __slots__ = ("id", "content", "document_id", "document_name", "dataset_id", "important_keywords", "questions", "available", "create_time", "position", "tag_kwd", "image_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    IMPORTANT_KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TAG_KWD_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    content: str
    document_id: str
    document_name: str
    dataset_id: str
    important_keywords: _containers.RepeatedScalarFieldContainer[str]
    questions: _containers.RepeatedScalarFieldContainer[str]
    available: bool
    create_time: int
    position: int
    tag_kwd: _containers.RepeatedScalarFieldContainer[str]
    image_id: str
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., document_id: _Optional[str] = ..., document_name: _Optional[str] = ..., dataset_id: _Optional[str] = ..., important_keywords: _Optional[_Iterable[str]] = ..., questions: _Optional[_Iterable[str]] = ..., available: _Optional[bool] = ..., create_time: _Optional[int] = ..., position: _Optional[int] = ..., tag_kwd: _Optional[_Iterable[str]] = ..., image_id: _Optional[str] = ...) -> None: ...

class ListChunksRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "document_id", "page", "page_size", "keywords", "id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    document_id: str
    page: int
    page_size: int
    keywords: str
    id: str
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., document_id: _Optional[str] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., keywords: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class ListChunksResponse(_message.Message):
    __slots__ = ("chunks", "total", "document")
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    chunks: _containers.RepeatedCompositeFieldContainer[Chunk]
    total: int
    document: Document
    def __init__(self, chunks: _Optional[_Iterable[_Union[Chunk, _Mapping]]] = ..., total: _Optional[int] = ..., document: _Optional[_Union[Document, _Mapping]] = ...) -> None: ...

class AddChunkRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "document_id", "content", "important_keywords", "questions", "tag_kwd", "image")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    IMPORTANT_KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    TAG_KWD_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    document_id: str
    content: str
    important_keywords: _containers.RepeatedScalarFieldContainer[str]
    questions: _containers.RepeatedScalarFieldContainer[str]
    tag_kwd: _containers.RepeatedScalarFieldContainer[str]
    image: bytes
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., document_id: _Optional[str] = ..., content: _Optional[str] = ..., important_keywords: _Optional[_Iterable[str]] = ..., questions: _Optional[_Iterable[str]] = ..., tag_kwd: _Optional[_Iterable[str]] = ..., image: _Optional[bytes] = ...) -> None: ...

class UpdateChunkRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "document_id", "id", "fields", "image")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    document_id: str
    id: str
    fields: _struct_pb2.Struct
    image: bytes
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., document_id: _Optional[str] = ..., id: _Optional[str] = ..., fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., image: _Optional[bytes] = ...) -> None: ...

class ImageRef(_message.Message):
    __slots__ = ("tenant_id", "id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    id: str
    def __init__(self, tenant_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class Image(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class DeleteChunksRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "document_id", "ids", "delete_all")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    DELETE_ALL_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    document_id: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    delete_all: bool
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., document_id: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., delete_all: _Optional[bool] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_ids", "document_ids", "query", "similarity_threshold", "keywords_similarity_weight", "top_k", "top_n", "page", "query_vector", "rerank_model", "metadata_condition", "check_document_ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_SIMILARITY_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    TOP_N_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    QUERY_VECTOR_FIELD_NUMBER: _ClassVar[int]
    RERANK_MODEL_FIELD_NUMBER: _ClassVar[int]
    METADATA_CONDITION_FIELD_NUMBER: _ClassVar[int]
    CHECK_DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_ids: _containers.RepeatedScalarFieldContainer[str]
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    query: str
    similarity_threshold: float
    keywords_similarity_weight: float
    top_k: int
    top_n: int
    page: int
    query_vector: _containers.RepeatedScalarFieldContainer[float]
    rerank_model: str
    metadata_condition: _struct_pb2.Struct
    check_document_ids: bool
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_ids: _Optional[_Iterable[str]] = ..., document_ids: _Optional[_Iterable[str]] = ..., query: _Optional[str] = ..., similarity_threshold: _Optional[float] = ..., keywords_similarity_weight: _Optional[float] = ..., top_k: _Optional[int] = ..., top_n: _Optional[int] = ..., page: _Optional[int] = ..., query_vector: _Optional[_Iterable[float]] = ..., rerank_model: _Optional[str] = ..., metadata_condition: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., check_document_ids: _Optional[bool] = ...) -> None: ...

class EmbedRequest(_message.Message):
    __slots__ = ("tenant_id", "texts")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    texts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., texts: _Optional[_Iterable[str]] = ...) -> None: ...

class Embedding(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...

class EmbedResponse(_message.Message):
    __slots__ = ("vectors",)
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    vectors: _containers.RepeatedCompositeFieldContainer[Embedding]
    def __init__(self, vectors: _Optional[_Iterable[_Union[Embedding, _Mapping]]] = ...) -> None: ...

class ScoredChunk(_message.Message):
    __slots__ = ("id", "content", "document_id", "document_name", "dataset_id", "similarity", "vector_similarity", "term_similarity", "important_keywords", "position")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    TERM_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    IMPORTANT_KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    id: str
    content: str
    document_id: str
    document_name: str
    dataset_id: str
    similarity: float
    vector_similarity: float
    term_similarity: float
    important_keywords: _containers.RepeatedScalarFieldContainer[str]
    position: int
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., document_id: _Optional[str] = ..., document_name: _Optional[str] = ..., dataset_id: _Optional[str] = ..., similarity: _Optional[float] = ..., vector_similarity: _Optional[float] = ..., term_similarity: _Optional[float] = ..., important_keywords: _Optional[_Iterable[str]] = ..., position: _Optional[int] = ...) -> None: ...

class DocAgg(_message.Message):
    __slots__ = ("doc_id", "doc_name", "count")
    DOC_ID_FIELD_NUMBER: _ClassVar[int]
    DOC_NAME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    doc_id: str
    doc_name: str
    count: int
    def __init__(self, doc_id: _Optional[str] = ..., doc_name: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("chunks", "doc_aggs", "total")
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    DOC_AGGS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    chunks: _containers.RepeatedCompositeFieldContainer[ScoredChunk]
    doc_aggs: _containers.RepeatedCompositeFieldContainer[DocAgg]
    total: int
    def __init__(self, chunks: _Optional[_Iterable[_Union[ScoredChunk, _Mapping]]] = ..., doc_aggs: _Optional[_Iterable[_Union[DocAgg, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class ParseJobRef(_message.Message):
    __slots__ = ("tenant_id", "document_id", "run_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    document_id: str
    run_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., document_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class ParseJob(_message.Message):
    __slots__ = ("document", "dataset", "run_id", "parser_config")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PARSER_CONFIG_FIELD_NUMBER: _ClassVar[int]
    document: Document
    dataset: Dataset
    run_id: str
    parser_config: _struct_pb2.Struct
    def __init__(self, document: _Optional[_Union[Document, _Mapping]] = ..., dataset: _Optional[_Union[Dataset, _Mapping]] = ..., run_id: _Optional[str] = ..., parser_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class FetchParseJobResponse(_message.Message):
    __slots__ = ("job", "data")
    JOB_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    job: ParseJob
    data: bytes
    def __init__(self, job: _Optional[_Union[ParseJob, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ProgressReport(_message.Message):
    __slots__ = ("tenant_id", "document_id", "run_id", "progress", "message", "failed")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    document_id: str
    run_id: str
    progress: float
    message: str
    failed: bool
    def __init__(self, tenant_id: _Optional[str] = ..., document_id: _Optional[str] = ..., run_id: _Optional[str] = ..., progress: _Optional[float] = ..., message: _Optional[str] = ..., failed: _Optional[bool] = ...) -> None: ...

class ProgressAck(_message.Message):
    __slots__ = ("current",)
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    current: bool
    def __init__(self, current: _Optional[bool] = ...) -> None: ...

class ChunkVector(_message.Message):
    __slots__ = ("content", "dense", "sparse_indices", "sparse_values", "position", "important_keywords", "questions")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DENSE_FIELD_NUMBER: _ClassVar[int]
    SPARSE_INDICES_FIELD_NUMBER: _ClassVar[int]
    SPARSE_VALUES_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    IMPORTANT_KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    content: str
    dense: _containers.RepeatedScalarFieldContainer[float]
    sparse_indices: _containers.RepeatedScalarFieldContainer[int]
    sparse_values: _containers.RepeatedScalarFieldContainer[float]
    position: int
    important_keywords: _containers.RepeatedScalarFieldContainer[str]
    questions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, content: _Optional[str] = ..., dense: _Optional[_Iterable[float]] = ..., sparse_indices: _Optional[_Iterable[int]] = ..., sparse_values: _Optional[_Iterable[float]] = ..., position: _Optional[int] = ..., important_keywords: _Optional[_Iterable[str]] = ..., questions: _Optional[_Iterable[str]] = ...) -> None: ...

class IndexChunksRequest(_message.Message):
    __slots__ = ("tenant_id", "document_id", "run_id", "chunks", "final", "token_count", "progress")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    document_id: str
    run_id: str
    chunks: _containers.RepeatedCompositeFieldContainer[ChunkVector]
    final: bool
    token_count: int
    progress: float
    def __init__(self, tenant_id: _Optional[str] = ..., document_id: _Optional[str] = ..., run_id: _Optional[str] = ..., chunks: _Optional[_Iterable[_Union[ChunkVector, _Mapping]]] = ..., final: _Optional[bool] = ..., token_count: _Optional[int] = ..., progress: _Optional[float] = ...) -> None: ...

class IndexChunksResponse(_message.Message):
    __slots__ = ("current", "indexed")
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    INDEXED_FIELD_NUMBER: _ClassVar[int]
    current: bool
    indexed: int
    def __init__(self, current: _Optional[bool] = ..., indexed: _Optional[int] = ...) -> None: ...

class MetadataRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_ids", "document_ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_ids: _containers.RepeatedScalarFieldContainer[str]
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_ids: _Optional[_Iterable[str]] = ..., document_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class MetadataView(_message.Message):
    __slots__ = ("fields",)
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    fields: _struct_pb2.Struct
    def __init__(self, fields: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class UpdateMetadataRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "document_ids", "metadata_condition", "updates", "deletes")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    METADATA_CONDITION_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    DELETES_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    metadata_condition: _struct_pb2.Struct
    updates: _struct_pb2.ListValue
    deletes: _struct_pb2.ListValue
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., document_ids: _Optional[_Iterable[str]] = ..., metadata_condition: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., updates: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., deletes: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ...) -> None: ...

class UpdateMetadataResponse(_message.Message):
    __slots__ = ("updated", "matched_docs")
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    MATCHED_DOCS_FIELD_NUMBER: _ClassVar[int]
    updated: int
    matched_docs: int
    def __init__(self, updated: _Optional[int] = ..., matched_docs: _Optional[int] = ...) -> None: ...

class CountTagsRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class TagCount(_message.Message):
    __slots__ = ("tag", "count")
    TAG_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    tag: str
    count: int
    def __init__(self, tag: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class CountTagsResponse(_message.Message):
    __slots__ = ("tags",)
    TAGS_FIELD_NUMBER: _ClassVar[int]
    tags: _containers.RepeatedCompositeFieldContainer[TagCount]
    def __init__(self, tags: _Optional[_Iterable[_Union[TagCount, _Mapping]]] = ...) -> None: ...

class DeleteTagsRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "tags")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class RenameTagRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "from_tag", "to_tag")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_TAG_FIELD_NUMBER: _ClassVar[int]
    TO_TAG_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    from_tag: str
    to_tag: str
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., from_tag: _Optional[str] = ..., to_tag: _Optional[str] = ...) -> None: ...

class EditTagsResponse(_message.Message):
    __slots__ = ("chunks_changed",)
    CHUNKS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    chunks_changed: int
    def __init__(self, chunks_changed: _Optional[int] = ...) -> None: ...

class CheckEmbeddingRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "embedding_model", "check_num")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    CHECK_NUM_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    embedding_model: str
    check_num: int
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., embedding_model: _Optional[str] = ..., check_num: _Optional[int] = ...) -> None: ...

class CheckEmbeddingResponse(_message.Message):
    __slots__ = ("summary", "results", "effective")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    summary: _struct_pb2.Struct
    results: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    effective: bool
    def __init__(self, summary: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., results: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., effective: _Optional[bool] = ...) -> None: ...

class ListIngestionLogsRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "page", "page_size", "orderby", "desc", "operation_status", "create_time_from", "create_time_to", "keywords")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ORDERBY_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    OPERATION_STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FROM_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_TO_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    page: int
    page_size: int
    orderby: str
    desc: bool
    operation_status: _containers.RepeatedScalarFieldContainer[str]
    create_time_from: int
    create_time_to: int
    keywords: str
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., orderby: _Optional[str] = ..., desc: _Optional[bool] = ..., operation_status: _Optional[_Iterable[str]] = ..., create_time_from: _Optional[int] = ..., create_time_to: _Optional[int] = ..., keywords: _Optional[str] = ...) -> None: ...

class ListIngestionLogsResponse(_message.Message):
    __slots__ = ("logs", "total")
    LOGS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    logs: _containers.RepeatedCompositeFieldContainer[IngestionLog]
    total: int
    def __init__(self, logs: _Optional[_Iterable[_Union[IngestionLog, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class IngestionLogRef(_message.Message):
    __slots__ = ("tenant_id", "dataset_id", "id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_id: str
    id: str
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class IngestionLog(_message.Message):
    __slots__ = ("id", "dataset_id", "document_id", "document_name", "document_suffix", "document_type", "parser_id", "operation_status", "progress", "progress_msg", "process_begin_at", "process_duration", "create_time", "update_time", "chunk_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_SUFFIX_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    PARSER_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_MSG_FIELD_NUMBER: _ClassVar[int]
    PROCESS_BEGIN_AT_FIELD_NUMBER: _ClassVar[int]
    PROCESS_DURATION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    dataset_id: str
    document_id: str
    document_name: str
    document_suffix: str
    document_type: str
    parser_id: str
    operation_status: str
    progress: float
    progress_msg: str
    process_begin_at: int
    process_duration: float
    create_time: int
    update_time: int
    chunk_count: int
    def __init__(self, id: _Optional[str] = ..., dataset_id: _Optional[str] = ..., document_id: _Optional[str] = ..., document_name: _Optional[str] = ..., document_suffix: _Optional[str] = ..., document_type: _Optional[str] = ..., parser_id: _Optional[str] = ..., operation_status: _Optional[str] = ..., progress: _Optional[float] = ..., progress_msg: _Optional[str] = ..., process_begin_at: _Optional[int] = ..., process_duration: _Optional[float] = ..., create_time: _Optional[int] = ..., update_time: _Optional[int] = ..., chunk_count: _Optional[int] = ...) -> None: ...
