"""Mongo helpers shared by the services that own collections."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def ensure_indexes_with_retry(
    ensure: Callable[[], Awaitable[None]], attempts: int = 30, delay_s: float = 2.0
) -> None:
    """Creates a store's indexes at start-up, waiting for Mongo when it is not up yet."""
    for attempt in range(1, attempts + 1):
        try:
            await ensure()
            return
        except Exception as exc:
            if attempt == attempts:
                raise
            log.warning("creating indexes failed; retrying", extra={"attempt": attempt, "error": str(exc)})
            await asyncio.sleep(delay_s)
