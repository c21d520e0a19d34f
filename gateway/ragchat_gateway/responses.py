"""Response shapes several routes share."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ragchat_common.errors import envelope


def list_response(items: list[Any], total: int, total_field: str | None = None) -> JSONResponse:
    """A list in ``data`` (ragflow-sdk iterates it) and the total in ``X-Total-Count``, and also
    beside ``data`` under ``total_field`` where RAGFlow's body carries it."""
    body = envelope(items)
    if total_field is not None:
        body[total_field] = total
    return JSONResponse(body, headers={"X-Total-Count": str(total)})
