"""Tags of a dataset's chunks (RAGFlow's `tag_kwd`): removed or renamed across the dataset."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ragchat_common.errors import InvalidArgument
from ragchat_retrieval.domain.datasets import dataset_record, require_datasets
from ragchat_retrieval.domain.deps import Deps, dedupe
from ragchat_retrieval.domain.ports import Scope

# Upper bound of chunks one tag edit rewrites.
MAX_TAGGED = 100_000


async def _retag(deps: Deps, tenant_id: str, dataset_id: str, tag: str, edit: Callable[[list[str]], list[str]]) -> int:
    """Applies `edit` to the tags of every chunk of the dataset tagged `tag`; chunks changed."""
    scope = Scope(tenant_id=tenant_id, dataset_ids=[dataset_id], extra={"tag_kwd": tag})
    changed = 0
    for hit in await deps.vectors.scroll(scope, MAX_TAGGED, fields=["tag_kwd", "document_id"]):
        tags = list(hit.payload.get("tag_kwd") or [])
        new_tags = edit(tags)
        if new_tags != tags:
            async with deps.locks.of(str(hit.payload.get("document_id", ""))):
                await deps.vectors.set_payload(
                    Scope(tenant_id=tenant_id, dataset_ids=[dataset_id], chunk_ids=[hit.id]), {"tag_kwd": new_tags}
                )
            changed += 1
    return changed


async def count_tags(deps: Deps, tenant_id: str, dataset_ids: Sequence[str]) -> list[tuple[str, int]]:
    """(tag, chunks carrying it) over the datasets' chunks, most used first."""
    wanted = dedupe(dataset_ids)
    await require_datasets(deps, tenant_id, wanted)
    counts: dict[str, int] = {}
    scope = Scope(tenant_id=tenant_id, dataset_ids=wanted)
    for hit in await deps.vectors.scroll(scope, MAX_TAGGED, fields=["tag_kwd"]):
        for tag in dict.fromkeys(hit.payload.get("tag_kwd") or []):
            if tag.strip():  # a blank tag is kept as sent (RAGFlow does) but names nothing
                counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


async def delete_tags(deps: Deps, tenant_id: str, dataset_id: str, tags: Sequence[str]) -> int:
    await dataset_record(deps, tenant_id, dataset_id)
    removed = set(dedupe(tags))

    def remove(current: list[str]) -> list[str]:
        return [c for c in current if c not in removed]

    changed = 0
    for tag in removed:
        changed += await _retag(deps, tenant_id, dataset_id, tag, remove)
    return changed


async def rename_tag(deps: Deps, tenant_id: str, dataset_id: str, from_tag: str, to_tag: str) -> int:
    if not from_tag.strip() or not to_tag.strip():
        raise InvalidArgument("from_tag and to_tag must not be empty")
    await dataset_record(deps, tenant_id, dataset_id)

    def rename(current: list[str]) -> list[str]:
        renamed = [to_tag if c == from_tag else c for c in current]
        return list(dict.fromkeys(renamed))  # a chunk that had both keeps one

    return await _retag(deps, tenant_id, dataset_id, from_tag, rename)
