"""Hearing stops for the answers this worker generates (API.md §9.2), over Redis.

One pub/sub connection per process (``ChannelListener``), subscribed for the process's lifetime
to the pattern of every answer's control channel: a job costs no SUBSCRIBE/UNSUBSCRIBE, and the
stops of answers held elsewhere (rare: a user pressed stop) are dropped here. A stop asked before
a job started (a queued job) is found through the message's stop key, which the job reads with its
stream log once it is watched (answer.py, redis_sink.first_look).
Once a lost connection is subscribed again, the stop keys of every running job are re-read, so a
stop published meanwhile is not missed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from redis.asyncio import Redis

from ragchat_common.events import stream_control_channel, stream_stop_key
from ragchat_common.ids import new_id
from ragchat_common.pubsub import ChannelListener, glob_escape
from ragchat_common.stream_control import claim_finish
from ragchat_worker.domain.types import StopSignal

log = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT_S: Final = 2.0


class RedisStopControl:
    def __init__(self, redis: Redis, redis_url: str, namespace: str, *, finish_ttl_s: int = 600) -> None:
        self.redis = redis
        self.namespace = namespace
        self.finish_ttl_s = finish_ttl_s
        self._signals: dict[str, StopSignal] = {}  # message id → the running job's signal
        # Every control channel is this prefix + a message id.
        self._channel_prefix = stream_control_channel(namespace, "")
        self._listener = ChannelListener(
            redis_url,
            f"{namespace}:control-listener:{new_id()}",
            subscribe_timeout_s=SUBSCRIBE_TIMEOUT_S,
            on_resubscribed=self._recheck,
        )
        self._listener.follow_pattern(glob_escape(self._channel_prefix) + "*", self._heard)

    async def start(self) -> None:
        await self._listener.start()

    async def close(self) -> None:
        await self._listener.close()

    def _heard(self, channel: str, _: bytes) -> None:
        signal = self._signals.get(channel.removeprefix(self._channel_prefix))
        if signal is not None:
            signal.request()

    async def _recheck(self) -> None:
        """Stops published while the connection was down reached nobody: their keys tell."""
        watched = [signal for signal in self._signals.values() if not signal.requested]
        if not watched:
            return
        values = await self.redis.mget([stream_stop_key(self.namespace, s.message_id) for s in watched])
        for signal, value in zip(watched, values, strict=True):
            if value is not None:
                signal.request()

    @asynccontextmanager
    async def watch(self, message_id: str) -> AsyncIterator[StopSignal]:
        """A signal set when a stop for this message is asked (before or during the job)."""
        signal = StopSignal(message_id)
        self._signals[message_id] = signal  # heard from now on, once the pattern is confirmed
        try:
            try:
                await self._listener.wait_subscribed()  # at once, but for the first jobs after a start
            except Exception as exc:  # the answer goes on; a reconnect re-reads the stop key
                log.warning("could not watch for a stop", extra={"message_id": message_id, "error": repr(exc)})
            yield signal
        finally:
            self._signals.pop(message_id, None)

    async def finish(self, signal: StopSignal) -> bool:
        if signal.requested:
            return True
        try:
            if await claim_finish(self.redis, self.namespace, signal.message_id, ttl_s=self.finish_ttl_s):
                signal.request()
        except Exception as exc:  # Redis down: nobody can ask for a stop meanwhile either
            log.warning("could not claim the end of an answer", extra={"error": repr(exc)})
        return signal.requested
