"""Composition root: settings, stores, clients of the other services, gRPC server."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from ragchat.chat.v1 import chat_pb2_grpc
from ragchat.retrieval.v1.retrieval_pb2_grpc import RetrievalServiceStub
from ragchat.session.v1.session_pb2_grpc import SessionServiceStub
from ragchat_chat.clients import GrpcSessionCleaner, RetrievalDatasetDirectory
from ragchat_chat.domain.types import ModelCatalog
from ragchat_chat.grpc_server import SERVICE_NAME, ChatServicer
from ragchat_chat.settings import ChatSettings
from ragchat_chat.store import ChatStore
from ragchat_common.grpc_utils import GrpcServer, insecure_channel, serve_until_signalled
from ragchat_common.logging import configure_logging
from ragchat_common.mongo import ensure_indexes_with_retry
from ragchat_common.runtime import run_service
from ragchat_common.telemetry import setup_telemetry


async def serve(settings: ChatSettings) -> None:
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(settings.mongo_url, serverSelectionTimeoutMS=5000)
    store = ChatStore(client[settings.mongo_db])
    await ensure_indexes_with_retry(store.ensure_indexes)
    token = settings.service_token
    retrieval_channel = insecure_channel(settings.retrieval_service_addr, service_token=token)
    session_channel = insecure_channel(settings.session_service_addr, service_token=token)
    servicer = ChatServicer(
        store,
        RetrievalDatasetDirectory(RetrievalServiceStub(retrieval_channel), settings.dataset_lookup_timeout_s),
        GrpcSessionCleaner(SessionServiceStub(session_channel), settings.grpc_bulk_timeout_s),
        ModelCatalog(
            default_model=settings.default_model,
            available=settings.available_models,
            rerank=settings.rerank_model_names,
        ),
    )
    server = GrpcServer(settings.grpc_host, settings.grpc_port, service_token=settings.service_token)
    server.add(chat_pb2_grpc.add_ChatServiceServicer_to_server, servicer, SERVICE_NAME)

    async def close() -> None:
        await retrieval_channel.close()
        await session_channel.close()
        client.close()

    await serve_until_signalled(server, settings.shutdown_grace_s, on_stop=close, settings=settings)


def run() -> None:
    settings = ChatSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_telemetry(settings.service_name)
    run_service(serve(settings), gc_young_threshold=settings.gc_young_threshold)


if __name__ == "__main__":
    run()
