"""The answer pipeline with in-process stand-ins for retrieval, the LLM and the session store.

(The transports are covered by tests/test_completions_*.py against real processes.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ragchat_common.events import DeltaEvent, DoneEvent, FinalEvent, StreamEvent
from ragchat_common.jobs import ChatSnapshot, ChatTurn, CompletionJob
from ragchat_common.prompting import DEFAULT_CHAT_PROMPT
from ragchat_worker.domain.answer import AnswerDeps, Outcome, answer_job
from ragchat_worker.domain.types import (
    ClaimLost,
    GenerationParams,
    LLMError,
    LLMUsage,
    Prior,
    PromptMessage,
    RetrievalFailed,
    RetrievedChunk,
    SearchQuery,
    StopSignal,
    StoredAnswer,
)


class MemorySink:
    def __init__(self) -> None:
        self.events: list[StreamEvent] = []
        self.round_trips = 0
        self.stop_asked = False  # a stop key set while the job waited
        self.claims: dict[str, str] = {}  # message id → the run holding its job
        self.holders: dict[str, asyncio.Task[Any]] = {}

    async def emit(self, message_id: str, events: Sequence[StreamEvent]) -> None:
        self.round_trips += 1
        self.events.extend(events)

    async def first_look(self, message_id: str, claim: str) -> Prior:
        claimed = self.claims.setdefault(message_id, claim) == claim
        return Prior(self.events[-1] if self.events else None, self.stop_asked, claimed=claimed)

    @asynccontextmanager
    async def holding(self, message_id: str, claim: str) -> AsyncIterator[None]:
        # (renewal and release against Redis: test_redis_sink)
        run = asyncio.current_task()
        assert run is not None
        self.holders[message_id] = run
        try:
            yield
        except asyncio.CancelledError:
            if self.claims.get(message_id) == claim:
                raise
            run.uncancel()
            raise ClaimLost(message_id) from None
        finally:
            del self.holders[message_id]

    def take_over(self, message_id: str, claim: str) -> None:
        """Another run takes the claim; the holder's next renewal notices and cancels its run."""
        self.claims[message_id] = claim
        self.holders[message_id].cancel()

    def worker_died(self) -> None:
        """What stays of a run whose worker died mid-answer: its deltas; its claim lapses."""
        self.events = [e for e in self.events if e.type == "delta"]
        self.claims.clear()

    async def history(self, message_id: str) -> list[StreamEvent]:
        return list(self.events)


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
        self.answers: dict[str, StoredAnswer] = {}
        self.calls = 0

    async def store(self, *, answer_id: str, answer: StoredAnswer, **_: str) -> bool:
        self.calls += 1
        if answer_id in self.answers:
            return False
        self.answers[answer_id] = answer
        return True

    async def find(self, *, answer_id: str, **_: str) -> StoredAnswer | None:
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


async def first_delta_out(sink: MemorySink) -> None:
    """Waits (a few seconds at most) until the run has sent its first delta."""
    for _ in range(1000):
        if any(e.type == "delta" for e in sink.events):
            return
        await asyncio.sleep(0.002)


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
    assert deltas == final.answer == "It is in Paris [ID:0]." == store.answers["m1"].content
    assert final.reference["doc_aggs"] == [{"doc_id": "d1", "doc_name": "paris.txt", "count": 1}]
    assert store.answers["m1"].reference == final.reference
    assert final.usage.completion_tokens > 0 and final.usage.prompt_tokens > 0
    # Retrieval used the chat's settings; the LLM got the knowledge and the chat's parameters.
    assert retriever.queries[0].top_n == 3 and retriever.queries[0].similarity_threshold == 0.2
    messages, params = llm.calls[0]
    assert "The Eiffel tower is in Paris." in messages[0].content
    assert params.temperature == 0.2 and params.max_tokens == 64 and params.model == "scripted"


async def test_the_model_gets_as_much_of_the_conversation_as_configured() -> None:
    history = [
        ChatTurn(role="user", content="Where is Berlin's tower?"),
        ChatTurn(role="assistant", content="In Berlin [ID:1]."),
        ChatTurn(role="user", content="How tall is it?"),
        ChatTurn(role="assistant", content="368 metres."),
    ]
    sent: dict[int, list[str]] = {}
    for history_messages in (-1, 2, 0):
        llm = ScriptedLLM(["In Paris."])
        answer_deps = deps(llm, Retriever(CHUNKS), MemorySink(), Store())
        answer_deps.history_messages = history_messages
        assert await answer_job(job(history=history), answer_deps) is Outcome.ANSWERED
        messages, _ = llm.calls[0]
        assert messages[0].role == "system" and messages[-1].content == "Where is the Eiffel tower?"
        sent[history_messages] = [m.content for m in messages[1:-1]]
    assert sent[-1] == [t.content for t in history]
    assert sent[2] == ["How tall is it?", "368 metres."]
    assert sent[0] == []


async def test_a_stock_system_prompt_is_replaced_when_the_backend_asks_and_a_written_one_never() -> None:
    stock = {"prompt": DEFAULT_CHAT_PROMPT, "top_n": 3}
    written = {"prompt": "Reply as a pirate. {knowledge}", "top_n": 3}
    sent: list[str] = []
    for prompt, replacement in (
        (stock, "Short answers only. {knowledge}"),
        (written, "Short answers only."),
        (stock, ""),
    ):
        llm = ScriptedLLM(["In Paris."])
        answer_deps = deps(llm, Retriever(CHUNKS), MemorySink(), Store())
        answer_deps.stock_prompt_replacement = replacement
        chat = ChatSnapshot(dataset_ids=["ds"], llm={"max_tokens": 64}, prompt=prompt)
        assert await answer_job(job(chat=chat), answer_deps) is Outcome.ANSWERED
        sent.append(llm.calls[0][0][0].content)
    replaced, kept_written, kept_stock = sent
    assert replaced.startswith("Short answers only. [ID:0]") and "The Eiffel tower is in Paris." in replaced
    assert kept_written.startswith("Reply as a pirate. [ID:0]")
    assert kept_stock.startswith("You are an intelligent assistant.")


async def test_the_model_is_shown_at_most_knowledge_chunks_and_the_reference_holds_those() -> None:
    shown: dict[int, tuple[str, list[str]]] = {}
    for knowledge_chunks in (0, 1):
        llm = ScriptedLLM(["In Paris."])
        sink = MemorySink()
        answer_deps = deps(llm, Retriever(CHUNKS), sink, Store())
        answer_deps.knowledge_chunks = knowledge_chunks
        assert await answer_job(job(), answer_deps) is Outcome.ANSWERED
        final = sink.events[-2]
        assert final.type == "final"
        shown[knowledge_chunks] = (llm.calls[0][0][0].content, [c["id"] for c in final.reference["chunks"]])
    every, best = shown[0], shown[1]
    assert "The Eiffel tower is in Paris." in every[0] and "Berlin has a TV tower." in every[0]
    assert every[1] == ["c0", "c1"]
    assert "The Eiffel tower is in Paris." in best[0] and "Berlin" not in best[0]
    assert best[1] == ["c0"]


async def test_empty_response_without_calling_the_llm() -> None:
    llm = ScriptedLLM(["never"])
    sink, store = MemorySink(), Store()
    assert await answer_job(job(), deps(llm, Retriever([]), sink, store)) is Outcome.ANSWERED
    assert llm.calls == []
    assert [e.type for e in sink.events] == ["delta", "final", "done"]
    assert store.answers["m1"].content == "Nothing about towers."


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
    sink.worker_died()
    if stored_before:
        store.answers["m1"] = StoredAnswer("stored answer", {"total": 0, "chunks": [], "doc_aggs": []})
    again = ScriptedLLM(["fresh ", "answer"])
    assert await answer_job(job(), deps(again, Retriever(CHUNKS), sink, store)) is Outcome.ANSWERED
    types = [e.type for e in sink.events]
    reset_at = types.index("reset")
    assert [e.seq for e in sink.events] == list(range(len(sink.events)))
    after = "".join(e.text for e in sink.events[reset_at:] if e.type == "delta")
    final = sink.events[-2]
    assert final.type == "final" and after == final.answer == store.answers["m1"].content
    assert final.answer == ("stored answer" if stored_before else "fresh answer")
    assert (again.calls == []) is stored_before


async def test_a_finished_job_seen_again_does_nothing() -> None:
    sink, store = MemorySink(), Store()
    await answer_job(job(), deps(ScriptedLLM(["hi"]), Retriever(CHUNKS), sink, store))
    count = len(sink.events)
    llm = ScriptedLLM(["again"])
    assert await answer_job(job(), deps(llm, Retriever(CHUNKS), sink, store)) is Outcome.ALREADY_DONE
    assert len(sink.events) == count and llm.calls == []


async def test_a_second_delivery_of_a_job_still_being_answered_waits_and_adds_nothing() -> None:
    """The broker handed the job out again (a restart) while another run still answers it."""
    sink, store = MemorySink(), Store()
    sink.claims["m1"] = "the-first-run"
    sink.events = [DeltaEvent(seq=0, text="Half ")]
    llm = ScriptedLLM(["again"])
    answer_deps = deps(llm, Retriever(CHUNKS), sink, store)
    answer_deps.claim_poll_s = 0.01
    second = asyncio.create_task(answer_job(job(), answer_deps))
    await asyncio.sleep(0.1)
    assert not second.done() and llm.calls == [] and len(sink.events) == 1
    # The first run ends the stream: the second one has nothing left to do.
    sink.events += [DeltaEvent(seq=1, text="done."), FinalEvent(seq=2, answer="", reference={}, created_at=0.0)]
    sink.events.append(DoneEvent(seq=3))
    assert await asyncio.wait_for(second, 5) is Outcome.ALREADY_DONE
    assert llm.calls == [] and len(sink.events) == 4 and store.calls == 0


async def test_a_second_delivery_takes_over_once_the_first_runs_claim_lapses() -> None:
    sink, store = MemorySink(), Store()
    sink.claims["m1"] = "a-run-whose-worker-died"
    sink.events = [DeltaEvent(seq=0, text="Half ")]
    llm = ScriptedLLM(["Whole ", "answer."])
    answer_deps = deps(llm, Retriever(CHUNKS), sink, store)
    answer_deps.claim_poll_s = 0.01
    second = asyncio.create_task(answer_job(job(), answer_deps))
    await asyncio.sleep(0.1)
    assert not second.done() and llm.calls == []
    sink.claims.clear()  # not renewed: it lapsed
    assert await asyncio.wait_for(second, 5) is Outcome.ANSWERED
    assert [e.type for e in sink.events][:2] == ["delta", "reset"] and len(llm.calls) == 1
    assert store.answers["m1"].content == "Whole answer."


async def test_a_run_whose_claim_another_run_took_stops_without_ending_the_stream() -> None:
    """This run stalled past the claim's TTL and a second delivery took over: the stream and the
    stored answer are the other run's now, so this one closes its LLM request and adds nothing."""
    llm = SlowLLM([f"w{i} " for i in range(200)])
    sink, store = MemorySink(), Store()
    running = asyncio.create_task(answer_job(job(), deps(llm, Retriever(CHUNKS), sink, store)))
    await first_delta_out(sink)
    sink.take_over("m1", "the-second-run")
    assert await asyncio.wait_for(running, 5) is Outcome.SUPERSEDED
    assert llm.closed_early and llm.sent < 200
    assert {e.type for e in sink.events} == {"delta"}  # no error, final or done of its own
    assert store.calls == 0


async def test_retrieval_runs_while_the_stream_log_is_read() -> None:
    searched = asyncio.Event()

    class SearchFirst(Retriever):
        async def search(self, query: SearchQuery) -> list[RetrievedChunk]:
            searched.set()
            return await super().search(query)

    class LogAfterSearch(MemorySink):
        async def first_look(self, message_id: str, claim: str) -> Prior:
            # Answers only once the search has started: one after the other would never get here.
            await asyncio.wait_for(searched.wait(), 5)
            return await super().first_look(message_id, claim)

    sink, store = LogAfterSearch(), Store()
    llm = ScriptedLLM(["It is", " in Paris."])
    assert await answer_job(job(), deps(llm, SearchFirst(CHUNKS), sink, store)) is Outcome.ANSWERED
    assert store.answers["m1"].content == "It is in Paris."
    # A finished job seen again: the search it started is dropped, nothing is generated or sent.
    count, again = len(sink.events), ScriptedLLM(["again"])
    assert await answer_job(job(), deps(again, SearchFirst(CHUNKS), sink, store)) is Outcome.ALREADY_DONE
    assert len(sink.events) == count and again.calls == []


class SlowLLM(ScriptedLLM):
    """Pieces every few ms, noting whether its request was closed before the end."""

    def __init__(self, pieces: list[str]) -> None:
        super().__init__(pieces)
        self.sent = 0
        self.closed_early = False

    async def stream(
        self, messages: Sequence[PromptMessage], params: GenerationParams, usage: LLMUsage
    ) -> AsyncIterator[str]:
        self.calls.append((list(messages), params))
        try:
            for piece in self.pieces:
                await asyncio.sleep(0.005)
                self.sent += 1
                yield piece
            usage.completion_tokens = 999
        except (asyncio.CancelledError, GeneratorExit):
            self.closed_early = True
            raise


class Control:
    """Hands out one signal per message; ``stop_now`` ones are asked to stop before the job runs."""

    def __init__(self, stop_now: bool = False) -> None:
        self.signals: dict[str, StopSignal] = {}
        self.stop_now = stop_now

    @asynccontextmanager
    async def watch(self, message_id: str) -> AsyncIterator[StopSignal]:
        signal = StopSignal(message_id, requested=self.stop_now)
        self.signals[message_id] = signal
        yield signal

    async def finish(self, signal: StopSignal) -> bool:
        return signal.requested


async def test_a_stop_closes_the_llm_request_and_stores_the_partial_answer() -> None:
    llm = SlowLLM([f"w{i} " for i in range(200)])
    sink, store, control = MemorySink(), Store(), Control()
    answer_deps = deps(llm, Retriever(CHUNKS), sink, store)
    answer_deps.control = control
    running = asyncio.create_task(answer_job(job(), answer_deps))
    await first_delta_out(sink)
    control.signals["m1"].request()
    assert await asyncio.wait_for(running, 5) is Outcome.ANSWERED
    assert llm.closed_early and llm.sent < 200
    final = sink.events[-2]
    assert final.type == "final" and final.stopped and sink.events[-1].type == "done"
    streamed = "".join(e.text for e in sink.events if e.type == "delta")
    assert streamed and final.answer == streamed == store.answers["m1"].content
    assert store.answers["m1"].stopped and store.answers["m1"].completion_tokens == len(streamed.split())
    assert final.usage.completion_tokens == len(streamed.split()) and final.usage.prompt_tokens > 0
    assert [e.seq for e in sink.events] == list(range(len(sink.events)))


async def test_a_job_stopped_while_queued_is_never_started() -> None:
    llm = ScriptedLLM(["never"])
    sink, store = MemorySink(), Store()
    answer_deps = deps(llm, Retriever(CHUNKS), sink, store)
    answer_deps.control = Control(stop_now=True)
    assert await answer_job(job(), answer_deps) is Outcome.ANSWERED
    assert llm.calls == []
    assert [e.type for e in sink.events] == ["final", "done"]
    assert sink.events[0].stopped and sink.events[0].answer == ""  # type: ignore[union-attr]
    assert store.answers["m1"].stopped and store.answers["m1"].content == ""


async def test_a_stop_key_set_while_the_job_waited_ends_it_unstarted() -> None:
    # The stop was asked while the job sat in the queue: only its key tells (nobody heard it).
    llm = SlowLLM([f"w{i} " for i in range(50)])
    sink, store = MemorySink(), Store()
    sink.stop_asked = True
    answer_deps, control = deps(llm, Retriever(CHUNKS), sink, store), Control()
    answer_deps.control = control
    assert await answer_job(job(), answer_deps) is Outcome.ANSWERED
    assert llm.calls == []  # the model was never asked
    assert [e.type for e in sink.events] == ["final", "done"]
    assert sink.events[0].stopped and sink.events[0].answer == ""  # type: ignore[union-attr]
    assert store.answers["m1"].stopped and store.answers["m1"].content == ""
    assert control.signals["m1"].requested


async def test_a_redelivered_job_stopped_meanwhile_keeps_the_streamed_text() -> None:
    sink, store = MemorySink(), Store()
    await answer_job(job(), deps(ScriptedLLM(["one ", "two ", "three"], fail_after=2), Retriever(CHUNKS), sink, store))
    sink.worker_died()
    again = ScriptedLLM(["fresh"])
    answer_deps = deps(again, Retriever(CHUNKS), sink, store)
    answer_deps.control = Control(stop_now=True)
    assert await answer_job(job(), answer_deps) is Outcome.ANSWERED
    assert again.calls == [] and [e.type for e in sink.events][-2:] == ["final", "done"]
    assert sink.events[-2].answer == "one two " == store.answers["m1"].content  # type: ignore[union-attr]
    assert store.answers["m1"].stopped


async def test_an_unstopped_answer_reports_the_models_usage() -> None:
    llm = SlowLLM(["a ", "b "])
    sink, store = MemorySink(), Store()
    await answer_job(job(), deps(llm, Retriever(CHUNKS), sink, store))
    final = sink.events[-2]
    assert final.type == "final" and not final.stopped and final.usage.completion_tokens == 999
    assert store.answers["m1"].completion_tokens == 999 and not store.answers["m1"].stopped
