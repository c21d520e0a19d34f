"""Server-sent events exactly as API.md §5 frames them (and the OpenAI-compatible variant)."""

from __future__ import annotations

import json
from typing import Any

SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}
SSE_MEDIA_TYPE = "text/event-stream"

PING = b": ping\n\n"
DONE = b"data: [DONE]\n\n"
DATA_TRUE = b'data: {"code": 0, "message": "", "data": true}\n\n'


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def event(data: Any, event_id: str | None = None) -> bytes:
    """One event: optional ``id:`` line, one ``data:`` line of JSON, blank line."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}data: {_json(data)}\n\n".encode()


def event_id(message_id: str, seq: int) -> str:
    return f"{message_id}:{seq}"


def success(data: Any) -> dict[str, Any]:
    return {"code": 0, "message": "", "data": data}


def delta_data(message_id: str, session_id: str, chat_id: str, answer: str, *, reset: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "answer": answer,
        "reference": {},
        "id": message_id,
        "session_id": session_id,
        "chat_id": chat_id,
        "final": False,
        "audio_binary": None,  # RAGFlow's text-to-speech slot: ragchat has no TTS
    }
    if reset:
        # The text sent so far is void: a worker failed and another one restarted the answer.
        data["reset"] = True
    return data


def usage_dict(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """Token usage as API.md §9.2 (and OpenAI) shows it."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def final_data(
    message_id: str,
    session_id: str,
    chat_id: str,
    reference: dict[str, Any],
    created_at: float,
    *,
    usage: dict[str, int] | None = None,
    stopped: bool = False,
    answer: str = "",
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "answer": answer,
        "reference": reference,
        "id": message_id,
        "session_id": session_id,
        "chat_id": chat_id,
        "final": True,
        "created_at": created_at,
        "audio_binary": None,
    }
    if usage is not None:
        data["usage"] = usage
    if stopped:
        data["stopped"] = True
    return data


def error_payload(message: str, message_id: str, session_id: str, chat_id: str) -> dict[str, Any]:
    return {
        "code": 500,
        "message": message,
        "data": {
            "answer": f"**ERROR**: {message}",
            "reference": {},
            "id": message_id,
            "session_id": session_id,
            "chat_id": chat_id,
        },
    }
