"""The chats completions read, cached per gateway replica: one GetChat round trip less per answer.

Only what a completion reads is cached (a chat without its datasets' current names, no per-answer
llm overrides), and only chats that exist. Every change of a chat made through this API — the
HTTP routes and the public gRPC API, both in the gateway — is announced once it is stored
(``chat_changed``), so every replica drops its copy within milliseconds and the replica that made
the change before it answers; ``replicated_cache`` says what happens while Redis is unreachable.
"""

from __future__ import annotations

from redis.asyncio import Redis

from ragchat.chat.v1 import chat_pb2
from ragchat.chat.v1.chat_pb2_grpc import ChatServiceStub
from ragchat_common.grpc_utils import rpc
from ragchat_common.pubsub import ChannelListener
from ragchat_gateway.replicated_cache import EVERYTHING, ReplicatedCache


def chat_events_channel(namespace: str) -> str:
    """The Redis channel on which chat changes are announced (payload: ``tenant/chat`` or ``*``)."""
    return f"{namespace}:chats:changed"


def _tag(tenant_id: str, chat_id: str) -> str:
    return f"{tenant_id}/{chat_id}"


class ChatSnapshots:
    """Cached reads for completions, and the chat writes that announce themselves."""

    def __init__(
        self,
        stub: ChatServiceStub,
        namespace: str,
        *,
        ttl_s: float,
        fallback_ttl_s: float,
        timeout_s: float,
        listener: ChannelListener | None = None,
        redis: Redis | None = None,
    ) -> None:
        """Changes are heard through ``listener`` (the process's pub/sub listener, started by its
        owner) and announced through ``redis``; without a listener only the fallback TTL applies,
        without ``redis`` changes are dropped here only."""
        self._stub = stub
        self._timeout_s = timeout_s
        self._redis = redis
        self.cache: ReplicatedCache[chat_pb2.Chat] = ReplicatedCache(
            chat_events_channel(namespace), ttl_s=ttl_s, fallback_ttl_s=fallback_ttl_s
        )
        if listener is not None:
            self.cache.listen_through(listener)

    async def get(self, tenant_id: str, chat_id: str) -> chat_pb2.Chat:
        """The tenant's chat, without dataset names (NotFound otherwise). Shared: never mutate it."""
        key = (tenant_id, chat_id)
        hit, chat = self.cache.lookup(key)
        if hit and chat is not None:
            return chat
        generation = self.cache.generation
        request = chat_pb2.GetChatRequest(tenant_id=tenant_id, chat_id=chat_id, skip_dataset_names=True)
        fetched: chat_pb2.Chat = await rpc(self._stub.GetChat(request, timeout=self._timeout_s), "chat-service")
        self.cache.put(key, fetched, _tag(tenant_id, chat_id), generation)
        return fetched

    async def update(self, request: chat_pb2.UpdateChatRequest, timeout_s: float) -> chat_pb2.Chat:
        try:
            chat: chat_pb2.Chat = await rpc(self._stub.UpdateChat(request, timeout=timeout_s), "chat-service")
            return chat
        finally:  # also after an error: a timed-out update may still have been stored
            await self.changed(request.tenant_id, [request.chat_id])

    async def delete(self, request: chat_pb2.DeleteChatsRequest, timeout_s: float) -> chat_pb2.DeleteChatsResponse:
        try:
            reply: chat_pb2.DeleteChatsResponse = await rpc(
                self._stub.DeleteChats(request, timeout=timeout_s), "chat-service"
            )
            return reply
        finally:
            await self.changed(request.tenant_id, None if request.delete_all else list(request.ids))

    async def changed(self, tenant_id: str, chat_ids: list[str] | None) -> None:
        """Chats were updated or deleted (``None``: any number of them): drop them everywhere."""
        tags = [EVERYTHING] if chat_ids is None else [_tag(tenant_id, c) for c in dict.fromkeys(chat_ids)]
        for tag in tags:
            if self._redis is None:
                self.cache.forget(tag)
            else:
                await self.cache.announce(self._redis, tag)
