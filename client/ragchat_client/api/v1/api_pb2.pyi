from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LlmSettings(_message.Message):
    __slots__ = ("model_name", "temperature", "top_p", "presence_penalty", "frequency_penalty", "max_tokens")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    PRESENCE_PENALTY_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_PENALTY_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    temperature: float
    top_p: float
    presence_penalty: float
    frequency_penalty: float
    max_tokens: int
    def __init__(self, model_name: _Optional[str] = ..., temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., presence_penalty: _Optional[float] = ..., frequency_penalty: _Optional[float] = ..., max_tokens: _Optional[int] = ...) -> None: ...

class PromptVariable(_message.Message):
    __slots__ = ("key", "optional")
    KEY_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_FIELD_NUMBER: _ClassVar[int]
    key: str
    optional: bool
    def __init__(self, key: _Optional[str] = ..., optional: _Optional[bool] = ...) -> None: ...

class PromptVariables(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[PromptVariable]
    def __init__(self, items: _Optional[_Iterable[_Union[PromptVariable, _Mapping]]] = ...) -> None: ...

class PromptSettings(_message.Message):
    __slots__ = ("prompt", "opener", "empty_response", "variables", "similarity_threshold", "keywords_similarity_weight", "top_n", "top_k", "rerank_model", "show_quote")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    OPENER_FIELD_NUMBER: _ClassVar[int]
    EMPTY_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_SIMILARITY_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    TOP_N_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    RERANK_MODEL_FIELD_NUMBER: _ClassVar[int]
    SHOW_QUOTE_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    opener: str
    empty_response: str
    variables: PromptVariables
    similarity_threshold: float
    keywords_similarity_weight: float
    top_n: int
    top_k: int
    rerank_model: str
    show_quote: bool
    def __init__(self, prompt: _Optional[str] = ..., opener: _Optional[str] = ..., empty_response: _Optional[str] = ..., variables: _Optional[_Union[PromptVariables, _Mapping]] = ..., similarity_threshold: _Optional[float] = ..., keywords_similarity_weight: _Optional[float] = ..., top_n: _Optional[int] = ..., top_k: _Optional[int] = ..., rerank_model: _Optional[str] = ..., show_quote: _Optional[bool] = ...) -> None: ...

class DatasetRef(_message.Message):
    __slots__ = ("id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ChatAssistant(_message.Message):
    __slots__ = ("id", "name", "description", "avatar", "dataset_ids", "datasets", "llm", "prompt", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    LLM_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    avatar: str
    dataset_ids: _containers.RepeatedScalarFieldContainer[str]
    datasets: _containers.RepeatedCompositeFieldContainer[DatasetRef]
    llm: LlmSettings
    prompt: PromptSettings
    create_time: int
    update_time: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., avatar: _Optional[str] = ..., dataset_ids: _Optional[_Iterable[str]] = ..., datasets: _Optional[_Iterable[_Union[DatasetRef, _Mapping]]] = ..., llm: _Optional[_Union[LlmSettings, _Mapping]] = ..., prompt: _Optional[_Union[PromptSettings, _Mapping]] = ..., create_time: _Optional[int] = ..., update_time: _Optional[int] = ...) -> None: ...

class DatasetIds(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateChatAssistantRequest(_message.Message):
    __slots__ = ("name", "description", "avatar", "dataset_ids", "llm", "prompt")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    LLM_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    avatar: str
    dataset_ids: DatasetIds
    llm: LlmSettings
    prompt: PromptSettings
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., avatar: _Optional[str] = ..., dataset_ids: _Optional[_Union[DatasetIds, _Mapping]] = ..., llm: _Optional[_Union[LlmSettings, _Mapping]] = ..., prompt: _Optional[_Union[PromptSettings, _Mapping]] = ...) -> None: ...

class GetChatAssistantRequest(_message.Message):
    __slots__ = ("chat_id",)
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    def __init__(self, chat_id: _Optional[str] = ...) -> None: ...

class UpdateChatAssistantRequest(_message.Message):
    __slots__ = ("chat_id", "name", "description", "avatar", "dataset_ids", "llm", "prompt")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    LLM_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    name: str
    description: str
    avatar: str
    dataset_ids: DatasetIds
    llm: LlmSettings
    prompt: PromptSettings
    def __init__(self, chat_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., avatar: _Optional[str] = ..., dataset_ids: _Optional[_Union[DatasetIds, _Mapping]] = ..., llm: _Optional[_Union[LlmSettings, _Mapping]] = ..., prompt: _Optional[_Union[PromptSettings, _Mapping]] = ...) -> None: ...

class ListOptions(_message.Message):
    __slots__ = ("page", "page_size", "orderby", "desc", "id", "name")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ORDERBY_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    page: int
    page_size: int
    orderby: str
    desc: bool
    id: str
    name: str
    def __init__(self, page: _Optional[int] = ..., page_size: _Optional[int] = ..., orderby: _Optional[str] = ..., desc: _Optional[bool] = ..., id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ListChatAssistantsRequest(_message.Message):
    __slots__ = ("options",)
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    options: ListOptions
    def __init__(self, options: _Optional[_Union[ListOptions, _Mapping]] = ...) -> None: ...

class ListChatAssistantsResponse(_message.Message):
    __slots__ = ("chat_assistants", "total")
    CHAT_ASSISTANTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    chat_assistants: _containers.RepeatedCompositeFieldContainer[ChatAssistant]
    total: int
    def __init__(self, chat_assistants: _Optional[_Iterable[_Union[ChatAssistant, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class DeleteChatAssistantsRequest(_message.Message):
    __slots__ = ("ids", "delete_all")
    IDS_FIELD_NUMBER: _ClassVar[int]
    DELETE_ALL_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    delete_all: bool
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., delete_all: _Optional[bool] = ...) -> None: ...

class DeleteResponse(_message.Message):
    __slots__ = ("success_count", "errors")
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    success_count: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, success_count: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class ReferenceChunk(_message.Message):
    __slots__ = ("id", "content", "document_id", "document_name", "dataset_id", "similarity", "vector_similarity", "term_similarity")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    TERM_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    id: str
    content: str
    document_id: str
    document_name: str
    dataset_id: str
    similarity: float
    vector_similarity: float
    term_similarity: float
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., document_id: _Optional[str] = ..., document_name: _Optional[str] = ..., dataset_id: _Optional[str] = ..., similarity: _Optional[float] = ..., vector_similarity: _Optional[float] = ..., term_similarity: _Optional[float] = ...) -> None: ...

class DocumentAggregate(_message.Message):
    __slots__ = ("doc_id", "doc_name", "count")
    DOC_ID_FIELD_NUMBER: _ClassVar[int]
    DOC_NAME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    doc_id: str
    doc_name: str
    count: int
    def __init__(self, doc_id: _Optional[str] = ..., doc_name: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class Reference(_message.Message):
    __slots__ = ("total", "chunks", "doc_aggs")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    DOC_AGGS_FIELD_NUMBER: _ClassVar[int]
    total: int
    chunks: _containers.RepeatedCompositeFieldContainer[ReferenceChunk]
    doc_aggs: _containers.RepeatedCompositeFieldContainer[DocumentAggregate]
    def __init__(self, total: _Optional[int] = ..., chunks: _Optional[_Iterable[_Union[ReferenceChunk, _Mapping]]] = ..., doc_aggs: _Optional[_Iterable[_Union[DocumentAggregate, _Mapping]]] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ("prompt_tokens", "completion_tokens", "total_tokens")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., total_tokens: _Optional[int] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("id", "role", "content", "created_at", "reference", "usage", "stopped")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    id: str
    role: str
    content: str
    created_at: float
    reference: Reference
    usage: Usage
    stopped: bool
    def __init__(self, id: _Optional[str] = ..., role: _Optional[str] = ..., content: _Optional[str] = ..., created_at: _Optional[float] = ..., reference: _Optional[_Union[Reference, _Mapping]] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., stopped: _Optional[bool] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("id", "chat_id", "name", "user_id", "messages", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    chat_id: str
    name: str
    user_id: str
    messages: _containers.RepeatedCompositeFieldContainer[Message]
    create_time: int
    update_time: int
    def __init__(self, id: _Optional[str] = ..., chat_id: _Optional[str] = ..., name: _Optional[str] = ..., user_id: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., create_time: _Optional[int] = ..., update_time: _Optional[int] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("chat_id", "name", "user_id", "variables")
    class VariablesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    name: str
    user_id: str
    variables: _containers.ScalarMap[str, str]
    def __init__(self, chat_id: _Optional[str] = ..., name: _Optional[str] = ..., user_id: _Optional[str] = ..., variables: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("chat_id", "session_id")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    session_id: str
    def __init__(self, chat_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("chat_id", "options", "user_id")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    options: ListOptions
    user_id: str
    def __init__(self, chat_id: _Optional[str] = ..., options: _Optional[_Union[ListOptions, _Mapping]] = ..., user_id: _Optional[str] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions", "total")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    total: int
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class UpdateSessionRequest(_message.Message):
    __slots__ = ("chat_id", "session_id", "name", "user_id")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    session_id: str
    name: str
    user_id: str
    def __init__(self, chat_id: _Optional[str] = ..., session_id: _Optional[str] = ..., name: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class DeleteSessionsRequest(_message.Message):
    __slots__ = ("chat_id", "ids", "delete_all")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    DELETE_ALL_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    delete_all: bool
    def __init__(self, chat_id: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., delete_all: _Optional[bool] = ...) -> None: ...

class AskRequest(_message.Message):
    __slots__ = ("chat_id", "question", "session_id", "user_id", "name", "quote", "doc_ids", "variables")
    class VariablesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    DOC_IDS_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    question: str
    session_id: str
    user_id: str
    name: str
    quote: bool
    doc_ids: _containers.RepeatedScalarFieldContainer[str]
    variables: _containers.ScalarMap[str, str]
    def __init__(self, chat_id: _Optional[str] = ..., question: _Optional[str] = ..., session_id: _Optional[str] = ..., user_id: _Optional[str] = ..., name: _Optional[str] = ..., quote: _Optional[bool] = ..., doc_ids: _Optional[_Iterable[str]] = ..., variables: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AnswerDelta(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class AnswerReset(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class AnswerFinal(_message.Message):
    __slots__ = ("answer", "reference", "usage", "created_at", "model", "stopped", "answer_rewritten")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    ANSWER_REWRITTEN_FIELD_NUMBER: _ClassVar[int]
    answer: str
    reference: Reference
    usage: Usage
    created_at: float
    model: str
    stopped: bool
    answer_rewritten: bool
    def __init__(self, answer: _Optional[str] = ..., reference: _Optional[_Union[Reference, _Mapping]] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., created_at: _Optional[float] = ..., model: _Optional[str] = ..., stopped: _Optional[bool] = ..., answer_rewritten: _Optional[bool] = ...) -> None: ...

class AskEvent(_message.Message):
    __slots__ = ("message_id", "session_id", "chat_id", "seq", "delta", "reset", "final")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    session_id: str
    chat_id: str
    seq: int
    delta: AnswerDelta
    reset: AnswerReset
    final: AnswerFinal
    def __init__(self, message_id: _Optional[str] = ..., session_id: _Optional[str] = ..., chat_id: _Optional[str] = ..., seq: _Optional[int] = ..., delta: _Optional[_Union[AnswerDelta, _Mapping]] = ..., reset: _Optional[_Union[AnswerReset, _Mapping]] = ..., final: _Optional[_Union[AnswerFinal, _Mapping]] = ...) -> None: ...

class ResumeRequest(_message.Message):
    __slots__ = ("chat_id", "session_id", "message_id", "after_seq")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    session_id: str
    message_id: str
    after_seq: int
    def __init__(self, chat_id: _Optional[str] = ..., session_id: _Optional[str] = ..., message_id: _Optional[str] = ..., after_seq: _Optional[int] = ...) -> None: ...

class StopRequest(_message.Message):
    __slots__ = ("chat_id", "session_id", "message_id")
    CHAT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    chat_id: str
    session_id: str
    message_id: str
    def __init__(self, chat_id: _Optional[str] = ..., session_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class StopResponse(_message.Message):
    __slots__ = ("stopped",)
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    stopped: bool
    def __init__(self, stopped: _Optional[bool] = ...) -> None: ...

class RetrieveRequest(_message.Message):
    __slots__ = ("question", "dataset_ids", "document_ids", "similarity_threshold", "vector_similarity_weight", "top_k", "page", "page_size")
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    DATASET_IDS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SIMILARITY_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    question: str
    dataset_ids: _containers.RepeatedScalarFieldContainer[str]
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    similarity_threshold: float
    vector_similarity_weight: float
    top_k: int
    page: int
    page_size: int
    def __init__(self, question: _Optional[str] = ..., dataset_ids: _Optional[_Iterable[str]] = ..., document_ids: _Optional[_Iterable[str]] = ..., similarity_threshold: _Optional[float] = ..., vector_similarity_weight: _Optional[float] = ..., top_k: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class RetrievedChunk(_message.Message):
    __slots__ = ("id", "content", "document_id", "document_name", "dataset_id", "important_keywords", "similarity", "vector_similarity", "term_similarity")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    IMPORTANT_KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    TERM_SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    id: str
    content: str
    document_id: str
    document_name: str
    dataset_id: str
    important_keywords: _containers.RepeatedScalarFieldContainer[str]
    similarity: float
    vector_similarity: float
    term_similarity: float
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., document_id: _Optional[str] = ..., document_name: _Optional[str] = ..., dataset_id: _Optional[str] = ..., important_keywords: _Optional[_Iterable[str]] = ..., similarity: _Optional[float] = ..., vector_similarity: _Optional[float] = ..., term_similarity: _Optional[float] = ...) -> None: ...

class RetrieveResponse(_message.Message):
    __slots__ = ("chunks", "doc_aggs", "total")
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    DOC_AGGS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    chunks: _containers.RepeatedCompositeFieldContainer[RetrievedChunk]
    doc_aggs: _containers.RepeatedCompositeFieldContainer[DocumentAggregate]
    total: int
    def __init__(self, chunks: _Optional[_Iterable[_Union[RetrievedChunk, _Mapping]]] = ..., doc_aggs: _Optional[_Iterable[_Union[DocumentAggregate, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...
