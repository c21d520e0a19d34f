"""Benchmark of authentication and the per-key limiter: added latency per request and
admitted-count accuracy.

Runs against a real Redis (RAGCHAT_REDIS_URL, default the local one) in a namespace of its own,
and for authentication a real database (RAGCHAT_MONGO_URL, else a SecantusDB it starts), and
prints figures; it asserts nothing. Usage: .venv/bin/python bench/bench_ratelimit.py
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request
from motor.motor_asyncio import AsyncIOMotorClient
from redis.asyncio import Redis

from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.ids import new_id
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.authenticator import KeyAuthenticator
from ragchat_gateway.auth.principal import KeyLimits, Principal
from ragchat_gateway.auth.scopes import check_scope, required_scope_for_http
from ragchat_gateway.ratelimit.http import RateLimitMiddleware, enforce_rate_limit
from ragchat_gateway.ratelimit.limiter import frozen_clock_key
from ragchat_gateway.ratelimit.service import RateLimits
from ragchat_gateway.settings import GatewaySettings


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _principal(limits: KeyLimits = KeyLimits()) -> Principal:
    return Principal(key_id="bench-" + new_id()[:10], tenant_id="bench", tenant_name="bench", limits=limits)


async def latency(settings: GatewaySettings, requests: int, concurrency: int) -> None:
    limiter = RateLimits(settings)
    # a key whose bucket never runs dry, so every call is a full admission
    principal = _principal(KeyLimits(requests_per_minute=10_000_000, burst=0))
    await limiter.take_request_token(principal)  # connection and script cache warm
    samples: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            await limiter.take_request_token(principal)
            samples.append(time.perf_counter() - started)

    wall = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - wall
    await limiter.close()
    ms = [s * 1000 for s in samples]
    print(
        f"added latency, {requests} requests at concurrency {concurrency:>3}: "
        f"p50 {_percentile(ms, 0.50):.3f} ms  p99 {_percentile(ms, 0.99):.3f} ms  "
        f"mean {statistics.fmean(ms):.3f} ms  ({requests / wall:,.0f} decisions/s)"
    )


def _http_app(settings: GatewaySettings, limited: bool) -> Any:
    """A one-route app wired like the gateway (middleware + limiter in the auth dependency)."""
    app = FastAPI()
    app.add_middleware(RateLimitMiddleware)
    app.state.backends = SimpleNamespace(rate_limits=RateLimits(settings))
    principal = _principal(KeyLimits(requests_per_minute=10_000_000, burst=0))

    async def authenticate(request: Request) -> Principal:
        if limited:
            await enforce_rate_limit(request, principal)
        return principal

    @app.get("/ping")
    async def ping(who: Principal = Depends(authenticate)) -> dict[str, str]:
        return {"tenant": who.tenant_id}

    return app


async def http_added_latency(settings: GatewaySettings, requests: int) -> None:
    """The same route with and without the limiter, in process: the difference is what it adds."""
    results: dict[bool, list[float]] = {}
    for limited in (False, True, False, True):  # interleaved, so warm-up does not favour one
        app = _http_app(settings, limited)
        samples: list[float] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get("/ping")
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        await app.state.backends.rate_limits.close()
        results[limited] = samples
    base, with_limiter = results[False], results[True]
    print(
        f"HTTP request in process, {requests} sequential: without limiter p50 {_percentile(base, 0.5):.3f} ms "
        f"p99 {_percentile(base, 0.99):.3f} ms; with limiter p50 {_percentile(with_limiter, 0.5):.3f} ms "
        f"p99 {_percentile(with_limiter, 0.99):.3f} ms; added p50 "
        f"{_percentile(with_limiter, 0.5) - _percentile(base, 0.5):+.3f} ms, p99 "
        f"{_percentile(with_limiter, 0.99) - _percentile(base, 0.99):+.3f} ms"
    )


async def auth_cache_hit(settings: GatewaySettings, mongo_url: str, requests: int) -> None:
    """Authentication of a known key on a cache hit, as every request after a key's first pays it:
    the authenticator alone, and its share of an in-process HTTP request (same route with and
    without bearer parsing + authentication + the scope check)."""
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(mongo_url)
    db = client["bench_auth_" + new_id()[:8]]
    auth = KeyAuthenticator(db, settings.redis_url, settings.namespace, ttl_s=settings.auth_cache_s)
    await auth.start()
    minted = await domain.create_key(db, "bench", scopes=["chat"])
    header = f"Bearer {minted.key}"
    for _ in range(500):  # the long TTL applies once the change channel is heard
        if auth.hears_changes:
            break
        await asyncio.sleep(0.01)
    await auth.authenticate_bearer(header)  # the one miss: from the database into the cache
    samples: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        principal = await auth.authenticate_bearer(header)
        check_scope(principal, required_scope_for_http("GET", "/api/v1/chats"))
        samples.append((time.perf_counter() - started) * 1000)
    print(
        f"auth on a cache hit (bearer parse, hash, cache, expiry, scope), {requests} calls: "
        f"p50 {_percentile(samples, 0.5):.4f} ms  p99 {_percentile(samples, 0.99):.4f} ms  "
        f"mean {statistics.fmean(samples):.4f} ms"
    )

    def app_with(authenticated: bool) -> FastAPI:
        app = FastAPI()

        async def who(request: Request) -> str:
            if not authenticated:
                return "anonymous"
            principal = await auth.authenticate_bearer(request.headers.get("authorization"))
            check_scope(principal, required_scope_for_http(request.method, request.scope["route"].path))
            return principal.tenant_id

        @app.get("/api/v1/chats")
        async def chats(tenant: str = Depends(who)) -> dict[str, str]:
            return {"tenant": tenant}

        return app

    results: dict[bool, list[float]] = {}
    http_requests = min(requests, 3000)
    for authenticated in (False, True, False, True):  # interleaved, so warm-up does not favour one
        timings: list[float] = []
        transport = httpx.ASGITransport(app=app_with(authenticated))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            for _ in range(http_requests):
                started = time.perf_counter()
                response = await http.get("/api/v1/chats", headers={"Authorization": header})
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        results[authenticated] = timings
    base, with_auth = results[False], results[True]
    print(
        f"HTTP request in process, {http_requests} sequential: without auth p50 {_percentile(base, 0.5):.3f} ms; "
        f"with auth (cache hit) p50 {_percentile(with_auth, 0.5):.3f} ms; added p50 "
        f"{_percentile(with_auth, 0.5) - _percentile(base, 0.5):+.3f} ms, p99 "
        f"{_percentile(with_auth, 0.99) - _percentile(base, 0.99):+.3f} ms"
    )
    await auth.close()
    await client.drop_database(db.name)
    client.close()


async def accuracy_frozen(settings: GatewaySettings, replicas: int, attempts: int) -> None:
    """A full bucket hit by `attempts` concurrent requests from `replicas` clients: admits exactly capacity."""
    limiters = [RateLimits(settings) for _ in range(replicas)]
    redis = limiters[0].redis
    seconds, micros = await redis.time()
    await redis.set(frozen_clock_key(settings.namespace), str(int(seconds) * 1_000_000 + int(micros)))
    principal = _principal()
    decisions = await asyncio.gather(*(limiters[i % replicas].take_request_token(principal) for i in range(attempts)))
    admitted = sum(1 for d in decisions if d is not None and d.admitted)
    capacity = settings.ratelimit_rpm + settings.ratelimit_burst
    print(
        f"accuracy, frozen clock: {admitted} admitted of {attempts} concurrent attempts from {replicas} clients "
        f"(capacity {capacity}; error {admitted - capacity:+d})"
    )
    await redis.delete(frozen_clock_key(settings.namespace))
    for limiter in limiters:
        await limiter.close()


async def accuracy_sustained(settings: GatewaySettings, replicas: int, seconds: float) -> None:
    """Several clients over-asking for `seconds`: admitted vs what the bucket allows over that time."""
    limiters = [RateLimits(settings) for _ in range(replicas)]
    principal = _principal()
    admitted = 0
    stop_at = time.monotonic() + seconds

    async def hammer(limiter: RateLimits) -> None:
        nonlocal admitted
        while time.monotonic() < stop_at:
            decision = await limiter.take_request_token(principal)
            admitted += decision is not None and decision.admitted

    t_start = await limiters[0].redis.time()
    await asyncio.gather(*(hammer(limiters[i % replicas]) for i in range(replicas * 8)))
    t_end = await limiters[0].redis.time()
    elapsed = (int(t_end[0]) - int(t_start[0])) + (int(t_end[1]) - int(t_start[1])) / 1e6
    refill = settings.ratelimit_rpm * elapsed / settings.ratelimit_period_s
    allowed = settings.ratelimit_rpm + settings.ratelimit_burst + refill
    print(
        f"accuracy, real clock: {admitted} admitted in {elapsed:.2f} s by {replicas} clients; the bucket allows "
        f"{allowed:.1f} ({settings.ratelimit_rpm}/{settings.ratelimit_period_s:g} s + burst "
        f"{settings.ratelimit_burst}); error {100 * (admitted - allowed) / allowed:+.2f} %"
    )
    for limiter in limiters:
        await limiter.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    namespace = "bench-rl-" + new_id()[:8]
    settings = GatewaySettings(
        namespace=namespace,
        redis_url=os.environ.get("RAGCHAT_REDIS_URL", "redis://127.0.0.1:6379/0"),
        ratelimit_period_s=2.0,
        ratelimit_test_clock=True,
    )
    mongo_url = os.environ.get("RAGCHAT_MONGO_URL")
    with contextlib.ExitStack() as stack:
        if not mongo_url:
            state_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-auth-")))
            mongo_url = stack.enter_context(Stack(StackConfig(state_dir=state_dir, only=("secantusdb",)))).mongo_url
        await auth_cache_hit(settings, mongo_url, args.requests)
    for concurrency in (1, 16, 64):
        await latency(settings, args.requests, concurrency)
    await http_added_latency(settings, min(args.requests, 2000))
    await accuracy_frozen(settings, args.replicas, 1000)
    await accuracy_sustained(settings, args.replicas, args.seconds)
    redis = Redis.from_url(settings.redis_url)
    keys = [k async for k in redis.scan_iter(match=f"{namespace}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
