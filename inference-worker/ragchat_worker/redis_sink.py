"""Stream events out through Redis: each batch is ONE round trip (PUBLISH + XADD + EXPIRE)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Final

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

from ragchat_common.events import (
    LOG_FIELD,
    StreamEvent,
    decode_event,
    encode_event,
    job_claim_key,
    stream_channel,
    stream_log_key,
    stream_stop_key,
)
from ragchat_worker.domain.types import ClaimLost, Prior

log = logging.getLogger(__name__)

# Renews the claim while ``token`` holds it; 1 if it does (again, after a lost key), 0 if another
# run took it.
_KEEP_CLAIM: Final = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RELEASE_CLAIM: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def connect_redis(url: str) -> Redis:
    """A client that retries on a dropped connection (a Redis restart), so no job fails for it.

    A retried batch may be written twice; gateways relay each seq once, so that is harmless.
    """
    return Redis.from_url(
        url,
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=5),
        retry_on_error=[ConnectionError, TimeoutError],
    )


class RedisEventSink:
    def __init__(
        self, redis: Redis, namespace: str, *, log_max_events: int, log_ttl_s: int, claim_ttl_s: float = 6.0
    ) -> None:
        self.redis = redis
        self.namespace = namespace
        self.log_max_events = log_max_events
        self.log_ttl_s = log_ttl_s
        self.claim_ttl_ms = int(claim_ttl_s * 1000)
        self._keep_claim = redis.register_script(_KEEP_CLAIM)
        self._release_claim = redis.register_script(_RELEASE_CLAIM)

    async def emit(self, message_id: str, events: Sequence[StreamEvent]) -> None:
        channel = stream_channel(self.namespace, message_id)
        log_key = stream_log_key(self.namespace, message_id)
        pipe = self.redis.pipeline(transaction=False)
        for event in events:
            payload = encode_event(event)
            # The log first: a gateway that sees a live event can always find its predecessors.
            pipe.xadd(log_key, {LOG_FIELD: payload}, maxlen=self.log_max_events, approximate=True)
            pipe.publish(channel, payload)
        pipe.expire(log_key, self.log_ttl_s)
        await pipe.execute()

    async def history(self, message_id: str) -> list[StreamEvent]:
        entries = await self.redis.xrange(stream_log_key(self.namespace, message_id))
        return [decode_event(fields[LOG_FIELD]) for _, fields in entries or [] if fields and LOG_FIELD in fields]

    async def first_look(self, message_id: str, claim: str) -> Prior:
        pipe = self.redis.pipeline(transaction=False)
        pipe.xrevrange(stream_log_key(self.namespace, message_id), count=1)
        pipe.exists(stream_stop_key(self.namespace, message_id))
        claim_key = job_claim_key(self.namespace, message_id)
        pipe.set(claim_key, claim, nx=True, px=self.claim_ttl_ms)
        pipe.get(claim_key)
        entries, stop_asked, _, holder = await pipe.execute()
        last = None
        if entries:
            _, fields = entries[0]
            last = decode_event(fields[LOG_FIELD]) if fields else None
        return Prior(last, bool(stop_asked), claimed=holder == claim.encode())

    async def keep_claim(self, message_id: str, claim: str) -> bool:
        key = job_claim_key(self.namespace, message_id)
        return bool(await self._keep_claim(keys=[key], args=[claim, self.claim_ttl_ms]))

    async def release_claim(self, message_id: str, claim: str) -> None:
        await self._release_claim(keys=[job_claim_key(self.namespace, message_id)], args=[claim])

    @asynccontextmanager
    async def holding(self, message_id: str, claim: str) -> AsyncIterator[None]:
        """Renews the claim every third of its TTL while the run lasts (a timer, not a task: most
        answers end first). A run cut short (the worker stopping) gives it back, so the next worker
        need not wait for it to lapse; a finished stream needs no claim. A renewal that finds the
        claim taken by another run cancels this one, which then raises ``ClaimLost``."""
        loop = asyncio.get_running_loop()
        run = asyncio.current_task()
        assert run is not None
        renewals: set[asyncio.Task[None]] = set()
        every_s = self.claim_ttl_ms / 3000
        timer: asyncio.TimerHandle | None = None
        state = {"running": True, "lost": False}

        async def renew() -> None:
            try:
                kept = await self.keep_claim(message_id, claim)
            except Exception as exc:  # Redis down: the claim may lapse meanwhile; the run goes on
                log.warning("could not renew a job's claim", extra={"message_id": message_id, "error": repr(exc)})
                return
            if not kept and state["running"] and not state["lost"]:
                log.warning("another run took this job's claim; this one stops", extra={"message_id": message_id})
                state["lost"] = True
                run.cancel()

        def start_renewal() -> None:
            nonlocal timer
            task = asyncio.ensure_future(renew())
            renewals.add(task)
            task.add_done_callback(renewals.discard)
            timer = loop.call_later(every_s, start_renewal)

        timer = loop.call_later(every_s, start_renewal)
        try:
            yield
        except asyncio.CancelledError:
            if state["lost"]:
                run.uncancel()
                raise ClaimLost(message_id) from None
            with suppress(Exception):
                await asyncio.shield(self.release_claim(message_id, claim))
            raise
        finally:
            state["running"] = False
            timer.cancel()
            for task in renewals:
                task.cancel()
