"""A real SecantusDB (Mongo stand-in) for the session domain tests; nothing is mocked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.ids import new_id
from ragchat_session.store import SessionStore


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A stack of no service but the database it starts when no Mongo URL is given.
    with Stack(StackConfig(state_dir=Path(tmp_path_factory.mktemp("session-mongo")), only=("secantusdb",))) as stack:
        yield stack.mongo_url


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[SessionStore]:
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(mongo_url)
    try:
        store = SessionStore(client["sess_" + new_id()[:12]], max_messages=5, retention_s=3600)
        await store.ensure_indexes()
        yield store
    finally:
        client.close()
