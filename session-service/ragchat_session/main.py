"""Composition root: settings, stores, gRPC server with health and reflection."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from ragchat.session.v1 import session_pb2_grpc
from ragchat_common.grpc_utils import GrpcServer, serve_until_signalled
from ragchat_common.logging import configure_logging
from ragchat_common.mongo import ensure_indexes_with_retry
from ragchat_common.runtime import run_service
from ragchat_common.telemetry import setup_telemetry
from ragchat_session.grpc_server import SERVICE_NAME, SessionServicer
from ragchat_session.settings import SessionSettings
from ragchat_session.store import SessionStore


def build_store(settings: SessionSettings, client: AsyncIOMotorClient[Any]) -> SessionStore:
    return SessionStore(
        client[settings.mongo_db],
        max_messages=settings.session_max_messages,
        retention_s=settings.session_retention_days * 86_400,
    )


async def serve(settings: SessionSettings) -> None:
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(settings.mongo_url, serverSelectionTimeoutMS=5000)
    store = build_store(settings, client)
    await ensure_indexes_with_retry(store.ensure_indexes)
    server = GrpcServer(settings.grpc_host, settings.grpc_port, service_token=settings.service_token)
    server.add(session_pb2_grpc.add_SessionServiceServicer_to_server, SessionServicer(store), SERVICE_NAME)

    async def close() -> None:
        client.close()

    await serve_until_signalled(server, settings.shutdown_grace_s, on_stop=close, settings=settings)


def run() -> None:
    settings = SessionSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_telemetry(settings.service_name)
    run_service(serve(settings), gc_young_threshold=settings.gc_young_threshold)


if __name__ == "__main__":
    run()
