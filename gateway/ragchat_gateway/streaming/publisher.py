"""Publishing completion jobs: one aio-pika connection and confirm channel per gateway process.

Durable queue (declared exactly as the workers declare it), persistent messages, publisher
confirms, ``message_id`` = the answer id (the idempotency key), trace context in the headers.
RabbitMQ unreachable → ``Unavailable`` (503): callers check ``ensure_ready`` before writing
anything, so a broker that is down leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from ragchat_common.errors import Unavailable
from ragchat_common.jobs import (
    DEAD_LETTER_QUEUE_ARGUMENTS,
    JOB_CONTENT_TYPE,
    CompletionJob,
    completion_queue,
    completion_queue_arguments,
    dead_letter_exchange,
    dead_letter_queue,
)
from ragchat_common.telemetry import inject_headers

log = logging.getLogger(__name__)

BROKER_DOWN = "The job queue (RabbitMQ) is unavailable; please retry."


class JobPublisher:
    def __init__(self, amqp_url: str, namespace: str, *, connect_timeout_s: float, publish_timeout_s: float) -> None:
        self.amqp_url = amqp_url
        self.namespace = namespace
        self.queue_name = completion_queue(namespace)
        self.connect_timeout_s = connect_timeout_s
        self.publish_timeout_s = publish_timeout_s
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Connects at startup; a broker that is down is not fatal (retried per request)."""
        try:
            await self.ensure_ready()
        except Unavailable:
            log.warning("RabbitMQ not reachable at startup; completions answer 503 until it is")

    async def close(self) -> None:
        if self._connection is not None:
            try:
                await self._connection.close()
            except Exception:
                log.warning("closing the RabbitMQ connection failed")

    @property
    def ready(self) -> bool:
        return (
            self._channel is not None
            and not self._channel.is_closed
            and self._connection is not None
            and (not self._connection.is_closed)
        )

    async def ensure_ready(self) -> AbstractChannel:
        """The confirm channel, connecting (and declaring the topology) if needed; else Unavailable."""
        if self.ready:
            assert self._channel is not None
            return self._channel
        async with self._lock:
            if self.ready:
                assert self._channel is not None
                return self._channel
            try:
                if self._connection is None or self._connection.is_closed:
                    self._connection = await aio_pika.connect_robust(self.amqp_url, timeout=self.connect_timeout_s)
                channel = await asyncio.wait_for(
                    self._connection.channel(publisher_confirms=True), self.connect_timeout_s
                )
                await self._declare(channel)
            except Exception as exc:
                log.warning("RabbitMQ unavailable", extra={"error": repr(exc)})
                if self._connection is not None:
                    try:
                        await self._connection.close()
                    except Exception:
                        pass
                self._connection = None
                raise Unavailable(BROKER_DOWN) from None
            self._channel = channel
            return channel

    async def _declare(self, channel: AbstractChannel) -> None:
        dlx = await channel.declare_exchange(
            dead_letter_exchange(self.namespace), aio_pika.ExchangeType.FANOUT, durable=True
        )
        dead = await channel.declare_queue(
            dead_letter_queue(self.namespace), durable=True, arguments=DEAD_LETTER_QUEUE_ARGUMENTS
        )
        await dead.bind(dlx)
        await channel.declare_queue(self.queue_name, durable=True, arguments=completion_queue_arguments(self.namespace))

    async def publish(self, job: CompletionJob, headers: dict[str, Any] | None = None) -> None:
        """Returns once RabbitMQ confirmed the job (it is then on disk); else Unavailable."""
        channel = await self.ensure_ready()
        message = aio_pika.Message(
            body=job.encode(),
            content_type=JOB_CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=job.message_id,
            headers=dict(inject_headers(dict(headers or {}))),
        )
        try:
            await asyncio.wait_for(
                channel.default_exchange.publish(message, routing_key=self.queue_name, mandatory=True),
                self.publish_timeout_s,
            )
        except Exception as exc:
            log.warning("job publish failed", extra={"error": repr(exc), "message_id": job.message_id})
            raise Unavailable(BROKER_DOWN) from None
