"""Response shapes several routes share."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from ragchat_common.errors import envelope


def list_response(items: list[Any], total: int) -> JSONResponse:
    """A list in ``data`` (ragflow-sdk iterates it) and the total in ``X-Total-Count``."""
    return JSONResponse(envelope(items), headers={"X-Total-Count": str(total)})
