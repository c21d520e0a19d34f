"""The Celery app shared by the producer (retrieval-service) and the ingest worker.

Broker RabbitMQ, result backend Redis. Every name is prefixed with `settings.namespace`, so
several stacks can share one broker without taking each other's tasks.
"""

from __future__ import annotations

from celery import Celery
from kombu import Exchange, Queue  # type: ignore[attr-defined]

from ragchat_retrieval.settings import RetrievalSettings

PARSE_TASK = "ragchat.retrieval.parse_document"


def make_celery(settings: RetrievalSettings) -> Celery:
    app = Celery(f"{settings.namespace}-ingest", broker=settings.amqp_url, backend=settings.redis_url)
    queue = settings.ingest_queue
    exchange = Exchange(queue, type="direct", durable=True)  # type: ignore[no-untyped-call]
    app.conf.update(
        task_queues=[Queue(queue, exchange, routing_key=queue, durable=True)],  # type: ignore[no-untyped-call]
        task_default_queue=queue,
        task_default_exchange=queue,
        task_default_routing_key=queue,
        task_routes={PARSE_TASK: {"queue": queue, "routing_key": queue}},
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        result_expires=3600,
        result_backend_transport_options={"global_keyprefix": f"{settings.namespace}:celery:"},
        # A task is acknowledged when it finishes: a worker that dies mid-parse hands it back.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.ingest_task_time_limit_s + 60,
        task_soft_time_limit=settings.ingest_task_time_limit_s,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        broker_transport_options={"confirm_publish": True},
        control_exchange=f"{settings.namespace}.celery",
        event_exchange=f"{settings.namespace}.celeryev",
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app
