"""Stream events out through Redis: each batch is ONE round trip (PUBLISH + XADD + EXPIRE)."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

from ragchat_common.events import (
    LOG_FIELD,
    StreamEvent,
    decode_event,
    encode_event,
    stream_channel,
    stream_log_key,
    stream_stop_key,
)
from ragchat_worker.domain.types import Prior


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
    def __init__(self, redis: Redis, namespace: str, *, log_max_events: int, log_ttl_s: int) -> None:
        self.redis = redis
        self.namespace = namespace
        self.log_max_events = log_max_events
        self.log_ttl_s = log_ttl_s

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

    async def first_look(self, message_id: str) -> Prior:
        pipe = self.redis.pipeline(transaction=False)
        pipe.xrevrange(stream_log_key(self.namespace, message_id), count=1)
        pipe.exists(stream_stop_key(self.namespace, message_id))
        entries, stop_asked = await pipe.execute()
        last = None
        if entries:
            _, fields = entries[0]
            last = decode_event(fields[LOG_FIELD]) if fields else None
        return Prior(last, bool(stop_asked))
