from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ragchat_worker.domain.batching import batch_pieces


async def pieces(n: int, delay_s: float = 0.0, fail_at: int | None = None) -> AsyncIterator[str]:
    for i in range(n):
        if fail_at == i:
            raise RuntimeError("boom")
        if delay_s:
            await asyncio.sleep(delay_s)
        else:
            await asyncio.sleep(0)
        yield f"t{i} "


async def test_batches_keep_order_and_content_and_respect_the_size_limit() -> None:
    batches = [b async for b in batch_pieces(pieces(200), max_pieces=16, max_delay_s=0.005)]
    assert "".join(batches) == "".join(f"t{i} " for i in range(200))
    assert batches[0] == "t0 "  # the first piece goes out alone, at once
    assert all(b.count(" ") <= 16 for b in batches)
    assert len(batches) < 200


async def test_slow_pieces_are_flushed_by_time() -> None:
    batches = [b async for b in batch_pieces(pieces(5, delay_s=0.03), max_pieces=100, max_delay_s=0.005)]
    assert batches == [f"t{i} " for i in range(5)]


async def test_a_failure_of_the_source_is_raised_after_the_pieces_before_it() -> None:
    seen: list[str] = []
    with pytest.raises(RuntimeError, match="boom"):
        async for batch in batch_pieces(pieces(10, fail_at=4), max_pieces=2, max_delay_s=0.001):
            seen.append(batch)
    assert "".join(seen) == "t0 t1 t2 t3 "
