"""The Celery ingest worker: `python -m ragchat_retrieval.ingest.worker`.

One task per document: fetch the file from retrieval-service, parse it into blocks (headings,
paragraphs, table rows), cut chunks by the document's chunk method, embed them in batches
(each vector mixed with a little of the document title's), hand chunks and vectors back over
gRPC (retrieval-service is the only writer of the index). A file that cannot be parsed ends
FAIL with a readable progress_msg.
Runs with the threads pool at low concurrency; SIGTERM → Celery's warm shutdown (finish the
running tasks, take no new ones); unfinished tasks go back to the queue (acks late).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import numpy as np
from celery import Celery, Task, bootsteps
from celery.exceptions import SoftTimeLimitExceeded
from prometheus_client import start_http_server

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat.retrieval.v1 import retrieval_pb2_grpc
from ragchat_common import metrics
from ragchat_common.grpc_utils import MAX_MESSAGE_BYTES, RetryPolicy
from ragchat_common.logging import configure_logging
from ragchat_common.service_auth import require_token, with_token
from ragchat_common.structs import from_struct
from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.chunking import ChunkConfig, ChunkDraft, chunk_document
from ragchat_retrieval.domain.extract import Unparseable, extract_blocks
from ragchat_retrieval.embeddings import get_embedder
from ragchat_retrieval.ingest.celery_app import PARSE_TASK, make_celery
from ragchat_retrieval.settings import RetrievalSettings

log = logging.getLogger("ragchat.ingest")

# Retries of a task whose retrieval-service call found it unavailable (then the run fails).
UNAVAILABLE_RETRIES = 10
UNAVAILABLE_BACKOFF_S = 3
# What a later attempt can mend: a restarting or overloaded retrieval-service, a missed deadline.
# Any other status (INTERNAL, INVALID_ARGUMENT, ...) comes back the same on every attempt.
TRANSIENT_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
    }
)


class RetrievalClient:
    """Blocking client of the internal ingest RPCs (Celery tasks are synchronous)."""

    def __init__(self, settings: RetrievalSettings) -> None:
        self.timeout_s = settings.grpc_bulk_timeout_s
        self.channel = grpc.insecure_channel(
            settings.retrieval_service_addr,
            options=[
                ("grpc.service_config", RetryPolicy().service_config()),
                ("grpc.enable_retries", 1),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        self.stub = retrieval_pb2_grpc.RetrievalServiceStub(self.channel)
        # Every call carries the deployment's service token (retrieval-service refuses others).
        self.metadata = with_token((), require_token(settings.service_token))

    def fetch(self, tenant_id: str, document_id: str, run_id: str) -> tuple[pb.ParseJob, bytes]:
        job: pb.ParseJob | None = None
        pieces: list[bytes] = []
        ref = pb.ParseJobRef(tenant_id=tenant_id, document_id=document_id, run_id=run_id)
        for message in self.stub.FetchParseJob(ref, timeout=self.timeout_s * 4, metadata=self.metadata):
            if message.HasField("job"):
                job = message.job
            else:
                pieces.append(message.data)
        if job is None:
            raise RuntimeError("parse job stream carried no job")
        return job, b"".join(pieces)

    def progress(self, ref: tuple[str, str, str], progress: float, message: str, failed: bool = False) -> bool:
        tenant_id, document_id, run_id = ref
        ack = self.stub.ReportProgress(
            pb.ProgressReport(
                tenant_id=tenant_id,
                document_id=document_id,
                run_id=run_id,
                progress=progress,
                message=message,
                failed=failed,
            ),
            timeout=self.timeout_s,
            metadata=self.metadata,
        )
        return bool(ack.current)

    def index(
        self,
        ref: tuple[str, str, str],
        chunks: list[pb.ChunkVector],
        *,
        final: bool,
        progress: float,
        token_count: int,
    ) -> bool:
        tenant_id, document_id, run_id = ref
        reply = self.stub.IndexChunks(
            pb.IndexChunksRequest(
                tenant_id=tenant_id,
                document_id=document_id,
                run_id=run_id,
                chunks=chunks,
                final=final,
                progress=progress,
                token_count=token_count,
            ),
            timeout=self.timeout_s,
            metadata=self.metadata,
        )
        return bool(reply.current)


_client_lock = threading.Lock()
_client: RetrievalClient | None = None


def client_for(settings: RetrievalSettings) -> RetrievalClient:
    global _client
    with _client_lock:
        if _client is None:
            _client = RetrievalClient(settings)
        return _client


def _batches(items: list[ChunkDraft], size: int) -> Iterator[tuple[int, list[ChunkDraft]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


# Share of the document title's embedding in every chunk's vector (RAGFlow mixes in 0.1 too):
# a chunk that never names its subject still leans towards what the document is about.
TITLE_VECTOR_WEIGHT = 0.1


def with_title(vectors: list[list[float]], title_vector: np.ndarray) -> list[list[float]]:
    mixed = (1 - TITLE_VECTOR_WEIGHT) * np.asarray(vectors, dtype=np.float32) + TITLE_VECTOR_WEIGHT * title_vector
    mixed /= np.clip(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-12, None)
    result: list[list[float]] = mixed.tolist()
    return result


def parse_document(settings: RetrievalSettings, tenant_id: str, document_id: str, run_id: str) -> str:
    """The body of one parse task; returns how it ended (for logs and the result backend)."""
    client = client_for(settings)
    ref = (tenant_id, document_id, run_id)
    try:
        job, data = client.fetch(tenant_id, document_id, run_id)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            # Cancelled, re-parsed, or its document (or file) deleted meanwhile: nothing to retry.
            log.info("parse job dropped: %s", exc.details(), extra={"document_id": document_id, "run_id": run_id})
            return "stale"
        raise
    name = job.document.name
    config = from_struct(job.parser_config)
    method = job.document.chunk_method or job.dataset.chunk_method or "naive"
    try:
        blocks = extract_blocks(name, data)
        drafts = chunk_document(name, blocks, method, ChunkConfig.from_parser_config(config))
        if not drafts:
            raise Unparseable(f"'{name}' contains no text.")
        tokens = sum(text.count_tokens(d.content) for d in drafts)
        if not client.progress(ref, 0.1, f"Extracted {len(blocks)} blocks; {len(drafts)} chunks ({method}) to embed."):
            return "superseded"
        embedder = get_embedder(settings)
        title_vector = np.asarray(embedder.embed_sync([" ".join(text.title_terms(name)) or name])[0])
        total = len(drafts)
        for start, batch in _batches(drafts, settings.ingest_index_batch):
            vectors = with_title(embedder.embed_sync([d.embed_text for d in batch]), title_vector)
            chunk_messages = []
            for offset, (draft, dense) in enumerate(zip(batch, vectors, strict=True)):
                sparse = text.document_sparse(draft.content, title=name, keywords=draft.questions)
                chunk_messages.append(
                    pb.ChunkVector(
                        content=draft.content,
                        dense=dense,
                        sparse_indices=sparse.indices,
                        sparse_values=sparse.values,
                        position=start + offset,
                        questions=draft.questions,
                    )
                )
            done = start + len(batch)
            final = done >= total
            current = client.index(
                ref, chunk_messages, final=final, progress=0.1 + 0.89 * done / total, token_count=tokens
            )
            if not current:
                return "superseded"
        return "done"
    except Unparseable as exc:
        client.progress(ref, 0.0, str(exc), failed=True)
        return "failed"
    except SoftTimeLimitExceeded:
        client.progress(
            ref, 0.0, f"Parsing took longer than {settings.ingest_task_time_limit_s} s and was stopped.", failed=True
        )
        return "failed"
    except grpc.RpcError:
        raise
    except Exception:
        log.exception("parse failed", extra={"document_id": document_id})
        client.progress(ref, 0.0, f"Parsing '{name}' failed with an internal error.", failed=True)
        return "failed"


def register_tasks(app: Celery, settings: RetrievalSettings) -> None:
    @app.task(name=PARSE_TASK, bind=True, max_retries=UNAVAILABLE_RETRIES)  # type: ignore[untyped-decorator]
    def parse_document_task(self: Task, tenant_id: str, document_id: str, run_id: str) -> str:
        try:
            with metrics.INGEST_IN_PROGRESS.track_inprogress(), metrics.INGEST_DURATION.time():
                outcome = parse_document(settings, tenant_id, document_id, run_id)
            metrics.INGEST_DOCUMENTS.labels(result=outcome).inc()
        except grpc.RpcError as exc:
            code = exc.code()
            transient = code in TRANSIENT_CODES
            if transient and self.request.retries < UNAVAILABLE_RETRIES:
                log.warning("retrieval-service unavailable; retrying parse", extra={"document_id": document_id})
                raise self.retry(countdown=UNAVAILABLE_BACKOFF_S) from exc
            reason = "retrieval-service unavailable" if transient else f"retrieval-service answered {code.name}"
            log.error("parse failed: %s: %s", reason, exc.details(), extra={"document_id": document_id})
            try:
                client_for(settings).progress((tenant_id, document_id, run_id), 0.0, f"Parsing failed: {reason}.", True)
            except grpc.RpcError:
                log.error("could not mark document failed", extra={"document_id": document_id})
            metrics.INGEST_DOCUMENTS.labels(result="failed").inc()
            if transient:
                raise
            return "failed"
        log.info("parse task finished", extra={"document_id": document_id, "outcome": outcome})
        return outcome


def create_app(settings: RetrievalSettings) -> Celery:
    app = make_celery(settings)
    register_tasks(app, settings)
    return app


class WakeEverySecond(bootsteps.StartStopStep):  # type: ignore[misc]
    """A no-op timer each second. Celery's event loop sleeps until its next timer, up to 10 s,
    and SIGTERM only sets a flag the loop reads when it wakes: an idle worker took ~10 s to
    begin its warm shutdown, a rolling deploy's pod as much longer to leave."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tick: Any = None

    def start(self, worker: Any) -> None:
        self.tick = worker.timer.call_repeatedly(1.0, _nothing)

    def stop(self, worker: Any) -> None:
        if self.tick is not None:
            self.tick.cancel()


def _nothing() -> None:
    return None


def main() -> None:
    settings = RetrievalSettings(service_name="ingest-worker")
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    app = create_app(settings)
    if settings.metrics_port:  # Prometheus /metrics of the ingest worker (a thread of its own)
        start_http_server(settings.metrics_port, settings.metrics_host)
    get_embedder(settings)  # load the model before taking tasks
    argv: list[Any] = [
        "worker",
        "--pool=threads",
        f"--concurrency={settings.ingest_concurrency}",
        f"--queues={settings.ingest_queue}",
        f"--hostname=ingest-{settings.namespace}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--loglevel={settings.log_level}",
    ]
    app.steps["worker"].add(WakeEverySecond)
    app.worker_main(argv)


if __name__ == "__main__":
    main()
