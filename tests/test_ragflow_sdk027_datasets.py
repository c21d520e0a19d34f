"""The RAGFlow v0.27 client, unchanged: ragflow-sdk 0.27.3 (Python 3.13, tests/sdk027/datasets_flow.py)
through every RAGFlow dataset method, DataSet, Document and Chunk, and retrieval, against a
``ragflow-0.27`` key (API.md §9.1)."""

from __future__ import annotations

import pytest
from sdk027_harness import Sdk027

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits


@pytest.fixture
def key(stack: Stack) -> str:
    """A fresh ragflow-0.27 tenant per test, with room for the SDK's polling while it parses."""
    limits = KeyLimits(requests_per_minute=100_000, burst=10_000)
    return mint_key(stack.mongo_url, "sdk027-datasets-" + new_id(), limits, ragflow_version="0.27")


def test_datasets(sdk027: Sdk027, key: str) -> None:
    sdk027.run("datasets_flow", "datasets", key=key)


def test_documents_chunks_and_retrieval(sdk027: Sdk027, key: str) -> None:
    sdk027.run("datasets_flow", "documents_and_chunks", key=key)
