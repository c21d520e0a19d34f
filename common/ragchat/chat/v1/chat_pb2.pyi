from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DatasetRef(_message.Message):
    __slots__ = ("id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class Chat(_message.Message):
    __slots__ = ("id", "tenant_id", "name", "description", "avatar", "dataset_ids", "datasets", "llm", "prompt", "create_time", "update_time", "ragflow027")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    LLM_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RAGFLOW027_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    name: str
    description: str
    avatar: str
    dataset_ids: _containers.RepeatedScalarFieldContainer[str]
    datasets: _containers.RepeatedCompositeFieldContainer[DatasetRef]
    llm: _struct_pb2.Struct
    prompt: _struct_pb2.Struct
    create_time: int
    update_time: int
    ragflow027: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., avatar: _Optional[str] = ..., dataset_ids: _Optional[_Iterable[str]] = ..., datasets: _Optional[_Iterable[_Union[DatasetRef, _Mapping]]] = ..., llm: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., prompt: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create_time: _Optional[int] = ..., update_time: _Optional[int] = ..., ragflow027: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class DatasetIds(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ChatSpec(_message.Message):
    __slots__ = ("name", "description", "avatar", "dataset_ids", "llm", "prompt", "ragflow027")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    LLM_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    RAGFLOW027_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    avatar: str
    dataset_ids: DatasetIds
    llm: _struct_pb2.Struct
    prompt: _struct_pb2.Struct
    ragflow027: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., avatar: _Optional[str] = ..., dataset_ids: _Optional[_Union[DatasetIds, _Mapping]] = ..., llm: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., prompt: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., ragflow027: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreateChatRequest(_message.Message):
    __slots__ = ("tenant_id", "spec")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    spec: ChatSpec
    def __init__(self, tenant_id: _Optional[str] = ..., spec: _Optional[_Union[ChatSpec, _Mapping]] = ...) -> None: ...

class UpdateChatRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "spec")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    spec: ChatSpec
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., spec: _Optional[_Union[ChatSpec, _Mapping]] = ...) -> None: ...

class GetChatRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "skip_dataset_names", "llm_overrides", "deployment_default")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SKIP_DATASET_NAMES_FIELD_NUMBER: _ClassVar[int]
    LLM_OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    skip_dataset_names: bool
    llm_overrides: _struct_pb2.Struct
    deployment_default: bool
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., skip_dataset_names: _Optional[bool] = ..., llm_overrides: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., deployment_default: _Optional[bool] = ...) -> None: ...

class ListChatsRequest(_message.Message):
    __slots__ = ("tenant_id", "page", "page_size", "orderby", "desc", "id", "name", "keywords", "owner_ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ORDERBY_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    OWNER_IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    page: int
    page_size: int
    orderby: str
    desc: bool
    id: str
    name: str
    keywords: str
    owner_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., orderby: _Optional[str] = ..., desc: _Optional[bool] = ..., id: _Optional[str] = ..., name: _Optional[str] = ..., keywords: _Optional[str] = ..., owner_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListChatsResponse(_message.Message):
    __slots__ = ("chats", "total")
    CHATS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    chats: _containers.RepeatedCompositeFieldContainer[Chat]
    total: int
    def __init__(self, chats: _Optional[_Iterable[_Union[Chat, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class DeleteChatsRequest(_message.Message):
    __slots__ = ("tenant_id", "ids", "delete_all")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    DELETE_ALL_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    delete_all: bool
    def __init__(self, tenant_id: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., delete_all: _Optional[bool] = ...) -> None: ...

class DeleteChatsResponse(_message.Message):
    __slots__ = ("success_count", "errors")
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    success_count: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, success_count: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...
