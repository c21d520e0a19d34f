"""ragflow-sdk 0.27.3 (Python 3.13, in its own process) drives every DataSet, Document and Chunk
method against a ragflow-0.27 key (issue 16): the steps are in tests/sdk027/datasets_flow.py."""

from __future__ import annotations

from sdk027_runner import run_sdk_script

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id
from ragchat_gateway.auth.principal import KeyLimits


def test_sdk027_datasets_documents_and_chunks(stack: Stack) -> None:
    key = mint_key(
        stack.mongo_url,
        "sdk027-datasets-" + new_id(),
        KeyLimits(requests_per_minute=100_000, burst=10_000),
        ragflow_version="0.27",
    )
    output = run_sdk_script("datasets_flow.py", stack.gateway_url, key)
    assert "ok   datasets" in output and "ok   documents_and_chunks" in output
