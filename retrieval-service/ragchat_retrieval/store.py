"""Mongo persistence of datasets, documents and their files (GridFS); tenant in every query.

Chunks live in the vector store only (content in the payload), so there is one copy of them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import Binary, ObjectId
from gridfs.errors import NoFile
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase, AsyncIOMotorGridFSBucket
from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError, PyMongoError

from ragchat_common.errors import InvalidArgument, NotFound, Unavailable
from ragchat_common.mongo import by_id, find_page, id_first

Doc = dict[str, Any]

DATASETS = "datasets"
DOCUMENTS = "documents"
INGESTION_LOGS = "ingestion_logs"
FILES_BUCKET = "document_files"


async def _collect(cursor: Any) -> list[Doc]:
    out: list[Doc] = []
    async for row in cursor:
        public = _public(row)
        if public is not None:
            out.append(public)
    return out


def _created_between(query: Doc, start_ms: int, end_ms: int) -> None:
    """Narrows ``query`` to ``start_ms <= create_time <= end_ms`` (0: that side open)."""
    bounds: Doc = {}
    if start_ms:
        bounds["$gte"] = start_ms
    if end_ms:
        bounds["$lte"] = end_ms
    if bounds:
        query["create_time"] = bounds


class NameTaken(InvalidArgument):
    """A dataset name already used by the tenant (names are unique ignoring case)."""


class FileMissing(NotFound):
    """A document's (or image's) file is not in the file store: deleted meanwhile."""


class StoreUnavailable(Unavailable):
    def __init__(self) -> None:
        super().__init__("The dataset store is unavailable; please retry.")


def _dataset_sort_key(orderby: str) -> str:
    # Dataset names sort ignoring case, as they are unique ignoring case.
    return {"name": "name_lower"}.get(orderby, orderby)


def _public(doc: Mapping[str, Any] | None) -> Doc | None:
    if doc is None:
        return None
    out = dict(doc)
    out["id"] = out.pop("_id")
    out.pop("name_lower", None)
    return out


async def _pieces(stream: Any, piece_bytes: int) -> AsyncIterator[bytes]:
    while True:
        piece: bytes = await stream.read(piece_bytes)
        if not piece:
            break
        yield piece


@dataclass(frozen=True)
class StoredBlob:
    id: str
    name: str
    data: bytes


def _file_metadata(tenant_id: str, kind: str) -> Doc:
    return {"tenant_id": tenant_id} if kind == "document" else {"tenant_id": tenant_id, "kind": kind}


# GridFS's default piece size, and documents per bulk insert (well under Mongo's 48 MB batches).
GRIDFS_CHUNK_BYTES = 255 * 1024
BULK_WRITE_DOCS = 100


class Store:
    """Typed access to the collections; every method takes the tenant."""

    def __init__(self, url: str, db_name: str) -> None:
        self.client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(url, serverSelectionTimeoutMS=5000)
        self.db: AsyncIOMotorDatabase[Any] = self.client[db_name]
        self.files = AsyncIOMotorGridFSBucket(self.db, bucket_name=FILES_BUCKET)

    async def ensure_indexes(self) -> None:
        datasets = self.db[DATASETS]
        await datasets.create_index([("tenant_id", ASCENDING), ("name_lower", ASCENDING)], unique=True)
        await datasets.create_index([("tenant_id", ASCENDING), ("create_time", DESCENDING)])
        documents = self.db[DOCUMENTS]
        await documents.create_index([("tenant_id", ASCENDING), ("dataset_id", ASCENDING), ("create_time", DESCENDING)])
        await documents.create_index([("tenant_id", ASCENDING), ("dataset_id", ASCENDING), ("name", ASCENDING)])
        # GridFS's own indexes, made here because put_files writes the bucket's collections itself.
        await self.db[f"{FILES_BUCKET}.chunks"].create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)
        await self.db[f"{FILES_BUCKET}.files"].create_index([("filename", ASCENDING), ("uploadDate", ASCENDING)])
        # Chunk images, found by their document when it (or its dataset) is deleted.
        await self.db[f"{FILES_BUCKET}.files"].create_index([("metadata.document_id", ASCENDING)], sparse=True)
        logs = self.db[INGESTION_LOGS]
        await logs.create_index([("tenant_id", ASCENDING), ("dataset_id", ASCENDING), ("create_time", DESCENDING)])

    async def ping(self) -> None:
        try:
            await self.db.command("ping")
        except PyMongoError as exc:
            raise StoreUnavailable() from exc

    def close(self) -> None:
        self.client.close()

    # -- datasets ------------------------------------------------------------------------
    async def insert_dataset(self, record: Doc) -> Doc:
        row = {**record, "_id": record["id"], "name_lower": record["name"].lower()}
        row.pop("id")
        try:
            await self.db[DATASETS].insert_one(row)
        except DuplicateKeyError:
            raise NameTaken(f"Dataset name '{record['name']}' already exists") from None
        return record

    async def dataset_names_starting(self, tenant_id: str, prefix: str) -> set[str]:
        """The tenant's dataset names that start with `prefix`, ignoring case."""
        query = {"tenant_id": tenant_id, "name_lower": {"$regex": "^" + re.escape(prefix.lower())}}
        return {row["name"] async for row in self.db[DATASETS].find(query, {"name": 1})}

    async def get_datasets(self, tenant_id: str, ids: Sequence[str]) -> list[Doc]:
        cursor = self.db[DATASETS].find(by_id({"$in": list(ids)}, tenant_id=tenant_id))
        return await _collect(cursor)

    async def update_dataset(self, tenant_id: str, dataset_id: str, changes: Doc) -> Doc | None:
        update = dict(changes)
        if "name" in update:
            update["name_lower"] = update["name"].lower()
        try:
            row = await self.db[DATASETS].find_one_and_update(
                by_id(dataset_id, tenant_id=tenant_id),
                {"$set": update},
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            raise NameTaken(f"Dataset name '{changes.get('name')}' already exists") from None
        return _public(row)

    async def list_datasets(
        self,
        tenant_id: str,
        *,
        skip: int,
        limit: int,
        orderby: str,
        desc: bool,
        id: str = "",
        name: str = "",
        ids: Sequence[str] = (),
    ) -> tuple[list[Doc], int]:
        query: Doc = {"tenant_id": tenant_id}
        if ids:
            query["_id"] = {"$in": list(ids)}
        if id:
            query["_id"] = id
        if name:
            query["name_lower"] = name.lower()
        rows, total = await find_page(
            self.db[DATASETS], query, sort_key=_dataset_sort_key(orderby), desc=desc, skip=skip, limit=limit
        )
        return [doc for doc in map(_public, rows) if doc is not None], total

    async def delete_datasets_with_contents(self, tenant_id: str, dataset_ids: Sequence[str]) -> int:
        """The datasets, their documents, the documents' files and the ingestion logs, in a few
        bulk writes (the datasets last: one that is still listed still owns its documents)."""
        ids = list(dataset_ids)
        document_ids = [
            row["_id"]
            async for row in self.db[DOCUMENTS].find({"tenant_id": tenant_id, "dataset_id": {"$in": ids}}, {"_id": 1})
        ]
        for start in range(0, len(document_ids), BULK_WRITE_DOCS):
            await self.delete_files(document_ids[start : start + BULK_WRITE_DOCS])
            await self.delete_chunk_images(tenant_id, document_ids[start : start + BULK_WRITE_DOCS])
        await self.db[DOCUMENTS].delete_many({"tenant_id": tenant_id, "dataset_id": {"$in": ids}})
        await self.db[INGESTION_LOGS].delete_many({"tenant_id": tenant_id, "dataset_id": {"$in": ids}})
        result = await self.db[DATASETS].delete_many(by_id({"$in": ids}, tenant_id=tenant_id))
        return int(result.deleted_count)

    async def dataset_counts(self, tenant_id: str, dataset_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """dataset id → (document_count, chunk_count), computed so they are never stale."""
        pipeline = [
            {"$match": {"tenant_id": tenant_id, "dataset_id": {"$in": list(dataset_ids)}}},
            {"$group": {"_id": "$dataset_id", "docs": {"$sum": 1}, "chunks": {"$sum": "$chunk_count"}}},
        ]
        counts: dict[str, tuple[int, int]] = {}
        async for row in self.db[DOCUMENTS].aggregate(pipeline):
            counts[row["_id"]] = (int(row["docs"]), int(row["chunks"]))
        return counts

    async def dataset_summary(self, tenant_id: str, dataset_id: str) -> dict[str, tuple[int, int, int]]:
        """run state → (documents, chunks, tokens) of one dataset."""
        pipeline: list[Doc] = [
            {"$match": {"tenant_id": tenant_id, "dataset_id": dataset_id}},
            {
                "$group": {
                    "_id": "$run",
                    "docs": {"$sum": 1},
                    "chunks": {"$sum": "$chunk_count"},
                    "tokens": {"$sum": "$token_count"},
                }
            },
        ]
        out: dict[str, tuple[int, int, int]] = {}
        async for row in self.db[DOCUMENTS].aggregate(pipeline):
            out[str(row["_id"])] = (int(row["docs"]), int(row["chunks"]), int(row["tokens"]))
        return out

    # -- documents -----------------------------------------------------------------------
    async def insert_document(self, record: Doc) -> Doc:
        row = {**record, "_id": record["id"]}
        row.pop("id")
        await self.db[DOCUMENTS].insert_one(row)
        return record

    async def insert_documents(self, records: Sequence[Doc]) -> None:
        rows = [{**{k: v for k, v in record.items() if k != "id"}, "_id": record["id"]} for record in records]
        if rows:
            await self.db[DOCUMENTS].insert_many(rows, ordered=True)

    async def get_document(self, tenant_id: str, document_id: str, dataset_id: str | None = None) -> Doc | None:
        query: Doc = by_id(document_id, tenant_id=tenant_id)
        if dataset_id is not None:
            query["dataset_id"] = dataset_id
        return _public(await self.db[DOCUMENTS].find_one(query))

    async def get_documents(self, tenant_id: str, ids: Sequence[str], dataset_id: str | None = None) -> list[Doc]:
        query: Doc = by_id({"$in": list(ids)}, tenant_id=tenant_id)
        if dataset_id is not None:
            query["dataset_id"] = dataset_id
        cursor = self.db[DOCUMENTS].find(query)
        return await _collect(cursor)

    async def document_names(self, tenant_id: str, ids: Sequence[str]) -> dict[str, str]:
        cursor = self.db[DOCUMENTS].find(by_id({"$in": list(ids)}, tenant_id=tenant_id), {"name": 1})
        return {row["_id"]: row["name"] async for row in cursor}

    async def document_names_starting(self, tenant_id: str, dataset_id: str, prefix: str) -> set[str]:
        """Names of the dataset's documents that start with `prefix` (exact case)."""
        query = {"tenant_id": tenant_id, "dataset_id": dataset_id, "name": {"$regex": "^" + re.escape(prefix)}}
        return {row["name"] async for row in self.db[DOCUMENTS].find(query, {"name": 1})}

    async def document_names_starting_any(self, tenant_id: str, dataset_id: str, prefixes: Sequence[str]) -> set[str]:
        """Names of the dataset's documents that start with any of `prefixes` (exact case): one
        query for a whole upload, however many files it has."""
        if len(prefixes) == 1:
            return await self.document_names_starting(tenant_id, dataset_id, prefixes[0])
        query = {"tenant_id": tenant_id, "dataset_id": dataset_id}
        names = {row["name"] async for row in self.db[DOCUMENTS].find(query, {"name": 1})}
        return {name for name in names if name.startswith(tuple(prefixes))}

    async def document_name_taken(self, tenant_id: str, dataset_id: str, name: str, except_id: str = "") -> bool:
        query: Doc = {"tenant_id": tenant_id, "dataset_id": dataset_id, "name": name}
        if except_id:
            query["_id"] = {"$ne": except_id}
        return await self.db[DOCUMENTS].find_one(query, {"_id": 1}) is not None

    async def list_documents(
        self,
        tenant_id: str,
        dataset_id: str,
        *,
        skip: int,
        limit: int,
        orderby: str,
        desc: bool,
        id: str = "",
        name: str = "",
        keywords: str = "",
        create_time_from: int = 0,
        create_time_to: int = 0,
        ids: Sequence[str] = (),
        runs: Sequence[str] = (),
        suffixes: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> tuple[list[Doc], int]:
        query: Doc = {"tenant_id": tenant_id}
        if dataset_id:
            query["dataset_id"] = dataset_id
        for field, wanted in (("run", runs), ("suffix", suffixes), ("type", types)):
            if wanted:
                query[field] = {"$in": list(wanted)}
        if ids:
            query["_id"] = {"$in": list(ids)}
        if id:
            query["_id"] = id
        if name:
            query["name"] = name
        if keywords:
            query["name"] = {"$regex": re.escape(keywords), "$options": "i"}
        _created_between(query, create_time_from, create_time_to)
        rows, total = await find_page(self.db[DOCUMENTS], query, sort_key=orderby, desc=desc, skip=skip, limit=limit)
        return [doc for doc in map(_public, rows) if doc is not None], total

    async def document_ids_of(self, tenant_id: str, dataset_id: str) -> list[str]:
        cursor = self.db[DOCUMENTS].find({"tenant_id": tenant_id, "dataset_id": dataset_id}, {"_id": 1})
        return [row["_id"] async for row in cursor]

    async def update_document(
        self, tenant_id: str, document_id: str, changes: Doc, *, expect: Doc | None = None, inc: Doc | None = None
    ) -> Doc | None:
        """Apply `changes` when the document matches `expect` too (e.g. its current run)."""
        query: Doc = by_id(document_id, tenant_id=tenant_id, **(expect or {}))
        update: Doc = {}
        if changes:
            update["$set"] = changes
        if inc:
            update["$inc"] = inc
        row = await self.db[DOCUMENTS].find_one_and_update(query, update, return_document=ReturnDocument.AFTER)
        return _public(row)

    async def existing_document_ids(self, tenant_id: str, dataset_id: str, ids: Sequence[str]) -> set[str]:
        """Those of `ids` that are documents of the tenant's dataset (ids only, a query per 100)."""
        found: set[str] = set()
        for start in range(0, len(ids), BULK_WRITE_DOCS):
            page = list(ids[start : start + BULK_WRITE_DOCS])
            query = by_id({"$in": page}, tenant_id=tenant_id, dataset_id=dataset_id)
            found.update([row["_id"] async for row in self.db[DOCUMENTS].find(query, {"_id": 1})])
        return found

    async def delete_documents_with_files(self, tenant_id: str, dataset_id: str, document_ids: Sequence[str]) -> int:
        """The dataset's documents of `document_ids`, their files and their chunks' images, in a
        few bulk writes; how many documents went. The records go first: a parse job that still
        finds its document then always finds its file too."""
        ids = list(document_ids)
        result = await self.db[DOCUMENTS].delete_many(by_id({"$in": ids}, tenant_id=tenant_id, dataset_id=dataset_id))
        await self.delete_files(ids)
        await self.delete_chunk_images(tenant_id, ids)
        return int(result.deleted_count)

    async def document_metadata(
        self, tenant_id: str, dataset_ids: Sequence[str], document_ids: Sequence[str] = ()
    ) -> list[Doc]:
        """id, dataset_id and meta_fields of the datasets' documents (only `document_ids` if given)."""
        query: Doc = {"tenant_id": tenant_id, "dataset_id": {"$in": list(dataset_ids)}}
        if document_ids:
            query["_id"] = {"$in": list(document_ids)}
        cursor = self.db[DOCUMENTS].find(id_first(query), {"dataset_id": 1, "meta_fields": 1}).sort("_id", ASCENDING)
        return await _collect(cursor)

    async def set_meta_fields(self, tenant_id: str, meta_by_document: Mapping[str, Doc], now: int) -> None:
        """Sets each document's meta_fields, in bulk writes of ``BULK_WRITE_DOCS`` (a missing document
        is skipped)."""
        updates = [
            UpdateOne(by_id(doc_id, tenant_id=tenant_id), {"$set": {"meta_fields": meta, "update_time": now}})
            for doc_id, meta in meta_by_document.items()
        ]
        for start in range(0, len(updates), BULK_WRITE_DOCS):
            await self.db[DOCUMENTS].bulk_write(updates[start : start + BULK_WRITE_DOCS], ordered=False)

    # -- ingestion logs (one per parse run) ----------------------------------------------
    async def insert_ingestion_log(self, record: Doc) -> None:
        row = {**record, "_id": record["id"]}
        row.pop("id")
        await self.db[INGESTION_LOGS].insert_one(row)

    async def update_ingestion_log(self, tenant_id: str, log_id: str, changes: Doc) -> None:
        await self.db[INGESTION_LOGS].update_one(by_id(log_id, tenant_id=tenant_id), {"$set": changes})

    async def get_ingestion_log(self, tenant_id: str, dataset_id: str, log_id: str) -> Doc | None:
        query = by_id(log_id, tenant_id=tenant_id, dataset_id=dataset_id)
        return _public(await self.db[INGESTION_LOGS].find_one(query))

    async def list_ingestion_logs(
        self,
        tenant_id: str,
        dataset_id: str,
        *,
        skip: int,
        limit: int,
        orderby: str,
        desc: bool,
        statuses: Sequence[str] = (),
        create_time_from: int = 0,
        create_time_to: int = 0,
        keywords: str = "",
    ) -> tuple[list[Doc], int]:
        query: Doc = {"tenant_id": tenant_id, "dataset_id": dataset_id}
        if statuses:
            query["operation_status"] = {"$in": list(statuses)}
        if keywords:
            query["document_name"] = {"$regex": re.escape(keywords), "$options": "i"}
        _created_between(query, create_time_from, create_time_to)
        rows, total = await find_page(
            self.db[INGESTION_LOGS], query, sort_key=orderby, desc=desc, skip=skip, limit=limit
        )
        return [doc for doc in map(_public, rows) if doc is not None], total

    # -- files ---------------------------------------------------------------------------
    async def put_file(
        self, file_id: str, name: str, data: bytes, tenant_id: str, *, kind: str = "document", document_id: str = ""
    ) -> None:
        """`kind`: "document" (a dataset's document), "file" (the tenant's file store) or
        "chunk_image" (of a chunk of `document_id`)."""
        metadata = _file_metadata(tenant_id, kind)
        if document_id:
            metadata["document_id"] = document_id
        await self.files.upload_from_stream_with_id(file_id, name, data, metadata=metadata)

    async def delete_chunk_images(self, tenant_id: str, document_ids: Sequence[str]) -> None:
        """The images of the chunks of these documents."""
        query = {"metadata.document_id": {"$in": list(document_ids)}, "metadata.tenant_id": tenant_id}
        ids = [row["_id"] async for row in self.db[f"{FILES_BUCKET}.files"].find(query, {"_id": 1})]
        for start in range(0, len(ids), BULK_WRITE_DOCS):
            await self.delete_files(ids[start : start + BULK_WRITE_DOCS])

    async def put_files(self, files: Sequence[StoredBlob], tenant_id: str, *, kind: str = "document") -> None:
        """Stores many files in a few bulk writes, in GridFS's layout (readable by read_file).

        GridFS's own writer costs several round trips per file (its index checks, one chunk
        write, one file write): a thousand small files took ~14 s that way, about 1 s so."""
        chunks: list[Doc] = []
        entries: list[Doc] = []
        now = datetime.now(UTC)
        for blob in files:
            for n, start in enumerate(range(0, len(blob.data), GRIDFS_CHUNK_BYTES)):
                piece = blob.data[start : start + GRIDFS_CHUNK_BYTES]
                chunks.append({"_id": ObjectId(), "files_id": blob.id, "n": n, "data": Binary(piece)})
            entries.append(
                {
                    "_id": blob.id,
                    "length": len(blob.data),
                    "chunkSize": GRIDFS_CHUNK_BYTES,
                    "uploadDate": now,
                    "filename": blob.name,
                    "metadata": _file_metadata(tenant_id, kind),
                }
            )
        # Chunks first: a file entry is only there once all of its content is.
        for start in range(0, len(chunks), BULK_WRITE_DOCS):
            await self.db[f"{FILES_BUCKET}.chunks"].insert_many(chunks[start : start + BULK_WRITE_DOCS], ordered=False)
        for start in range(0, len(entries), BULK_WRITE_DOCS):
            await self.db[f"{FILES_BUCKET}.files"].insert_many(entries[start : start + BULK_WRITE_DOCS], ordered=False)

    async def open_file(self, file_id: str, piece_bytes: int = 1024 * 1024) -> AsyncIterator[bytes]:
        """The file's content, piece by piece; FileMissing at once when there is no such file
        (before a caller has sent anything about it)."""
        try:
            stream = await self.files.open_download_stream(file_id)
        except NoFile:
            raise FileMissing(f"File {file_id} not found.") from None
        return _pieces(stream, piece_bytes)

    async def delete_file(self, file_id: str) -> None:
        try:
            await self.files.delete(file_id)
        except Exception:  # already gone: deleting is idempotent
            return

    async def delete_files(self, file_ids: Sequence[str]) -> None:
        """Many files in two writes (GridFS's own delete is two round trips per file); the file
        entries first, so no file is ever listed without its content."""
        ids = list(file_ids)
        await self.db[f"{FILES_BUCKET}.files"].delete_many({"_id": {"$in": ids}})
        await self.db[f"{FILES_BUCKET}.chunks"].delete_many({"files_id": {"$in": ids}})
