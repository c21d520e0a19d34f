"""Chunks of a document: list, add by hand, update, delete (the vector store holds them)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ragchat_common.bulk_delete import ids_to_delete
from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.paging import page_window
from ragchat_common.timeutil import now_ms
from ragchat_retrieval.domain import text
from ragchat_retrieval.domain.deps import Deps, delete_outcome, duplicates
from ragchat_retrieval.domain.documents import Document, get_document, is_enabled
from ragchat_retrieval.domain.ports import ChunkPoint, Hit, Scope
from ragchat_retrieval.store import FileMissing

Chunk = dict[str, Any]
# Upper bound of chunks read to list one document (listing pages are cut from these).
MAX_LISTED = 100_000


def _chunk(hit: Hit, document_name: str) -> Chunk:
    p = hit.payload
    return {
        "id": hit.id,
        "content": p.get("content", ""),
        "document_id": p.get("document_id", ""),
        "document_name": document_name,
        "dataset_id": p.get("dataset_id", ""),
        "important_keywords": list(p.get("important_keywords") or []),
        "questions": list(p.get("questions") or []),
        "tag_kwd": list(p.get("tag_kwd") or []),
        "available": bool(p.get("available", True)),
        "create_time": int(p.get("create_time", 0)),
        "position": int(p.get("position", 0)),
        "image_id": p.get("image_id", ""),
    }


def _check_strings(name: str, values: Any, *, keep_blank: bool = False) -> list[str]:
    """A list of strings; blank ones are dropped unless `keep_blank` (RAGFlow keeps keywords as
    sent, `[""]` included, and drops blank questions)."""
    if values is None:
        return []
    if not isinstance(values, list):
        raise InvalidArgument(f"`{name}` is required to be a list")  # RAGFlow's words, here and below
    if not all(isinstance(v, str) for v in values):
        raise InvalidArgument(f"`{name}` must be a list of strings")
    return list(values) if keep_blank else [v for v in values if v.strip()]


def _indexed_text(content: str, keywords: Sequence[str], questions: Sequence[str]) -> str:
    return "\n".join([content, *(k for k in keywords if k.strip()), *questions])


async def list_chunks(
    deps: Deps,
    tenant_id: str,
    dataset_id: str,
    document_id: str,
    *,
    page: int = 1,
    page_size: int = 30,
    keywords: str = "",
    id: str = "",
) -> tuple[Document, list[Chunk], int]:
    """A page of the document's chunks; an `id` that is not one of them is NotFound."""
    doc = await get_document(deps, tenant_id, dataset_id, document_id)
    skip, limit = page_window(page, page_size, max_page_size=deps.limits.max_page_size)
    scope = Scope(tenant_id=tenant_id, document_ids=[document_id], chunk_ids=[id] if id else ())
    hits: list[Hit] = [] if id and len(id) != 32 else await deps.vectors.scroll(scope, MAX_LISTED)
    if id and not hits:
        raise NotFound(f"Chunk not found: {dataset_id}/{id}")
    rows = [_chunk(h, doc["name"]) for h in hits]
    if keywords:
        needle = keywords.lower()
        rows = [r for r in rows if needle in r["content"].lower()]
    rows.sort(key=lambda r: (r["position"], r["create_time"], r["id"]))
    return doc, rows[skip : skip + limit], len(rows)


def added_chunk_id(document_id: str, content: str) -> str:
    """A chunk added by hand is named by its text and its document (as in RAGFlow), so adding the
    same text to a document twice replaces the chunk instead of holding it twice."""
    return hashlib.blake2b(f"{content}\x00{document_id}".encode(), digest_size=16).hexdigest()


async def add_chunk(
    deps: Deps,
    tenant_id: str,
    dataset_id: str,
    document_id: str,
    *,
    content: str,
    important_keywords: Sequence[str] = (),
    questions: Sequence[str] = (),
    tag_kwd: Sequence[str] = (),
    image: bytes = b"",
) -> Chunk:
    if not content or not content.strip():
        raise InvalidArgument("`content` is required and cannot be empty.")
    keywords = _check_strings("important_keywords", list(important_keywords), keep_blank=True)
    asked = _check_strings("questions", list(questions))
    tags = _check_strings("tag_kwd", list(tag_kwd), keep_blank=True)
    async with deps.locks.of(document_id):
        doc = await get_document(deps, tenant_id, dataset_id, document_id)
        indexed = _indexed_text(content, keywords, asked)
        dense = (await deps.embed([indexed]))[0]
        chunk_id = added_chunk_id(document_id, content)
        of_document = Scope(tenant_id=tenant_id, document_ids=[document_id])
        same = await deps.vectors.scroll(replace(of_document, chunk_ids=[chunk_id]), 1, ["position"])
        position = int(same[0].payload.get("position", 0)) if same else await deps.vectors.count(of_document)
        payload = {
            "tenant_id": tenant_id,
            "dataset_id": dataset_id,
            "document_id": document_id,
            "document_name": doc["name"],
            # Tagged with the document's current run so a running parse keeps it.
            "run_id": doc.get("run_id", ""),
            "content": content,
            "position": position,
            "important_keywords": keywords,
            "questions": asked,
            "tag_kwd": tags,
            "available": is_enabled(doc),
            "create_time": now_ms(),
        }
        if image:
            payload["image_id"] = await _store_image(deps, tenant_id, dataset_id, document_id, chunk_id, image)
        sparse = text.document_sparse(content, doc["name"], [*keywords, *asked])
        await deps.vectors.upsert([ChunkPoint(chunk_id, dense, sparse, payload)])
        # Counted on every add, a replaced chunk too, as RAGFlow v0.27 counts them (its own
        # suites check that the document's chunk_count grows by one per add).
        await deps.store.update_document(tenant_id, document_id, {"update_time": now_ms()}, inc={"chunk_count": 1})
    return _chunk(Hit(id=chunk_id, score=0.0, payload=payload), doc["name"])


async def _get_chunk(deps: Deps, tenant_id: str, document_id: str, chunk_id: str) -> Hit:
    if len(chunk_id) != 32:
        raise NotFound(f"Chunk {chunk_id} not found.")
    hits = await deps.vectors.scroll(Scope(tenant_id=tenant_id, document_ids=[document_id], chunk_ids=[chunk_id]), 1)
    if not hits:
        raise NotFound(f"Chunk {chunk_id} not found.")
    return hits[0]


async def update_chunk(
    deps: Deps,
    tenant_id: str,
    dataset_id: str,
    document_id: str,
    chunk_id: str,
    fields: dict[str, Any],
    image: bytes = b"",
) -> Chunk:
    async with deps.locks.of(document_id):
        doc = await get_document(deps, tenant_id, dataset_id, document_id)
        hit = await _get_chunk(deps, tenant_id, document_id, chunk_id)
        payload = dict(hit.payload)
        if fields.get("content") is not None:
            if not isinstance(fields["content"], str) or not fields["content"].strip():
                raise InvalidArgument("`content` is required")
            payload["content"] = fields["content"]
        if "important_keywords" in fields:
            payload["important_keywords"] = _check_strings(
                "important_keywords", fields["important_keywords"], keep_blank=True
            )
        if "questions" in fields:
            payload["questions"] = _check_strings("questions", fields["questions"])
        if "tag_kwd" in fields:
            payload["tag_kwd"] = _check_strings("tag_kwd", fields["tag_kwd"], keep_blank=True)
        if fields.get("available") is not None:
            if not isinstance(fields["available"], bool | int):
                raise InvalidArgument("`available` must be a boolean.")
            payload["available"] = bool(fields["available"])
        if image:
            payload["image_id"] = await _store_image(deps, tenant_id, dataset_id, document_id, chunk_id, image)
        indexed = _indexed_text(payload["content"], payload["important_keywords"], payload["questions"])
        dense = (await deps.embed([indexed]))[0]
        sparse = text.document_sparse(
            payload["content"], doc["name"], [*payload["important_keywords"], *payload["questions"]]
        )
        await deps.vectors.upsert([ChunkPoint(chunk_id, dense, sparse, payload)])
    return _chunk(Hit(id=chunk_id, score=0.0, payload=payload), doc["name"])


def image_id_of(dataset_id: str, chunk_id: str) -> str:
    """RAGFlow's id of a chunk's image, as `GET /documents/images/{id}` takes it."""
    return f"{dataset_id}-{chunk_id}"


async def _store_image(
    deps: Deps, tenant_id: str, dataset_id: str, document_id: str, chunk_id: str, image: bytes
) -> str:
    """Keeps (or replaces) the chunk's image; its id. Filed under the document, so it goes when
    the document does."""
    image_id = image_id_of(dataset_id, chunk_id)
    await deps.store.delete_file(image_id)
    await deps.store.put_file(image_id, image_id, image, tenant_id, kind="chunk_image", document_id=document_id)
    return image_id


async def get_image(deps: Deps, tenant_id: str, image_id: str) -> bytes:
    """The image of one of the tenant's chunks, while the chunk exists and names it."""
    dataset_id, _, chunk_id = image_id.partition("-")
    if len(chunk_id) != 32 or not dataset_id:
        raise NotFound("Image not found.")
    hits = await deps.vectors.scroll(Scope(tenant_id=tenant_id, dataset_ids=[dataset_id], chunk_ids=[chunk_id]), 1)
    if not hits or hits[0].payload.get("image_id") != image_id:
        raise NotFound("Image not found.")
    try:
        return b"".join([piece async for piece in await deps.store.open_file(image_id)])
    except FileMissing:
        raise NotFound("Image not found.") from None


async def delete_chunks(
    deps: Deps, tenant_id: str, dataset_id: str, document_id: str, chunk_ids: Sequence[str], delete_all: bool = False
) -> tuple[int, list[str]]:
    """Deletes the given chunks, or with ``delete_all`` (and no ids) every chunk of the document;
    neither is a 102 that deletes nothing (the rule of every bulk delete). Ids sent twice are
    reported in the errors; with some ids unknown the known ones are deleted and InvalidArgument
    names the unknown ones; with all unknown, NotFound."""
    async with deps.locks.of(document_id):
        await get_document(deps, tenant_id, dataset_id, document_id)
        scope = Scope(tenant_id=tenant_id, document_ids=[document_id])
        wanted = ids_to_delete(chunk_ids, delete_all, "chunk")
        if wanted is None:
            before = await deps.vectors.count(scope)
            await deps.vectors.delete(scope)
            await deps.store.delete_chunk_images(tenant_id, [document_id])
            await deps.store.update_document(tenant_id, document_id, {"chunk_count": 0, "update_time": now_ms()})
            return before, []
        valid = [c for c in wanted if len(c) == 32]
        existing = {h.id for h in await deps.vectors.scroll(Scope(tenant_id, (), [document_id], valid), len(valid))}
        unknown = [c for c in wanted if c not in existing]
        delete_outcome("chunk", wanted, len(existing), [f"Chunk {c} not found." for c in unknown])
        await deps.vectors.delete(Scope(tenant_id=tenant_id, document_ids=[document_id], chunk_ids=list(existing)))
        await deps.store.delete_files([image_id_of(dataset_id, c) for c in existing])  # those that have one
        count = await deps.vectors.count(scope)
        await deps.store.update_document(tenant_id, document_id, {"chunk_count": count, "update_time": now_ms()})
    if unknown:
        raise InvalidArgument(f"Chunks not found: {unknown}")
    return len(existing), duplicates("chunk", chunk_ids)
