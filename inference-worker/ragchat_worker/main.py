"""Composition root of the inference worker."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress
from typing import Any

from ragchat.retrieval.v1.retrieval_pb2_grpc import RetrievalServiceStub
from ragchat.session.v1.session_pb2_grpc import SessionServiceStub
from ragchat_common.grpc_utils import insecure_channel
from ragchat_common.jobs import CompletionJob, completion_queue
from ragchat_common.logging import configure_logging
from ragchat_common.ops_http import OpsHttpServer
from ragchat_common.runtime import run_service
from ragchat_common.telemetry import setup_telemetry
from ragchat_worker.clients import GrpcAnswerStore, GrpcEmbedder, GrpcRetriever
from ragchat_worker.consumer import JobConsumer
from ragchat_worker.control import RedisStopControl
from ragchat_worker.domain.answer import AnswerDeps, Outcome, answer_job
from ragchat_worker.domain.types import TokenCounter
from ragchat_worker.llm.local import LocalLlamaLLM
from ragchat_worker.llm.openai_compat import OpenAICompatibleLLM
from ragchat_worker.llm.tokens import GgufTokenCounter, TiktokenCounter, default_gguf_path
from ragchat_worker.metering import MeteredSink, sample_queue
from ragchat_worker.redis_sink import RedisEventSink, connect_redis
from ragchat_worker.settings import WorkerSettings

log = logging.getLogger(__name__)


def build_llm(settings: WorkerSettings) -> Any:
    model_path = settings.local_model_path or default_gguf_path()
    if settings.llm_base_url:
        counter: TokenCounter
        if settings.llm_tokenizer.startswith("tiktoken:"):
            counter = TiktokenCounter(settings.llm_tokenizer.split(":", 1)[1])
        else:
            counter = GgufTokenCounter(model_path)
        return OpenAICompatibleLLM(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model or "default",
            context_window=settings.llm_context_tokens,
            tokens=counter,
            connect_timeout_s=settings.llm_connect_timeout_s,
            read_timeout_s=settings.llm_read_timeout_s,
            max_connections=max(8, settings.prefetch * 2),
        )
    return LocalLlamaLLM(
        model_path=model_path,
        model_name=settings.llm_model or settings.local_model_name,
        context_window=settings.local_context_tokens,
        threads=settings.local_threads,
    )


async def _start_consumer(consumer: JobConsumer, stop: asyncio.Event) -> bool:
    """Connects to RabbitMQ, retrying while it is down, until started or asked to stop."""
    delay = 0.5
    while not stop.is_set():
        try:
            await consumer.start()
            return True
        except Exception as exc:
            log.warning("RabbitMQ not reachable; retrying", extra={"error": repr(exc), "retry_in_s": delay})
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 10.0)
    return False


async def serve(settings: WorkerSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    llm = await asyncio.to_thread(build_llm, settings)
    redis = connect_redis(settings.redis_url)
    token = settings.service_token
    retrieval_channel = insecure_channel(settings.retrieval_service_addr, service_token=token)
    session_channel = insecure_channel(settings.session_service_addr, service_token=token)
    sink = MeteredSink(
        RedisEventSink(
            redis,
            settings.namespace,
            log_max_events=settings.stream_log_max_events,
            log_ttl_s=settings.stream_log_ttl_s,
            claim_ttl_s=settings.job_claim_ttl_s,
        )
    )
    control = RedisStopControl(redis, settings.redis_url, settings.namespace, finish_ttl_s=settings.stream_log_ttl_s)
    await control.start()
    deps = AnswerDeps(
        retriever=GrpcRetriever(RetrievalServiceStub(retrieval_channel), settings.grpc_timeout_s),
        embedder=GrpcEmbedder(RetrievalServiceStub(retrieval_channel), settings.grpc_timeout_s),
        llm=llm,
        sink=sink,
        store=GrpcAnswerStore(SessionServiceStub(session_channel), settings.grpc_timeout_s),
        flush_pieces=settings.stream_flush_tokens,
        flush_delay_s=settings.stream_flush_ms / 1000.0,
        default_max_tokens=settings.default_max_tokens,
        history_messages=settings.llm_history_messages if settings.llm_base_url else settings.local_history_messages,
        stock_prompt_replacement="" if settings.llm_base_url else settings.local_system_prompt,
        knowledge_chunks=0 if settings.llm_base_url else settings.local_knowledge_chunks,
        control=control,
    )

    async def handle(job: CompletionJob) -> Outcome:
        sink.begin(job.message_id, job.created_at or None)
        outcome = "failed"
        try:
            result = await answer_job(job, deps)
            outcome = {Outcome.FAILED: "failed", Outcome.SUPERSEDED: "superseded"}.get(result, "completed")
            return result
        except asyncio.CancelledError:
            outcome = "requeued"
            raise
        finally:
            sink.end(job.message_id, outcome)

    consumer = JobConsumer(
        amqp_url=settings.amqp_url,
        namespace=settings.namespace,
        prefetch=settings.prefetch if settings.llm_base_url else settings.local_prefetch,
        handle=handle,
    )
    ops = OpsHttpServer(settings.ops_host, settings.ops_port, ready=lambda: consumer.consuming and not stop.is_set())
    await ops.start()
    log.info("worker started", extra={"ops_port": ops.port, "llm": type(llm).__name__})
    try:
        if await _start_consumer(consumer, stop):
            sampler = asyncio.create_task(sample_queue(consumer.connection, completion_queue(settings.namespace)))
            await stop.wait()
            sampler.cancel()
        log.info("stopping: finishing in-flight jobs", extra={"grace_s": settings.shutdown_grace_s})
        await consumer.stop(settings.shutdown_grace_s)
    finally:
        await ops.stop()
        await control.close()
        await llm.close()
        await retrieval_channel.close()
        await session_channel.close()
        await redis.aclose()


def run() -> None:
    settings = WorkerSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_telemetry(settings.service_name)
    run_service(serve(settings), gc_young_threshold=settings.gc_young_threshold)


if __name__ == "__main__":
    run()
