"""Retrieval benchmark: ingestion rate and Search latency/recall over gRPC, embedded Qdrant engine.

    .venv/bin/python bench/bench_retrieval.py                 # 10k and 100k chunks (a few minutes)
    .venv/bin/python bench/bench_retrieval.py --sizes 10000   # quicker

Starts its own retrieval-service + ingest worker + SecantusDB (real processes, a private
namespace on the machine's RabbitMQ/Redis) and prints:

1. chunks ingested per second end to end: upload → Celery parse → chunk → ONNX embed → index;
2. chunks indexed per second through IndexChunks (vectors precomputed: the index write path);
3. at each size: Search p50/p99 over gRPC, end to end (query text in: embedding, hybrid search,
   Mongo lookups) and for the vector part alone (query vector in, dense only, top 10), and
   recall@10 of the vector part against exact (brute-force) search; beside them the round trip of
   a Health/Check on the same channel, the floor any call pays on this machine;
4. with --in-process, the engine alone on the same vectors, without gRPC or service code.

Vectors for the bulk sizes are synthetic but clustered like sentence embeddings (Gaussian mixture
around 2000 topics, cosine to the topic ≈ 0.7); uniformly random vectors would be unrealistically
hard for any ANN index.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kombu import Connection
from pymongo import MongoClient

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat.retrieval.v1 import retrieval_pb2_grpc
from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.grpc_utils import insecure_channel
from ragchat_common.ids import new_id
from ragchat_common.structs import to_struct
from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.ingest import run_chunk_id
from ragchat_retrieval.domain.ports import ChunkPoint, Scope, SparseVector
from ragchat_retrieval.settings import RetrievalSettings
from ragchat_retrieval.vectorstore import index_tuning
from ragchat_retrieval.vectorstore.edge import EdgeStore
from ragchat_retrieval.vectorstore.tuning import IndexTuning

TENANT = "bench-tenant"
DIM = 384
TOPICS = 2000
WORDS = "lamp router kettle warranty battery invoice solar bike grinder blender thermostat".split()


def clustered_vectors(rng: np.random.Generator, centroids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    topics = rng.integers(0, len(centroids), n)
    noise = rng.standard_normal((n, DIM)).astype(np.float32) / np.sqrt(DIM)
    vectors = centroids[topics] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), topics


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def upload(stub: retrieval_pb2_grpc.RetrievalServiceStub, dataset_id: str, name: str, data: bytes) -> pb.Document:
    async def messages():  # type: ignore[no-untyped-def]
        header = pb.UploadDocumentRequest.Header(tenant_id=TENANT, dataset_id=dataset_id, name=name, size=len(data))
        yield pb.UploadDocumentRequest(header=header)
        yield pb.UploadDocumentRequest(data=data)

    return await stub.UploadDocument(messages())


async def bench_ingest(stub: retrieval_pb2_grpc.RetrievalServiceStub, docs: int, rng: np.random.Generator) -> None:
    config = to_struct({"chunk_token_num": 64, "delimiter": "\n", "overlapped_percent": 10})
    dataset = await stub.CreateDataset(pb.CreateDatasetRequest(tenant_id=TENANT, name="ingest", parser_config=config))
    ids = []
    for d in range(docs):
        paragraphs = []
        for p in range(60):
            words = " ".join(rng.choice(WORDS, 12))
            paragraphs.append(f"Paragraph {p} of manual {d} explains the {words} in detail. It has two sentences.")
        ids.append((await upload(stub, dataset.id, f"manual-{d}.txt", "\n\n".join(paragraphs).encode())).id)
    started = time.perf_counter()
    await stub.StartParsing(pb.ParseRequest(tenant_id=TENANT, dataset_id=dataset.id, document_ids=ids))
    while True:
        listed = await stub.ListDocuments(
            pb.ListDocumentsRequest(tenant_id=TENANT, dataset_id=dataset.id, page_size=1000)
        )
        if all(doc.run in ("DONE", "FAIL") for doc in listed.docs):
            break
        await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - started
    chunks = sum(doc.chunk_count for doc in listed.docs)
    failed = sum(doc.run == "FAIL" for doc in listed.docs)
    print(
        f"ingest end to end: {docs} documents, {chunks} chunks in {elapsed:.1f} s → {chunks / elapsed:.0f} chunks/s"
        f"{f' ({failed} failed)' if failed else ''}"
    )


class BulkIndex:
    """Loads synthetic chunks through IndexChunks (documents of 10k chunks each)."""

    def __init__(self, stub: retrieval_pb2_grpc.RetrievalServiceStub, mongo_url: str) -> None:
        self.stub = stub
        self.mongo = MongoClient(mongo_url)["ragchat"]
        self.dataset_id = ""
        self.vectors = np.zeros((0, DIM), dtype=np.float32)
        self.ids: list[str] = []
        self.index_seconds = 0.0

    async def setup(self) -> None:
        self.dataset_id = (await self.stub.CreateDataset(pb.CreateDatasetRequest(tenant_id=TENANT, name="bulk"))).id

    async def add(self, vectors: np.ndarray, topics: np.ndarray, per_doc: int = 10_000, batch: int = 256) -> None:
        for start in range(0, len(vectors), per_doc):
            part, part_topics = vectors[start : start + per_doc], topics[start : start + per_doc]
            doc = await upload(self.stub, self.dataset_id, f"bulk-{len(self.ids) + start}.txt", b"synthetic")
            await self.stub.StartParsing(
                pb.ParseRequest(tenant_id=TENANT, dataset_id=self.dataset_id, document_ids=[doc.id])
            )
            run_id = self.mongo["documents"].find_one({"_id": doc.id})["run_id"]
            began = time.perf_counter()
            for b in range(0, len(part), batch):
                messages = []
                for i in range(b, min(b + batch, len(part))):
                    topic = int(part_topics[i])
                    content = f"Synthetic chunk {i} about topic {topic} and the {WORDS[topic % len(WORDS)]}."
                    sparse = text.document_sparse(content)
                    messages.append(
                        pb.ChunkVector(
                            content=content,
                            dense=part[i].tolist(),
                            sparse_indices=sparse.indices,
                            sparse_values=sparse.values,
                            position=i,
                        )
                    )
                final = b + batch >= len(part)
                reply = await self.stub.IndexChunks(
                    pb.IndexChunksRequest(
                        tenant_id=TENANT, document_id=doc.id, run_id=run_id, chunks=messages, final=final
                    ),
                    timeout=120,
                )
                assert reply.current, "bulk run was superseded"
            self.index_seconds += time.perf_counter() - began
            self.ids.extend(run_chunk_id(run_id, i) for i in range(len(part)))
        self.vectors = np.vstack([self.vectors, vectors])


async def timed_search(
    stub: retrieval_pb2_grpc.RetrievalServiceStub, request: pb.SearchRequest
) -> tuple[float, pb.SearchResponse]:
    began = time.perf_counter()
    reply = await stub.Search(request)
    return (time.perf_counter() - began) * 1000, reply


def generation(state_dir: Path) -> int:
    try:
        return int(json.loads((state_dir / "qdrant" / "STATE").read_text())["generation"])
    except (FileNotFoundError, ValueError, KeyError):
        return 0


def building(state_dir: Path) -> bool:
    """A build in progress works on the next generation's directory beside the one in use."""
    return len(list((state_dir / "qdrant").glob("gen-*"))) > 1


async def wait_until_indexed(state_dir: Path, before: int, settle_s: float = 5.0) -> float:
    """The engine indexes a copy in a child process after writes settle, then swaps to it.
    Wait for a swap (the generation in STATE moves on) and then for no build to run for
    `settle_s` (longer than the store's debounce): a build may have started during the load (a
    pause between documents), leaving the rest of the load to the next one, and measuring then
    would time exact scans of the unindexed rest next to a competing build process."""
    began = time.perf_counter()
    quiet_since: float | None = None
    while True:
        now = time.perf_counter()
        if now - began > 1800:
            raise TimeoutError("the vector index was not rebuilt within 30 minutes")
        if generation(state_dir) > before and not building(state_dir):
            quiet_since = quiet_since or now
            if now - quiet_since >= settle_s:
                return quiet_since - began
        else:
            quiet_since = None
        await asyncio.sleep(0.5)


def vector_request(dataset_id: str, query: np.ndarray) -> pb.SearchRequest:
    return pb.SearchRequest(
        tenant_id=TENANT,
        dataset_ids=[dataset_id],
        query_vector=query.tolist(),
        keywords_similarity_weight=0.0,
        similarity_threshold=0.0,
        top_k=10,
        top_n=10,
    )


def exact_top10(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Row i: indices of the 10 vectors nearest to query i, by brute force. Computed before any
    timing: BLAS threads keep spinning after a product, and on a small machine would take a core
    from the server during the next search."""
    return np.argsort(-(queries @ vectors.T), axis=1)[:, :10]


async def bench_search(
    stub: retrieval_pb2_grpc.RetrievalServiceStub,
    health: health_pb2_grpc.HealthStub,
    bulk: BulkIndex,
    queries: np.ndarray,
    texts: list[str],
) -> None:
    n = len(bulk.ids)
    exact = [{bulk.ids[i] for i in row} for row in exact_top10(bulk.vectors, queries)]
    requests = [vector_request(bulk.dataset_id, q) for q in queries]
    await asyncio.sleep(1)
    vector_ms, recalls = [], []
    for request, expected in zip(requests, exact, strict=True):
        ms, reply = await timed_search(stub, request)
        vector_ms.append(ms)
        recalls.append(len(expected & {c.id for c in reply.chunks}) / 10)
    e2e_ms = []
    for question in texts:
        ms, _ = await timed_search(
            stub,
            pb.SearchRequest(
                tenant_id=TENANT,
                dataset_ids=[bulk.dataset_id],
                query=question,
                keywords_similarity_weight=0.7,
                similarity_threshold=0.2,
                top_k=1024,
                top_n=6,
            ),
        )
        e2e_ms.append(ms)
    floor_ms = []
    for _ in range(len(requests)):
        began = time.perf_counter()
        await health.Check(health_pb2.HealthCheckRequest())
        floor_ms.append((time.perf_counter() - began) * 1000)
    print(
        f"{n:>7} chunks  gRPC floor on this machine (Health/Check, same channel): "
        f"p50 {percentile(floor_ms, 50):6.2f} ms"
    )
    print(
        f"{n:>7} chunks  vector part (query vector, dense, top 10): p50 {percentile(vector_ms, 50):6.2f} ms"
        f"  p99 {percentile(vector_ms, 99):6.2f} ms  recall@10 {statistics.mean(recalls):.3f}"
    )
    print(
        f"{n:>7} chunks  end to end (text, embed + hybrid, top_k 1024 → top_n 6): "
        f"p50 {percentile(e2e_ms, 50):6.2f} ms  p99 {percentile(e2e_ms, 99):6.2f} ms"
    )


async def private_store(vectors: np.ndarray, tuning: IndexTuning) -> tuple[EdgeStore, list[str]]:
    """The vectors, indexed, in a private embedded engine inside this process (tenant TENANT,
    dataset "d"), and their chunk ids by row."""
    directory = Path(tempfile.mkdtemp(prefix="bench-engine-")) / "qdrant"
    store = EdgeStore(directory, vectors.shape[1], tuning=tuning, rebuild_delay_s=3600)
    await store.open()
    ids = [new_id() for _ in range(len(vectors))]
    payload = {"tenant_id": TENANT, "dataset_id": "d", "document_id": "doc", "run_id": "r", "content": "x"}
    for b in range(0, len(vectors), 1000):
        batch = range(b, min(b + 1000, len(vectors)))
        await store.upsert([ChunkPoint(ids[i], vectors[i].tolist(), SparseVector([1], [1.0]), payload) for i in batch])
    await store.rebuild()
    return store, ids


async def bench_engine_in_process(vectors: np.ndarray, queries: np.ndarray, tuning: IndexTuning) -> None:
    """The same vectors in a private embedded engine inside this process: the engine's share of
    the gRPC figure (no RPC, no service code)."""
    store, ids = await private_store(vectors, tuning)
    exact = [{ids[i] for i in row} for row in exact_top10(vectors, queries)]
    await asyncio.sleep(1)
    latencies, recalls = [], []
    for q, expected in zip(queries, exact, strict=True):
        vector = q.tolist()
        began = time.perf_counter()
        hits = await store.search_dense(Scope(TENANT, ["d"]), vector, 10)
        latencies.append((time.perf_counter() - began) * 1000)
        recalls.append(len(expected & {h.id for h in hits}) / 10)
    await store.close()
    print(
        f"{len(vectors):>7} chunks  engine alone, in process (no gRPC): p50 {percentile(latencies, 50):6.2f} ms"
        f"  p99 {percentile(latencies, 99):6.2f} ms  recall@10 {statistics.mean(recalls):.3f}"
    )


async def main(args: argparse.Namespace, stack: Stack) -> None:
    rng = np.random.default_rng(7)
    channel = insecure_channel(stack.addresses["retrieval-service"], service_token=stack.config.service_token)
    stub = retrieval_pb2_grpc.RetrievalServiceStub(channel)
    await bench_ingest(stub, args.ingest_docs, rng)
    # The bulk part writes vectors itself: stop the worker so nobody parses the placeholder files.
    for proc in stack.find("ingest-worker"):
        stack.kill(proc, 15)
    centroids = rng.standard_normal((TOPICS, DIM)).astype(np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    queries, query_topics = clustered_vectors(rng, centroids, args.queries)
    texts = [f"What about topic {t} and the {WORDS[t % len(WORDS)]}?" for t in query_topics]
    bulk = BulkIndex(stub, stack.mongo_url)
    await bulk.setup()
    for size in sorted(args.sizes):
        vectors, topics = clustered_vectors(rng, centroids, size - len(bulk.ids))
        before = generation(stack.config.state_dir)
        await bulk.add(vectors, topics)
        print(
            f"{len(bulk.ids):>7} chunks  IndexChunks: {len(bulk.ids) / bulk.index_seconds:.0f} chunks/s "
            "(vectors precomputed)"
        )
        waited = await wait_until_indexed(stack.config.state_dir, before)
        print(f"{len(bulk.ids):>7} chunks  background HNSW build (child process) done {waited:.0f} s after the load")
        await bench_search(stub, health_pb2_grpc.HealthStub(channel), bulk, queries, texts)
        if args.in_process:
            await bench_engine_in_process(bulk.vectors, queries, index_tuning(RetrievalSettings()))
    await channel.close()


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--ingest-docs", type=int, default=20)
    parser.add_argument("--in-process", action="store_true", help="also time the engine alone, in this process")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    config = StackConfig(
        state_dir=state, only=("retrieval-service", "ingest-worker"), env={"RAGCHAT_LOG_LEVEL": "WARNING"}
    )
    with Stack(config) as stack:
        try:
            asyncio.run(main(args, stack))
        finally:
            with Connection(config.amqp_url) as conn:  # the private queue goes with the run
                try:
                    conn.default_channel.queue_delete(f"{config.namespace}.ingest")
                except Exception:
                    pass


if __name__ == "__main__":
    run()
