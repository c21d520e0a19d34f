"""Chat assistant rules (API.md §3): create, update, read, list, delete."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ragchat_chat.domain.config import DEFAULT_DESCRIPTION, build_llm, build_prompt, check_variables_used
from ragchat_chat.domain.types import (
    MAX_NAME_LENGTH,
    ORDER_FIELDS,
    Chat,
    ChatPage,
    ChatQuery,
    ChatSpec,
    DatasetDirectory,
    DatasetRef,
    ModelCatalog,
    SessionCleaner,
)
from ragchat_chat.store import ChatStore, DuplicateName
from ragchat_common.bulk_delete import DeleteOutcome, ids_to_delete, outcome
from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.ids import new_id
from ragchat_common.timeutil import now_ms


def chat_not_found(chat_id: str) -> NotFound:
    return NotFound(f"You don't own the chat {chat_id}")


def _check_name(name: str, empty_message: str) -> str:
    if not name.strip():
        raise InvalidArgument(empty_message)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"`name` is longer than {MAX_NAME_LENGTH} characters.")
    return name


def _check_model(given_llm: dict[str, Any] | None, models: ModelCatalog) -> None:
    model = (given_llm or {}).get("model_name")
    if model is not None and model not in models.available:
        raise InvalidArgument(f"`model_name` {model} doesn't exist")


async def _owned_datasets(directory: DatasetDirectory, tenant_id: str, ids: list[str]) -> list[DatasetRef]:
    """The datasets in request order; any unknown or foreign one is an error."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    for dataset_id in unique:
        if not isinstance(dataset_id, str) or not dataset_id:
            raise InvalidArgument("`dataset_ids` should be a list of dataset ids.")
    lookup = await directory.lookup(tenant_id, unique)
    if lookup.missing:
        raise InvalidArgument(f"You don't own the dataset {lookup.missing[0]}")
    by_id = {ref.id: ref for ref in lookup.found}
    for dataset_id in unique:
        if dataset_id not in by_id:
            raise InvalidArgument(f"You don't own the dataset {dataset_id}")
    return [by_id[dataset_id] for dataset_id in unique]


async def create_chat(
    store: ChatStore, directory: DatasetDirectory, models: ModelCatalog, tenant_id: str, spec: ChatSpec
) -> Chat:
    if spec.name is None or not spec.name.strip():
        raise InvalidArgument("`name` is required.")
    name = _check_name(spec.name, "`name` is required.")
    llm = build_llm({}, spec.llm, models.default_model)
    _check_model(spec.llm, models)
    prompt = build_prompt({}, spec.prompt)
    check_variables_used(prompt)
    if await store.name_taken(tenant_id, name):
        raise InvalidArgument("Duplicated chat name in creating chat.")
    datasets = await _owned_datasets(directory, tenant_id, spec.dataset_ids or [])
    now = now_ms()
    chat = Chat(
        id=new_id(),
        tenant_id=tenant_id,
        name=name,
        description=DEFAULT_DESCRIPTION if spec.description is None else spec.description,
        avatar=spec.avatar or "",
        dataset_ids=[ref.id for ref in datasets],
        datasets=datasets,
        llm=llm,
        prompt=prompt,
        create_time=now,
        update_time=now,
    )
    try:
        await store.insert(chat)
    except DuplicateName:
        raise InvalidArgument("Duplicated chat name in creating chat.") from None
    return chat


async def update_chat(
    store: ChatStore,
    directory: DatasetDirectory,
    models: ModelCatalog,
    tenant_id: str,
    chat_id: str,
    spec: ChatSpec,
) -> Chat:
    current = await store.get(tenant_id, chat_id)
    if current is None:
        raise chat_not_found(chat_id)
    changes: dict[str, Any] = {}
    if spec.name is not None:
        name = _check_name(spec.name, "`name` cannot be empty.")
        if name.lower() != current.name.lower() and await store.name_taken(tenant_id, name):
            raise InvalidArgument("Duplicated chat name in updating chat.")
        changes["name"] = name
    if spec.description is not None:
        changes["description"] = spec.description
    if spec.avatar is not None:
        changes["avatar"] = spec.avatar
    if spec.llm is not None:
        changes["llm"] = build_llm(current.llm, spec.llm, models.default_model)
        _check_model(spec.llm, models)
    if spec.prompt is not None:
        changes["prompt"] = build_prompt(current.prompt, spec.prompt)
        check_variables_used(changes["prompt"])
    if spec.dataset_ids is not None:
        datasets = await _owned_datasets(directory, tenant_id, spec.dataset_ids)
        changes["dataset_ids"] = [ref.id for ref in datasets]
        changes["datasets"] = datasets
    changes["update_time"] = max(now_ms(), current.update_time + 1)
    try:
        updated = await store.update(tenant_id, chat_id, changes)
    except DuplicateName:
        raise InvalidArgument("Duplicated chat name in updating chat.") from None
    if updated is None:
        raise chat_not_found(chat_id)
    return await _with_current_datasets(directory, updated)


async def _with_current_datasets(directory: DatasetDirectory, chat: Chat) -> Chat:
    return (await with_current_datasets(directory, [chat]))[0]


async def with_current_datasets(directory: DatasetDirectory, chats: list[Chat]) -> list[Chat]:
    """Dataset names as they are now (one lookup for all); the stored snapshot if that fails."""
    wanted = list(dict.fromkeys(dataset_id for chat in chats for dataset_id in chat.dataset_ids))
    if not wanted:
        return chats
    by_tenant: dict[str, dict[str, DatasetRef]] = {}
    for tenant_id in {chat.tenant_id for chat in chats}:
        try:
            lookup = await directory.lookup(tenant_id, wanted)
        except Exception:  # names are cosmetic: a retrieval outage must not hide the chat
            return chats
        by_tenant[tenant_id] = {ref.id: ref for ref in lookup.found}
    resolved = []
    for chat in chats:
        known = by_tenant[chat.tenant_id]
        datasets = [known[dataset_id] for dataset_id in chat.dataset_ids if dataset_id in known]
        resolved.append(replace(chat, datasets=datasets))
    return resolved


async def get_chat(
    store: ChatStore, directory: DatasetDirectory, tenant_id: str, chat_id: str, *, current_names: bool = True
) -> Chat:
    """The tenant's chat; ``current_names=False`` skips the dataset name look-up (one call less)."""
    chat = await store.get(tenant_id, chat_id)
    if chat is None:
        raise chat_not_found(chat_id)
    return await _with_current_datasets(directory, chat) if current_names else chat


async def list_chats(store: ChatStore, directory: DatasetDirectory, tenant_id: str, query: ChatQuery) -> ChatPage:
    if query.page < 1:
        raise InvalidArgument("`page` must be an integer >= 1.")
    if not 1 <= query.page_size <= 1000:
        raise InvalidArgument("`page_size` must be an integer between 1 and 1000.")
    if query.orderby not in ORDER_FIELDS:
        raise InvalidArgument(f"`orderby` must be one of: {', '.join(ORDER_FIELDS)}.")
    page = await store.list_page(tenant_id, query)
    return ChatPage(chats=await with_current_datasets(directory, page.chats), total=page.total)


async def delete_chats(
    store: ChatStore, sessions: SessionCleaner, tenant_id: str, ids: list[str] | None, delete_all: bool
) -> DeleteOutcome:
    """Deletes chats and their sessions (sessions first: a failure leaves no orphan)."""
    wanted = ids_to_delete(ids, delete_all, "chat")
    existing = await store.all_ids(tenant_id) if wanted is None else await store.existing_ids(tenant_id, wanted)
    if existing:
        await sessions.delete_chat_sessions(tenant_id, sorted(existing))
        await store.delete_ids(tenant_id, sorted(existing))
    if wanted is None:
        return DeleteOutcome(success_count=len(existing))
    return outcome(wanted, existing, lambda missing: f"You don't own the chat {missing}")
