"""Operations endpoints (no auth): liveness, readiness, metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ragchat_gateway.deps import BackendsDep

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _grpc_serving(backends: BackendsDep, name: str) -> bool:
    stub = health_pb2_grpc.HealthStub(backends.channels[name])
    reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2.0)
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


@router.get("/readyz")
async def readyz(backends: BackendsDep) -> JSONResponse:
    if backends.draining:
        return JSONResponse({"status": "draining"}, status_code=503)
    checks: dict[str, bool] = {}

    async def check(name: str, probe: object) -> None:
        try:
            checks[name] = bool(await asyncio.wait_for(probe, timeout=3.0))  # type: ignore[arg-type]
        except Exception:
            checks[name] = False

    await asyncio.gather(
        check("mongo", backends.mongo.command("ping")),
        check("redis", backends.redis.ping()),
        *(check(name, _grpc_serving(backends, name)) for name in backends.channels),
    )
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )
