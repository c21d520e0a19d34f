"""Documents: upload (file in GridFS), list, rename, delete (with their vectors)."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from ragchat_common.bulk_delete import ids_to_delete
from ragchat_common.errors import InvalidArgument, NotFound, PayloadTooLarge
from ragchat_common.ids import new_id
from ragchat_common.paging import page_window
from ragchat_common.timeutil import now_ms
from ragchat_retrieval.domain import ingestion_logs as logs
from ragchat_retrieval.domain.datasets import RUN_STATES, check_chunk_method, check_parser_config, dataset_record
from ragchat_retrieval.domain.deps import Deps, dedupe, delete_outcome, duplicates, free_name, split_name
from ragchat_retrieval.domain.metadata import effective_condition, filter_by_condition, flatten
from ragchat_retrieval.domain.ports import Scope
from ragchat_retrieval.store import StoredBlob

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
    "docx": "doc",
    "xlsx": "doc",
    "pptx": "doc",
    "eml": "doc",
    "epub": "doc",
}
ORDER_FIELDS = ("create_time", "update_time", "name", "size")
MAX_NAME_CHARS = 255


def extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def check_upload_size(name: str, size: int, limit: int) -> None:
    if size > limit:
        raise PayloadTooLarge(f"File '{name}' exceeds the upload limit of {limit // (1024 * 1024)} MiB.")


def check_file(name: str, data: bytes, limit: int) -> str:
    """The document type of an acceptable upload, or InvalidArgument naming the file.

    An empty file is acceptable (RAGFlow stores it too); parsing it yields no chunks."""
    if not name or not name.strip():
        raise InvalidArgument("Every uploaded file needs a file name.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidArgument(f"File name '{name[:40]}...' is longer than {MAX_NAME_CHARS} characters.")
    ext = extension(name)
    if ext not in SUPPORTED_TYPES:
        supported = ", ".join(sorted(SUPPORTED_TYPES))
        raise InvalidArgument(f"File '{name}' has an unsupported type; supported types: {supported}.")
    check_upload_size(name, len(data), limit)
    return SUPPORTED_TYPES[ext]


@dataclass(frozen=True)
class IncomingFile:
    """One file of an upload; `empty` is RAGFlow v0.27's empty document (no file, any name)."""

    name: str
    data: bytes = b""
    empty: bool = False


async def upload_documents(
    deps: Deps, tenant_id: str, dataset_id: str, files: Sequence[IncomingFile]
) -> list[Document]:
    """Stores the files as new documents, in the order given. Every file is checked before any
    is stored. A name the dataset (or an earlier file of the batch) already has gets the first
    free "name(n).ext", as RAGFlow numbers copies; an empty document's taken name is refused."""
    dataset = await dataset_record(deps, tenant_id, dataset_id)
    checked: list[tuple[IncomingFile, str]] = []
    for incoming in files:
        if incoming.empty:
            name = incoming.name.strip()
            checked.append((IncomingFile(name, empty=True), _check_empty_name(name)))
            continue
        name = PurePath(incoming.name.replace("\\", "/")).name if incoming.name else incoming.name
        doc_type = check_file(name, incoming.data, deps.limits.max_upload_bytes)
        checked.append((IncomingFile(name, incoming.data), doc_type))
    # One name allocation at a time per dataset in this process (the single writer).
    async with deps.locks.of(f"names:{dataset_id}"):
        stems = {split_name(f.name)[0] for f, _ in checked}
        taken = await deps.store.document_names_starting_any(tenant_id, dataset_id, sorted(stems))
        records: list[Document] = []
        for incoming, doc_type in checked:
            if incoming.empty:
                if incoming.name in taken:
                    raise InvalidArgument("Duplicated document name in the same dataset.")
                name = incoming.name
            else:
                name = free_name(incoming.name, taken)
                if len(name) > MAX_NAME_CHARS:
                    raise InvalidArgument(f"File name '{name[:40]}...' is longer than {MAX_NAME_CHARS} characters.")
            taken.add(name)
            records.append(_document_record(tenant_id, dataset, name, doc_type, incoming))
        blobs = [StoredBlob(r["id"], r["name"], f.data) for r, (f, _) in zip(records, checked, strict=True)]
        await deps.store.put_files(blobs, tenant_id)
        await deps.store.insert_documents(records)
        return records


async def store_files(deps: Deps, tenant_id: str, files: Sequence[IncomingFile]) -> list[dict[str, Any]]:
    """Keeps the files in the tenant's file store, outside any dataset (RAGFlow v0.27's
    /documents/upload); answers what v0.27 answers of each (id, name, size, type)."""
    for incoming in files:
        if not incoming.name.strip():
            raise InvalidArgument("Every uploaded file needs a file name.")
        if len(incoming.name.encode("utf-8")) > MAX_NAME_CHARS:
            raise InvalidArgument(f"File name must be {MAX_NAME_CHARS} bytes or less.")
        check_upload_size(incoming.name, len(incoming.data), deps.limits.max_upload_bytes)
    now = now_ms()
    stored: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "name": f.name,
            "size": len(f.data),
            "extension": f.name.rsplit(".", 1)[-1].lower() if "." in f.name else "",
            "mime_type": mimetypes.guess_type(f.name)[0] or "application/octet-stream",
            "create_time": now,
        }
        for f in files
    ]
    blobs = [StoredBlob(info["id"], f.name, f.data) for info, f in zip(stored, files, strict=True)]
    await deps.store.put_files(blobs, tenant_id, kind="file")
    return stored


def _check_empty_name(name: str) -> str:
    """An empty document's name, checked as RAGFlow v0.27 checks it; its type is "virtual"."""
    if not name.strip():
        raise InvalidArgument("File name can't be empty.")
    if len(name.encode("utf-8")) > MAX_NAME_CHARS:
        raise InvalidArgument(f"File name must be {MAX_NAME_CHARS} bytes or less.")
    return VIRTUAL_TYPE


VIRTUAL_TYPE = "virtual"


# A document as if never parsed (its chunks are deleted beside it).
UNPARSED: dict[str, Any] = {
    "run": "UNSTART",
    "run_id": "",
    "progress": 0.0,
    "progress_msg": "",
    "chunk_count": 0,
    "token_count": 0,
    "process_duration": 0.0,
}


def _document_record(
    tenant_id: str, dataset: dict[str, Any], name: str, doc_type: str, incoming: IncomingFile
) -> Document:
    now = now_ms()
    return {
        "id": new_id(),
        "tenant_id": tenant_id,
        "dataset_id": dataset["id"],
        "name": name,
        "location": "" if incoming.empty else name,
        "size": len(incoming.data),
        "type": doc_type,
        "suffix": extension(name),
        **UNPARSED,
        "chunk_method": dataset.get("chunk_method", "naive"),
        "parser_config": dataset.get("parser_config") or {},
        "meta_fields": {},
        "process_begin_at": 0,
        "create_time": now,
        "update_time": now,
    }


async def get_document(deps: Deps, tenant_id: str, dataset_id: str, document_id: str) -> Document:
    """The tenant's document; an empty `dataset_id` looks in all of the tenant's datasets."""
    doc = await deps.store.get_document(tenant_id, document_id, dataset_id or None)
    if doc is None and not dataset_id:
        raise NotFound(f"Document {document_id} not found.")
    if doc is None:
        # Same answer for an unknown dataset and a foreign one: nothing is revealed.
        await dataset_record(deps, tenant_id, dataset_id)
        raise NotFound(f"Document {document_id} not found in dataset {dataset_id}.")
    return doc


# RAGFlow's file types, as its document list filters by them.
FILE_TYPES = frozenset({"pdf", "doc", "visual", "aural", "virtual", "folder", "other"})


async def _chosen_by_metadata(
    deps: Deps, tenant_id: str, dataset_id: str, condition: dict[str, Any] | None, metadata: dict[str, Any] | None
) -> set[str] | None:
    """Ids of the dataset's documents the metadata filters choose; None without filters."""
    wanted = {key: values for key, values in (metadata or {}).items() if values not in (None, "", [])}
    condition = effective_condition(condition)
    if not condition and not wanted:
        return None
    if not dataset_id:
        raise InvalidArgument("A dataset id is required to filter documents by metadata.")
    metas = flatten(await deps.store.document_metadata(tenant_id, [dataset_id]))
    chosen = filter_by_condition(metas, condition) if condition else None
    for key, values in wanted.items():
        values = values if isinstance(values, list) else [values]
        having = {i for v in values for i in metas.get(key, {}).get(str(v), [])}
        chosen = having if chosen is None else chosen & having
    return chosen if chosen is not None else set()


def _run_filter(runs: Sequence[str]) -> list[str]:
    """The parse states named, by name in any case or by number (RAGFlow's TaskStatus: 0-4)."""
    states = [RUN_STATES[int(r)] if r.isdigit() and int(r) < len(RUN_STATES) else r.upper() for r in runs]
    invalid = [run for run, state in zip(runs, states, strict=True) if state not in RUN_STATES]
    if invalid:
        raise InvalidArgument(f"Invalid filter run status conditions: {', '.join(invalid)}")
    return states


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
    ids: Sequence[str] = (),
    runs: Sequence[str] = (),
    suffixes: Sequence[str] = (),
    types: Sequence[str] = (),
    metadata_condition: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> tuple[list[Document], int]:
    """A page of the dataset's documents, of any of the parse states `runs`, extensions
    `suffixes` and file `types` given, whose metadata meet `metadata_condition` and `metadata`
    (for each key, one of its values). An `id` or `name` that matches no document of the dataset
    is NotFound ("You don't own the document X.", RAGFlow's words); `ids` lists exactly those.
    No `dataset_id`: the tenant's documents of `ids`, in any of its datasets."""
    if dataset_id:
        await dataset_record(deps, tenant_id, dataset_id)
    elif not ids:
        raise InvalidArgument("A dataset id is required.")
    orderby = orderby or "create_time"
    if orderby not in ORDER_FIELDS:
        raise InvalidArgument(f"`orderby` must be one of: {', '.join(ORDER_FIELDS)}.")
    if create_time_from < 0 or create_time_to < 0:
        raise InvalidArgument("`create_time_from` and `create_time_to` must be epoch milliseconds.")
    if id and ids:
        raise InvalidArgument("Send either `id` or `ids`, not both.")
    for value, exists in (
        (id, lambda: deps.store.get_document(tenant_id, id, dataset_id)),
        (name, lambda: deps.store.document_name_taken(tenant_id, dataset_id, name)),
    ):
        if value and not await exists():
            raise NotFound(f"You don't own the document {value}.")
    run_states = _run_filter(runs)
    unknown_types = sorted(set(types) - FILE_TYPES)
    if unknown_types:
        plural = "s" if len(unknown_types) > 1 else ""
        raise InvalidArgument(f"Invalid filter conditions: {', '.join(unknown_types)} type{plural}")
    skip, limit = page_window(page, page_size, max_page_size=deps.limits.max_page_size)
    chosen = await _chosen_by_metadata(deps, tenant_id, dataset_id, metadata_condition, metadata)
    if chosen is not None:
        ids = [i for i in ids if i in chosen] if ids else sorted(chosen)
        if not ids:
            return [], 0
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
        ids=dedupe(ids),
        runs=run_states,
        suffixes=[s.lower().lstrip(".") for s in suffixes],
        types=list(types),
    )


# Fields a document reports but a client cannot set; sending one with another value is refused
# ("Can't change `chunk_count`.", RAGFlow's words), sending it unchanged is harmless.
READ_ONLY = (
    "id",
    "dataset_id",
    "chunk_count",
    "token_count",
    "progress",
    "progress_msg",
    "run",
    "size",
    "type",
    "location",
    "create_time",
    "update_time",
    "process_begin_at",
    "process_duration",
)


async def update_document(
    deps: Deps, tenant_id: str, dataset_id: str, document_id: str, fields: dict[str, Any]
) -> Document:
    doc = await get_document(deps, tenant_id, dataset_id, document_id)
    for key in READ_ONLY:
        if key in fields and fields[key] != doc.get(key) and not _same_number(fields[key], doc.get(key)):
            raise InvalidArgument(f"Can't change `{key}`.")
    changes: dict[str, Any] = {}
    if "enabled" in fields:
        changes["status"] = _check_enabled(fields["enabled"])
    if "name" in fields:
        if not isinstance(fields["name"], str):
            raise InvalidArgument("`name` should be a string.")
        name = fields["name"].strip()
        if not name:
            raise InvalidArgument("`name` cannot be empty.")
        if len(name) > MAX_NAME_CHARS:
            raise InvalidArgument(f"File name must be {MAX_NAME_CHARS} characters or less.")
        if extension(name) != extension(doc["name"]):
            raise InvalidArgument("The extension of a document's name cannot be changed.")
        if name != doc["name"]:
            if await deps.store.document_name_taken(tenant_id, dataset_id, name, except_id=document_id):
                raise InvalidArgument("Duplicated document name in the same dataset.")
            changes["name"] = name
    if fields.get("meta_fields") is not None:
        if not isinstance(fields["meta_fields"], dict):
            raise InvalidArgument("`meta_fields` must be an object.")
        for key, value in fields["meta_fields"].items():
            # RAGFlow's rule: each value a string or number, or a list of them (filters compare these).
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str | int | float) for v in values):
                raise InvalidArgument(
                    f"`meta_fields.{key}` must be a string, a number or a list of them; got {json.dumps(value)[:100]}"
                )
        changes["meta_fields"] = fields["meta_fields"]
    reparse = False
    if fields.get("chunk_method") is not None:  # "" is refused, as RAGFlow does
        changes["chunk_method"] = check_chunk_method(str(fields["chunk_method"]))
        # Chunks cut by another method are stale: as RAGFlow (0.22.1 and 0.27.0) does, the
        # document goes back to UNSTART without them, and a parse under way is superseded.
        reparse = changes["chunk_method"].lower() != str(doc.get("chunk_method") or "naive").lower()
        if reparse:
            changes.update(UNPARSED)
    if fields.get("parser_config") is not None:
        if not isinstance(fields["parser_config"], dict):
            raise InvalidArgument("`parser_config` must be an object.")
        changes["parser_config"] = check_parser_config(fields["parser_config"], doc.get("parser_config") or None)
    if changes:
        changes["update_time"] = now_ms()
        async with deps.locks.of(document_id):  # no parse run indexes between the reset and the delete
            updated = await deps.store.update_document(tenant_id, document_id, changes)
            if updated is not None and reparse:
                await deps.vectors.delete(Scope(tenant_id=tenant_id, document_ids=[document_id]))
                await deps.store.delete_chunk_images(tenant_id, [document_id])
        if updated is None:
            raise NotFound(f"Document {document_id} not found in dataset {dataset_id}.")
        if reparse and doc.get("run") == "RUNNING" and doc.get("run_id"):
            await logs.close_log(deps, tenant_id, doc["run_id"], logs.CANCELLED, updated)
        payload: dict[str, Any] = {}
        if "name" in changes:
            payload["document_name"] = changes["name"]
        if changes.get("status", doc.get("status", "1")) != doc.get("status", "1"):
            # RAGFlow turns a document off by turning its chunks off: searches leave them out.
            payload["available"] = changes["status"] == "1"
        if payload:
            async with deps.locks.of(document_id):
                scope = Scope(tenant_id=tenant_id, document_ids=[document_id])
                await deps.vectors.set_payload(scope, payload)
        return updated
    return doc


def _check_enabled(value: Any) -> str:
    """`enabled`: 1/0 or true/false → the document's status "1"/"0"."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float) and value in (0, 1):
        return str(int(value))
    raise InvalidArgument(f"`enabled` value invalid, only accept 0 or 1 but is {value}")


def is_enabled(doc: Document) -> bool:
    """New chunks of a disabled document are indexed switched off, like the others."""
    return str(doc.get("status", "1")) != "0"


def _same_number(a: Any, b: Any) -> bool:
    """JSON numbers arrive as floats through a Struct: 3.0 is the stored 3."""
    numbers = (int, float)
    return isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and float(a) == float(b)


# Documents deleted per round of bulk writes; their locks are held together meanwhile.
DELETE_SLICE = 100


async def delete_documents(
    deps: Deps,
    tenant_id: str,
    dataset_id: str,
    ids: Sequence[str],
    delete_all: bool = False,
    all_or_nothing: bool = False,
) -> tuple[int, list[str]]:
    """Deletes documents with their files and vectors. Ids sent twice are reported in the errors;
    with some ids unknown the known ones are deleted and InvalidArgument names the unknown ones
    (RAGFlow's "Documents not found: [...]"); with all unknown, NotFound. ``all_or_nothing``
    (RAGFlow v0.27): an id sent twice or unknown is InvalidArgument before anything is deleted.

    In slices of bulk writes (RAGFlow's clients delete 1,000 at once; one document at a time, a
    vector delete and three writes each, took ~27 ms apiece). Each slice holds its documents'
    locks: a parse run indexing one of them either finished before its vectors are deleted or
    finds the document gone, never leaving vectors of a deleted document behind."""
    await dataset_record(deps, tenant_id, dataset_id)
    wanted = ids_to_delete(ids, delete_all, "document")
    repeated = duplicates("document", ids)
    if repeated and all_or_nothing:
        raise InvalidArgument("; ".join(repeated))
    if wanted is None:
        wanted = await deps.store.document_ids_of(tenant_id, dataset_id)
        if not wanted:
            return 0, []
        found = set(wanted)
    else:
        found = await deps.store.existing_document_ids(tenant_id, dataset_id, wanted)
    unknown = [i for i in wanted if i not in found]
    if unknown and all_or_nothing:
        raise InvalidArgument(
            f"These documents do not belong to dataset {dataset_id} or Document not found: {', '.join(unknown)}"
        )
    if unknown and not found:
        delete_outcome("document", wanted, 0, [f"Document {i} not found in dataset {dataset_id}." for i in unknown])
    doomed = [i for i in wanted if i in found]
    deleted = 0
    for start in range(0, len(doomed), DELETE_SLICE):
        batch = doomed[start : start + DELETE_SLICE]
        async with deps.locks.all_of(batch):
            await deps.vectors.delete(Scope(tenant_id=tenant_id, document_ids=batch))
            deleted += await deps.store.delete_documents_with_files(tenant_id, dataset_id, batch)
    if unknown:
        raise InvalidArgument(f"Documents not found: {unknown}")
    return deleted, repeated
