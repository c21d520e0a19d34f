"""CachedEmbedder: each text embedded once while it stays among the most recent."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ragchat_retrieval.embedding_cache import CachedEmbedder


class CountingEmbedder:
    model_name = "counting"
    dim = 3

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return [[float(len(t)), float(ord(t[0])), 0.5] for t in texts]


def test_a_text_seen_before_is_not_embedded_again_and_gets_the_same_vector() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, max_texts=100)
    first = cached.embed_sync(["alpha", "beta", "alpha"])
    assert inner.embedded == ["alpha", "beta"]  # a text twice in one call: embedded once
    second = cached.embed_sync(["gamma", "beta", "alpha"])
    assert inner.embedded == ["alpha", "beta", "gamma"]
    assert second == [[5.0, 103.0, 0.5], first[1], first[0]]
    assert (cached.model_name, cached.dim) == ("counting", 3)


def test_the_least_recently_used_texts_go_first() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, max_texts=2)
    cached.embed_sync(["a1", "b1"])
    cached.embed_sync(["a1"])  # a1 is now the most recent
    cached.embed_sync(["c1"])  # b1 goes
    inner.embedded.clear()
    cached.embed_sync(["a1", "c1", "b1"])
    assert inner.embedded == ["b1"]


def test_calls_from_several_threads_all_get_their_vectors() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, max_texts=50)  # fewer than the texts: evictions meanwhile
    results: list[tuple[list[str], list[list[float]]]] = []

    def call(n: int) -> None:
        texts = [f"text {(n * 7 + i) % 80}" for i in range(40)]
        results.append((texts, cached.embed_sync(texts)))

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    for texts, vectors in results:
        assert vectors == [[float(len(t)), float(ord(t[0])), 0.5] for t in texts]
