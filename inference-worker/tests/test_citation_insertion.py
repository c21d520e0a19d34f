"""Citations inserted after generation: a fixed answer without markers, real MiniLM embeddings
(the model retrieval-service uses), chunks about different subjects."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from ragchat_retrieval.embeddings import OnnxMiniLM
from ragchat_worker.domain.citations import cite_answer, place_citations, split_sentences
from ragchat_worker.domain.types import RetrievedChunk

CHUNKS = [
    "The Orbit lamp carries a two-year warranty; claims need the order number and a photo.",
    "Orbit charges over USB-C in about two hours and a full charge lasts nine evenings.",
    "Clean the shade with a dry cloth. Never use solvents or wet wipes on the fabric.",
]


def chunk(i: int, content: str) -> RetrievedChunk:
    return RetrievedChunk(f"c{i}", content, f"d{i}", f"doc{i}.txt", "ds", 0.5, 0.5, 0.5)


class MiniLM:
    def __init__(self) -> None:
        self.model = OnnxMiniLM()
        self.calls = 0

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        return await asyncio.to_thread(self.model.embed_sync, list(texts))


@pytest.fixture(scope="module")
def embedder() -> MiniLM:
    return MiniLM()


def test_split_sentences_keeps_every_character() -> None:
    answer = "First one. Second one!\nThird line without end"
    pieces = split_sentences(answer)
    assert pieces == ["First one. ", "Second one!\n", "Third line without end"]
    assert "".join(pieces) == answer


async def test_each_sentence_cites_the_chunk_it_came_from(embedder: MiniLM) -> None:
    answer = (
        "You can charge the lamp with a USB-C cable, which takes roughly two hours. "
        "For cleaning, wipe the shade dry and avoid any solvents. "
        "The warranty lasts two years."
    )
    cited = await cite_answer(answer, [chunk(i, c) for i, c in enumerate(CHUNKS)], embedder)
    assert cited == (
        "You can charge the lamp with a USB-C cable, which takes roughly two hours. [ID:1] "
        "For cleaning, wipe the shade dry and avoid any solvents. [ID:2] "
        "The warranty lasts two years. [ID:0]"
    )


async def test_an_answer_that_already_cites_or_matches_nothing_is_left_alone(embedder: MiniLM) -> None:
    chunks = [chunk(i, c) for i, c in enumerate(CHUNKS)]
    calls = embedder.calls
    assert await cite_answer("It charges in two hours [ID:1].", chunks, embedder) == "It charges in two hours [ID:1]."
    assert embedder.calls == calls  # no embedding needed
    unrelated = "The stock market closed higher on Tuesday after strong earnings reports."
    assert await cite_answer(unrelated, chunks, embedder) == unrelated


def test_a_sentence_cites_its_best_chunks_above_the_floor() -> None:
    sentences = ["Alpha beta gamma. ", "Delta epsilon zeta. ", "Eta theta iota."]
    chunks = [chunk(0, "x"), chunk(1, "y"), chunk(2, "z")]
    chunk_vectors = [[[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]], [[0.0, 0.0, 0.5], [0.0, 0.0, 1.0]]]  # pieces
    sentence_vectors = [
        [0.6, 0.8, 0.0],  # best: chunk 1 (0.72 after the 0.9 weight)
        [0.7071, 0.0, 0.7071],  # chunks 0 and 2 tie: both cited
        [0.2, 0.2, 0.2],  # 0.18 at best: below the floor
    ]
    out = place_citations(sentences, chunks, sentence_vectors, chunk_vectors)
    assert out == "Alpha beta gamma. [ID:1] Delta epsilon zeta. [ID:0][ID:2] Eta theta iota."


async def test_a_short_answer_is_judged_with_its_question(embedder: MiniLM) -> None:
    chunks = [chunk(i, c) for i, c in enumerate(CHUNKS)]
    question = "How many evenings does a full charge of the Orbit lamp last?"
    assert await cite_answer("Nine.", chunks, embedder, question) == "Nine. [ID:1]"
    assert await cite_answer("Nine.", chunks, embedder) == "Nine."  # no question: too short to judge
    unrelated = "Who won the football match on Tuesday?"
    assert await cite_answer("Nobody.", chunks, embedder, unrelated) == "Nobody."


async def test_an_answer_whose_sentences_cite_nothing_is_judged_with_its_question(embedder: MiniLM) -> None:
    chunks = [chunk(i, c) for i, c in enumerate(CHUNKS)]
    question = "May I clean the Orbit lamp shade with solvents?"
    assert await cite_answer("No, you should not do that.", chunks, embedder, question) == (
        "No, you should not do that. [ID:2]"
    )
    # Saying the knowledge base lacks the answer is not supported by any chunk.
    declined = "The answer you are looking for is not found in the knowledge base!"
    assert await cite_answer(declined, chunks, embedder, question) == declined


async def test_the_chinese_decline_of_ragflows_prompt_cites_nothing(embedder: MiniLM) -> None:
    chunks = [chunk(i, c) for i, c in enumerate(CHUNKS)]
    question = "May I clean the Orbit lamp shade with solvents?"
    # The sentences RAGFlow's Chinese prompts (simplified, traditional) and placeholder ask for.
    bang = "\uff01"  # the full-width exclamation mark they end with
    for sentence in ("知识库中未找到您要的答案", "知識庫中未找到您要的答案", "在知识库中未找到您要寻找的答案"):
        declined = sentence + bang
        assert await cite_answer(declined, chunks, embedder, question) == declined
