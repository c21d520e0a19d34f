"""Both embedders: the local ONNX MiniLM and an OpenAI-compatible /v1/embeddings server."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ragchat_common.errors import InvalidArgument, Unavailable
from ragchat_retrieval.embeddings import OnnxMiniLM, OpenAIEmbeddings


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def minilm() -> OnnxMiniLM:
    return OnnxMiniLM(batch_size=4)


def test_minilm_vectors_are_normalised_and_semantic(minilm: OnnxMiniLM) -> None:
    texts = [
        "How do I reset my password?",
        "Steps to recover a forgotten login password",
        "Bananas are rich in potassium.",
    ]
    vectors = minilm.embed_sync(texts)
    assert [len(v) for v in vectors] == [384] * 3
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-4) for v in vectors)
    assert cosine(vectors[0], vectors[1]) > 0.5 > cosine(vectors[0], vectors[2])


def test_minilm_batches_give_the_same_vectors_as_single_calls(minilm: OnnxMiniLM) -> None:
    texts = [f"sentence number {i} " + "word " * i for i in range(10)]  # several batches, ragged lengths
    batched = minilm.embed_sync(texts)
    for text, vector in zip(texts, batched, strict=True):
        (alone,) = minilm.embed_sync([text])
        assert cosine(alone, vector) > 0.999


def test_minilm_batches_windows_of_like_length_so_short_texts_are_not_padded_to_long_ones() -> None:
    # What citing an answer sends: many sentences of a few tokens, and now and then a long one.
    minilm = OnnxMiniLM()  # batches of 32
    texts = [f"Short sentence {i} about the lamp." for i in range(40)]
    texts.insert(7, "A long paragraph without any full stop " * 60)  # a few 256-token windows
    texts.insert(30, "Another fairly long sentence " * 12)
    runs: list[tuple[int, int]] = []
    pool = minilm._pool

    def recording(id_lists: list[list[int]]) -> object:
        runs.append((len(id_lists), max(len(ids) for ids in id_lists)))
        return pool(id_lists)

    minilm._pool = recording  # type: ignore[method-assign]
    vectors = minilm.embed_sync(texts)
    padded = sum(count * width for count, width in runs)
    real = sum(len(e.ids) + sum(len(x.ids) for x in e.overflowing) for e in minilm._tokenizer.encode_batch(texts))
    assert padded <= 1.5 * real, runs  # in order of arrival: 32 short windows padded to 256 tokens
    minilm._pool = pool  # type: ignore[method-assign]
    for text, vector in zip(texts, vectors, strict=True):
        (alone,) = minilm.embed_sync([text])
        assert cosine(alone, vector) > 0.999


class FakeEmbeddingServer(BaseHTTPRequestHandler):
    calls: list[dict[str, object]] = []
    status = 200
    dim = 4

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeEmbeddingServer.calls.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if self.status != 200:
            self.send_response(self.status)
            self.end_headers()
            return
        # Returned out of order on purpose: clients must sort by index.
        data = [
            {"index": i, "embedding": [float(len(t)), 0.0, 0.0, 3.0][: self.dim]} for i, t in enumerate(body["input"])
        ]
        payload = json.dumps({"data": list(reversed(data)), "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    FakeEmbeddingServer.calls, FakeEmbeddingServer.status, FakeEmbeddingServer.dim = [], 200, 4
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeEmbeddingServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_openai_backend_batches_orders_and_normalises(server: str) -> None:
    embedder = OpenAIEmbeddings(server, "text-embed", dim=4, api_key="sk-test", batch_size=2)
    vectors = embedder.embed_sync(["a", "bbbb", "cc"])
    assert [c["path"] for c in FakeEmbeddingServer.calls] == ["/v1/embeddings"] * 2
    assert FakeEmbeddingServer.calls[0]["body"] == {"model": "text-embed", "input": ["a", "bbbb"]}
    assert FakeEmbeddingServer.calls[0]["auth"] == "Bearer sk-test"
    assert vectors[0] == pytest.approx([1 / math.sqrt(10), 0, 0, 3 / math.sqrt(10)])
    assert vectors[1] == pytest.approx([4 / 5, 0, 0, 3 / 5])
    assert len(vectors) == 3


@pytest.mark.parametrize(("status", "error"), [(503, Unavailable), (400, InvalidArgument)])
def test_openai_backend_errors_map_to_domain_errors(server: str, status: int, error: type[Exception]) -> None:
    FakeEmbeddingServer.status = status
    with pytest.raises(error):
        OpenAIEmbeddings(server, "m", dim=4).embed_sync(["x"])


def test_openai_backend_refuses_a_wrong_dimension(server: str) -> None:
    FakeEmbeddingServer.dim = 3
    with pytest.raises(Unavailable, match="3 dimensions"):
        OpenAIEmbeddings(server, "m", dim=4).embed_sync(["x"])


def test_openai_backend_unreachable_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        OpenAIEmbeddings("http://127.0.0.1:9/v1", "m", dim=4, timeout_s=1).embed_sync(["x"])
