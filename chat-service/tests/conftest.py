"""A real SecantusDB for the chat domain tests, and in-memory stand-ins for the other services.

Mongo is never mocked; the dataset directory and session cleaner are the domain's ports to
other services, replaced here by simple recording objects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from ragchat_chat.domain.types import DatasetLookup, DatasetRef, ModelCatalog
from ragchat_chat.store import ChatStore
from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.ids import new_id


@dataclass
class Datasets:
    """Datasets by tenant: what retrieval-service would answer to GetDatasets."""

    owned: dict[str, dict[str, str]] = field(default_factory=dict)
    fail: bool = False
    unparsed: set[str] = field(default_factory=set)  # ids of datasets without a chunk

    def add(self, tenant_id: str, name: str) -> str:
        dataset_id = new_id()
        self.owned.setdefault(tenant_id, {})[dataset_id] = name
        return dataset_id

    async def lookup(self, tenant_id: str, ids: Sequence[str]) -> DatasetLookup:
        if self.fail:
            raise ConnectionError("retrieval-service down")
        mine = self.owned.get(tenant_id, {})
        return DatasetLookup(
            found=[DatasetRef(i, mine[i]) for i in ids if i in mine],
            missing=[i for i in ids if i not in mine],
            unparsed=[i for i in ids if i in mine and i in self.unparsed],
        )


@dataclass
class Sessions:
    deleted_for: list[tuple[str, list[str]]] = field(default_factory=list)

    async def delete_chat_sessions(self, tenant_id: str, chat_ids: Sequence[str]) -> int:
        self.deleted_for.append((tenant_id, list(chat_ids)))
        return 0


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A stack of no service but the database it starts when no Mongo URL is given.
    with Stack(StackConfig(state_dir=Path(tmp_path_factory.mktemp("chat-mongo")), only=("secantusdb",))) as stack:
        yield stack.mongo_url


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[ChatStore]:
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(mongo_url)
    try:
        store = ChatStore(client["chat_" + new_id()[:12]])
        await store.ensure_indexes()
        yield store
    finally:
        client.close()


@pytest.fixture
def datasets() -> Datasets:
    return Datasets()


@pytest.fixture
def sessions() -> Sessions:
    return Sessions()


@pytest.fixture
def models() -> ModelCatalog:
    return ModelCatalog(default_model="local-model", available=("local-model", "big-model"), rerank=("bge-reranker",))
