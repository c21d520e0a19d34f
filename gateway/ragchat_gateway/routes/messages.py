"""Messages of a session (API.md §9.1): delete a question with its answer, rate an answer.

A question and its answer share the completion's message id, so one id names the pair.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ragchat.session.v1 import session_pb2
from ragchat_common.errors import envelope
from ragchat_common.grpc_utils import rpc
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.dialect import wording
from ragchat_gateway.request_models.sessions import MessageFeedbackBody
from ragchat_gateway.routes.sessions import get_chat, render_session, session_missing

router = APIRouter()
SERVICE = "session-service"
MESSAGE_PATH = "/chats/{chat_id}/sessions/{session_id}/messages/{message_id}"


@router.delete(MESSAGE_PATH)
async def delete_message(
    chat_id: str, session_id: str, message_id: str, principal: AuthDep, backends: BackendsDep
) -> dict[str, Any]:
    """Removes the question and the answer of one completion; returns the session after."""
    await get_chat(backends, principal, chat_id)
    ref = session_pb2.MessageRef(
        tenant_id=principal.tenant_id, chat_id=chat_id, session_id=session_id, message_id=message_id
    )
    async with session_missing(wording(principal).session_unknown_get, session_id):
        session = await rpc(backends.session.DeleteMessage(ref, timeout=backends.settings.grpc_timeout_s), SERVICE)
    return envelope(render_session(session))


@router.put(MESSAGE_PATH + "/feedback")
async def message_feedback(
    chat_id: str,
    session_id: str,
    message_id: str,
    principal: AuthDep,
    backends: BackendsDep,
    body: MessageFeedbackBody,
) -> dict[str, Any]:
    """``{"thumbup": bool, "feedback": "..."}`` on an answer; shown on the message when the
    session is read. A thumb up drops the comment (as RAGFlow)."""
    await get_chat(backends, principal, chat_id)
    ref = session_pb2.MessageRef(
        tenant_id=principal.tenant_id, chat_id=chat_id, session_id=session_id, message_id=message_id
    )
    async with session_missing(wording(principal).session_unknown_get, session_id):
        session = await rpc(
            backends.session.SetFeedback(
                session_pb2.SetFeedbackRequest(message=ref, thumbup=body.thumbup, feedback=body.feedback or ""),
                timeout=backends.settings.grpc_timeout_s,
            ),
            SERVICE,
        )
    return envelope(render_session(session))
