"""The answer pipeline with in-process stand-ins for retrieval, the LLM and the session store.

(The transports are covered by tests/test_completions_*.py against real processes.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from ragchat_common.events import StreamEvent
from ragchat_common.jobs import ChatSnapshot, CompletionJob
from ragchat_worker.domain.answer import AnswerDeps, Outcome, answer_job
from ragchat_worker.domain.types import (
    GenerationParams,
    LLMError,
    LLMUsage,
    PromptMessage,
    RetrievalFailed,
    RetrievedChunk,
    SearchQuery,
)


class MemorySink:
    def __init__(self) -> None:
        self.events: list[StreamEvent] = []
        self.round_trips = 0

    async def emit(self, message_id: str, events: Sequence[StreamEvent]) -> None:
        self.round_trips += 1
        self.events.extend(events)

    async def last_event(self, message_id: str) -> StreamEvent | None:
        return self.events[-1] if self.events else None


class WordCounter:
    def count(self, text: str) -> int:
        return len(text.split())


class ScriptedLLM:
    def __init__(self, pieces: list[str], fail_after: int | None = None) -> None:
        self.pieces, self.fail_after = pieces, fail_after
        self.calls: list[tuple[list[PromptMessage], GenerationParams]] = []

    default_model = "scripted"
    context_window = 4096
    tokens = WordCounter()

    async def stream(
        self, messages: Sequence[PromptMessage], params: GenerationParams, usage: LLMUsage
    ) -> AsyncIterator[str]:
        self.calls.append((list(messages), params))
        for i, piece in enumerate(self.pieces):
            if self.fail_after is not None and i == self.fail_after:
                raise LLMError("The language model failed: overloaded")
            await asyncio.sleep(0)
            yield piece


class Retriever:
    def __init__(self, chunks: list[RetrievedChunk], fail: bool = False) -> None:
        self.chunks, self.fail = chunks, fail
        self.queries: list[SearchQuery] = []

    async def search(self, query: SearchQuery) -> list[RetrievedChunk]:
        self.queries.append(query)
        if self.fail:
            raise RetrievalFailed("Retrieval failed: retrieval-service is unavailable; please retry.")
        return self.chunks


class Store:
    def __init__(self) -> None:
        self.answers: dict[str, tuple[str, dict[str, Any]]] = {}
        self.calls = 0

    async def store(self, *, answer_id: str, content: str, reference: dict[str, Any], **_: str) -> bool:
        self.calls += 1
        if answer_id in self.answers:
            return False
        self.answers[answer_id] = (content, reference)
        return True

    async def find(self, *, answer_id: str, **_: str) -> tuple[str, dict[str, Any]] | None:
        return self.answers.get(answer_id)


CHUNKS = [
    RetrievedChunk("c0", "The Eiffel tower is in Paris.", "d1", "paris.txt", "ds", 0.9, 0.9, 0.8),
    RetrievedChunk("c1", "Berlin has a TV tower.", "d2", "berlin.txt", "ds", 0.5, 0.5, 0.4),
]


def job(**overrides: Any) -> CompletionJob:
    fields: dict[str, Any] = {
        "message_id": "m1",
        "tenant_id": "t",
        "chat_id": "c",
        "session_id": "s",
        "question": "Where is the Eiffel tower?",
        "chat": ChatSnapshot(
            dataset_ids=["ds"],
            llm={"temperature": 0.2, "max_tokens": 64, "model_name": None},
            prompt={"prompt": "Answer from {knowledge}", "empty_response": "Nothing about {topic}.", "top_n": 3},
        ),
        "variables": {"topic": "towers"},
    }
    fields.update(overrides)
    return CompletionJob(**fields)


def deps(llm: ScriptedLLM, retriever: Retriever, sink: MemorySink, store: Store) -> AnswerDeps:
    return AnswerDeps(retriever=retriever, llm=llm, sink=sink, store=store, flush_pieces=4, flush_delay_s=0.001)


async def test_answer_streams_normalised_deltas_stores_and_finishes() -> None:
    llm = ScriptedLLM(["It is", " in Paris", " [ID", ": 0", "]", "."])
    sink, store, retriever = MemorySink(), Store(), Retriever(CHUNKS)
    assert await answer_job(job(), deps(llm, retriever, sink, store)) is Outcome.ANSWERED

    types = [e.type for e in sink.events]
    assert types[-2:] == ["final", "done"] and set(types[:-2]) == {"delta"}
    assert [e.seq for e in sink.events] == list(range(len(sink.events)))
    deltas = "".join(e.text for e in sink.events if e.type == "delta")
    final = sink.events[-2]
    assert final.type == "final"
    assert deltas == final.answer == "It is in Paris [ID:0]." == store.answers["m1"][0]
    assert final.reference["doc_aggs"] == [{"doc_id": "d1", "doc_name": "paris.txt", "count": 1}]
    assert store.answers["m1"][1] == final.reference
    assert final.usage.completion_tokens > 0 and final.usage.prompt_tokens > 0
    # Retrieval used the chat's settings; the LLM got the knowledge and the chat's parameters.
    assert retriever.queries[0].top_n == 3 and retriever.queries[0].similarity_threshold == 0.2
    messages, params = llm.calls[0]
    assert "The Eiffel tower is in Paris." in messages[0].content
    assert params.temperature == 0.2 and params.max_tokens == 64 and params.model == "scripted"


async def test_empty_response_without_calling_the_llm() -> None:
    llm = ScriptedLLM(["never"])
    sink, store = MemorySink(), Store()
    assert await answer_job(job(), deps(llm, Retriever([]), sink, store)) is Outcome.ANSWERED
    assert llm.calls == []
    assert [e.type for e in sink.events] == ["delta", "final", "done"]
    assert store.answers["m1"][0] == "Nothing about towers."


async def test_llm_failure_mid_stream_ends_with_an_error_event() -> None:
    llm = ScriptedLLM(["a ", "b ", "c "], fail_after=2)
    sink, store = MemorySink(), Store()
    assert await answer_job(job(), deps(llm, Retriever(CHUNKS), sink, store)) is Outcome.FAILED
    assert [e.type for e in sink.events][-2:] == ["error", "done"]
    assert "overloaded" in sink.events[-2].message  # type: ignore[union-attr]
    assert store.calls == 0


async def test_retrieval_failure_is_an_error_event() -> None:
    sink, store = MemorySink(), Store()
    llm = ScriptedLLM(["x"])
    assert await answer_job(job(), deps(llm, Retriever([], fail=True), sink, store)) is Outcome.FAILED
    assert [e.type for e in sink.events] == ["error", "done"]
    assert llm.calls == []


async def test_stateless_job_is_not_stored() -> None:
    sink, store = MemorySink(), Store()
    await answer_job(job(store=False, session_id=""), deps(ScriptedLLM(["hi"]), Retriever(CHUNKS), sink, store))
    assert store.calls == 0 and sink.events[-1].type == "done"


@pytest.mark.parametrize("stored_before", [False, True])
async def test_redelivered_job_resets_and_never_duplicates(stored_before: bool) -> None:
    sink, store = MemorySink(), Store()
    # A first attempt streamed two deltas, then its worker died.
    first = ScriptedLLM(["one ", "two ", "three"], fail_after=2)
    await answer_job(job(), deps(first, Retriever(CHUNKS), sink, store))
    sink.events = [e for e in sink.events if e.type == "delta"]
    if stored_before:
        store.answers["m1"] = ("stored answer", {"total": 0, "chunks": [], "doc_aggs": []})
    again = ScriptedLLM(["fresh ", "answer"])
    assert await answer_job(job(), deps(again, Retriever(CHUNKS), sink, store)) is Outcome.ANSWERED
    types = [e.type for e in sink.events]
    reset_at = types.index("reset")
    assert [e.seq for e in sink.events] == list(range(len(sink.events)))
    after = "".join(e.text for e in sink.events[reset_at:] if e.type == "delta")
    final = sink.events[-2]
    assert final.type == "final" and after == final.answer == store.answers["m1"][0]
    assert final.answer == ("stored answer" if stored_before else "fresh answer")
    assert (again.calls == []) is stored_before


async def test_a_finished_job_seen_again_does_nothing() -> None:
    sink, store = MemorySink(), Store()
    await answer_job(job(), deps(ScriptedLLM(["hi"]), Retriever(CHUNKS), sink, store))
    count = len(sink.events)
    llm = ScriptedLLM(["again"])
    assert await answer_job(job(), deps(llm, Retriever(CHUNKS), sink, store)) is Outcome.ALREADY_DONE
    assert len(sink.events) == count and llm.calls == []


async def test_retrieval_runs_while_the_stream_log_is_read() -> None:
    searched = asyncio.Event()

    class SearchFirst(Retriever):
        async def search(self, query: SearchQuery) -> list[RetrievedChunk]:
            searched.set()
            return await super().search(query)

    class LogAfterSearch(MemorySink):
        async def last_event(self, message_id: str) -> StreamEvent | None:
            # Answers only once the search has started: one after the other would never get here.
            await asyncio.wait_for(searched.wait(), 5)
            return await super().last_event(message_id)

    sink, store = LogAfterSearch(), Store()
    llm = ScriptedLLM(["It is", " in Paris."])
    assert await answer_job(job(), deps(llm, SearchFirst(CHUNKS), sink, store)) is Outcome.ANSWERED
    assert store.answers["m1"][0] == "It is in Paris."
    # A finished job seen again: the search it started is dropped, nothing is generated or sent.
    count, again = len(sink.events), ScriptedLLM(["again"])
    assert await answer_job(job(), deps(again, SearchFirst(CHUNKS), sink, store)) is Outcome.ALREADY_DONE
    assert len(sink.events) == count and again.calls == []


async def test_a_first_delivery_reads_the_stream_log_while_the_answer_starts() -> None:
    llm = ScriptedLLM(["It is", " in Paris."])

    class LogAfterLLM(MemorySink):
        async def last_event(self, message_id: str) -> StreamEvent | None:
            # Answers only once the model was asked: one after the other would never get here.
            for _ in range(1000):
                if llm.calls:
                    return await super().last_event(message_id)
                await asyncio.sleep(0.001)
            raise AssertionError("the stream log was read before the answer started")

    sink, store = LogAfterLLM(), Store()
    assert await answer_job(job(), deps(llm, Retriever(CHUNKS), sink, store), first_delivery=True) is Outcome.ANSWERED
    assert [e.type for e in sink.events][-2:] == ["final", "done"]
    assert [e.seq for e in sink.events] == list(range(len(sink.events)))
    assert "".join(e.text for e in sink.events if e.type == "delta") == store.answers["m1"][0] == "It is in Paris."


@pytest.mark.parametrize("finished", [False, True])
async def test_a_first_delivery_that_ran_before_after_all_is_answered_as_a_redelivery(finished: bool) -> None:
    # The broker's flag said "first delivery", but the stream log has an earlier run.
    sink, store = MemorySink(), Store()
    first = ScriptedLLM(["one ", "two ", "three"], fail_after=None if finished else 2)
    await answer_job(job(), deps(first, Retriever(CHUNKS), sink, store))
    if not finished:
        sink.events = [e for e in sink.events if e.type == "delta"]
    before = list(sink.events)
    again = ScriptedLLM(["fresh ", "answer"])
    outcome = await answer_job(job(), deps(again, Retriever(CHUNKS), sink, store), first_delivery=True)
    if finished:
        assert outcome is Outcome.ALREADY_DONE and sink.events == before  # nothing sent twice
        return
    assert outcome is Outcome.ANSWERED
    assert sink.events[: len(before)] == before and sink.events[len(before)].type == "reset"
    assert [e.seq for e in sink.events] == list(range(len(sink.events)))
    after = "".join(e.text for e in sink.events[len(before) :] if e.type == "delta")
    assert after == sink.events[-2].answer == store.answers["m1"][0] == "fresh answer"  # type: ignore[union-attr]
