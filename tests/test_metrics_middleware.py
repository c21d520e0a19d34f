"""The gateway's observability middleware, in process: request ids, bounded route labels, streams,
the access log.

A small FastAPI app wired like the gateway (router included under a prefix) over real HTTP
(uvicorn on a free loopback port), so streaming is observed as a client sees it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse
from prometheus_client import REGISTRY

from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.observability import install_observability

# Set by the test thread (an asyncio.Event is not thread-safe); the stream waits on it in a thread.
release_stream = threading.Event()


def build_app() -> FastAPI:
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    @router.get("/stream")
    async def stream() -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            yield b"data: first\n\n"
            await asyncio.to_thread(release_stream.wait, 10)
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @router.get("/mine")
    async def mine(request: Request) -> dict[str, bool]:
        # What the gateway's auth dependency does once a key is known.
        request.state.principal = Principal(key_id="key-7", tenant_id="tenant-7", tenant_name="seven")
        return {"ok": True}

    app = FastAPI()
    install_observability(app, access_log=True)
    app.include_router(router, prefix="/api/v9")
    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(), host="127.0.0.1", port=port, log_config=None))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/metrics", timeout=1)
            break
        except httpx.ConnectError:
            time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(10)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_request_id_is_echoed_or_generated(base_url: str) -> None:
    mine = httpx.get(base_url + "/api/v9/items/1", headers={"X-Request-ID": "client-abc.123"})
    assert mine.headers["x-request-id"] == "client-abc.123"
    generated = httpx.get(base_url + "/api/v9/items/1")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    # Header injection or absurd values are not echoed back.
    hostile = httpx.get(base_url + "/api/v9/items/1", headers={"X-Request-ID": "a b<script>" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])
    assert httpx.get(base_url + "/nowhere").headers["x-request-id"]


def test_route_label_is_the_template_never_the_raw_path(base_url: str) -> None:
    labels = {"route": "/api/v9/items/{item_id}", "method": "GET", "code": "200"}
    before = sample("ragchat_http_requests_total", **labels)
    for item_id in ("raw-item-one", "raw-item-two", "raw-item-three"):
        assert httpx.get(f"{base_url}/api/v9/items/{item_id}").status_code == 200
    assert sample("ragchat_http_requests_total", **labels) == before + 3
    unmatched = {"route": "<unmatched>", "method": "GET", "code": "404"}
    before_404 = sample("ragchat_http_requests_total", **unmatched)
    httpx.get(f"{base_url}/secret/unmatched-raw-path")
    assert sample("ragchat_http_requests_total", **unmatched) == before_404 + 1
    text = httpx.get(base_url + "/metrics").text
    assert "raw-item-two" not in text and "unmatched-raw-path" not in text


def test_an_open_stream_is_counted_and_not_buffered(base_url: str) -> None:
    release_stream.clear()
    assert sample("ragchat_active_streams") == 0
    with httpx.stream("GET", base_url + "/api/v9/stream", timeout=10) as response:
        lines = response.iter_lines()
        assert next(lines) == "data: first"  # arrives before the stream ends: nothing buffers it
        assert sample("ragchat_active_streams") == 1
        assert response.headers["x-request-id"]
        release_stream.set()
        rest = list(lines)
    assert "data: [DONE]" in rest
    for _ in range(50):
        if sample("ragchat_active_streams") == 0:
            break
        time.sleep(0.02)
    assert sample("ragchat_active_streams") == 0


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "ragchat.access"]


def test_each_request_gets_one_access_line_without_its_query(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ragchat.access")
    response = httpx.get(base_url + "/api/v9/items/raw-9?name=private-name", headers={"X-Request-ID": "req-9"})
    assert response.status_code == 200
    (line,) = access_lines(caplog)
    assert line.getMessage().startswith("GET /api/v9/items/raw-9 200 ")
    fields = vars(line)
    assert fields["path"] == "/api/v9/items/raw-9"
    assert fields["route"] == "/api/v9/items/{item_id}"
    assert fields["status"] == 200
    assert fields["bytes"] == len(response.content)
    assert fields["client"] == "127.0.0.1"
    assert fields["tenant_id"] is None and fields["key_id"] is None
    assert fields["duration_ms"] >= 0
    assert "private-name" not in repr(fields)

    caplog.clear()
    httpx.get(base_url + "/api/v9/mine")
    httpx.get(base_url + "/nowhere")
    mine, nowhere = access_lines(caplog)
    assert (vars(mine)["tenant_id"], vars(mine)["key_id"]) == ("tenant-7", "key-7")
    assert (vars(nowhere)["status"], vars(nowhere)["route"]) == (404, "<unmatched>")


def test_probes_and_scrapes_are_not_access_logged(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ragchat.access")
    assert httpx.get(base_url + "/metrics").status_code == 200
    assert access_lines(caplog) == []


def test_a_stream_is_logged_once_at_its_end(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ragchat.access")
    release_stream.clear()
    with httpx.stream("GET", base_url + "/api/v9/stream", timeout=10) as response:
        lines = response.iter_lines()
        assert next(lines) == "data: first"
        time.sleep(0.2)
        assert access_lines(caplog) == []  # not while it is still open
        release_stream.set()
        list(lines)
    (line,) = access_lines(caplog)
    assert vars(line)["status"] == 200
    assert vars(line)["duration_ms"] >= 200
    assert vars(line)["bytes"] == len(b"data: first\n\ndata: [DONE]\n\n")
