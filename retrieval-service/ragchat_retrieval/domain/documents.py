"""Documents: upload (file in GridFS), list, rename, delete (with their vectors)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from ragchat_common.errors import InvalidArgument, NotFound, PayloadTooLarge
from ragchat_common.ids import new_id
from ragchat_common.timeutil import now_ms
from ragchat_retrieval.domain.datasets import check_parser_config, get_dataset
from ragchat_retrieval.domain.deps import Deps, dedupe, delete_outcome, page_window
from ragchat_retrieval.domain.ports import Scope

Document = dict[str, Any]

# extension → RAGFlow's document type
SUPPORTED_TYPES: dict[str, str] = {
    "txt": "doc",
    "text": "doc",
    "md": "doc",
    "markdown": "doc",
    "mdx": "doc",
    "html": "doc",
    "htm": "doc",
    "xhtml": "doc",
    "csv": "doc",
    "json": "doc",
    "log": "doc",
    "rst": "doc",
    "pdf": "pdf",
}
ORDER_FIELDS = ("create_time", "update_time", "name", "size")
MAX_NAME_CHARS = 255


def extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def check_upload_size(name: str, size: int, limit: int) -> None:
    if size > limit:
        raise PayloadTooLarge(f"File '{name}' exceeds the upload limit of {limit // (1024 * 1024)} MiB.")


def check_file(name: str, data: bytes, limit: int) -> str:
    """The document type of an acceptable upload, or InvalidArgument naming the file."""
    if not name or not name.strip():
        raise InvalidArgument("Every uploaded file needs a file name.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidArgument(f"File name '{name[:40]}...' is longer than {MAX_NAME_CHARS} characters.")
    ext = extension(name)
    if ext not in SUPPORTED_TYPES:
        supported = ", ".join(sorted(SUPPORTED_TYPES))
        raise InvalidArgument(f"File '{name}' has an unsupported type; supported types: {supported}.")
    check_upload_size(name, len(data), limit)
    if not data:
        raise InvalidArgument(f"File '{name}' is empty.")
    return SUPPORTED_TYPES[ext]


async def upload_document(deps: Deps, tenant_id: str, dataset_id: str, name: str, data: bytes) -> Document:
    dataset = await get_dataset(deps, tenant_id, dataset_id)
    name = PurePath(name.replace("\\", "/")).name if name else name
    doc_type = check_file(name, data, deps.limits.max_upload_bytes)
    now = now_ms()
    record: Document = {
        "id": new_id(),
        "tenant_id": tenant_id,
        "dataset_id": dataset_id,
        "name": name,
        "location": name,
        "size": len(data),
        "type": doc_type,
        "suffix": extension(name),
        "run": "UNSTART",
        "run_id": "",
        "progress": 0.0,
        "progress_msg": "",
        "chunk_count": 0,
        "token_count": 0,
        "chunk_method": dataset.get("chunk_method", "naive"),
        "parser_config": dataset.get("parser_config") or {},
        "meta_fields": {},
        "process_begin_at": 0,
        "process_duration": 0.0,
        "create_time": now,
        "update_time": now,
    }
    await deps.store.put_file(record["id"], name, data, tenant_id)
    await deps.store.insert_document(record)
    return record


async def get_document(deps: Deps, tenant_id: str, dataset_id: str, document_id: str) -> Document:
    doc = await deps.store.get_document(tenant_id, document_id, dataset_id)
    if doc is None:
        # Same answer for an unknown dataset and a foreign one: nothing is revealed.
        await get_dataset(deps, tenant_id, dataset_id)
        raise NotFound(f"Document {document_id} not found in dataset {dataset_id}.")
    return doc


async def list_documents(
    deps: Deps,
    tenant_id: str,
    dataset_id: str,
    *,
    page: int = 1,
    page_size: int = 30,
    orderby: str = "create_time",
    desc: bool = True,
    id: str = "",
    name: str = "",
    keywords: str = "",
    create_time_from: int = 0,
    create_time_to: int = 0,
) -> tuple[list[Document], int]:
    await get_dataset(deps, tenant_id, dataset_id)
    orderby = orderby or "create_time"
    if orderby not in ORDER_FIELDS:
        raise InvalidArgument(f"`orderby` must be one of: {', '.join(ORDER_FIELDS)}.")
    if create_time_from < 0 or create_time_to < 0:
        raise InvalidArgument("`create_time_from` and `create_time_to` must be epoch milliseconds.")
    skip, limit = page_window(page, page_size, deps.limits.max_page_size)
    return await deps.store.list_documents(
        tenant_id,
        dataset_id,
        skip=skip,
        limit=limit,
        orderby=orderby,
        desc=desc,
        id=id,
        name=name,
        keywords=keywords,
        create_time_from=create_time_from,
        create_time_to=create_time_to,
    )


async def update_document(
    deps: Deps, tenant_id: str, dataset_id: str, document_id: str, fields: dict[str, Any]
) -> Document:
    doc = await get_document(deps, tenant_id, dataset_id, document_id)
    changes: dict[str, Any] = {}
    if fields.get("name") is not None:
        name = str(fields["name"]).strip()
        if not name:
            raise InvalidArgument("`name` cannot be empty.")
        if extension(name) != extension(doc["name"]):
            raise InvalidArgument("The extension of a document's name cannot be changed.")
        changes["name"] = name
    if fields.get("meta_fields") is not None:
        if not isinstance(fields["meta_fields"], dict):
            raise InvalidArgument("`meta_fields` must be an object.")
        changes["meta_fields"] = fields["meta_fields"]
    if fields.get("chunk_method") not in (None, "", "naive"):
        raise InvalidArgument(f"Chunk method '{fields['chunk_method']}' is not supported; supported methods: naive.")
    if fields.get("parser_config") is not None:
        if not isinstance(fields["parser_config"], dict):
            raise InvalidArgument("`parser_config` must be an object.")
        changes["parser_config"] = check_parser_config(fields["parser_config"], doc.get("parser_config") or None)
    if changes:
        changes["update_time"] = now_ms()
        updated = await deps.store.update_document(tenant_id, document_id, changes)
        if updated is None:
            raise NotFound(f"Document {document_id} not found in dataset {dataset_id}.")
        if "name" in changes:
            async with deps.locks.of(document_id):
                scope = Scope(tenant_id=tenant_id, document_ids=[document_id])
                await deps.vectors.set_payload(scope, {"document_name": changes["name"]})
        return updated
    return doc


async def delete_documents(
    deps: Deps, tenant_id: str, dataset_id: str, ids: Sequence[str], delete_all: bool = False
) -> tuple[int, list[str]]:
    await get_dataset(deps, tenant_id, dataset_id)
    wanted = dedupe(ids)
    if not wanted:
        if not delete_all:
            raise InvalidArgument('`ids` is required; send "delete_all": true to delete every document')
        wanted = await deps.store.document_ids_of(tenant_id, dataset_id)
        if not wanted:
            return 0, []
    found = {d["id"] for d in await deps.store.get_documents(tenant_id, wanted, dataset_id)}
    errors = [f"Document {i} not found in dataset {dataset_id}." for i in wanted if i not in found]
    deleted = 0
    for document_id in (i for i in wanted if i in found):
        async with deps.locks.of(document_id):
            await deps.vectors.delete(Scope(tenant_id=tenant_id, document_ids=[document_id]))
            await deps.store.delete_file(document_id)
            if await deps.store.delete_document(tenant_id, document_id):
                deleted += 1
    return delete_outcome("document", wanted, deleted, errors)
