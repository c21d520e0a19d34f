"""Composition root of the gateway: settings, connections, routes, error handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ragchat_common.logging import configure_logging
from ragchat_common.runtime import settle_heap
from ragchat_common.telemetry import instrument_fastapi, setup_telemetry
from ragchat_gateway.backends import open_backends
from ragchat_gateway.body_limit import BodyLimitMiddleware
from ragchat_gateway.http_errors import install_error_handlers
from ragchat_gateway.observability import install_observability, serve
from ragchat_gateway.protocol_edges import TrailingSlashMiddleware
from ragchat_gateway.public_grpc.server import build_public_server
from ragchat_gateway.ratelimit import RateLimitMiddleware
from ragchat_gateway.request_models.binding import document_request_models
from ragchat_gateway.routes import (
    admin_keys,
    chat_tools,
    chats,
    completions,
    dataset_compiled,
    datasets,
    datasets_v027,
    documents_v027,
    health,
    messages,
    openai_compat,
    sessions,
    streams,
)
from ragchat_gateway.settings import GatewaySettings

API_PREFIX = "/api/v1"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backends = open_backends(settings)
        app.state.backends = backends
        await backends.start()
        public_grpc = build_public_server(backends)
        await public_grpc.start()
        app.state.public_grpc = public_grpc
        app.state.loop = asyncio.get_running_loop()
        try:
            yield
        finally:
            backends.draining = True
            # HTTP has drained by now (uvicorn stops before the lifespan ends); gRPC calls in
            # flight get the same grace.
            await public_grpc.drain_and_stop(settings.shutdown_grace_s)
            await backends.close()

    app = FastAPI(title="ragchat", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    install_error_handlers(app)
    # X-RateLimit-* on every authenticated response; releases a request's stream leases at its end.
    app.add_middleware(RateLimitMiddleware)
    # Oversize JSON bodies → 413 before anything reads them (multipart uploads pass through).
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_observability(app, access_log=settings.access_log)
    instrument_fastapi(app)
    # Outermost: `/chats/` is routed as `/chats` before anything else sees the path.
    app.add_middleware(TrailingSlashMiddleware)
    app.include_router(health.router)
    for module in (
        chats,
        sessions,
        messages,
        completions,
        streams,
        chat_tools,
        openai_compat,
        datasets,
        documents_v027,
        dataset_compiled,
        datasets_v027,
        admin_keys,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    document_request_models(app)
    return app


def run() -> None:
    settings = GatewaySettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_telemetry(settings.service_name)
    app = create_app(settings)
    settle_heap(settings.gc_young_threshold)
    serve(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        drain_s=settings.shutdown_drain_s,
        grace_s=settings.shutdown_grace_s,
        keepalive_s=settings.http_keepalive_s,
    )


if __name__ == "__main__":
    run()
