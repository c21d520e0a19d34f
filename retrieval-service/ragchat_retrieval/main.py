"""Composition root: settings, stores, gRPC server with health and reflection."""

from __future__ import annotations

import asyncio

from ragchat_common.grpc_utils import GrpcServer, serve_until_signalled
from ragchat_common.logging import configure_logging
from ragchat_common.telemetry import setup_telemetry
from ragchat_retrieval.settings import RetrievalSettings


async def serve(settings: RetrievalSettings) -> None:
    server = GrpcServer(settings.grpc_host, settings.grpc_port)
    await serve_until_signalled(server, settings.shutdown_grace_s, settings=settings)


def run() -> None:
    settings = RetrievalSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_telemetry(settings.service_name)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    run()
