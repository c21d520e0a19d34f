"""Prometheus metering of the worker, kept outside the answer pipeline.

``MeteredSink`` wraps the event sink: it measures each answer from the events it emits (time to
first token, tokens per second, outcome) and stamps them with the trace context when tracing is
on; ``sample_queue`` keeps the queue-depth gauges current.
The series themselves are defined once in ``ragchat_common.metrics``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, suppress
from typing import Any

from ragchat_common import metrics
from ragchat_common.events import DeltaEvent, ErrorEvent, FinalEvent, StreamEvent
from ragchat_common.telemetry import current_traceparent
from ragchat_worker.domain.types import Prior

log = logging.getLogger(__name__)


class MeteredSink:
    """Delegates to ``inner``; a ``CompletionMeter`` per message between ``begin`` and its end."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._meters: dict[str, metrics.CompletionMeter] = {}

    def begin(self, message_id: str, created_at: float | None) -> None:
        metrics.observe_job_received(created_at)
        self._meters[message_id] = metrics.CompletionMeter()

    def end(self, message_id: str, outcome: str) -> None:
        meter = self._meters.pop(message_id, None)
        if meter is not None:
            meter.finish(outcome)

    async def emit(self, message_id: str, events: Sequence[StreamEvent]) -> None:
        traceparent = current_traceparent()
        if traceparent:
            events = [event.model_copy(update={"traceparent": traceparent}) for event in events]
        await self.inner.emit(message_id, events)
        meter = self._meters.get(message_id)
        if meter is None:
            return
        for event in events:
            if isinstance(event, DeltaEvent) and event.text:
                # Exact counts arrive with the final event; one per delta keeps TTFT exact.
                meter.tokens(1)
            elif isinstance(event, FinalEvent) and event.usage.completion_tokens > meter.count:
                meter.tokens(event.usage.completion_tokens - meter.count)
            elif isinstance(event, ErrorEvent):
                self.end(message_id, "failed")

    async def first_look(self, message_id: str, claim: str) -> Prior:
        prior: Prior = await self.inner.first_look(message_id, claim)
        return prior

    def holding(self, message_id: str, claim: str) -> AbstractAsyncContextManager[None]:
        held: AbstractAsyncContextManager[None] = self.inner.holding(message_id, claim)
        return held

    async def history(self, message_id: str) -> list[StreamEvent]:
        events: list[StreamEvent] = await self.inner.history(message_id)
        return events


async def sample_queue(connection: Any, queue_name: str, interval_s: float = 5.0) -> None:
    """Samples the work queue's ready messages and consumers until cancelled."""
    channel = None
    try:
        while True:
            try:
                if channel is None or channel.is_closed:
                    channel = await connection.channel()
                queue = await channel.declare_queue(queue_name, passive=True)
                result = queue.declaration_result
                metrics.QUEUE_DEPTH.labels(queue=queue_name).set(result.message_count or 0)
                metrics.QUEUE_CONSUMERS.labels(queue=queue_name).set(result.consumer_count or 0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker may be away; the next round retries
                log.debug("queue sample failed", extra={"error": repr(exc)})
                channel = None
            await asyncio.sleep(interval_s)
    finally:
        if channel is not None and not channel.is_closed:
            with suppress(Exception):
                await channel.close()
