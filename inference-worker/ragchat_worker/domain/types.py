"""Types shared by the worker's domain modules."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ragchat_common.events import StreamEvent


@dataclass(frozen=True)
class RetrievedChunk:
    id: str
    content: str
    document_id: str
    document_name: str
    dataset_id: str
    similarity: float
    vector_similarity: float
    term_similarity: float


@dataclass(frozen=True)
class SearchQuery:
    tenant_id: str
    dataset_ids: list[str]
    document_ids: list[str]
    query: str
    similarity_threshold: float
    keywords_similarity_weight: float
    top_k: int
    top_n: int
    rerank_model: str = ""  # one of the deployment's rerank models, or none


@dataclass(frozen=True)
class PromptMessage:
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True)
class GenerationParams:
    model: str
    max_tokens: int
    temperature: float | None = None
    top_p: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None


@dataclass
class LLMUsage:
    """Filled by a backend that reports usage; zeros mean "count it yourself"."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


class LLMError(Exception):
    """The LLM failed; ``message`` is safe to show to the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RetrievalFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenCounter(Protocol):
    def count(self, text: str) -> int: ...


class LLMBackend(Protocol):
    """One way to generate text: streams the answer as text pieces."""

    @property
    def default_model(self) -> str: ...

    @property
    def context_window(self) -> int: ...

    @property
    def tokens(self) -> TokenCounter: ...

    def stream(
        self, messages: Sequence[PromptMessage], params: GenerationParams, usage: LLMUsage
    ) -> AsyncIterator[str]: ...


class Embedder(Protocol):
    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """L2-normalised vectors of the texts, in order (the datasets' embedding model)."""
        ...


class Retriever(Protocol):
    async def search(self, query: SearchQuery) -> list[RetrievedChunk]: ...


@dataclass(frozen=True)
class StoredAnswer:
    content: str
    reference: dict[str, Any]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    stopped: bool = False


class AnswerStore(Protocol):
    async def store(
        self,
        *,
        tenant_id: str,
        chat_id: str,
        session_id: str,
        answer_id: str,
        answer: StoredAnswer,
    ) -> bool: ...

    async def find(self, *, tenant_id: str, chat_id: str, session_id: str, answer_id: str) -> StoredAnswer | None:
        """The stored answer with this id, if any."""
        ...


@dataclass
class StopSignal:
    """Set when a client asked to stop one answer; whoever waits on the LLM registers a wake-up."""

    message_id: str
    requested: bool = False
    _wakers: list[Callable[[], None]] = field(default_factory=list)

    def request(self) -> None:
        if not self.requested:
            self.requested = True
            for wake in self._wakers:
                wake()

    def on_request(self, wake: Callable[[], None]) -> None:
        self._wakers.append(wake)


class ClaimLost(Exception):
    """Another run of the job took its claim: this one stalled (or lost Redis) past the claim's
    TTL, the broker handed the job out again, and that run answers now. This one stops."""


@dataclass(frozen=True)
class Prior:
    """What Redis holds about a message when its job starts: the last event of its stream log
    (None: it never ran), whether a stop was asked while it waited, and whether this run got the
    job's claim (False: another run of the job is alive, e.g. the broker handed the job out again
    while a worker still answers it)."""

    last: StreamEvent | None
    stop_asked: bool = False
    claimed: bool = True

    @property
    def ended(self) -> bool:
        """The stream already ended: the job was answered (or failed) by an earlier run."""
        return self.last is not None and self.last.type == "done"


class StopControl(Protocol):
    def watch(self, message_id: str) -> AbstractAsyncContextManager[StopSignal]:
        """Listens for a stop of this message while the context is open."""
        ...

    async def finish(self, signal: StopSignal) -> bool:
        """The answer is complete: later stops are too late. True (and ``signal`` set) when a stop
        came first."""
        ...


class NoStopControl:
    """No stop channel (unit tests, tools): answers are never stopped from outside."""

    def watch(self, message_id: str) -> AbstractAsyncContextManager[StopSignal]:
        return _Unwatched(StopSignal(message_id))

    async def finish(self, signal: StopSignal) -> bool:
        return signal.requested


class _Unwatched:
    def __init__(self, signal: StopSignal) -> None:
        self.signal = signal

    async def __aenter__(self) -> StopSignal:
        return self.signal

    async def __aexit__(self, *exc: object) -> None:
        return None
