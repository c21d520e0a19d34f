"""The AMQP side of the worker: consume completion jobs, ack only once the job is finished.

Outcomes: answered → ack; failed (the client got an error event) or undecodable → reject to the
dead-letter exchange; shutting down with the job unfinished → nack with requeue, so another
worker takes it over (and says ``reset`` in the stream). Nothing stays unacked forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from pydantic import ValidationError

from ragchat_common.jobs import (
    DEAD_LETTER_QUEUE_ARGUMENTS,
    CompletionJob,
    completion_queue,
    completion_queue_arguments,
    dead_letter_exchange,
    dead_letter_queue,
)
from ragchat_worker.domain.answer import Outcome

log = logging.getLogger(__name__)

JobHandler = Callable[[CompletionJob], Awaitable[Outcome]]


class JobConsumer:
    def __init__(self, *, amqp_url: str, namespace: str, prefetch: int, handle: JobHandler) -> None:
        self.amqp_url = amqp_url
        self.namespace = namespace
        self.prefetch = prefetch
        self.handle = handle
        self.connection: AbstractRobustConnection | None = None
        self._queue: aio_pika.abc.AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    @property
    def consuming(self) -> bool:
        return self._consumer_tag is not None and self.connection is not None and not self.connection.is_closed

    async def start(self) -> None:
        self.connection = await aio_pika.connect_robust(self.amqp_url, timeout=5)
        channel = await self.connection.channel()
        await channel.set_qos(prefetch_count=self.prefetch)
        dlx = await channel.declare_exchange(
            dead_letter_exchange(self.namespace), aio_pika.ExchangeType.FANOUT, durable=True
        )
        dead = await channel.declare_queue(
            dead_letter_queue(self.namespace), durable=True, arguments=DEAD_LETTER_QUEUE_ARGUMENTS
        )
        await dead.bind(dlx)
        self._queue = await channel.declare_queue(
            completion_queue(self.namespace), durable=True, arguments=completion_queue_arguments(self.namespace)
        )
        self._consumer_tag = await self._queue.consume(self._on_message, no_ack=False)
        log.info("consuming completion jobs", extra={"queue": self._queue.name, "prefetch": self.prefetch})

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.create_task(self._process(message))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            job = CompletionJob.decode(message.body)
        except ValidationError:
            log.error("undecodable job dead-lettered", extra={"amqp_message_id": message.message_id})
            await message.reject(requeue=False)
            return
        try:
            outcome = await self.handle(job)
        except asyncio.CancelledError:
            # Stopping with the job unfinished: hand it back to the queue for another worker.
            await asyncio.shield(self._settle(message, requeue=True))
            raise
        except Exception:
            log.exception("job failed without an error event", extra={"message_id": job.message_id})
            await self._settle(message, dead_letter=True)
            return
        if outcome is Outcome.FAILED:
            await self._settle(message, dead_letter=True)
        else:
            await self._settle(message)

    @staticmethod
    async def _settle(message: AbstractIncomingMessage, *, requeue: bool = False, dead_letter: bool = False) -> None:
        try:
            if requeue:
                await message.nack(requeue=True)
            elif dead_letter:
                await message.reject(requeue=False)
            else:
                await message.ack()
        except Exception:  # the channel is gone: RabbitMQ redelivers the job by itself
            log.warning("could not settle job", extra={"amqp_message_id": message.message_id})

    async def stop(self, grace_s: float) -> None:
        """Stop taking jobs, give in-flight ones ``grace_s`` to finish, hand back the rest."""
        if self._queue is not None and self._consumer_tag is not None:
            try:
                await self._queue.cancel(self._consumer_tag)
            except Exception:
                log.warning("could not cancel the consumer")
            self._consumer_tag = None
        if self._inflight:
            _, pending = await asyncio.wait(set(self._inflight), timeout=grace_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        if self.connection is not None:
            await self.connection.close()
