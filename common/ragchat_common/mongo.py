"""Mongo helpers shared by the services that own collections."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

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


async def find_page(
    collection: Any,
    where: Mapping[str, Any],
    *,
    sort_key: str,
    desc: bool,
    skip: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of ``where`` and the total it pages through.

    Ties on ``sort_key`` are broken by ``_id`` in the same direction, so pages never overlap.
    """
    direction = -1 if desc else 1
    total: int = await collection.count_documents(where)
    cursor = collection.find(where).sort([(sort_key, direction), ("_id", direction)]).skip(skip).limit(limit)
    docs: list[dict[str, Any]] = await cursor.to_list(length=limit)
    return docs, total
