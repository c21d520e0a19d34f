"""A real SecantusDB (Mongo stand-in) for the gateway's domain tests; nothing is mocked."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from ragchat_cli.stack import free_port, tcp_answers
from ragchat_common.ids import new_id


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data = tmp_path_factory.mktemp("gateway-mongo")
    binary = str(Path(sys.executable).with_name("secantusd-py"))
    proc = subprocess.Popen(
        [binary, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not tcp_answers("127.0.0.1", port):
            assert proc.poll() is None and time.monotonic() < deadline, "SecantusDB did not start"
            time.sleep(0.1)
        yield f"mongodb://127.0.0.1:{port}/?retryWrites=false"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[Any]:
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(mongo_url)
    try:
        yield client["gw_" + new_id()[:12]]
    finally:
        client.close()
