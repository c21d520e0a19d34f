"""gRPC adapter of session.proto over the domain functions (no rules here)."""

from __future__ import annotations

from typing import Any

import grpc

from ragchat.session.v1 import session_pb2, session_pb2_grpc
from ragchat_common.structs import from_struct, to_struct
from ragchat_session.domain import sessions
from ragchat_session.domain.types import Message, Session, SessionQuery, TokenUsage
from ragchat_session.store import SessionStore

SERVICE_NAME = session_pb2.DESCRIPTOR.services_by_name["SessionService"].full_name


def message_pb(message: Message) -> session_pb2.Message:
    pb = session_pb2.Message(id=message.id, role=message.role, content=message.content, created_at=message.created_at)
    if message.reference is not None:
        pb.reference.CopyFrom(to_struct(message.reference))
    pb.stopped = message.stopped
    if message.usage is not None:
        pb.usage.prompt_tokens = message.usage.prompt_tokens
        pb.usage.completion_tokens = message.usage.completion_tokens
    if message.thumbup is not None:
        pb.thumbup = message.thumbup
    pb.feedback = message.feedback
    return pb


def session_pb(session: Session) -> session_pb2.Session:
    return session_pb2.Session(
        id=session.id,
        tenant_id=session.tenant_id,
        chat_id=session.chat_id,
        name=session.name,
        user_id=session.user_id,
        messages=[message_pb(m) for m in session.messages],
        create_time=session.create_time,
        update_time=session.update_time,
    )


def _optional(request: Any, name: str) -> Any:
    return getattr(request, name) if request.HasField(name) else None


class SessionServicer(session_pb2_grpc.SessionServiceServicer):
    def __init__(self, store: SessionStore) -> None:
        self.store = store

    async def CreateSession(
        self, request: session_pb2.CreateSessionRequest, context: grpc.aio.ServicerContext
    ) -> session_pb2.Session:
        session = await sessions.create_session(
            self.store,
            request.tenant_id,
            request.chat_id,
            name=_optional(request, "name"),
            user_id=_optional(request, "user_id"),
            opener=request.opener,
        )
        return session_pb(session)

    async def UpdateSession(
        self, request: session_pb2.UpdateSessionRequest, context: grpc.aio.ServicerContext
    ) -> session_pb2.Session:
        session = await sessions.update_session(
            self.store,
            request.tenant_id,
            request.chat_id,
            request.session_id,
            name=_optional(request, "name"),
            user_id=_optional(request, "user_id"),
        )
        return session_pb(session)

    async def GetSession(
        self, request: session_pb2.GetSessionRequest, context: grpc.aio.ServicerContext
    ) -> session_pb2.Session:
        session = await sessions.get_session(self.store, request.tenant_id, request.chat_id, request.session_id)
        return session_pb(session)

    async def ListSessions(
        self, request: session_pb2.ListSessionsRequest, context: grpc.aio.ServicerContext
    ) -> session_pb2.ListSessionsResponse:
        query = SessionQuery(
            page=request.page or 1,
            page_size=request.page_size or 30,
            orderby=request.orderby or "create_time",
            desc=request.desc,
            id=_optional(request, "id"),
            name=_optional(request, "name"),
            user_id=_optional(request, "user_id"),
        )
        page = await sessions.list_sessions(self.store, request.tenant_id, request.chat_id, query)
        return session_pb2.ListSessionsResponse(sessions=[session_pb(s) for s in page.sessions], total=page.total)

    async def DeleteSessions(
        self, request: session_pb2.DeleteSessionsRequest, context: grpc.aio.ServicerContext
    ) -> session_pb2.DeleteSessionsResponse:
        result = await sessions.delete_sessions(
            self.store, request.tenant_id, request.chat_id, list(request.ids), request.delete_all
        )
        return session_pb2.DeleteSessionsResponse(success_count=result.success_count, errors=result.errors)

    async def DeleteChatSessions(
        self, request: session_pb2.DeleteChatSessionsRequest, context: grpc.aio.ServicerContext
    ) -> session_pb2.DeleteChatSessionsResponse:
        deleted = await sessions.delete_chat_sessions(self.store, request.tenant_id, list(request.chat_ids))
        return session_pb2.DeleteChatSessionsResponse(deleted=deleted)

    async def AppendUserMessage(
        self, request: session_pb2.AppendUserMessageRequest, context: grpc.aio.ServicerContext
    ) -> session_pb2.AppendUserMessageResponse:
        if request.HasField("new_session"):
            new = request.new_session
            appended = await sessions.start_session_with_question(
                self.store,
                request.tenant_id,
                request.chat_id,
                request.content,
                name=_optional(new, "name"),
                user_id=_optional(new, "user_id"),
                opener=new.opener,
                answer_id=request.answer_id,
            )
        else:
            appended = await sessions.append_user_message(
                self.store,
                request.tenant_id,
                request.chat_id,
                request.session_id,
                request.content,
                answer_id=request.answer_id,
            )
        return session_pb2.AppendUserMessageResponse(
            session_id=appended.session_id,
            user_message_id=appended.user_message_id,
            answer_id=appended.answer_id,
            history=[message_pb(m) for m in appended.history],
        )

    async def StoreAnswer(
        self, request: session_pb2.StoreAnswerRequest, context: grpc.aio.ServicerContext
    ) -> session_pb2.StoreAnswerResponse:
        reference = from_struct(request.reference) if request.HasField("reference") else None
        stored = await sessions.store_answer(
            self.store,
            request.tenant_id,
            request.chat_id,
            request.session_id,
            request.answer_id,
            request.content,
            reference,
            stopped=request.stopped,
            usage=TokenUsage(request.usage.prompt_tokens, request.usage.completion_tokens)
            if request.HasField("usage")
            else None,
        )
        return session_pb2.StoreAnswerResponse(stored=stored)

    async def DeleteMessage(
        self, request: session_pb2.MessageRef, context: grpc.aio.ServicerContext
    ) -> session_pb2.Session:
        session = await sessions.delete_message(
            self.store, request.tenant_id, request.chat_id, request.session_id, request.message_id
        )
        return session_pb(session)

    async def SetFeedback(
        self, request: session_pb2.SetFeedbackRequest, context: grpc.aio.ServicerContext
    ) -> session_pb2.Session:
        ref = request.message
        session = await sessions.set_feedback(
            self.store,
            ref.tenant_id,
            ref.chat_id,
            ref.session_id,
            ref.message_id,
            request.thumbup,
            request.feedback,
        )
        return session_pb(session)
