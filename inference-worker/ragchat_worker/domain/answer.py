"""Answering one completion job: retrieve, assemble the prompt, stream the LLM, store, finish.

Every outcome ends the stream: ``final`` + ``done`` on success, ``error`` + ``done`` on failure.
A job seen before (its replay log is not empty) is a redelivery: it says ``reset`` first, or only
re-finishes when the answer was already stored, or does nothing when the stream already ended.

A stop (API.md §9.2) ends the LLM request; the partial answer is stored with ``stopped`` and the
final event says so. A job stopped before it started streams nothing new: it ends at once with the
text it had streamed (none for a job that waited in the queue).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, aclosing, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

from ragchat_common.events import (
    DeltaEvent,
    DoneEvent,
    ErrorEvent,
    FinalEvent,
    ResetEvent,
    StreamEvent,
    Usage,
)
from ragchat_common.ids import new_id
from ragchat_common.jobs import CompletionJob
from ragchat_common.prompting import fill_placeholders, is_stock_prompt
from ragchat_common.search_defaults import SEARCH_DEFAULTS
from ragchat_worker.domain.batching import batch_pieces
from ragchat_worker.domain.citations import CitationStream, build_reference, cite_answer
from ragchat_worker.domain.prompt import assemble_prompt, recent_history
from ragchat_worker.domain.types import (
    AnswerStore,
    ClaimLost,
    Embedder,
    GenerationParams,
    LLMBackend,
    LLMError,
    LLMUsage,
    NoStopControl,
    Prior,
    RetrievalFailed,
    RetrievedChunk,
    Retriever,
    SearchQuery,
    StopControl,
    StopSignal,
    StoredAnswer,
)

log = logging.getLogger(__name__)


class EventSink(Protocol):
    async def emit(self, message_id: str, events: Sequence[StreamEvent]) -> None:
        """Publishes the events live and appends them to the replay log, in one round trip."""
        ...

    async def first_look(self, message_id: str, claim: str) -> Prior:
        """The message's last event, its stop key, and the job claimed for ``claim`` (this run's
        token) unless another run holds it, in one round trip."""
        ...

    def holding(self, message_id: str, claim: str) -> AbstractAsyncContextManager[None]:
        """Keeps the claim while the run lasts; a run cut short (cancelled) gives it back. Raises
        ``ClaimLost`` (having cancelled the run) when another run took the claim meanwhile."""
        ...

    async def history(self, message_id: str) -> list[StreamEvent]:
        """Every event of the message still in the replay log, in order."""
        ...


class Outcome(enum.Enum):
    ANSWERED = "answered"
    FAILED = "failed"
    ALREADY_DONE = "already_done"
    SUPERSEDED = "superseded"  # another run of the job took it over (ClaimLost): that one answers


@dataclass
class AnswerDeps:
    retriever: Retriever
    llm: LLMBackend
    sink: EventSink
    store: AnswerStore
    flush_pieces: int = 256
    flush_delay_s: float = 0.005
    default_max_tokens: int = 512
    # Earlier messages sent to the model with a question (the newest); -1 all of them.
    history_messages: int = -1
    # The system prompt used in place of a stock one (prompting.is_stock_prompt); "": none.
    stock_prompt_replacement: str = ""
    control: StopControl = field(default_factory=NoStopControl)
    # The most retrieved chunks the model is shown, best first (0: every one the chat's top_n
    # retrieved). The reference holds the chunks shown.
    knowledge_chunks: int = 0
    # Embeds answer sentences and chunks to insert citations the model left out (None: never).
    embedder: Embedder | None = None
    # A second run of a job looks this often whether the first one finished or died.
    claim_poll_s: float = 0.5


class StorageFailed(Exception):
    """The answer could not be stored (session-service unavailable)."""


class _Stream:
    """Numbers the events of one message and sends them."""

    def __init__(self, sink: EventSink, message_id: str, first_seq: int) -> None:
        self.sink, self.message_id, self.seq = sink, message_id, first_seq

    def next_seq(self) -> int:
        seq = self.seq
        self.seq += 1
        return seq

    async def send(self, *events: StreamEvent) -> None:
        await self.sink.emit(self.message_id, events)


def _setting(config: dict[str, Any], key: str, default: Any) -> Any:
    value = config.get(key)
    return default if value is None else value


def generation_params(job: CompletionJob, llm: LLMBackend, default_max_tokens: int) -> GenerationParams:
    settings = job.chat.llm

    def optional_float(key: str) -> float | None:
        value = settings.get(key)
        return None if value is None else float(value)

    return GenerationParams(
        model=str(settings.get("model_name") or llm.default_model),
        max_tokens=int(_setting(settings, "max_tokens", default_max_tokens)),
        temperature=optional_float("temperature"),
        top_p=optional_float("top_p"),
        presence_penalty=optional_float("presence_penalty"),
        frequency_penalty=optional_float("frequency_penalty"),
    )


async def retrieve(job: CompletionJob, retriever: Retriever) -> list[RetrievedChunk]:
    if not job.chat.dataset_ids:
        return []
    prompt = job.chat.prompt
    return await retriever.search(
        SearchQuery(
            tenant_id=job.tenant_id,
            dataset_ids=list(job.chat.dataset_ids),
            document_ids=list(job.doc_ids),
            query=job.question,
            similarity_threshold=float(_setting(prompt, "similarity_threshold", SEARCH_DEFAULTS.similarity_threshold)),
            keywords_similarity_weight=float(
                _setting(prompt, "keywords_similarity_weight", SEARCH_DEFAULTS.keywords_similarity_weight)
            ),
            top_k=int(_setting(prompt, "top_k", SEARCH_DEFAULTS.top_k)),
            top_n=int(_setting(prompt, "top_n", SEARCH_DEFAULTS.top_n)),
            rerank_model=str(_setting(prompt, "rerank_model", "")),
        )
    )


async def answer_job(job: CompletionJob, deps: AnswerDeps) -> Outcome:
    """Answers the job; every outcome leaves a finished stream (unless Redis itself is down).

    One read first, once stops are heard: the stream log tells whether the job ran before, the
    stop key whether it was stopped while it waited (then the model is never asked).
    """
    # Retrieval (a read) runs meanwhile.
    searching = asyncio.ensure_future(retrieve(job, deps.retriever))
    try:
        async with deps.control.watch(job.message_id) as stop:
            return await _answer(job, deps, searching, stop)
    finally:
        if not searching.done():  # not needed after all
            searching.cancel()
        with suppress(BaseException):
            await searching


async def _answer(
    job: CompletionJob,
    deps: AnswerDeps,
    searching: asyncio.Future[list[RetrievedChunk]],
    stop: StopSignal,
) -> Outcome:
    claim = new_id()  # this run's: a second delivery of the job in this process has its own
    prior = await deps.sink.first_look(job.message_id, claim)
    if not prior.claimed:
        prior = await _wait_for_other_run(job.message_id, claim, deps)
    if prior.ended:
        return Outcome.ALREADY_DONE
    try:
        async with deps.sink.holding(job.message_id, claim):
            return await _claimed_answer(job, deps, searching, stop, prior)
    except ClaimLost:
        return Outcome.SUPERSEDED


async def _wait_for_other_run(message_id: str, claim: str, deps: AnswerDeps) -> Prior:
    """Another run of this job holds it: the broker handed the job out again (a restart, a lost
    connection) while a worker still answers it. Wait until that run has ended the stream, or
    its claim lapsed (its worker died) and this run got it."""
    log.info("job already running elsewhere; waiting for it", extra={"message_id": message_id})
    while True:
        await asyncio.sleep(deps.claim_poll_s)
        prior = await deps.sink.first_look(message_id, claim)
        if prior.claimed or prior.ended:
            return prior


async def _claimed_answer(
    job: CompletionJob,
    deps: AnswerDeps,
    searching: asyncio.Future[list[RetrievedChunk]],
    stop: StopSignal,
    prior: Prior,
) -> Outcome:
    stream = _Stream(deps.sink, job.message_id, 0)
    if prior.stop_asked:
        stop.request()
    previous = prior.last
    if previous is not None:
        stream.seq = previous.seq + 1
    try:
        if stop.requested:
            await _finish_stopped_early(job, deps, stream, previous is not None)
            return Outcome.ANSWERED
        if previous is not None:
            await stream.send(ResetEvent(seq=stream.next_seq()))
            if await _finish_stored(job, deps, stream):
                return Outcome.ANSWERED
        await _generate(job, deps, stream, searching, stop)
    except (LLMError, RetrievalFailed, StorageFailed) as exc:
        message = str(exc.args[0]) if exc.args else "The answer could not be generated."
        log.warning("completion failed", extra={"message_id": job.message_id, "reason": message})
        await stream.send(ErrorEvent(seq=stream.next_seq(), message=message), DoneEvent(seq=stream.next_seq()))
        return Outcome.FAILED
    except Exception:
        log.exception("completion failed unexpectedly", extra={"message_id": job.message_id})
        await stream.send(
            ErrorEvent(seq=stream.next_seq(), message="Internal error while generating the answer."),
            DoneEvent(seq=stream.next_seq()),
        )
        return Outcome.FAILED
    return Outcome.ANSWERED


async def _finish_stored(job: CompletionJob, deps: AnswerDeps, stream: _Stream) -> bool:
    """A redelivered job whose answer was already stored: stream that answer instead of a new one."""
    if not job.store:
        return False
    stored = await deps.store.find(
        tenant_id=job.tenant_id, chat_id=job.chat_id, session_id=job.session_id, answer_id=job.message_id
    )
    if stored is None:
        return False
    await stream.send(
        DeltaEvent(seq=stream.next_seq(), text=stored.content),
        FinalEvent(
            seq=stream.next_seq(),
            answer=stored.content,
            reference=stored.reference,
            created_at=time.time(),
            usage=Usage(prompt_tokens=stored.prompt_tokens, completion_tokens=stored.completion_tokens),
            stopped=stored.stopped,
        ),
        DoneEvent(seq=stream.next_seq()),
    )
    return True


def _streamed_text(events: Sequence[StreamEvent]) -> str:
    """The answer text a client holds after these events (what follows the last ``reset``)."""
    parts: list[str] = []
    for event in events:
        if event.type == "reset":
            parts.clear()
        elif event.type == "delta":
            parts.append(event.text)
    return "".join(parts)


async def _finish_stopped_early(job: CompletionJob, deps: AnswerDeps, stream: _Stream, ran_before: bool) -> None:
    """Stopped before this worker generated anything: never started, the text streamed (by a worker
    that died) is the partial answer."""
    if ran_before and job.store:
        stored = await deps.store.find(
            tenant_id=job.tenant_id, chat_id=job.chat_id, session_id=job.session_id, answer_id=job.message_id
        )
        if stored is not None:  # finished and stored before the stop: it was not stopped after all
            await stream.send(ResetEvent(seq=stream.next_seq()))
            await _finish_stored(job, deps, stream)
            return
    answer = _streamed_text(await deps.sink.history(job.message_id)) if ran_before else ""
    usage = Usage(completion_tokens=deps.llm.tokens.count(answer) if answer else 0)
    reference = build_reference([], answer, job.quote)
    if job.store:
        await deps.store.store(
            tenant_id=job.tenant_id,
            chat_id=job.chat_id,
            session_id=job.session_id,
            answer_id=job.message_id,
            answer=StoredAnswer(
                content=answer, reference=reference, completion_tokens=usage.completion_tokens, stopped=True
            ),
        )
    await stream.send(
        FinalEvent(
            seq=stream.next_seq(),
            answer=answer,
            reference=reference,
            created_at=time.time(),
            model=generation_params(job, deps.llm, deps.default_max_tokens).model,
            usage=usage,
            stopped=True,
        ),
        DoneEvent(seq=stream.next_seq()),
    )


async def _generate(
    job: CompletionJob,
    deps: AnswerDeps,
    stream: _Stream,
    searching: asyncio.Future[list[RetrievedChunk]],
    stop: StopSignal,
) -> None:
    prompt_config = job.chat.prompt
    chunks = await searching
    params = generation_params(job, deps.llm, deps.default_max_tokens)
    empty_response = str(_setting(prompt_config, "empty_response", ""))
    usage = LLMUsage()
    rewritten = False
    generated = ""  # the model's own text (the answer before citations were inserted)

    if job.chat.dataset_ids and not chunks and empty_response:
        # Nothing relevant: the configured answer, without asking the model.
        answer = fill_placeholders(empty_response, job.variables)
        await stream.send(DeltaEvent(seq=stream.next_seq(), text=answer))
        reference = build_reference([], answer, job.quote)
        # No prompt was sent: the question is what the caller gave (OpenAI clients and RAGFlow's
        # usage count it; the canned answer is counted as the completion below).
        prompt_tokens = deps.llm.tokens.count(job.question)
    else:
        template = str(_setting(prompt_config, "prompt", ""))
        if deps.stock_prompt_replacement and is_stock_prompt(template):
            template = deps.stock_prompt_replacement
        prompt = assemble_prompt(
            template=template,
            question=job.question,
            history=recent_history(job.history, deps.history_messages),
            variables=job.variables,
            chunks=chunks[: deps.knowledge_chunks] if deps.knowledge_chunks else chunks,
            quote=job.quote,
            counter=deps.llm.tokens,
            budget_tokens=max(256, deps.llm.context_window - params.max_tokens),
        )
        citations = CitationStream(len(prompt.chunks), enabled=job.quote)
        parts: list[str] = []
        if not stop.requested:  # (a stop during retrieval: the model is not asked at all)
            pieces = deps.llm.stream(prompt.messages, params, usage)
            batches = batch_pieces(pieces, deps.flush_pieces, deps.flush_delay_s, stop)
            async with aclosing(batches):  # closing it closes the LLM request
                async for batch in batches:
                    text = citations.feed(batch)
                    if text:
                        parts.append(text)
                        await stream.send(DeltaEvent(seq=stream.next_seq(), text=text))
        tail = citations.flush()
        if tail:
            parts.append(tail)
            await stream.send(DeltaEvent(seq=stream.next_seq(), text=tail))
        generated = "".join(parts)
        answer = generated
        if job.quote and not stop.requested and deps.embedder is not None:
            answer = await _with_citations(generated, job.question, prompt.chunks, deps.embedder)
        rewritten = answer != generated
        reference = build_reference(prompt.chunks, answer, job.quote)
        prompt_tokens = usage.prompt_tokens or prompt.prompt_tokens
    # Decided once, atomically against stop requests: what the stop answered is what is stored.
    stopped = await deps.control.finish(stop)

    # A stopped stream reports no usage: then the generated text is counted.
    completion_tokens = usage.completion_tokens if usage.completion_tokens and not stopped else 0
    if not completion_tokens and answer:
        completion_tokens = deps.llm.tokens.count(generated or answer)
    if job.store:
        await deps.store.store(
            tenant_id=job.tenant_id,
            chat_id=job.chat_id,
            session_id=job.session_id,
            answer_id=job.message_id,
            answer=StoredAnswer(
                content=answer,
                reference=reference,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                stopped=stopped,
            ),
        )
    await stream.send(
        FinalEvent(
            seq=stream.next_seq(),
            answer=answer,
            reference=reference,
            created_at=time.time(),
            model=params.model,
            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens),
            stopped=stopped,
            answer_rewritten=rewritten,
        ),
        DoneEvent(seq=stream.next_seq()),
    )


async def _with_citations(answer: str, question: str, chunks: Sequence[RetrievedChunk], embedder: Embedder) -> str:
    """The answer with citations inserted; unchanged when the embedder fails (an uncited answer
    beats no answer)."""
    try:
        return await cite_answer(answer, chunks, embedder, question)
    except Exception:
        log.warning("citations could not be inserted", exc_info=True)
        return answer
