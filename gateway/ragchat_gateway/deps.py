"""Typed FastAPI dependencies shared by the route modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ragchat_gateway.backends import Backends


async def get_backends(request: Request) -> Backends:
    # async: FastAPI would run a plain `def` dependency in its thread pool (a hop per request).
    backends: Backends = request.app.state.backends
    return backends


BackendsDep = Annotated[Backends, Depends(get_backends)]
