"""Redis stops under the limiter: fail-closed answers 503, fail-open admits, and both recover
by themselves when Redis comes back. The gateways here use a redis-server of this test's own
(never the machine's shared one)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from redis_server import start_redis_server

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack, free_port
from ragchat_common.ids import new_id

ROUTE = "/api/v1/chats"


class OwnRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = start_redis_server(self.port, timeout_s=20)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture(scope="module")
def own_redis() -> Iterator[OwnRedis]:
    redis = OwnRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture(scope="module")
def gateways(gateway_group: Callable[..., Stack], own_redis: OwnRedis) -> dict[str, str]:
    settings = {"RAGCHAT_RATELIMIT_REDIS_TIMEOUT_S": "0.5"}
    closed = gateway_group(1, {**settings, "RAGCHAT_RATELIMIT_ON_REDIS_ERROR": "fail-closed"}, own_redis.url)
    opened = gateway_group(1, {**settings, "RAGCHAT_RATELIMIT_ON_REDIS_ERROR": "fail-open"}, own_redis.url)
    return {"fail-closed": closed.gateway_url, "fail-open": opened.gateway_url}


def _get(url: str, key: str) -> httpx.Response:
    return httpx.get(url + ROUTE, headers={"Authorization": f"Bearer {key}"}, timeout=15.0)


def test_outage_fail_closed_503_fail_open_admits_and_both_recover(
    stack: Stack, own_redis: OwnRedis, gateways: dict[str, str]
) -> None:
    key = mint_key(stack.mongo_url, "rl-outage-" + new_id()[:8])
    for policy, url in gateways.items():
        healthy = _get(url, key)
        assert healthy.status_code == 200, (policy, healthy.text)
        assert healthy.headers["X-RateLimit-Limit"] == "100" and "X-RateLimit-Remaining" in healthy.headers

    own_redis.stop()
    try:
        refused = _get(gateways["fail-closed"], key)
        assert refused.status_code == 503
        body = refused.json()
        assert body["code"] == 503 and body["data"] is None and "rate limiter is unavailable" in body["message"]
        admitted = [_get(gateways["fail-open"], key) for _ in range(3)]
        assert [r.status_code for r in admitted] == [200, 200, 200]
        assert all(r.json()["code"] == 0 for r in admitted)
        assert "X-RateLimit-Remaining" not in admitted[0].headers  # no decision was taken
        metrics = httpx.get(gateways["fail-open"] + "/metrics", timeout=10.0).text
        assert 'ragchat_ratelimit_fail_open_total{operation="request"} 3.0' in metrics
        metrics = httpx.get(gateways["fail-closed"] + "/metrics", timeout=10.0).text
        assert 'ragchat_ratelimit_rejections_total{reason="redis_unavailable"} 1.0' in metrics
    finally:
        own_redis.start()

    # Redis is back: no restart of the gateways, their clients reconnect by themselves.
    for policy, url in gateways.items():
        deadline = time.monotonic() + 15
        while True:
            response = _get(url, key)
            if response.status_code == 200 and "X-RateLimit-Remaining" in response.headers:
                break
            assert time.monotonic() < deadline, (policy, response.status_code, response.text)
            time.sleep(0.2)
        # the restarted Redis is empty: a fresh bucket again
        assert int(response.headers["X-RateLimit-Remaining"]) >= 140, policy
