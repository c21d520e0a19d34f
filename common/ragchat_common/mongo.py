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


def by_id(doc_id: Any, **scope: Any) -> dict[str, Any]:
    """A filter on ``_id`` (a value, or an operator such as ``$in``) within ``scope`` (the tenant,
    the chat...). ``_id`` comes first: MongoDB ignores the order of a filter's fields, but
    SecantusDB, the local stand-in, plans by the first one and walks the whole tenant's index
    when that is ``tenant_id`` (measured among 1,000 documents: 25 ms against 1 ms a lookup)."""
    return {"_id": doc_id, **scope}


def id_first(where: Mapping[str, Any]) -> dict[str, Any]:
    """``where`` with its ``_id`` condition, if any, moved to the front (see ``by_id``)."""
    if "_id" not in where:
        return dict(where)
    return by_id(where["_id"], **{k: v for k, v in where.items() if k != "_id"})


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
    where = id_first(where)
    total: int = await collection.count_documents(where)
    cursor = collection.find(where).sort([(sort_key, direction), ("_id", direction)]).skip(skip).limit(limit)
    docs: list[dict[str, Any]] = await cursor.to_list(length=limit)
    return docs, total
