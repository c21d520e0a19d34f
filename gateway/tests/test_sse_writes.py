"""How relay items become socket writes (the final event leaves together with the end), and what
the final event says in each dialect."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from ragchat_common.events import FinalEvent
from ragchat_gateway.completion.relay import Delta, Done, Finished, Ping, RelayItem
from ragchat_gateway.completion.sse import ragflow_frame, writes

FINAL = Finished(FinalEvent(seq=2, answer="", reference={}, created_at=1.0))


async def _items(*items: RelayItem) -> AsyncIterator[RelayItem]:
    for item in items:
        yield item


def _frame(item: RelayItem) -> bytes:
    return ragflow_frame(item, mid="m", sid="s", cid="c", cited_final=True)


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


def _final_answer(item: Finished, *, cited_final: bool) -> str:
    data = ragflow_frame(item, mid="m", sid="s", cid="c", cited_final=cited_final).decode()
    payload = json.loads(data.split("data: ", 1)[1])
    assert payload["data"]["final"] is True
    return str(payload["data"]["answer"])


def test_an_answer_cited_after_its_deltas_is_in_the_final_event_for_0_22_clients_only() -> None:
    cited = Finished(FinalEvent(seq=2, answer="Two years. [ID:0]", reference={}, created_at=1.0, answer_rewritten=True))
    assert _final_answer(cited, cited_final=True) == "Two years. [ID:0]"
    # ragflow-0.27 adds up the deltas: the cited text again would show the answer twice.
    assert _final_answer(cited, cited_final=False) == ""
    plain = Finished(FinalEvent(seq=2, answer="Two years.", reference={}, created_at=1.0))
    assert _final_answer(plain, cited_final=True) == _final_answer(plain, cited_final=False) == ""
    # A late resume (no deltas before it) gets the whole answer in either dialect.
    late = Finished(FinalEvent(seq=2, answer="Two years.", reference={}, created_at=1.0), whole=True)
    assert _final_answer(late, cited_final=False) == "Two years."
