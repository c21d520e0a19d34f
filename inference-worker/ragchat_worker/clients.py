"""gRPC adapters for the domain: retrieval-service Search, session-service answers."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ragchat.retrieval.v1 import retrieval_pb2
from ragchat.retrieval.v1.retrieval_pb2_grpc import RetrievalServiceStub
from ragchat.session.v1 import session_pb2
from ragchat.session.v1.session_pb2_grpc import SessionServiceStub
from ragchat_common.errors import NotFound, RagchatError
from ragchat_common.grpc_utils import rpc
from ragchat_common.structs import from_struct, to_struct
from ragchat_worker.domain.answer import StorageFailed
from ragchat_worker.domain.types import RetrievalFailed, RetrievedChunk, SearchQuery, StoredAnswer

log = logging.getLogger(__name__)


class GrpcRetriever:
    def __init__(self, stub: RetrievalServiceStub, timeout_s: float) -> None:
        self.stub, self.timeout_s = stub, timeout_s

    async def search(self, query: SearchQuery) -> list[RetrievedChunk]:
        try:
            reply = await self._search(query, list(query.dataset_ids))
        except NotFound:
            # A dataset was deleted since the chat was read: search the ones that still exist
            # rather than answering from nothing.
            existing = await self._existing_datasets(query.tenant_id, list(query.dataset_ids))
            if not existing or len(existing) == len(set(query.dataset_ids)):
                return []
            try:
                reply = await self._search(query, existing)
            except NotFound:
                return []
        return [
            RetrievedChunk(
                id=c.id,
                content=c.content,
                document_id=c.document_id,
                document_name=c.document_name,
                dataset_id=c.dataset_id,
                similarity=round(float(c.similarity), 6),
                vector_similarity=round(float(c.vector_similarity), 6),
                term_similarity=round(float(c.term_similarity), 6),
            )
            for c in reply.chunks
        ]

    async def _search(self, query: SearchQuery, dataset_ids: list[str]) -> retrieval_pb2.SearchResponse:
        request = retrieval_pb2.SearchRequest(
            tenant_id=query.tenant_id,
            dataset_ids=dataset_ids,
            document_ids=query.document_ids,
            query=query.query,
            similarity_threshold=query.similarity_threshold,
            keywords_similarity_weight=query.keywords_similarity_weight,
            top_k=query.top_k,
            top_n=query.top_n,
            rerank_model=query.rerank_model,
        )
        try:
            return await rpc(self.stub.Search(request, timeout=self.timeout_s), "retrieval-service")
        except NotFound:
            raise
        except RagchatError as exc:
            raise RetrievalFailed(f"Retrieval failed: {exc.message}") from None

    async def _existing_datasets(self, tenant_id: str, dataset_ids: list[str]) -> list[str]:
        request = retrieval_pb2.GetDatasetsRequest(tenant_id=tenant_id, ids=dataset_ids)
        try:
            reply = await rpc(self.stub.GetDatasets(request, timeout=self.timeout_s), "retrieval-service")
        except RagchatError as exc:
            raise RetrievalFailed(f"Retrieval failed: {exc.message}") from None
        return [d.id for d in reply.datasets]


class GrpcEmbedder:
    """Embeddings from retrieval-service (the model the datasets were indexed with)."""

    def __init__(self, stub: RetrievalServiceStub, timeout_s: float) -> None:
        self.stub, self.timeout_s = stub, timeout_s

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        request = retrieval_pb2.EmbedRequest(texts=list(texts))
        reply = await rpc(self.stub.Embed(request, timeout=self.timeout_s), "retrieval-service")
        return [list(v.values) for v in reply.vectors]


class GrpcAnswerStore:
    """Stores answers in session-service. Its calls wait for the channel to be ready (within
    their deadline) instead of failing at once while it reconnects: a session-service pod that
    was just restarted (a rolling deploy) must not cost the answers finishing meanwhile."""

    def __init__(self, stub: SessionServiceStub, timeout_s: float) -> None:
        self.stub, self.timeout_s = stub, timeout_s

    async def store(
        self, *, tenant_id: str, chat_id: str, session_id: str, answer_id: str, answer: StoredAnswer
    ) -> bool:
        request = session_pb2.StoreAnswerRequest(
            tenant_id=tenant_id,
            chat_id=chat_id,
            session_id=session_id,
            answer_id=answer_id,
            content=answer.content,
            reference=to_struct(answer.reference),
            stopped=answer.stopped,
            usage=session_pb2.TokenUsage(
                prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens
            ),
        )
        try:
            reply = await rpc(
                self.stub.StoreAnswer(request, timeout=self.timeout_s, wait_for_ready=True), "session-service"
            )
        except NotFound:
            # The session (or its chat) was deleted while the answer was generated: there is
            # nowhere to keep it, but whoever asked still gets it (RAGFlow answers it too).
            log.info("answer not stored: its session is gone", extra={"message_id": answer_id})
            return False
        except RagchatError as exc:
            raise StorageFailed(f"The answer could not be stored: {exc.message}") from None
        return bool(reply.stored)

    async def find(self, *, tenant_id: str, chat_id: str, session_id: str, answer_id: str) -> StoredAnswer | None:
        request = session_pb2.GetSessionRequest(tenant_id=tenant_id, chat_id=chat_id, session_id=session_id)
        try:
            session = await rpc(
                self.stub.GetSession(request, timeout=self.timeout_s, wait_for_ready=True), "session-service"
            )
        except NotFound:
            return None
        except RagchatError as exc:
            raise StorageFailed(f"The session could not be read: {exc.message}") from None
        for message in session.messages:
            if message.id == answer_id and message.role == "assistant":
                return StoredAnswer(
                    content=message.content,
                    reference=from_struct(message.reference),
                    prompt_tokens=message.usage.prompt_tokens,
                    completion_tokens=message.usage.completion_tokens,
                    stopped=message.stopped,
                )
        return None
