"""Token batching: many small LLM pieces become few stream events.

The first piece goes out at once (time to first token matters most); after that a batch closes
when it holds ``max_pieces`` pieces or its first piece is ``max_delay_s`` old. The LLM is read by
its own task, so pieces keep arriving while a batch is being published.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Final

_END: Final = object()


async def batch_pieces(pieces: AsyncIterator[str], max_pieces: int, max_delay_s: float) -> AsyncIterator[str]:
    queue: asyncio.Queue[object] = asyncio.Queue()
    failure: list[BaseException] = []

    async def pump() -> None:
        try:
            async for piece in pieces:
                if piece:
                    queue.put_nowait(piece)
        except Exception as exc:  # handed to the consumer, raised there
            failure.append(exc)
        finally:
            queue.put_nowait(_END)

    reader = asyncio.create_task(pump())
    loop = asyncio.get_running_loop()
    first = True
    try:
        ended = False
        while not ended:
            item = await queue.get()
            if item is _END:
                break
            batch = [str(item)]
            deadline = loop.time() + (0.0 if first else max_delay_s)
            first = False
            while len(batch) < max_pieces:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(queue.get(), remaining)
                    except TimeoutError:
                        break
                if item is _END:
                    ended = True
                    break
                batch.append(str(item))
            yield "".join(batch)
        if failure:
            raise failure[0]
    finally:
        if not reader.done():
            reader.cancel()
            try:
                await reader
            except asyncio.CancelledError:
                pass
