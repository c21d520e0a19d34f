"""Composition root: settings, stores, embedder, task queue, gRPC server with health and reflection."""

from __future__ import annotations

import asyncio
import logging

from ragchat.retrieval.v1 import retrieval_pb2_grpc
from ragchat_common.errors import Unavailable
from ragchat_common.grpc_utils import GrpcServer, serve_until_signalled
from ragchat_common.logging import configure_logging
from ragchat_common.runtime import run_service
from ragchat_common.telemetry import setup_telemetry
from ragchat_retrieval.domain.deps import Deps, EnqueueParse, Limits
from ragchat_retrieval.domain.ports import Embedder
from ragchat_retrieval.embedding_cache import CachedEmbedder
from ragchat_retrieval.embeddings import get_embedder
from ragchat_retrieval.grpc_server import SERVICE_NAME, RetrievalServicer
from ragchat_retrieval.ingest.celery_app import PARSE_TASK, make_celery
from ragchat_retrieval.rerank import HttpReranker
from ragchat_retrieval.settings import RetrievalSettings
from ragchat_retrieval.store import Store
from ragchat_retrieval.vectorstore import open_vector_store

log = logging.getLogger(__name__)


def celery_enqueuer(settings: RetrievalSettings) -> EnqueueParse:
    app = make_celery(settings)

    def _send(tenant_id: str, document_id: str, run_id: str) -> None:
        app.send_task(
            PARSE_TASK,
            kwargs={"tenant_id": tenant_id, "document_id": document_id, "run_id": run_id},
            queue=settings.ingest_queue,
            retry=True,
            retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2},
        )

    async def enqueue(tenant_id: str, document_id: str, run_id: str) -> None:
        try:
            await asyncio.to_thread(_send, tenant_id, document_id, run_id)
        except Exception as exc:
            log.exception("could not queue parse task")
            raise Unavailable("The task queue is unavailable; please retry.") from exc

    return enqueue


async def build_deps(settings: RetrievalSettings) -> Deps:
    store = Store(settings.mongo_url, settings.mongo_db)
    await store.ensure_indexes()
    vectors = open_vector_store(settings)
    await vectors.open()
    embedder: Embedder = await asyncio.to_thread(get_embedder, settings)
    if settings.embedding_cache_texts > 0:
        embedder = CachedEmbedder(embedder, settings.embedding_cache_texts)
    reranker = (
        HttpReranker(
            settings.rerank_base_url, settings.rerank_model_names, settings.rerank_api_key, settings.rerank_timeout_s
        )
        if settings.rerank_base_url and settings.rerank_model_names
        else None
    )
    return Deps(
        reranker=reranker,
        store=store,
        vectors=vectors,
        embedder=embedder,
        enqueue_parse=celery_enqueuer(settings),
        limits=Limits(
            max_upload_bytes=settings.max_upload_bytes,
            default_top_k=settings.default_top_k,
            default_top_n=settings.default_top_n,
        ),
    )


async def serve(settings: RetrievalSettings) -> None:
    deps = await build_deps(settings)
    server = GrpcServer(settings.grpc_host, settings.grpc_port, service_token=settings.service_token)
    server.add(retrieval_pb2_grpc.add_RetrievalServiceServicer_to_server, RetrievalServicer(deps), SERVICE_NAME)

    async def close() -> None:
        await deps.vectors.close()
        deps.store.close()
        if isinstance(deps.reranker, HttpReranker):
            await deps.reranker.close()

    await serve_until_signalled(server, settings.shutdown_grace_s, on_stop=close, settings=settings)


def run() -> None:
    settings = RetrievalSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_telemetry(settings.service_name)
    run_service(serve(settings), gc_young_threshold=settings.gc_young_threshold)


if __name__ == "__main__":
    run()
