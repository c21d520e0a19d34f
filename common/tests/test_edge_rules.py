"""Rules every service shares: delete rules, page validation, bounded gRPC status messages."""

from __future__ import annotations

import grpc
import pytest

from ragchat_common.bulk_delete import ids_to_delete
from ragchat_common.errors import InternalError, InvalidArgument, NotFound, RateLimited
from ragchat_common.grpc_utils import STATUS_MESSAGE_MAX_BYTES, bounded_message, error_from_rpc
from ragchat_common.paging import PAGE_MAX, page_window


def test_delete_rules() -> None:
    assert ids_to_delete(["a", "b", "a"], False, "chat") == ["a", "b"]
    assert ids_to_delete(["a"], True, "chat") == ["a"]  # ids sent are what is deleted
    assert ids_to_delete(None, True, "chat") is None and ids_to_delete([], True, "chat") is None
    for ids in (None, []):
        with pytest.raises(InvalidArgument, match='`ids` is required; send "delete_all": true to delete every chunk'):
            ids_to_delete(ids, False, "chunk")


def test_page_window() -> None:
    assert page_window(0, 0) == (0, 30)
    assert page_window(3, 10) == (20, 10)
    assert page_window(PAGE_MAX, 1000) == ((PAGE_MAX - 1) * 1000, 1000)
    with pytest.raises(InvalidArgument, match="`page` should be an integer between 1 and 2147483647"):
        page_window(-1, 10)
    with pytest.raises(InvalidArgument, match="`page_size` should be an integer between 1 and 50"):
        page_window(1, 51, max_page_size=50)


def test_status_messages_are_bounded_on_a_character_boundary() -> None:
    assert bounded_message("short") == "short"
    ids = "; ".join(f"Chat {i:032x} not found" for i in range(1000))
    cut = bounded_message(ids)
    assert len(cut.encode()) <= STATUS_MESSAGE_MAX_BYTES and cut.endswith("…") and ids.startswith(cut[:-1])
    wide = "é" * 5000  # two bytes each: never cut in the middle of one
    assert set(bounded_message(wide)[:-1]) == {"é"}


class _Failed(grpc.aio.AioRpcError):  # type: ignore[misc]
    def __init__(self, status: grpc.StatusCode, details: str) -> None:
        super().__init__(status, grpc.aio.Metadata(), grpc.aio.Metadata(), details)


def test_only_rate_limiting_is_a_429() -> None:
    # Between services RESOURCE_EXHAUSTED is gRPC's own limit (e.g. metadata overflow), not a rate.
    assert isinstance(error_from_rpc(_Failed(grpc.StatusCode.RESOURCE_EXHAUSTED, "too big"), "x"), InternalError)
    assert not isinstance(error_from_rpc(_Failed(grpc.StatusCode.RESOURCE_EXHAUSTED, "x"), "x"), RateLimited)
    assert isinstance(error_from_rpc(_Failed(grpc.StatusCode.NOT_FOUND, "gone"), "x"), NotFound)
