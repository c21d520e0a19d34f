"""Chat assistants in MongoDB (motor).

Indexes: unique (tenant_id, name_lower) — names are unique per tenant ignoring case — and
(tenant_id, <order field>) for listing.
"""

from __future__ import annotations

import re
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ragchat_chat.domain.types import Chat, ChatPage, ChatQuery, DatasetRef
from ragchat_common.mongo import by_id, find_page

COLLECTION = "chats"


class DuplicateName(Exception):
    """Another chat of the tenant has this name (ignoring case)."""


def _to_chat(doc: dict[str, Any]) -> Chat:
    return Chat(
        id=doc["_id"],
        tenant_id=doc["tenant_id"],
        name=doc["name"],
        description=doc.get("description", ""),
        avatar=doc.get("avatar", ""),
        dataset_ids=list(doc.get("dataset_ids", [])),
        datasets=[DatasetRef(id=d["id"], name=d.get("name", "")) for d in doc.get("datasets", [])],
        llm=dict(doc.get("llm", {})),
        prompt=dict(doc.get("prompt", {})),
        create_time=doc["create_time"],
        update_time=doc["update_time"],
    )


def _to_doc_fields(fields: dict[str, Any]) -> dict[str, Any]:
    doc = dict(fields)
    if "name" in doc:
        doc["name_lower"] = doc["name"].lower()
    if "datasets" in doc:
        doc["datasets"] = [{"id": ref.id, "name": ref.name} for ref in doc["datasets"]]
    return doc


class ChatStore:
    def __init__(self, db: AsyncIOMotorDatabase[Any]) -> None:
        self.collection = db[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("tenant_id", ASCENDING), ("name_lower", ASCENDING)], unique=True, name="tenant_name_unique"
        )
        for order_field in ("create_time", "update_time", "name"):
            await self.collection.create_index(
                [("tenant_id", ASCENDING), (order_field, ASCENDING)], name=f"tenant_{order_field}"
            )

    async def insert(self, chat: Chat) -> None:
        doc = _to_doc_fields(
            {
                "_id": chat.id,
                "tenant_id": chat.tenant_id,
                "name": chat.name,
                "description": chat.description,
                "avatar": chat.avatar,
                "dataset_ids": chat.dataset_ids,
                "datasets": chat.datasets,
                "llm": chat.llm,
                "prompt": chat.prompt,
                "create_time": chat.create_time,
                "update_time": chat.update_time,
            }
        )
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            raise DuplicateName(chat.name) from None

    async def name_taken(self, tenant_id: str, name: str) -> bool:
        doc = await self.collection.find_one({"tenant_id": tenant_id, "name_lower": name.lower()}, {"_id": 1})
        return doc is not None

    async def get(self, tenant_id: str, chat_id: str) -> Chat | None:
        doc = await self.collection.find_one(by_id(chat_id, tenant_id=tenant_id))
        return None if doc is None else _to_chat(doc)

    async def update(self, tenant_id: str, chat_id: str, fields: dict[str, Any]) -> Chat | None:
        try:
            doc = await self.collection.find_one_and_update(
                by_id(chat_id, tenant_id=tenant_id),
                {"$set": _to_doc_fields(fields)},
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            raise DuplicateName(fields.get("name", "")) from None
        return None if doc is None else _to_chat(doc)

    async def list_page(self, tenant_id: str, query: ChatQuery) -> ChatPage:
        where: dict[str, Any] = {"tenant_id": tenant_id}
        if query.id is not None:
            where["_id"] = query.id
        if query.name is not None:
            where["name"] = query.name
        if query.keywords:
            where["name_lower"] = {"$regex": re.escape(query.keywords.lower())}
        docs, total = await find_page(
            self.collection,
            where,
            sort_key=query.orderby,
            desc=query.desc,
            skip=(query.page - 1) * query.page_size,
            limit=query.page_size,
        )
        return ChatPage(chats=[_to_chat(d) for d in docs], total=total)

    async def existing_ids(self, tenant_id: str, ids: list[str]) -> set[str]:
        cursor = self.collection.find(by_id({"$in": ids}, tenant_id=tenant_id), {"_id": 1})
        return {doc["_id"] for doc in await cursor.to_list(length=None)}

    async def all_ids(self, tenant_id: str) -> set[str]:
        cursor = self.collection.find({"tenant_id": tenant_id}, {"_id": 1})
        return {doc["_id"] for doc in await cursor.to_list(length=None)}

    async def delete_ids(self, tenant_id: str, ids: list[str]) -> None:
        await self.collection.delete_many(by_id({"$in": ids}, tenant_id=tenant_id))
