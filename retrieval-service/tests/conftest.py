"""A real SecantusDB and the embedded vector engine for the retrieval domain tests.

Mongo is never mocked. The embedder (a fixed hash of the text) and the parse queue (a list of
what was queued) are the domain's ports to the model and the broker, replaced here by simple
stand-ins; the cross-service tests in tests/ run the real ones.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pymongo import monitoring

from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.ids import new_id
from ragchat_retrieval.domain import datasets, documents
from ragchat_retrieval.domain.deps import Deps
from ragchat_retrieval.store import Store
from ragchat_retrieval.vectorstore.edge import EdgeStore

DIM = 8


class HashEmbedder:
    """A unit vector per text, the same every time (the model is not what these tests test)."""

    model_name = "hash"
    dim = DIM

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        out = []
        for text in texts:
            digest = hashlib.sha256(text.encode()).digest()
            vector = [b - 127.5 for b in digest[:DIM]]
            norm = math.sqrt(sum(x * x for x in vector))
            out.append([x / norm for x in vector])
        return out


@dataclass
class Queue:
    """The parse tasks queued: (tenant_id, document_id, run_id)."""

    tasks: list[tuple[str, str, str]] = field(default_factory=list)

    async def enqueue(self, tenant_id: str, document_id: str, run_id: str) -> None:
        self.tasks.append((tenant_id, document_id, run_id))


class CommandCounter(monitoring.CommandListener):
    """The commands Mongo clients of this process send while `counting()` (registered once,
    globally: pymongo's listeners are per process)."""

    def __init__(self) -> None:
        self.commands: list[str] | None = None

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.commands = seen = []
        try:
            yield seen
        finally:
            self.commands = None

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.commands is not None:
            self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COMMANDS = CommandCounter()
monitoring.register(COMMANDS)


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A stack of no service but the database it starts when no Mongo URL is given.
    with Stack(StackConfig(state_dir=Path(tmp_path_factory.mktemp("retrieval-mongo")), only=("secantusdb",))) as stack:
        yield stack.mongo_url


@pytest.fixture
def queue() -> Queue:
    return Queue()


@pytest.fixture
def mongo_commands() -> Callable[[], AbstractContextManager[list[str]]]:
    """`with mongo_commands() as sent:` → the names of the Mongo commands sent meanwhile."""
    return COMMANDS.counting


@pytest.fixture
async def deps(mongo_url: str, tmp_path: Path, queue: Queue) -> AsyncIterator[Deps]:
    store = Store(mongo_url, "retrieval_" + new_id()[:12])
    vectors = EdgeStore(tmp_path / "edge", DIM)
    await store.ensure_indexes()
    await vectors.open()
    try:
        yield Deps(store=store, vectors=vectors, embedder=HashEmbedder(), enqueue_parse=queue.enqueue)
    finally:
        await vectors.close()
        store.close()


DatasetOf = Callable[[str, int], Awaitable[tuple[str, list[str]]]]


@pytest.fixture
def dataset_of(deps: Deps) -> DatasetOf:
    """`await dataset_of(tenant, n)` → a new dataset of the tenant and the ids of its n small,
    unparsed text documents."""

    async def make(tenant_id: str, count: int) -> tuple[str, list[str]]:
        dataset = await datasets.create_dataset(deps, tenant_id, name="d-" + new_id()[:8])
        files = [documents.IncomingFile(f"d{i}.txt", f"document {i}".encode()) for i in range(count)]
        docs = await documents.upload_documents(deps, tenant_id, dataset["id"], files)
        return dataset["id"], [d["id"] for d in docs]

    return make
