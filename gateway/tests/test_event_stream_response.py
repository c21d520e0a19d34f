"""EventStreamResponse at the ASGI level: a client that leaves ends the body (its cleanup runs)
and the response returns normally, without a cancellation leaking into the request's task."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from ragchat_gateway.streaming.response import EventStreamResponse

SCOPE: dict[str, Any] = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}}


async def test_a_client_that_leaves_ends_the_body_and_the_response_returns_normally() -> None:
    cleaned_up = asyncio.Event()
    first_sent = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def body() -> AsyncIterator[bytes]:
        try:
            yield b"data: 1\n\n"
            await asyncio.Event().wait()  # an answer that would never go on
            yield b"data: never\n\n"
        finally:
            cleaned_up.set()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message.get("body"):
            first_sent.set()

    async def receive() -> dict[str, Any]:
        await first_sent.wait()
        return {"type": "http.disconnect"}

    async with asyncio.timeout(5):  # in this task, as uvicorn runs a request
        await EventStreamResponse(body())(SCOPE, receive, send)

    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    assert cleaned_up.is_set()
    assert [m.get("body") for m in sent if m["type"] == "http.response.body"] == [b"data: 1\n\n"]
    await asyncio.sleep(0)  # a cancellation still pending would land here


async def test_a_stream_that_ends_sends_everything_and_stops_watching_the_client() -> None:
    sent: list[dict[str, Any]] = []
    never = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b"data: 1\n\n"
        yield b"data: 2\n\n"

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        await never.wait()
        return {"type": "http.disconnect"}

    response = EventStreamResponse(body())
    async with asyncio.timeout(5):
        await response(SCOPE, receive, send)

    start = sent[0]
    assert start["type"] == "http.response.start" and start["status"] == 200
    assert (b"content-type", b"text/event-stream; charset=utf-8") in start["headers"]
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert [m["body"] for m in bodies] == [b"data: 1\n\n", b"data: 2\n\n", b""]
    assert bodies[-1]["more_body"] is False
    # The watcher was cancelled with the response: no task is left waiting on the client.
    await asyncio.sleep(0)
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]


async def test_a_body_that_swallows_the_cancel_still_ends_when_the_client_left() -> None:
    # asyncio.wait_for on 3.11 drops a cancel that lands as its awaitable completes; the next
    # write then finds the client gone, and the body is closed (its cleanup runs) right there.
    cleaned_up = asyncio.Event()
    left = asyncio.Event()
    sent: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        try:
            yield b"data: 1\n\n"
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                pass  # swallowed
            for n in range(1000):
                yield f"data: more {n}\n\n".encode()
                await asyncio.sleep(0.01)
        finally:
            cleaned_up.set()

    async def send(message: dict[str, Any]) -> None:
        if message.get("body"):
            sent.append(message["body"])
            left.set()

    async def receive() -> dict[str, Any]:
        await left.wait()
        return {"type": "http.disconnect"}

    async with asyncio.timeout(5):
        await EventStreamResponse(body())(SCOPE, receive, send)

    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    assert cleaned_up.is_set()
    assert sent == [b"data: 1\n\n"]  # nothing written after the client left
    await asyncio.sleep(0)
