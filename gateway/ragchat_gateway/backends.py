"""Connections the gateway holds for its lifetime: gRPC stubs, Mongo, Redis, and its one Redis
pub/sub connection (``listener``), through which the stream hub and both replicated caches (API
keys, chat snapshots) listen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from redis.asyncio import Redis

from ragchat.chat.v1.chat_pb2_grpc import ChatServiceStub
from ragchat.retrieval.v1.retrieval_pb2_grpc import RetrievalServiceStub
from ragchat.session.v1.session_pb2_grpc import SessionServiceStub
from ragchat_common.grpc_utils import insecure_channel
from ragchat_common.pubsub import ChannelListener
from ragchat_gateway.auth.authenticator import KeyAuthenticator
from ragchat_gateway.chat_snapshots import ChatSnapshots
from ragchat_gateway.ratelimit.service import RateLimits
from ragchat_gateway.settings import GatewaySettings
from ragchat_gateway.streaming.hub import StreamHub, open_listener
from ragchat_gateway.streaming.publisher import JobPublisher


@dataclass
class Backends:
    settings: GatewaySettings
    chat: ChatServiceStub
    session: SessionServiceStub
    retrieval: RetrievalServiceStub
    mongo_client: AsyncIOMotorClient[Any]
    mongo: AsyncIOMotorDatabase[Any]
    redis: Redis
    listener: ChannelListener
    rate_limits: RateLimits
    auth: KeyAuthenticator
    chats: ChatSnapshots
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)
    draining: bool = False
    # Completions: the AMQP job publisher and the Redis stream hub (opened by start).
    jobs: JobPublisher | None = None
    streams: StreamHub | None = None

    async def start(self) -> None:
        """Listening (the caches follow their channels from now on) and the completions' brokers."""
        await self.listener.start()
        self.jobs = JobPublisher(
            self.settings.amqp_url,
            self.settings.namespace,
            connect_timeout_s=self.settings.amqp_connect_timeout_s,
            publish_timeout_s=self.settings.amqp_publish_timeout_s,
        )
        self.streams = StreamHub(self.settings.redis_url, self.settings.namespace, listener=self.listener)
        await self.jobs.start()

    async def close(self) -> None:
        if self.jobs is not None:
            await self.jobs.close()
        for channel in self.channels.values():
            await channel.close()
        await self.auth.close()
        await self.listener.close()
        await self.redis.aclose()
        await self.rate_limits.close()
        self.mongo_client.close()


def open_backends(settings: GatewaySettings) -> Backends:
    token = settings.service_token
    channels = {
        "chat-service": insecure_channel(settings.chat_service_addr, service_token=token),
        "session-service": insecure_channel(settings.session_service_addr, service_token=token),
        "retrieval-service": insecure_channel(settings.retrieval_service_addr, service_token=token),
    }
    mongo_client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(settings.mongo_url, serverSelectionTimeoutMS=3000)
    mongo = mongo_client[settings.mongo_db]
    redis = Redis.from_url(settings.redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
    # Followed by the caches before it starts (Backends.start).
    listener = open_listener(settings.redis_url, settings.namespace)
    auth = KeyAuthenticator(
        mongo,
        settings.redis_url,
        settings.namespace,
        ttl_s=settings.auth_cache_s,
        fallback_ttl_s=settings.auth_cache_fallback_s,
        default_ragflow_version=settings.ragflow_version,
        last_used_interval_s=settings.auth_last_used_interval_s,
        listener=listener,
    )
    chat = ChatServiceStub(channels["chat-service"])
    return Backends(
        settings=settings,
        chat=chat,
        session=SessionServiceStub(channels["session-service"]),
        retrieval=RetrievalServiceStub(channels["retrieval-service"]),
        mongo_client=mongo_client,
        mongo=mongo,
        redis=redis,
        listener=listener,
        rate_limits=RateLimits(settings),
        auth=auth,
        chats=ChatSnapshots(
            chat,
            settings.namespace,
            ttl_s=settings.chat_cache_s,
            fallback_ttl_s=settings.chat_cache_fallback_s,
            timeout_s=settings.grpc_timeout_s,
            listener=listener,
            redis=redis,
        ),
        channels=channels,
    )
