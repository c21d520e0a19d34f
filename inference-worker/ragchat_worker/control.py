"""Hearing stops for the answers this worker generates (API.md §9.2), over Redis.

One pub/sub connection per process. While a job runs, the worker is subscribed to that message's
control channel only; a stop asked before the subscription took effect (a queued job, or one just
starting) is found through the message's stop key, read once the subscription is confirmed. After
a lost connection the reader subscribes again and re-reads the stop keys of every running job, so
a stop published meanwhile is not missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Final

from redis.asyncio import Redis

from ragchat_common.events import stream_control_channel, stream_stop_key
from ragchat_common.ids import new_id
from ragchat_common.stream_control import claim_finish
from ragchat_worker.domain.types import StopSignal

log = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT_S: Final = 2.0


class RedisStopControl:
    def __init__(self, redis: Redis, namespace: str, *, finish_ttl_s: int = 600) -> None:
        self.redis = redis
        self.namespace = namespace
        self.finish_ttl_s = finish_ttl_s
        self._pubsub = redis.pubsub()
        self._signals: dict[str, StopSignal] = {}  # control channel → the running job's signal
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        # redis-py reads only while something is subscribed: a channel of the process's own.
        self._own_channel = f"{namespace}:control-listener:{new_id()}"
        self._connect_lock = asyncio.Lock()

    async def start(self) -> None:
        try:
            await self._ensure_connection()
        except Exception as exc:
            log.warning("Redis not reachable at startup; stop control keeps retrying", extra={"error": repr(exc)})
        self._reader = asyncio.create_task(self._read_forever(), name="stop-control-reader")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._reader
        with suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _ensure_connection(self) -> None:
        if self._pubsub.connection is not None:
            return
        async with self._connect_lock:
            if self._pubsub.connection is None:
                await self._pubsub.subscribe(self._own_channel)

    async def _read_forever(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._ensure_connection()
                message = await self._pubsub.get_message(timeout=None)
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("stop control connection lost; reconnecting", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                with suppress(Exception):
                    await self._recheck()
                continue
            if message is None:
                continue
            channel = message["channel"]
            name = channel.decode() if isinstance(channel, bytes) else str(channel)
            if message["type"] == "message":
                signal = self._signals.get(name)
                if signal is not None:
                    signal.request()
            elif message["type"] == "subscribe":
                confirmation = self._confirmations.pop(name, None)
                if confirmation is not None and not confirmation.done():
                    confirmation.set_result(None)

    async def _recheck(self) -> None:
        """Stops published while the connection was down reached nobody: their keys tell."""
        watched = [(channel, signal) for channel, signal in self._signals.items() if not signal.requested]
        if not watched:
            return
        values = await self.redis.mget([stream_stop_key(self.namespace, s.message_id) for _, s in watched])
        for (_, signal), value in zip(watched, values, strict=True):
            if value is not None:
                signal.request()

    @asynccontextmanager
    async def watch(self, message_id: str) -> AsyncIterator[StopSignal]:
        """A signal set when a stop for this message is asked (before or during the job)."""
        signal = StopSignal(message_id)
        channel = stream_control_channel(self.namespace, message_id)
        confirmation: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._signals[channel] = signal
        self._confirmations[channel] = confirmation
        try:
            try:
                await self._ensure_connection()
                await self._pubsub.subscribe(channel)
                await asyncio.wait_for(asyncio.shield(confirmation), SUBSCRIBE_TIMEOUT_S)
                if await self.redis.exists(stream_stop_key(self.namespace, message_id)):
                    signal.request()
            except Exception as exc:  # the answer goes on; a reconnect re-reads the stop key
                log.warning("could not watch for a stop", extra={"message_id": message_id, "error": repr(exc)})
            yield signal
        finally:
            self._signals.pop(channel, None)
            self._confirmations.pop(channel, None)
            with suppress(Exception):
                await self._pubsub.unsubscribe(channel)

    async def finish(self, signal: StopSignal) -> bool:
        if signal.requested:
            return True
        try:
            if await claim_finish(self.redis, self.namespace, signal.message_id, ttl_s=self.finish_ttl_s):
                signal.request()
        except Exception as exc:  # Redis down: nobody can ask for a stop meanwhile either
            log.warning("could not claim the end of an answer", extra={"error": repr(exc)})
        return signal.requested
