"""Ingestion logs (RAGFlow v0.27's `/ingestions`): one record per parse run of a document, opened
when the run is queued and closed with how it ended (done, failed, cancelled)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.paging import page_window
from ragchat_common.timeutil import now_ms
from ragchat_retrieval.domain.datasets import dataset_record
from ragchat_retrieval.domain.deps import Deps

# RAGFlow's task states, as its logs carry them in `operation_status`.
RUNNING = "1"
CANCELLED = "2"
DONE = "3"
FAILED = "4"
STATUSES = (RUNNING, CANCELLED, DONE, FAILED)
ORDER_FIELDS = ("create_time", "update_time")

Log = dict[str, Any]


async def open_log(deps: Deps, document: dict[str, Any], run_id: str) -> None:
    """The run's log, named by the run id (a run is logged once)."""
    now = now_ms()
    await deps.store.insert_ingestion_log(
        {
            "id": run_id,
            "tenant_id": document["tenant_id"],
            "dataset_id": document["dataset_id"],
            "document_id": document["id"],
            "document_name": document["name"],
            "document_suffix": document.get("suffix", ""),
            "document_type": document.get("type", ""),
            "parser_id": document.get("chunk_method", "naive"),
            "operation_status": RUNNING,
            "progress": 0.0,
            "progress_msg": "Queued for parsing.",
            "process_begin_at": now,
            "process_duration": 0.0,
            "chunk_count": 0,
            "create_time": now,
            "update_time": now,
        }
    )


async def close_log(deps: Deps, tenant_id: str, run_id: str, status: str, document: dict[str, Any] | None) -> None:
    """Records how the run ended, from the document as the run left it."""
    changes: dict[str, Any] = {"operation_status": status, "update_time": now_ms()}
    if document is not None:
        changes.update(
            {
                "progress": float(document.get("progress", 0.0)),
                "progress_msg": document.get("progress_msg", ""),
                "process_duration": float(document.get("process_duration", 0.0)),
                "chunk_count": int(document.get("chunk_count", 0)) if status == DONE else 0,
            }
        )
    await deps.store.update_ingestion_log(tenant_id, run_id, changes)


async def list_logs(
    deps: Deps,
    tenant_id: str,
    dataset_id: str,
    *,
    page: int = 1,
    page_size: int = 30,
    orderby: str = "create_time",
    desc: bool = True,
    statuses: Sequence[str] = (),
    create_time_from: int = 0,
    create_time_to: int = 0,
    keywords: str = "",
) -> tuple[list[Log], int]:
    await dataset_record(deps, tenant_id, dataset_id)
    orderby = orderby or "create_time"
    if orderby not in ORDER_FIELDS:
        raise InvalidArgument(f"`orderby` must be one of: {', '.join(ORDER_FIELDS)}.")
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise InvalidArgument(f"`operation_status` must be among: {', '.join(STATUSES)}; got '{unknown[0]}'.")
    skip, limit = page_window(page, page_size, max_page_size=deps.limits.max_page_size)
    return await deps.store.list_ingestion_logs(
        tenant_id,
        dataset_id,
        skip=skip,
        limit=limit,
        orderby=orderby,
        desc=desc,
        statuses=list(statuses),
        create_time_from=create_time_from,
        create_time_to=create_time_to,
        keywords=keywords,
    )


async def get_log(deps: Deps, tenant_id: str, dataset_id: str, log_id: str) -> Log:
    await dataset_record(deps, tenant_id, dataset_id)
    log = await deps.store.get_ingestion_log(tenant_id, dataset_id, log_id)
    if log is None:
        raise NotFound("Log not found")
    return log
