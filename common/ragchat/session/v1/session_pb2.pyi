from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Message(_message.Message):
    __slots__ = ("id", "role", "content", "created_at", "reference", "thumbup", "feedback", "stopped", "usage")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    THUMBUP_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    role: str
    content: str
    created_at: float
    reference: _struct_pb2.Struct
    thumbup: bool
    feedback: str
    stopped: bool
    usage: TokenUsage
    def __init__(self, id: _Optional[str] = ..., role: _Optional[str] = ..., content: _Optional[str] = ..., created_at: _Optional[float] = ..., reference: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., thumbup: _Optional[bool] = ..., feedback: _Optional[str] = ..., stopped: _Optional[bool] = ..., usage: _Optional[_Union[TokenUsage, _Mapping]] = ...) -> None: ...

class TokenUsage(_message.Message):
    __slots__ = ("prompt_tokens", "completion_tokens")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    completion_tokens: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("id", "tenant_id", "chat_id", "name", "user_id", "messages", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    chat_id: str
    name: str
    user_id: str
    messages: _containers.RepeatedCompositeFieldContainer[Message]
    create_time: int
    update_time: int
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., name: _Optional[str] = ..., user_id: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., create_time: _Optional[int] = ..., update_time: _Optional[int] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "name", "user_id", "opener")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    OPENER_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    name: str
    user_id: str
    opener: str
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., name: _Optional[str] = ..., user_id: _Optional[str] = ..., opener: _Optional[str] = ...) -> None: ...

class UpdateSessionRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "session_id", "name", "user_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    session_id: str
    name: str
    user_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., session_id: _Optional[str] = ..., name: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "session_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    session_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "page", "page_size", "orderby", "desc", "id", "name", "user_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ORDERBY_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    page: int
    page_size: int
    orderby: str
    desc: bool
    id: str
    name: str
    user_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., orderby: _Optional[str] = ..., desc: _Optional[bool] = ..., id: _Optional[str] = ..., name: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions", "total")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    total: int
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class DeleteSessionsRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "ids", "delete_all")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    DELETE_ALL_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    delete_all: bool
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., delete_all: _Optional[bool] = ...) -> None: ...

class DeleteSessionsResponse(_message.Message):
    __slots__ = ("success_count", "errors")
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    success_count: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, success_count: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteChatSessionsRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., chat_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteChatSessionsResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...

class AppendUserMessageRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "session_id", "content", "new_session", "answer_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    NEW_SESSION_FIELD_NUMBER: _ClassVar[int]
    ANSWER_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    session_id: str
    content: str
    new_session: NewSession
    answer_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., session_id: _Optional[str] = ..., content: _Optional[str] = ..., new_session: _Optional[_Union[NewSession, _Mapping]] = ..., answer_id: _Optional[str] = ...) -> None: ...

class NewSession(_message.Message):
    __slots__ = ("name", "user_id", "opener")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    OPENER_FIELD_NUMBER: _ClassVar[int]
    name: str
    user_id: str
    opener: str
    def __init__(self, name: _Optional[str] = ..., user_id: _Optional[str] = ..., opener: _Optional[str] = ...) -> None: ...

class AppendUserMessageResponse(_message.Message):
    __slots__ = ("user_message_id", "answer_id", "history", "session_id")
    USER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWER_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    user_message_id: str
    answer_id: str
    history: _containers.RepeatedCompositeFieldContainer[Message]
    session_id: str
    def __init__(self, user_message_id: _Optional[str] = ..., answer_id: _Optional[str] = ..., history: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., session_id: _Optional[str] = ...) -> None: ...

class StoreAnswerRequest(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "session_id", "answer_id", "content", "reference", "stopped", "usage")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWER_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    session_id: str
    answer_id: str
    content: str
    reference: _struct_pb2.Struct
    stopped: bool
    usage: TokenUsage
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., session_id: _Optional[str] = ..., answer_id: _Optional[str] = ..., content: _Optional[str] = ..., reference: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., stopped: _Optional[bool] = ..., usage: _Optional[_Union[TokenUsage, _Mapping]] = ...) -> None: ...

class StoreAnswerResponse(_message.Message):
    __slots__ = ("stored",)
    STORED_FIELD_NUMBER: _ClassVar[int]
    stored: bool
    def __init__(self, stored: _Optional[bool] = ...) -> None: ...

class MessageRef(_message.Message):
    __slots__ = ("tenant_id", "chat_id", "session_id", "message_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    chat_id: str
    session_id: str
    message_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., session_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class SetFeedbackRequest(_message.Message):
    __slots__ = ("message", "thumbup", "feedback")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    THUMBUP_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    message: MessageRef
    thumbup: bool
    feedback: str
    def __init__(self, message: _Optional[_Union[MessageRef, _Mapping]] = ..., thumbup: _Optional[bool] = ..., feedback: _Optional[str] = ...) -> None: ...
