"""The limiter at the HTTP edge, in process: headers on every kind of response, 429/503
envelopes, and stream leases released on every path. Real Redis; a small app wired like the
gateway (same error handlers, same middleware, same dependency)."""

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from redis.asyncio import Redis

from ragchat_common.errors import NotFound
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits, Principal
from ragchat_gateway.http_errors import install_error_handlers
from ragchat_gateway.ratelimit import RateLimitMiddleware, RateLimits, acquire_stream_lease, enforce_rate_limit
from ragchat_gateway.ratelimit.leases import lease_set_key
from ragchat_gateway.settings import GatewaySettings

REDIS_URL = "redis://127.0.0.1:6379/0"


def build_app(settings: GatewaySettings, limits: KeyLimits = KeyLimits()) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RateLimitMiddleware)
    app.state.backends = SimpleNamespace(rate_limits=RateLimits(settings))
    principal = Principal(key_id="key-" + new_id()[:8], tenant_id="t", tenant_name="t", limits=limits)
    app.state.principal = principal

    async def authenticate(request: Request) -> Principal:
        await enforce_rate_limit(request, principal)
        return principal

    Auth = Annotated[Principal, Depends(authenticate)]

    @app.get("/ok")
    async def ok(_: Auth) -> dict[str, int]:
        return {"code": 0}

    @app.get("/missing")
    async def missing(_: Auth) -> dict[str, int]:
        raise NotFound("No such chat.")

    @app.get("/crash")
    async def crash(_: Auth) -> dict[str, int]:
        raise RuntimeError("a bug")

    @app.get("/stream")
    async def stream(request: Request, who: Auth, fail_before_body: bool = False) -> StreamingResponse:
        lease = await acquire_stream_lease(request, who)
        if fail_before_body:
            raise NotFound("Chat vanished before the stream started.")

        async def events() -> AsyncIterator[bytes]:
            for i in range(3):
                yield f"data: {i}\n\n".encode()

        return StreamingResponse(lease.guard(events()), media_type="text/event-stream")

    return app


@pytest.fixture
async def namespace() -> AsyncIterator[str]:
    ns = "test-rlhttp-" + new_id()[:10]
    yield ns
    redis = Redis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(match=f"{ns}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


async def test_headers_on_success_error_and_streaming_responses(namespace: str) -> None:
    app = build_app(GatewaySettings(namespace=namespace, ratelimit_period_s=3600))
    async with client_for(app) as client:
        ok = await client.get("/ok")
        missing = await client.get("/missing")
        stream = await client.get("/stream")
    assert ok.status_code == 200
    assert ok.headers["X-RateLimit-Limit"] == "100"
    assert ok.headers["X-RateLimit-Remaining"] == "149"
    assert int(ok.headers["X-RateLimit-Reset"]) > 0
    assert missing.status_code == 404 and missing.json()["code"] == 105
    assert missing.headers["X-RateLimit-Remaining"] == "148"
    assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["X-RateLimit-Remaining"] == "147"
    assert "Retry-After" not in ok.headers


async def test_over_the_limit_is_a_429_envelope_with_retry_after(namespace: str) -> None:
    app = build_app(
        GatewaySettings(namespace=namespace, ratelimit_period_s=20), KeyLimits(requests_per_minute=2, burst=1)
    )
    async with client_for(app) as client:
        statuses = [(await client.get("/ok")).status_code for _ in range(3)]
        refused = await client.get("/ok")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == 429 and body["data"] is None
    assert "Rate limit exceeded" in body["message"] and "2 requests per 20 s" in body["message"]
    # one token every 10 s, none back yet: wait up to 10 s, rounded up to whole seconds
    assert 9 <= int(refused.headers["Retry-After"]) <= 10
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Limit"] == "2"


async def test_stream_slots_are_released_on_every_path(namespace: str) -> None:
    settings = GatewaySettings(namespace=namespace, ratelimit_period_s=3600)
    app = build_app(settings, KeyLimits(max_streams=1))
    principal: Principal = app.state.principal
    redis = Redis.from_url(REDIS_URL)
    leases = lease_set_key(namespace, principal.key_id)
    try:
        async with client_for(app) as client:
            done = await client.get("/stream")
            assert done.status_code == 200 and done.text.count("data:") == 3
            assert await redis.zcard(leases) == 0
            # the handler fails after taking the slot: the response body never starts
            failed = await client.get("/stream", params={"fail_before_body": True})
            assert failed.status_code == 404
            assert await redis.zcard(leases) == 0
            again = await client.get("/stream")
            assert again.status_code == 200
    finally:
        await redis.aclose()


async def test_the_stream_over_the_limit_gets_429_naming_the_concurrency_limit(namespace: str) -> None:
    settings = GatewaySettings(namespace=namespace, ratelimit_period_s=3600)
    app = build_app(settings, KeyLimits(max_streams=2))
    principal: Principal = app.state.principal
    rate_limits: RateLimits = app.state.backends.rate_limits
    held = [await rate_limits.acquire_stream(principal) for _ in range(2)]
    try:
        async with client_for(app) as client:
            refused = await client.get("/stream")
        assert refused.status_code == 429
        assert refused.json()["code"] == 429
        assert "concurrency limit is 2" in refused.json()["message"]
        assert refused.headers["Retry-After"] == "1"
        assert "X-RateLimit-Limit" in refused.headers
    finally:
        for lease in held:
            await lease.release()


async def test_redis_unreachable_fail_closed_is_503(namespace: str) -> None:
    settings = GatewaySettings(namespace=namespace, redis_url="redis://127.0.0.1:1/0", ratelimit_redis_timeout_s=0.5)
    app = build_app(settings)
    async with client_for(app) as client:
        refused = await client.get("/ok")
    assert refused.status_code == 503
    assert refused.json()["code"] == 503 and "rate limiter is unavailable" in refused.json()["message"]
    assert refused.headers["X-RateLimit-Limit"] == "100"


async def test_redis_unreachable_fail_open_admits(namespace: str) -> None:
    settings = GatewaySettings(
        namespace=namespace,
        redis_url="redis://127.0.0.1:1/0",
        ratelimit_redis_timeout_s=0.5,
        ratelimit_on_redis_error="fail-open",
    )
    app = build_app(settings)
    async with client_for(app) as client:
        admitted = await asyncio.gather(*(client.get("/ok") for _ in range(3)))
        stream = await client.get("/stream")
    assert [r.status_code for r in admitted] == [200, 200, 200]
    assert stream.status_code == 200 and stream.text.count("data:") == 3


async def test_an_unexpected_error_still_carries_the_headers(namespace: str) -> None:
    app = build_app(GatewaySettings(namespace=namespace, ratelimit_period_s=3600))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        crashed = await client.get("/crash")
    assert crashed.status_code == 500
    assert crashed.json() == {"code": 500, "message": "Internal server error.", "data": None}
    assert crashed.headers["X-RateLimit-Remaining"] == "149"
