"""gRPC adapters for the domain's ports: datasets (retrieval-service), sessions (session-service)."""

from __future__ import annotations

from collections.abc import Sequence

from ragchat.retrieval.v1 import retrieval_pb2
from ragchat.retrieval.v1.retrieval_pb2_grpc import RetrievalServiceStub
from ragchat.session.v1 import session_pb2
from ragchat.session.v1.session_pb2_grpc import SessionServiceStub
from ragchat_chat.domain.types import DatasetLookup, DatasetRef
from ragchat_common.grpc_utils import rpc


class RetrievalDatasetDirectory:
    def __init__(self, stub: RetrievalServiceStub, timeout_s: float) -> None:
        self.stub = stub
        self.timeout_s = timeout_s

    async def lookup(self, tenant_id: str, ids: Sequence[str]) -> DatasetLookup:
        reply = await rpc(
            self.stub.GetDatasets(
                retrieval_pb2.GetDatasetsRequest(tenant_id=tenant_id, ids=list(ids)), timeout=self.timeout_s
            ),
            "retrieval-service",
        )
        return DatasetLookup(
            found=[DatasetRef(id=d.id, name=d.name) for d in reply.datasets],
            missing=list(reply.missing),
            unparsed=[d.id for d in reply.datasets if d.chunk_count == 0],
        )


class GrpcSessionCleaner:
    def __init__(self, stub: SessionServiceStub, timeout_s: float) -> None:
        self.stub = stub
        self.timeout_s = timeout_s

    async def delete_chat_sessions(self, tenant_id: str, chat_ids: Sequence[str]) -> int:
        reply = await rpc(
            self.stub.DeleteChatSessions(
                session_pb2.DeleteChatSessionsRequest(tenant_id=tenant_id, chat_ids=list(chat_ids)),
                timeout=self.timeout_s,
            ),
            "session-service",
        )
        return int(reply.deleted)
