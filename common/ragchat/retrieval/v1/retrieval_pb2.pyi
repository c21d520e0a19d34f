from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Dataset(_message.Message):
    __slots__ = ("id", "tenant_id", "name", "description", "avatar", "embedding_model", "chunk_method", "parser_config", "permission", "chunk_count", "document_count", "create_time", "update_time")
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
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., avatar: _Optional[str] = ..., embedding_model: _Optional[str] = ..., chunk_method: _Optional[str] = ..., parser_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., permission: _Optional[str] = ..., chunk_count: _Optional[int] = ..., document_count: _Optional[int] = ..., create_time: _Optional[int] = ..., update_time: _Optional[int] = ...) -> None: ...

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

class SearchRequest(_message.Message):
    __slots__ = ("tenant_id", "dataset_ids", "document_ids", "query", "similarity_threshold", "keywords_similarity_weight", "top_k", "top_n", "page")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_SIMILARITY_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    TOP_N_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dataset_ids: _containers.RepeatedScalarFieldContainer[str]
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    query: str
    similarity_threshold: float
    keywords_similarity_weight: float
    top_k: int
    top_n: int
    page: int
    def __init__(self, tenant_id: _Optional[str] = ..., dataset_ids: _Optional[_Iterable[str]] = ..., document_ids: _Optional[_Iterable[str]] = ..., query: _Optional[str] = ..., similarity_threshold: _Optional[float] = ..., keywords_similarity_weight: _Optional[float] = ..., top_k: _Optional[int] = ..., top_n: _Optional[int] = ..., page: _Optional[int] = ...) -> None: ...

class ScoredChunk(_message.Message):
    __slots__ = ("id", "content", "document_id", "document_name", "dataset_id", "similarity", "vector_similarity", "term_similarity", "important_keywords")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    TERM_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    IMPORTANT_KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    content: str
    document_id: str
    document_name: str
    dataset_id: str
    similarity: float
    vector_similarity: float
    term_similarity: float
    important_keywords: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., document_id: _Optional[str] = ..., document_name: _Optional[str] = ..., dataset_id: _Optional[str] = ..., similarity: _Optional[float] = ..., vector_similarity: _Optional[float] = ..., term_similarity: _Optional[float] = ..., important_keywords: _Optional[_Iterable[str]] = ...) -> None: ...

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
