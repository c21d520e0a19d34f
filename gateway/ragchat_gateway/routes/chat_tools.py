"""RAGFlow v0.27's chat tools beside completions (API.md §9.1): related questions
(``POST /chat/recommendation``, the older ``POST /sessions/related_questions`` and the search
apps' ``POST /searchbots/related_questions``), and the
speech and mind-map routes, which this deployment answers with a clear refusal (it has no speech
models, and mind maps are not offered).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter

from ragchat_common.errors import InvalidArgument, envelope
from ragchat_gateway.auth.dependency import AuthDep
from ragchat_gateway.completion.ports import backend_ports
from ragchat_gateway.completion.prepare import prepare_stateless_completion
from ragchat_gateway.completion.relay import aggregate
from ragchat_gateway.completion.request import StatelessRequest
from ragchat_gateway.deps import BackendsDep
from ragchat_gateway.request_models.base import RequestModel
from ragchat_gateway.request_models.binding import json_body
from ragchat_gateway.request_models.fields import Text

router = APIRouter(tags=["completions"])

RELATED_QUESTIONS_PROMPT = (
    "You suggest related search questions. Given a user's question, write 5 to 10 other questions "
    "on the same topic, each phrased differently, that would help find more relevant documents. "
    "Keep each one short and plain. Write them as a numbered list, one per line "
    '("1. ...", "2. ..."), and nothing else. If no related question makes sense, write nothing.'
)
_NUMBERED = re.compile(r"^\s*\d+\.\s+(.*\S)\s*$")


class RecommendationBody(RequestModel):
    question: Text
    search_id: Text | None = None  # a RAGFlow search app: none here, so ignored


RecommendationBodyDep = Annotated[RecommendationBody, json_body(RecommendationBody)]


def numbered_lines(text: str) -> list[str]:
    """The items of a numbered list ("1. ..."), numbers removed; other lines are ignored."""
    return [match.group(1) for line in text.splitlines() if (match := _NUMBERED.match(line))]


async def _related_questions(principal: AuthDep, backends: BackendsDep, body: RecommendationBody) -> dict[str, Any]:
    question = body.question.strip()
    if not question:
        raise InvalidArgument("`question` must be a non-empty string.")
    ports = backend_ports(backends)
    chat = await ports.chats.get_chat(principal.tenant_id, "")  # the deployment's model, no datasets
    chat.prompt.update({"prompt": RELATED_QUESTIONS_PROMPT})
    asked = StatelessRequest(chat_id="", question=f"Question: {question}\nRelated questions:", history=[], given={})
    answer = await aggregate(await prepare_stateless_completion(ports, principal.tenant_id, chat, asked))
    return envelope(numbered_lines(answer.answer))


@router.post("/chat/recommendation")
async def recommendation(principal: AuthDep, backends: BackendsDep, body: RecommendationBodyDep) -> dict[str, Any]:
    """Related questions to ``question`` (a list of strings), from the deployment's model."""
    return await _related_questions(principal, backends, body)


@router.post("/sessions/related_questions")
async def related_questions(principal: AuthDep, backends: BackendsDep, body: RecommendationBodyDep) -> dict[str, Any]:
    """The route RAGFlow v0.27 keeps for older clients: ``/chat/recommendation``."""
    return await _related_questions(principal, backends, body)


@router.post("/searchbots/related_questions")
async def search_related_questions(
    principal: AuthDep, backends: BackendsDep, body: RecommendationBodyDep
) -> dict[str, Any]:
    """RAGFlow v0.27's search-app route for the same list (its ``search_id`` names no app here)."""
    return await _related_questions(principal, backends, body)


@router.post("/chat/audio/speech")
async def speech(principal: AuthDep) -> dict[str, Any]:
    raise InvalidArgument("This deployment has no text-to-speech model.")


@router.post("/chat/audio/transcription")
async def transcription(principal: AuthDep) -> dict[str, Any]:
    raise InvalidArgument("This deployment has no speech-to-text model.")


@router.post("/chat/mindmap")
async def mindmap(principal: AuthDep) -> dict[str, Any]:
    raise InvalidArgument("Mind maps are not available in this deployment.")
