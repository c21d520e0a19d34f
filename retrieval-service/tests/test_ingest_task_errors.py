"""How a parse task ends when retrieval-service answers it with an error status.

A real gRPC server on a free port plays retrieval-service (it hands out one job and answers
IndexChunks with the status under test); the task runs eagerly through Celery's own retry
machinery, with the real embedder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat.retrieval.v1 import retrieval_pb2_grpc
from ragchat_retrieval.ingest import worker
from ragchat_retrieval.ingest.celery_app import PARSE_TASK
from ragchat_retrieval.settings import RetrievalSettings

TOKEN = "test-service-token"


@dataclass
class RefusingRetrieval(retrieval_pb2_grpc.RetrievalServiceServicer):  # type: ignore[misc]
    """Serves one parse job of a small text file; IndexChunks answers ``code``."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    index_calls: int = 0
    reports: list[pb.ProgressReport] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def FetchParseJob(self, request: pb.ParseJobRef, context: Any) -> Iterator[pb.FetchParseJobResponse]:
        document = pb.Document(id=request.document_id, name="notes.txt", chunk_method="naive")
        yield pb.FetchParseJobResponse(job=pb.ParseJob(document=document, run_id=request.run_id))
        yield pb.FetchParseJobResponse(data=b"The harbour ferry leaves at seven every morning.")

    def ReportProgress(self, request: pb.ProgressReport, context: Any) -> pb.ProgressAck:
        with self.lock:
            self.reports.append(request)
        return pb.ProgressAck(current=True)

    def IndexChunks(self, request: pb.IndexChunksRequest, context: Any) -> pb.IndexChunksResponse:
        with self.lock:
            self.index_calls += 1
        context.abort(self.code, "refused by the test")


@pytest.fixture(scope="module")
def refusing_service() -> Iterator[tuple[RefusingRetrieval, Any]]:
    """One server and one Celery app for the module: Celery registers a task name once per
    process (tasks are shared between apps), so a second app would run the first one's task."""
    servicer = RefusingRetrieval()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    retrieval_pb2_grpc.add_RetrievalServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    settings = RetrievalSettings(retrieval_service_addr=f"127.0.0.1:{port}", service_token=TOKEN)
    app = worker.create_app(settings)
    app.conf.task_always_eager = True
    yield servicer, app.tasks[PARSE_TASK]
    server.stop(None)


@pytest.fixture
def retrieval_answering(
    refusing_service: tuple[RefusingRetrieval, Any], monkeypatch: pytest.MonkeyPatch
) -> Callable[[grpc.StatusCode], tuple[RefusingRetrieval, Any]]:
    monkeypatch.setattr(worker, "_client", None)  # the process-wide client, made for this server
    monkeypatch.setattr(worker, "UNAVAILABLE_BACKOFF_S", 0)

    def answering(code: grpc.StatusCode) -> tuple[RefusingRetrieval, Any]:
        servicer, task = refusing_service
        servicer.code, servicer.index_calls, servicer.reports = code, 0, []
        return servicer, task

    return answering


def test_a_status_no_retry_can_mend_fails_the_run_at_once(retrieval_answering: Any) -> None:
    servicer, task = retrieval_answering(grpc.StatusCode.INVALID_ARGUMENT)
    result = task.apply(args=("tenant-a", "doc-1", "run-1"))

    assert result.get() == "failed"
    assert servicer.index_calls == 1  # not retried: the same chunks would be refused again
    failed = [r for r in servicer.reports if r.failed]
    assert [(r.document_id, r.run_id, r.message) for r in failed] == [
        ("doc-1", "run-1", "Parsing failed: retrieval-service answered INVALID_ARGUMENT.")
    ]


def test_an_unavailable_service_is_retried_then_the_run_fails(retrieval_answering: Any) -> None:
    servicer, task = retrieval_answering(grpc.StatusCode.UNAVAILABLE)
    result = task.apply(args=("tenant-a", "doc-2", "run-2"))

    assert result.failed()  # the task ends in error, for Celery's records and the logs
    # gRPC's own transparent retries (RetryPolicy) repeat an UNAVAILABLE call within each attempt.
    assert servicer.index_calls >= worker.UNAVAILABLE_RETRIES + 1
    failed = [r.message for r in servicer.reports if r.failed]
    assert failed == ["Parsing failed: retrieval-service unavailable."]
