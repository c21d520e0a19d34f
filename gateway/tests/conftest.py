"""A real SecantusDB (Mongo stand-in) for the gateway's domain tests; nothing is mocked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.ids import new_id


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A stack of no service but the database it starts when no Mongo URL is given.
    with Stack(StackConfig(state_dir=Path(tmp_path_factory.mktemp("gateway-mongo")), only=("secantusdb",))) as stack:
        yield stack.mongo_url


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[Any]:
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(mongo_url)
    try:
        yield client["gw_" + new_id()[:12]]
    finally:
        client.close()
