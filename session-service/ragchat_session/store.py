"""Sessions in MongoDB (motor): one document per session, its messages embedded.

Indexes: (tenant_id, chat_id, <order field>) for listing and filtering, and a TTL index on
``expire_at`` (set to last activity + retention on every write), so a session inactive for the
retention period disappears and changing the retention needs no index rebuild.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from motor.motor_asyncio import AsyncIOMotorDatabase
from pymongo import ASCENDING, ReturnDocument

from ragchat_common.mongo import by_id, find_page
from ragchat_session.domain.types import Message, Session, SessionPage, SessionQuery

COLLECTION = "sessions"
# The fields of each message that a history (the input of a prompt) carries.
HISTORY_FIELDS = {"messages.id": 1, "messages.role": 1, "messages.content": 1, "messages.created_at": 1}


def _to_session(doc: dict[str, Any]) -> Session:
    return Session(
        id=doc["_id"],
        tenant_id=doc["tenant_id"],
        chat_id=doc["chat_id"],
        name=doc.get("name", ""),
        user_id=doc.get("user_id", ""),
        create_time=doc["create_time"],
        update_time=doc["update_time"],
        messages=[Message.from_doc(m) for m in doc.get("messages", [])],
    )


class SessionStore:
    def __init__(self, db: AsyncIOMotorDatabase[Any], *, max_messages: int, retention_s: float) -> None:
        self.collection = db[COLLECTION]
        self.max_messages = max_messages
        self.retention_s = retention_s

    async def ensure_indexes(self) -> None:
        for order_field in ("create_time", "update_time", "name"):
            await self.collection.create_index(
                [("tenant_id", ASCENDING), ("chat_id", ASCENDING), (order_field, ASCENDING)],
                name=f"tenant_chat_{order_field}",
            )
        await self.collection.create_index([("tenant_id", ASCENDING), ("chat_id", ASCENDING), ("user_id", ASCENDING)])
        await self.collection.create_index([("expire_at", ASCENDING)], expireAfterSeconds=0, name="retention_ttl")

    def _expire_at(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.retention_s)

    @staticmethod
    def _scope(tenant_id: str, chat_id: str, session_id: str) -> dict[str, Any]:
        return by_id(session_id, tenant_id=tenant_id, chat_id=chat_id)

    async def insert(self, session: Session) -> None:
        await self.collection.insert_one(
            {
                "_id": session.id,
                "tenant_id": session.tenant_id,
                "chat_id": session.chat_id,
                "name": session.name,
                "user_id": session.user_id,
                "create_time": session.create_time,
                "update_time": session.update_time,
                "messages": [m.to_doc() for m in session.messages[-self.max_messages :]],
                "expire_at": self._expire_at(),
            }
        )

    async def get(self, tenant_id: str, chat_id: str, session_id: str) -> Session | None:
        doc = await self.collection.find_one(self._scope(tenant_id, chat_id, session_id))
        return None if doc is None else _to_session(doc)

    async def update_fields(
        self, tenant_id: str, chat_id: str, session_id: str, fields: dict[str, Any]
    ) -> Session | None:
        doc = await self.collection.find_one_and_update(
            self._scope(tenant_id, chat_id, session_id),
            {"$set": {**fields, "expire_at": self._expire_at()}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _to_session(doc)

    async def list_page(self, tenant_id: str, chat_id: str, query: SessionQuery) -> SessionPage:
        where: dict[str, Any] = {"tenant_id": tenant_id, "chat_id": chat_id}
        if query.id is not None:
            where["_id"] = query.id
        if query.name is not None:
            where["name"] = query.name
        if query.user_id is not None:
            where["user_id"] = query.user_id
        docs, total = await find_page(
            self.collection,
            where,
            sort_key=query.orderby,
            desc=query.desc,
            skip=(query.page - 1) * query.page_size,
            limit=query.page_size,
        )
        return SessionPage(sessions=[_to_session(d) for d in docs], total=total)

    async def existing_ids(self, tenant_id: str, chat_id: str, ids: list[str]) -> set[str]:
        cursor = self.collection.find(by_id({"$in": ids}, tenant_id=tenant_id, chat_id=chat_id), {"_id": 1})
        return {doc["_id"] for doc in await cursor.to_list(length=None)}

    async def delete_ids(self, tenant_id: str, chat_id: str, ids: list[str]) -> None:
        await self.collection.delete_many(by_id({"$in": ids}, tenant_id=tenant_id, chat_id=chat_id))

    async def delete_chat_sessions(self, tenant_id: str, chat_ids: list[str]) -> int:
        result = await self.collection.delete_many({"tenant_id": tenant_id, "chat_id": {"$in": chat_ids}})
        return int(result.deleted_count)

    async def push_message(
        self, tenant_id: str, chat_id: str, session_id: str, message: Message, now_ms: int
    ) -> list[Message] | None:
        """Appends a message (trimming to the newest N); returns the messages before it, without
        their references; None if no session.

        An update then a read of the messages, not one findAndModify: SecantusDB writes a
        findAndModify by scanning the whole collection (tens of ms at a few thousand sessions).
        """
        result = await self.collection.update_one(
            self._scope(tenant_id, chat_id, session_id),
            {
                "$push": {"messages": {"$each": [message.to_doc()], "$slice": -self.max_messages}},
                "$set": {"update_time": now_ms, "expire_at": self._expire_at()},
            },
        )
        if not result.matched_count:
            return None
        # The write matched the tenant's session, so its id alone finds it (the cheaper lookup).
        # Without references: a prompt needs roles and texts, and the references of a long
        # conversation (retrieved chunks) outweigh the rest (measured: 2.2 → 0.8 ms to read 100
        # messages with references of 6 chunks from SecantusDB, and no Struct conversions).
        doc = await self.collection.find_one({"_id": session_id}, HISTORY_FIELDS)
        if doc is None:  # deleted in between
            return None
        messages = [Message.from_doc(m) for m in doc.get("messages", [])]
        # Messages appended concurrently after this one are not its history.
        for index in range(len(messages) - 1, -1, -1):
            if messages[index].id == message.id:
                return messages[:index]
        return messages

    async def push_message_once(
        self, tenant_id: str, chat_id: str, session_id: str, message: Message, now_ms: int
    ) -> bool:
        """Appends a message unless one with its id and role is already there (a question and its
        answer share an id); True when appended."""
        already = {"$elemMatch": {"id": message.id, "role": message.role}}
        result = await self.collection.update_one(
            {**self._scope(tenant_id, chat_id, session_id), "messages": {"$not": already}},
            {
                "$push": {"messages": {"$each": [message.to_doc()], "$slice": -self.max_messages}},
                "$set": {"update_time": now_ms, "expire_at": self._expire_at()},
            },
        )
        return bool(result.modified_count)

    async def pull_message(
        self, tenant_id: str, chat_id: str, session_id: str, message_id: str, now_ms: int
    ) -> Session | None:
        """Removes every message with this id (a question and its answer); the session after, or
        None when it holds no such message (or does not exist)."""
        result = await self.collection.update_one(
            {**self._scope(tenant_id, chat_id, session_id), "messages.id": message_id},
            {
                "$pull": {"messages": {"id": message_id}},
                "$set": {"update_time": now_ms, "expire_at": self._expire_at()},
            },
        )
        if not result.matched_count:
            return None
        return await self.get(tenant_id, chat_id, session_id)

    async def rate_answer(
        self, tenant_id: str, chat_id: str, session_id: str, message_id: str, thumbup: bool, feedback: str | None
    ) -> Session | None:
        """Sets an answer's thumbup and its feedback ("" removes it, None leaves it); the session
        after, or None when it holds no such answer (or does not exist)."""
        rating: dict[str, Any] = {"$set": {"messages.$.thumbup": thumbup, "expire_at": self._expire_at()}}
        if feedback:
            rating["$set"]["messages.$.feedback"] = feedback
        elif feedback is not None:
            rating["$unset"] = {"messages.$.feedback": ""}
        result = await self.collection.update_one(
            {
                **self._scope(tenant_id, chat_id, session_id),
                "messages": {"$elemMatch": {"id": message_id, "role": "assistant"}},
            },
            rating,
        )
        if not result.matched_count:
            return None
        return await self.get(tenant_id, chat_id, session_id)
