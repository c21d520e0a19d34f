"""Token batching: many small LLM pieces become few stream events.

The first piece goes out at once (time to first token matters most); after that a batch closes
when it holds ``max_pieces`` pieces or has waited ``max_delay_s``. The LLM is read by its own
task, so pieces keep arriving while a batch is being published: under load batches fill up by
themselves, when the model is slow each piece still leaves within ``max_delay_s``.

With a ``stop`` signal, a stop ends the batches at once (what was buffered is dropped: nobody saw
it) and closing the generator cancels the reader, which closes the LLM request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

from ragchat_worker.domain.types import StopSignal


class _Buffer:
    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.wake = asyncio.Event()
        self.ended = False
        self.failure: BaseException | None = None
        # Pieces in the buffer that wake the consumer early.
        self.threshold = 1

    async def fill(self, pieces: AsyncIterator[str]) -> None:
        try:
            async for piece in pieces:
                if piece:
                    self.pieces.append(piece)
                    if len(self.pieces) >= self.threshold:
                        self.wake.set()
        except Exception as exc:  # handed to the consumer, raised there
            self.failure = exc
        finally:
            self.ended = True
            self.wake.set()

    async def wait(self, threshold: int, timeout_s: float | None) -> None:
        """Until ``threshold`` pieces are buffered, the source ended, or ``timeout_s`` passed."""
        if self.ended or len(self.pieces) >= threshold:
            return
        self.threshold = threshold
        self.wake.clear()
        timer = None if timeout_s is None else asyncio.get_running_loop().call_later(timeout_s, self.wake.set)
        try:
            await self.wake.wait()
        finally:
            if timer is not None:
                timer.cancel()


async def batch_pieces(
    pieces: AsyncIterator[str], max_pieces: int, max_delay_s: float, stop: StopSignal | None = None
) -> AsyncGenerator[str, None]:
    buffer = _Buffer()
    reader = asyncio.create_task(buffer.fill(pieces))
    if stop is not None:
        stop.on_request(buffer.wake.set)
    first = True
    try:
        while stop is None or not stop.requested:
            await buffer.wait(1, None)
            if not buffer.pieces or (stop is not None and stop.requested):
                break
            if not first:
                await buffer.wait(max_pieces, max_delay_s)
                if stop is not None and stop.requested:
                    break
            first = False
            batch = buffer.pieces[:max_pieces]
            del buffer.pieces[:max_pieces]
            yield "".join(batch)
        if buffer.failure is not None and (stop is None or not stop.requested):
            raise buffer.failure
    finally:
        if not reader.done():
            reader.cancel()
            try:
                await reader
            except asyncio.CancelledError:
                pass
