"""What the completion path needs from the world, as typed ports.

``prepare`` and ``relay`` see only these, so the HTTP routes and the public gRPC API run the
same code; ``backend_ports`` binds them to the gateway's connections (gRPC stubs, RabbitMQ,
the Redis stream hub).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from ragchat.chat.v1 import chat_pb2
from ragchat.session.v1 import session_pb2
from ragchat_common.errors import Unavailable
from ragchat_common.events import StreamEvent
from ragchat_common.grpc_utils import rpc
from ragchat_common.jobs import CompletionJob
from ragchat_common.stream_control import request_stop
from ragchat_common.structs import to_struct
from ragchat_gateway.backends import Backends
from ragchat_gateway.streaming.hub import Subscription


class ChatReader(Protocol):
    async def get_chat(
        self, tenant_id: str, chat_id: str, llm_overrides: Mapping[str, Any] | None = None
    ) -> chat_pb2.Chat:
        """The tenant's chat (NotFound otherwise), without its datasets' names; ``chat_id`` "":
        the deployment's model with no datasets. ``llm_overrides`` (one answer's generation
        settings) are checked and applied to the returned llm."""
        ...


class SessionLog(Protocol):
    async def append_question(
        self, request: session_pb2.AppendUserMessageRequest
    ) -> session_pb2.AppendUserMessageResponse: ...

    async def forget_session(self, tenant_id: str, chat_id: str, session_id: str) -> None:
        """Removes a session this request created (its job could not be published)."""
        ...

    async def get_session(self, tenant_id: str, chat_id: str, session_id: str) -> session_pb2.Session:
        """The tenant's session of this chat with its messages (NotFound otherwise)."""
        ...


class JobBus(Protocol):
    async def ensure_ready(self) -> None:
        """Unavailable unless the broker answers."""
        ...

    async def publish(self, job: CompletionJob) -> None:
        """Returns once the broker confirmed the job."""
        ...


class AnswerStreams(Protocol):
    async def ensure_reachable(self) -> None: ...

    def subscribe(self, message_id: str) -> AbstractAsyncContextManager[Subscription]:
        """Subscribed (confirmed) on entry, unsubscribed on exit."""
        ...

    async def replay(self, message_id: str) -> list[StreamEvent]:
        """The answer's events still in its stream log, in order."""
        ...

    async def request_stop(self, message_id: str) -> bool:
        """Asks the worker holding the answer to stop; False when its stream had finished."""
        ...


@dataclass(frozen=True)
class CompletionPorts:
    chats: ChatReader
    sessions: SessionLog
    jobs: JobBus
    streams: AnswerStreams
    keepalive_s: float  # a ping at least this often while nothing else is sent
    timeout_s: float  # an answer that has not finished by then fails


# ---- the gateway's connections behind the ports ----------------------------------------------


@dataclass(frozen=True)
class _GrpcChats:
    backends: Backends

    async def get_chat(
        self, tenant_id: str, chat_id: str, llm_overrides: Mapping[str, Any] | None = None
    ) -> chat_pb2.Chat:
        if chat_id and not llm_overrides:
            return await self.backends.chats.get(tenant_id, chat_id)
        # A completion needs the dataset ids only, not their current names (a retrieval call).
        request = chat_pb2.GetChatRequest(
            tenant_id=tenant_id, chat_id=chat_id, skip_dataset_names=True, deployment_default=not chat_id
        )
        if llm_overrides:
            request.llm_overrides.CopyFrom(to_struct(dict(llm_overrides)))
        chat: chat_pb2.Chat = await rpc(
            self.backends.chat.GetChat(request, timeout=self.backends.settings.grpc_timeout_s), "chat-service"
        )
        return chat


@dataclass(frozen=True)
class _GrpcSessions:
    backends: Backends

    async def append_question(
        self, request: session_pb2.AppendUserMessageRequest
    ) -> session_pb2.AppendUserMessageResponse:
        reply: session_pb2.AppendUserMessageResponse = await rpc(
            self.backends.session.AppendUserMessage(request, timeout=self.backends.settings.grpc_timeout_s),
            "session-service",
        )
        return reply

    async def forget_session(self, tenant_id: str, chat_id: str, session_id: str) -> None:
        await rpc(
            self.backends.session.DeleteSessions(
                session_pb2.DeleteSessionsRequest(tenant_id=tenant_id, chat_id=chat_id, ids=[session_id]),
                timeout=self.backends.settings.grpc_timeout_s,
            ),
            "session-service",
        )

    async def get_session(self, tenant_id: str, chat_id: str, session_id: str) -> session_pb2.Session:
        request = session_pb2.GetSessionRequest(tenant_id=tenant_id, chat_id=chat_id, session_id=session_id)
        session: session_pb2.Session = await rpc(
            self.backends.session.GetSession(request, timeout=self.backends.settings.grpc_timeout_s),
            "session-service",
        )
        return session


_NOT_STARTED = "Completions are not available yet; please retry."


@dataclass(frozen=True)
class _Broker:
    backends: Backends

    async def ensure_ready(self) -> None:
        if self.backends.jobs is None:
            raise Unavailable(_NOT_STARTED)
        await self.backends.jobs.ensure_ready()

    async def publish(self, job: CompletionJob) -> None:
        if self.backends.jobs is None:
            raise Unavailable(_NOT_STARTED)
        await self.backends.jobs.publish(job)


@dataclass(frozen=True)
class _Hub:
    backends: Backends

    async def ensure_reachable(self) -> None:
        streams = self.backends.streams
        if streams is None:
            raise Unavailable(_NOT_STARTED)
        if not streams.connected:
            try:
                await streams.redis.ping()
            except Exception:
                raise Unavailable("The stream broker (Redis) is unavailable; please retry.") from None

    def subscribe(self, message_id: str) -> AbstractAsyncContextManager[Subscription]:
        if self.backends.streams is None:
            raise Unavailable(_NOT_STARTED)
        return self.backends.streams.subscribe(message_id)

    async def replay(self, message_id: str) -> list[StreamEvent]:
        if self.backends.streams is None:
            raise Unavailable(_NOT_STARTED)
        return await self.backends.streams.replay(message_id, 0)

    async def request_stop(self, message_id: str) -> bool:
        streams, settings = self.backends.streams, self.backends.settings
        if streams is None:
            raise Unavailable(_NOT_STARTED)
        try:
            return await request_stop(streams.redis, settings.namespace, message_id, ttl_s=settings.stream_stop_ttl_s)
        except Exception:
            raise Unavailable("The stream broker (Redis) is unavailable; please retry.") from None


def backend_ports(backends: Backends) -> CompletionPorts:
    return CompletionPorts(
        chats=_GrpcChats(backends),
        sessions=_GrpcSessions(backends),
        jobs=_Broker(backends),
        streams=_Hub(backends),
        keepalive_s=backends.settings.sse_ping_s,
        timeout_s=backends.settings.completion_timeout_s,
    )
