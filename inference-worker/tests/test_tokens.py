"""The GGUF token counter against llama-cpp-python's own tokenize, on the local model's vocabulary."""

from __future__ import annotations

import random

from llama_cpp import Llama

from ragchat_worker.llm.tokens import GgufTokenCounter, default_gguf_path


def test_the_counter_counts_what_llama_cpp_tokenizes() -> None:
    reference = Llama(model_path=default_gguf_path(), vocab_only=True, verbose=False)
    counter = GgufTokenCounter(default_gguf_path())
    rng = random.Random(7)
    words = ["warranty", "lamp", "知识库", "\U0001f600", "naïve", "[ID:0]", "\n\n", "  ", "x" * 40, "3.14"]
    texts = ["a", " ", "Hello world", "x" * 9000]  # the last one outgrows the first buffer
    texts += [" ".join(rng.choices(words, k=rng.randint(1, 2500))) for _ in range(20)]
    for text in texts:
        expected = len(reference.tokenize(text.encode("utf-8"), add_bos=False, special=False))
        assert counter.count(text) == expected, text[:80]
    assert counter.count("") == 0
