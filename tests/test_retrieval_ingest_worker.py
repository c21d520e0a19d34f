"""The Celery ingest worker: its namespaced queue, a clean exit on SIGTERM, queued work surviving
a stopped worker. Runs a stack of its own (retrieval-service + worker) so stopping the worker
does not disturb other tests."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from kombu import Connection
from motor.motor_asyncio import AsyncIOMotorClient

from ragchat.retrieval.v1 import retrieval_pb2 as pb
from ragchat.retrieval.v1 import retrieval_pb2_grpc
from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.grpc_utils import insecure_channel

TENANT = "ingest-tenant"


@pytest.fixture(scope="module")
def small_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig(state_dir=Path(tmp_path_factory.mktemp("ingest")), only=("retrieval-service", "ingest-worker"))
    with Stack(config) as running:
        yield running
    with Connection(config.amqp_url) as conn:
        conn.default_channel.queue_delete(f"{config.namespace}.ingest")


async def upload_and_parse(
    stack: Stack, name: str, data: bytes
) -> tuple[retrieval_pb2_grpc.RetrievalServiceStub, str, str]:
    stub = retrieval_pb2_grpc.RetrievalServiceStub(
        insecure_channel(stack.addresses["retrieval-service"], service_token=stack.config.service_token)
    )
    dataset = await stub.CreateDataset(pb.CreateDatasetRequest(tenant_id=TENANT, name=name))

    async def messages():  # type: ignore[no-untyped-def]
        yield pb.UploadDocumentRequest(
            header=pb.UploadDocumentRequest.Header(tenant_id=TENANT, dataset_id=dataset.id, name=name)
        )
        yield pb.UploadDocumentRequest(data=data)

    doc = await stub.UploadDocument(messages())
    await stub.StartParsing(pb.ParseRequest(tenant_id=TENANT, dataset_id=dataset.id, document_ids=[doc.id]))
    return stub, dataset.id, doc.id


async def document(stub: retrieval_pb2_grpc.RetrievalServiceStub, dataset_id: str, doc_id: str) -> pb.Document:
    listed = await stub.ListDocuments(pb.ListDocumentsRequest(tenant_id=TENANT, dataset_id=dataset_id, id=doc_id))
    return listed.docs[0]


async def wait_run(
    stub: retrieval_pb2_grpc.RetrievalServiceStub, dataset_id: str, doc_id: str, run: str
) -> pb.Document:
    deadline = time.monotonic() + 60
    while (doc := await document(stub, dataset_id, doc_id)).run != run:
        assert time.monotonic() < deadline, (doc.run, doc.progress_msg)
        await asyncio.sleep(0.2)
    return doc


def consumers_of(amqp_url: str, queue: str) -> int:
    with Connection(amqp_url) as conn:
        try:
            _, _, consumers = conn.default_channel.queue_declare(queue, passive=True)  # raises if absent
        except Exception:
            return 0
        return int(consumers)


def test_worker_consumes_its_namespaced_queue(small_stack: Stack) -> None:
    queue = f"{small_stack.config.namespace}.ingest"
    deadline = time.monotonic() + 60  # the worker loads its embedding model before it connects
    while consumers_of(small_stack.config.amqp_url, queue) < 1:
        assert time.monotonic() < deadline, "no worker consumes the namespaced queue"
        time.sleep(0.5)


async def test_queued_parse_waits_for_a_worker_and_sigterm_exits_cleanly(small_stack: Stack) -> None:
    (worker,) = small_stack.find("ingest-worker")
    began = time.monotonic()
    assert small_stack.kill(worker, signal.SIGTERM) == 0  # warm shutdown, exit code 0
    # An idle worker leaves at once: Celery's event loop used to sleep up to 10 s before it read the signal.
    assert time.monotonic() - began < 5
    assert "warm shutdown" in small_stack.logs("ingest-worker").lower()

    stub, dataset_id, doc_id = await upload_and_parse(small_stack, "queued.txt", b"Queued while no worker runs.")
    _, cancelled_dataset, cancelled_id = await upload_and_parse(small_stack, "cancelled.txt", b"Never parsed.")
    await asyncio.sleep(1.5)
    waiting = await document(stub, dataset_id, doc_id)
    assert waiting.run == "RUNNING" and waiting.progress == 0  # queued, not lost, not failed
    stopped = await stub.StopParsing(
        pb.ParseRequest(tenant_id=TENANT, dataset_id=cancelled_dataset, document_ids=[cancelled_id])
    )
    assert stopped.success_count == 1

    small_stack.restart(worker)
    done = await wait_run(stub, dataset_id, doc_id, "DONE")
    assert done.chunk_count == 1 and done.progress == 1
    # The cancelled run's task was still queued: the worker finds it stale and leaves it alone.
    await asyncio.sleep(1.0)
    cancelled = await document(stub, cancelled_dataset, cancelled_id)
    assert cancelled.run == "CANCEL" and cancelled.chunk_count == 0
    assert "cancelled" in cancelled.progress_msg.lower()


async def test_a_job_whose_document_or_file_went_while_queued_is_dropped(small_stack: Stack) -> None:
    (worker,) = small_stack.find("ingest-worker")
    small_stack.kill(worker, signal.SIGTERM)
    stub, gone_dataset, gone = await upload_and_parse(small_stack, "gone.txt", b"Deleted while queued.")
    _, orphan_dataset, orphan = await upload_and_parse(small_stack, "orphan.txt", b"Its file went.")
    _, asked_dataset, asked = await upload_and_parse(small_stack, "asked.txt", b"Fetched by hand.")
    await stub.DeleteDocuments(pb.DeleteRequest(tenant_id=TENANT, dataset_id=gone_dataset, ids=[gone]))
    # What a delete stopped half way left (its file gone, its record still there): the parse job
    # found the document, then GridFS's NoFile came back as INTERNAL, retried as "unavailable".
    mongo: AsyncIOMotorClient = AsyncIOMotorClient(small_stack.mongo_url)
    db = mongo["ragchat"]
    try:
        await db["document_files.files"].delete_many({"_id": {"$in": [orphan, asked]}})
        run_id = (await db["documents"].find_one({"_id": asked}))["run_id"]
    finally:
        mongo.close()

    received = []
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for message in stub.FetchParseJob(pb.ParseJobRef(tenant_id=TENANT, document_id=asked, run_id=run_id)):
            received.append(message)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND and received == []  # before any message
    with pytest.raises(grpc.aio.AioRpcError) as refused:  # and so is downloading it
        async for message in stub.DownloadDocument(
            pb.DocumentRef(tenant_id=TENANT, dataset_id=asked_dataset, id=asked)
        ):
            received.append(message)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND and received == []

    seen = len(small_stack.logs("ingest-worker"))
    small_stack.restart(worker)
    failed = await wait_run(stub, orphan_dataset, orphan, "FAIL")
    assert "file is gone" in failed.progress_msg
    deadline = time.monotonic() + 30
    while (logs := small_stack.logs("ingest-worker")[seen:]).count("parse job dropped") < 3:
        assert time.monotonic() < deadline, logs
        await asyncio.sleep(0.2)
    assert "retrying parse" not in logs
