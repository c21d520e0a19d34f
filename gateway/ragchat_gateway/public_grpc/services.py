"""The servicers of ragchat.api.v1: thin adapters over the HTTP edge's layers.

Every call is admitted by ``GrpcEdge`` (key, rate limit, scope; tenant from the key only). Its
request becomes the JSON-shaped body or query the HTTP route reads and is validated by the same
request model (``request_models``), so a bad request gets the same message over both transports;
the work is the routes' own (``chat_spec``, ``render_opener``, ``search_chunks``, the completion
package's ``prepare_chat_completion`` and ``relay``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeAlias

import grpc

from ragchat.chat.v1 import chat_pb2
from ragchat.session.v1 import session_pb2
from ragchat_client.api.v1 import api_pb2 as api
from ragchat_client.api.v1 import api_pb2_grpc
from ragchat_common.errors import InternalError, InvalidArgument
from ragchat_common.grpc_utils import rpc
from ragchat_common.structs import from_struct
from ragchat_gateway.completion.durable import FROM_THE_START, AnswerRef, resume_answer, stop_answer
from ragchat_gateway.completion.ports import backend_ports
from ragchat_gateway.completion.prepare import prepare_chat_completion
from ragchat_gateway.completion.relay import Delta, Failed, Finished, RelayItem, Reset, relay
from ragchat_gateway.completion.variables import render_opener
from ragchat_gateway.public_grpc import convert
from ragchat_gateway.public_grpc.edge import GrpcEdge, release_when_acquired
from ragchat_gateway.request_models import validate
from ragchat_gateway.request_models.chats import ChatListQuery, CreateChat, UpdateChat
from ragchat_gateway.request_models.common import DeleteBody
from ragchat_gateway.request_models.completions import CompletionBody
from ragchat_gateway.request_models.datasets import Retrieval
from ragchat_gateway.request_models.sessions import CreateSession, SessionListQuery, UpdateSession
from ragchat_gateway.routes.chats import chat_spec
from ragchat_gateway.routes.completions import completion_request
from ragchat_gateway.routes.datasets import search_chunks

CHAT_SERVICE = "chat-service"
SESSION_SERVICE = "session-service"
Ctx: TypeAlias = grpc.aio.ServicerContext
RESET_REASON = "The answer restarted after a worker failure."


class ChatAssistants(api_pb2_grpc.ChatAssistantsServicer):
    def __init__(self, edge: GrpcEdge) -> None:
        self.edge = edge
        self.chat = edge.backends.chat

    async def Create(self, request: api.CreateChatAssistantRequest, context: Ctx) -> api.ChatAssistant:
        principal = await self.edge.admit(context, "ChatAssistants.Create")
        spec = chat_spec(validate(CreateChat, convert.chat_body(request)))
        chat = await rpc(
            self.chat.CreateChat(
                chat_pb2.CreateChatRequest(tenant_id=principal.tenant_id, spec=spec),
                timeout=self.edge.timeout_s(context),
            ),
            CHAT_SERVICE,
        )
        return convert.chat_assistant(chat)

    async def Get(self, request: api.GetChatAssistantRequest, context: Ctx) -> api.ChatAssistant:
        principal = await self.edge.admit(context, "ChatAssistants.Get")
        chat = await rpc(
            self.chat.GetChat(
                chat_pb2.GetChatRequest(tenant_id=principal.tenant_id, chat_id=request.chat_id),
                timeout=self.edge.timeout_s(context),
            ),
            CHAT_SERVICE,
        )
        return convert.chat_assistant(chat)

    async def List(self, request: api.ListChatAssistantsRequest, context: Ctx) -> api.ListChatAssistantsResponse:
        principal = await self.edge.admit(context, "ChatAssistants.List")
        query = validate(ChatListQuery, convert.list_params(request.options))
        reply = await rpc(
            self.chat.ListChats(
                chat_pb2.ListChatsRequest(
                    tenant_id=principal.tenant_id,
                    page=query.page,
                    page_size=query.page_size,
                    orderby=query.orderby,
                    desc=query.desc,
                    **query.filters(),
                ),
                timeout=self.edge.timeout_s(context),
            ),
            CHAT_SERVICE,
        )
        return api.ListChatAssistantsResponse(
            chat_assistants=[convert.chat_assistant(c) for c in reply.chats], total=reply.total
        )

    async def Update(self, request: api.UpdateChatAssistantRequest, context: Ctx) -> api.ChatAssistant:
        principal = await self.edge.admit(context, "ChatAssistants.Update")
        spec = chat_spec(validate(UpdateChat, convert.chat_body(request)))
        chat = await self.edge.backends.chats.update(
            chat_pb2.UpdateChatRequest(tenant_id=principal.tenant_id, chat_id=request.chat_id, spec=spec),
            self.edge.timeout_s(context),
        )
        return convert.chat_assistant(chat)

    async def Delete(self, request: api.DeleteChatAssistantsRequest, context: Ctx) -> api.DeleteResponse:
        principal = await self.edge.admit(context, "ChatAssistants.Delete")
        wanted = validate(DeleteBody, convert.set_fields(request))
        reply = await self.edge.backends.chats.delete(
            chat_pb2.DeleteChatsRequest(
                tenant_id=principal.tenant_id, ids=wanted.id_list(), delete_all=wanted.delete_all
            ),
            self.edge.timeout_s(context),
        )
        return api.DeleteResponse(success_count=reply.success_count, errors=list(reply.errors))


class Sessions(api_pb2_grpc.SessionsServicer):
    def __init__(self, edge: GrpcEdge) -> None:
        self.edge = edge
        self.chat = edge.backends.chat
        self.session = edge.backends.session

    async def _chat(self, tenant_id: str, chat_id: str, context: Ctx) -> chat_pb2.Chat:
        """The caller's chat (NOT_FOUND when unknown or another tenant's)."""
        chat: chat_pb2.Chat = await rpc(
            self.chat.GetChat(
                chat_pb2.GetChatRequest(tenant_id=tenant_id, chat_id=chat_id, skip_dataset_names=True),
                timeout=self.edge.timeout_s(context),
            ),
            CHAT_SERVICE,
        )
        return chat

    async def Create(self, request: api.CreateSessionRequest, context: Ctx) -> api.Session:
        principal = await self.edge.admit(context, "Sessions.Create")
        fields = convert.set_fields(request)
        given = {**request.variables, **{k: fields[k] for k in ("name", "user_id") if k in fields}}
        body = validate(CreateSession, given)
        chat = await self._chat(principal.tenant_id, request.chat_id, context)
        stored = await rpc(
            self.session.CreateSession(
                session_pb2.CreateSessionRequest(
                    tenant_id=principal.tenant_id,
                    chat_id=chat.id,
                    name=body.name,
                    user_id=body.user_id,
                    opener=render_opener(from_struct(chat.prompt), body.extras()),
                ),
                timeout=self.edge.timeout_s(context),
            ),
            SESSION_SERVICE,
        )
        return convert.session(stored)

    async def Get(self, request: api.GetSessionRequest, context: Ctx) -> api.Session:
        principal = await self.edge.admit(context, "Sessions.Get")
        await self._chat(principal.tenant_id, request.chat_id, context)
        stored = await rpc(
            self.session.GetSession(
                session_pb2.GetSessionRequest(
                    tenant_id=principal.tenant_id, chat_id=request.chat_id, session_id=request.session_id
                ),
                timeout=self.edge.timeout_s(context),
            ),
            SESSION_SERVICE,
        )
        return convert.session(stored)

    async def List(self, request: api.ListSessionsRequest, context: Ctx) -> api.ListSessionsResponse:
        principal = await self.edge.admit(context, "Sessions.List")
        params = convert.list_params(request.options, user_id=convert.optional(request, "user_id"))
        query = validate(SessionListQuery, params)
        await self._chat(principal.tenant_id, request.chat_id, context)
        reply = await rpc(
            self.session.ListSessions(
                session_pb2.ListSessionsRequest(
                    tenant_id=principal.tenant_id,
                    chat_id=request.chat_id,
                    page=query.page,
                    page_size=query.page_size,
                    orderby=query.orderby,
                    desc=query.desc,
                    **query.filters(),
                ),
                timeout=self.edge.timeout_s(context),
            ),
            SESSION_SERVICE,
        )
        return api.ListSessionsResponse(sessions=[convert.session(s) for s in reply.sessions], total=reply.total)

    async def Update(self, request: api.UpdateSessionRequest, context: Ctx) -> api.Session:
        principal = await self.edge.admit(context, "Sessions.Update")
        fields = convert.set_fields(request)
        body = validate(UpdateSession, {k: fields[k] for k in ("name", "user_id") if k in fields})
        await self._chat(principal.tenant_id, request.chat_id, context)
        stored = await rpc(
            self.session.UpdateSession(
                session_pb2.UpdateSessionRequest(
                    tenant_id=principal.tenant_id,
                    chat_id=request.chat_id,
                    session_id=request.session_id,
                    name=body.name,
                    user_id=body.user_id,
                ),
                timeout=self.edge.timeout_s(context),
            ),
            SESSION_SERVICE,
        )
        return convert.session(stored)

    async def Delete(self, request: api.DeleteSessionsRequest, context: Ctx) -> api.DeleteResponse:
        principal = await self.edge.admit(context, "Sessions.Delete")
        fields = convert.set_fields(request)
        wanted = validate(DeleteBody, {k: fields[k] for k in ("ids", "delete_all") if k in fields})
        await self._chat(principal.tenant_id, request.chat_id, context)
        reply = await rpc(
            self.session.DeleteSessions(
                session_pb2.DeleteSessionsRequest(
                    tenant_id=principal.tenant_id,
                    chat_id=request.chat_id,
                    ids=wanted.id_list(),
                    delete_all=wanted.delete_all,
                ),
                timeout=self.edge.timeout_s(context),
            ),
            SESSION_SERVICE,
        )
        return api.DeleteResponse(success_count=reply.success_count, errors=list(reply.errors))


async def answer_events(
    items: AsyncIterator[RelayItem], message_id: str, session_id: str, chat_id: str
) -> AsyncIterator[api.AskEvent]:
    """An answer's relay items (the SSE route's events) as AskEvents; a failure after the stream
    started ends it with INTERNAL and the reason (the SSE route's error event)."""
    parts: list[str] = []

    def event(seq: int) -> api.AskEvent:
        return api.AskEvent(message_id=message_id, session_id=session_id, chat_id=chat_id, seq=seq)

    async for item in items:
        if isinstance(item, Delta):
            parts.append(item.text)
            delta = event(item.seq)
            delta.delta.text = item.text
            yield delta
        elif isinstance(item, Reset):
            parts.clear()
            reset = event(item.seq)
            reset.reset.reason = RESET_REASON
            yield reset
        elif isinstance(item, Finished):
            final = event(item.final.seq)
            final.final.CopyFrom(convert.final(item.final, item.final.answer or "".join(parts)))
            yield final
        elif isinstance(item, Failed):
            raise InternalError(item.message)


class Completions(api_pb2_grpc.CompletionsServicer):
    def __init__(self, edge: GrpcEdge) -> None:
        self.edge = edge

    async def Ask(self, request: api.AskRequest, context: Ctx) -> AsyncIterator[api.AskEvent]:
        principal = await self.edge.admit(context, "Completions.Ask")
        completion = completion_request(request.chat_id, validate(CompletionBody, convert.ask_body(request)))
        # As over HTTP: the slot is taken while the chat is read; nothing is written before both.
        leasing = self.edge.acquire_stream(principal)
        try:
            prepared = await prepare_chat_completion(
                backend_ports(self.edge.backends), principal.tenant_id, completion, admission=leasing
            )
        except BaseException:
            release_when_acquired(leasing)
            raise
        lease = leasing.result()
        items = relay(prepared)
        try:
            async for event in answer_events(items, prepared.message_id, prepared.session_id, prepared.chat_id):
                yield event
        finally:
            # Ended, failed, cancelled by the client or past its deadline: the slot comes back (the
            # answer itself goes on and is stored, as over HTTP: Resume picks it up).
            await items.aclose()
            await lease.release()

    async def Resume(self, request: api.ResumeRequest, context: Ctx) -> AsyncIterator[api.AskEvent]:
        principal = await self.edge.admit(context, "Completions.Resume")
        after = FROM_THE_START
        if request.HasField("after_seq"):
            if request.after_seq < 0:
                raise InvalidArgument("`after_seq` must name an event by its sequence number (an integer >= 0).")
            after = request.after_seq
        ref = AnswerRef(request.chat_id, request.session_id, request.message_id)
        leasing = self.edge.acquire_stream(principal)  # a resumed stream takes a slot, as over HTTP
        try:
            resumed = await resume_answer(
                backend_ports(self.edge.backends), principal.tenant_id, ref, after, admission=leasing
            )
        except BaseException:
            release_when_acquired(leasing)
            raise
        lease = leasing.result()
        try:
            async for event in answer_events(resumed.items, ref.message_id, ref.session_id, ref.chat_id):
                yield event
        finally:
            await resumed.close()
            await lease.release()

    async def Stop(self, request: api.StopRequest, context: Ctx) -> api.StopResponse:
        principal = await self.edge.admit(context, "Completions.Stop")
        ref = AnswerRef(request.chat_id, request.session_id, request.message_id)
        return api.StopResponse(stopped=await stop_answer(backend_ports(self.edge.backends), principal.tenant_id, ref))


class Knowledge(api_pb2_grpc.KnowledgeServicer):
    def __init__(self, edge: GrpcEdge) -> None:
        self.edge = edge

    async def Retrieve(self, request: api.RetrieveRequest, context: Ctx) -> api.RetrieveResponse:
        principal = await self.edge.admit(context, "Knowledge.Retrieve")
        body = validate(Retrieval, convert.set_fields(request))
        return convert.retrieved(await search_chunks(self.edge.backends, principal.tenant_id, body))
