"""How relay items become socket writes: the final event leaves together with the end."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ragchat_common.events import FinalEvent
from ragchat_gateway.completion.relay import Delta, Done, Finished, Ping, RelayItem
from ragchat_gateway.completion.sse import ragflow_frame, writes

FINAL = Finished(FinalEvent(seq=2, answer="", reference={}, created_at=1.0))


async def _items(*items: RelayItem) -> AsyncIterator[RelayItem]:
    for item in items:
        yield item


def _frame(item: RelayItem) -> bytes:
    return ragflow_frame(item, mid="m", sid="s", cid="c")


async def _writes(*items: RelayItem) -> list[bytes]:
    return [data async for data in writes(_items(*items), _frame)]


async def test_each_delta_is_one_write_and_the_final_event_leaves_with_the_end() -> None:
    first, second = Delta("Hello", 0), Delta(" world", 1)
    assert await _writes(first, second, FINAL, Done()) == [
        _frame(first),
        _frame(second),
        _frame(FINAL) + _frame(Done()),
    ]


async def test_a_final_event_not_followed_by_the_end_is_not_lost() -> None:
    # The end delayed (read from the log after a quiet period), or never coming.
    assert await _writes(FINAL, Ping(), Done()) == [_frame(FINAL) + _frame(Ping()), _frame(Done())]
    assert await _writes(Delta("x", 0), FINAL) == [_frame(Delta("x", 0)), _frame(FINAL)]
