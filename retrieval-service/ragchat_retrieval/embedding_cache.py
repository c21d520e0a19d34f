"""The vectors of recently embedded texts, in front of the service's embedder.

Citing an answer embeds the sentences of every chunk it drew on, and the chunks a knowledge base
answers from come back question after question: the same sentences would be embedded again and
again (about 190 texts, ~1 s of CPU, for an answer over 6 chunks). Kept as float32 arrays, 1.5 KB
a text for MiniLM; the least recently used go first. The ingest worker does not go through it:
a document's chunks are embedded once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from ragchat_retrieval.domain.ports import Embedder


class CachedEmbedder:
    def __init__(self, inner: Embedder, max_texts: int) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dim = inner.dim
        self.max_texts = max_texts
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                vector = self._vectors.get(text)
                if vector is not None:
                    self._vectors.move_to_end(text)
                    found[text] = vector
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = self.inner.embed_sync(missing)
            with self._lock:
                for text, values in zip(missing, fresh, strict=True):
                    vector = np.asarray(values, dtype=np.float32)
                    found[text] = vector
                    self._vectors[text] = vector
                    self._vectors.move_to_end(text)
                while len(self._vectors) > self.max_texts:
                    self._vectors.popitem(last=False)
        return [found[text].tolist() for text in texts]
