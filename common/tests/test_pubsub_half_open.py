"""The pub/sub listener leaves a connection that went silent without closing (a lost node, a
partition: no FIN, no RST, so TCP keepalive would take hours) and subscribes again on a new one.

Redis (the machine's) is reached through a TCP relay of this test's own that can swallow
everything on the connections it holds while still accepting new ones."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from waiting import until

from ragchat_common.ids import new_id
from ragchat_common.pubsub import ChannelListener

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
PING_S = 0.2  # silent for 3 * PING_S: the connection is given up


class SwallowingRelay:
    """Relays TCP to Redis; ``swallow()`` makes the connections open now drop every byte, both
    ways, without closing them. Connections opened later relay normally."""

    def __init__(self) -> None:
        self.swallowing: set[int] = set()
        self.opened = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    def swallow(self) -> None:
        self.swallowing.update(range(self.opened))

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        number = self.opened
        self.opened += 1
        redis_reader, redis_writer = await asyncio.open_connection(REDIS_HOST, REDIS_PORT)
        self._writers += [client_writer, redis_writer]
        for source, sink in ((client_reader, redis_writer), (redis_reader, client_writer)):
            task = asyncio.create_task(self._pump(number, source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, number: int, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                if number not in self.swallowing:
                    sink.write(data)
                    await sink.drain()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self._tasks):
            task.cancel()
        for writer in self._writers:
            writer.close()


@pytest.fixture
async def relay() -> AsyncIterator[tuple[SwallowingRelay, int]]:
    relay = SwallowingRelay()
    port = await relay.start()
    try:
        yield relay, port
    finally:
        await relay.close()


async def test_a_silent_connection_is_replaced_and_the_channels_heard_again(
    relay: tuple[SwallowingRelay, int],
) -> None:
    swallowing, port = relay
    channel = "test-half-open-" + new_id()
    heard: list[bytes] = []
    listener = ChannelListener(
        f"redis://127.0.0.1:{port}/0", "test-own-" + new_id(), subscribe_timeout_s=2.0, ping_interval_s=PING_S
    )
    listener.follow(channel, heard.append)
    await listener.start()
    publisher = Redis(host=REDIS_HOST, port=REDIS_PORT)
    try:
        await listener.wait_subscribed()
        await publisher.publish(channel, b"before")
        await until(lambda: heard == [b"before"])

        swallowing.swallow()
        await until(lambda: not listener.heard, timeout_s=5 * 3 * PING_S)

        # Published until one arrives: what goes out before the new subscription is lost.
        async def heard_again() -> None:
            while b"after" not in heard:
                await publisher.publish(channel, b"after")
                await asyncio.sleep(0.05)

        await asyncio.wait_for(heard_again(), timeout=5.0)
        assert swallowing.opened >= 2  # a new connection carries the subscription
        await until(lambda: listener.heard, timeout_s=5 * 3 * PING_S)
    finally:
        await publisher.aclose()
        await listener.close()
