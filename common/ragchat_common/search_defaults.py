"""Retrieval settings a chat or a /retrieval request gets when it names none (API.md §3, §7),
and the bounds every layer holds them to: one home for the numbers the gateway's request
models, chat-service's chat defaults, retrieval-service and the worker all use."""

from __future__ import annotations

from dataclasses import dataclass

# Candidates one search may consider; a larger top_k is refused where it is stored or asked.
TOP_K_MAX = 4096
# Chunks one answer may cite (each one is prompt text).
TOP_N_MAX = 1024


@dataclass(frozen=True)
class SearchDefaults:
    similarity_threshold: float = 0.2
    keywords_similarity_weight: float = 0.7
    # The same balance as RAGFlow's /retrieval names it (1 - keywords_similarity_weight).
    vector_similarity_weight: float = 0.3
    top_n: int = 6
    top_k: int = 1024
    page_size: int = 30


SEARCH_DEFAULTS = SearchDefaults()
