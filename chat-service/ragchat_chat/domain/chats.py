"""Chat assistant rules (API.md §3): create, update, read, list, delete."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ragchat_chat.domain import ragflow027
from ragchat_chat.domain.config import (
    DEFAULT_DESCRIPTION,
    LLM_CHECKS,
    build_llm,
    build_prompt,
    check_variables_used,
)
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
from ragchat_common.bulk_delete import DeleteOutcome, duplicate_errors, ids_to_delete, outcome
from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.ids import new_id
from ragchat_common.paging import page_window
from ragchat_common.timeutil import now_ms


def chat_not_found(chat_id: str) -> NotFound:
    return NotFound(f"You don't own the chat {chat_id}")


def unknown_chat_in_delete(chat_id: str) -> str:
    return f"Assistant({chat_id}) not found."  # RAGFlow v0.22.1's words (the gateway rewords for v0.27)


@dataclass(frozen=True)
class _Settings:
    """A spec's settings with the v0.27 names applied over the v0.22 ones (None: not given)."""

    avatar: str | None
    llm: dict[str, Any] | None
    prompt: dict[str, Any] | None
    model_field: str
    rerank_field: str
    # RAGFlow v0.27 does not hold a prompt_config's parameters to its system prompt: a chat set up
    # under those names is not either (the worker adds the knowledge to a prompt without {knowledge}).
    check_variables: bool


def _settings(spec: ChatSpec) -> _Settings:
    changes = ragflow027.changes_from(spec.ragflow027 or {})
    llm = {**(spec.llm or {}), **changes.llm} if spec.llm is not None or changes.llm else None
    prompt = {**(spec.prompt or {}), **changes.prompt} if spec.prompt is not None or changes.prompt else None
    avatar = changes.avatar if changes.avatar is not None else spec.avatar
    return _Settings(
        avatar=avatar,
        llm=llm,
        prompt=prompt,
        model_field=changes.model_field or "model_name",
        rerank_field=changes.rerank_field or "rerank_model",
        check_variables="prompt_config" not in (spec.ragflow027 or {}),
    )


def _check_name(name: str, empty_message: str) -> str:
    if not name.strip():
        raise InvalidArgument(empty_message)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"`name` is longer than {MAX_NAME_LENGTH} characters.")
    return name


def _check_model(settings: _Settings, models: ModelCatalog) -> None:
    model = (settings.llm or {}).get("model_name")
    if model is not None and model not in models.available:
        raise InvalidArgument(f"`{settings.model_field}` {model} doesn't exist")


def _check_rerank_model(prompt: dict[str, Any], settings: _Settings, models: ModelCatalog) -> None:
    """Refused when the chat is saved, as RAGFlow does, not at its first completion; the message
    names the field as it was sent (``rerank_id`` in v0.27)."""
    model = prompt.get("rerank_model") or ""
    if model and model not in models.rerank:
        names = ", ".join(models.rerank) if models.rerank else "none (the deployment has no rerank models configured)"
        raise InvalidArgument(f"`{settings.rerank_field}` {model} doesn't exist; available rerank models: {names}.")


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
        if dataset_id in lookup.unparsed:  # a chat over it could never find anything (as RAGFlow)
            raise InvalidArgument(f"The dataset {dataset_id} doesn't own parsed file")
    return [by_id[dataset_id] for dataset_id in unique]


def _with_knowledge_variable(prompt: dict[str, Any]) -> dict[str, Any]:
    """RAGFlow v0.27 gives a chat over datasets created with no ``parameters`` the ``knowledge``
    one when its system prompt uses ``{knowledge}``."""
    if prompt["variables"] or "{knowledge}" not in prompt["prompt"]:
        return prompt
    return {**prompt, "variables": [{"key": "knowledge", "optional": False}]}


async def create_chat(
    store: ChatStore, directory: DatasetDirectory, models: ModelCatalog, tenant_id: str, spec: ChatSpec
) -> Chat:
    if spec.name is None or not spec.name.strip():
        raise InvalidArgument("`name` is required.")
    name = _check_name(spec.name, "`name` is required.")
    settings = _settings(spec)
    llm = build_llm({}, settings.llm, models.default_model)
    _check_model(settings, models)
    prompt = build_prompt({}, settings.prompt)
    _check_rerank_model(prompt, settings, models)
    if settings.check_variables:
        check_variables_used(prompt)
    if await store.name_taken(tenant_id, name):
        raise InvalidArgument("Duplicated chat name in creating chat.")
    datasets = await _owned_datasets(directory, tenant_id, spec.dataset_ids or [])
    if datasets and not settings.check_variables:
        prompt = _with_knowledge_variable(prompt)
    now = now_ms()
    chat = Chat(
        id=new_id(),
        tenant_id=tenant_id,
        name=name,
        description=DEFAULT_DESCRIPTION if spec.description is None else spec.description,
        avatar=settings.avatar or "",
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
    settings = _settings(spec)
    if spec.name is not None:
        name = _check_name(spec.name, "`name` cannot be empty.")
        if name.lower() != current.name.lower() and await store.name_taken(tenant_id, name):
            raise InvalidArgument("Duplicated chat name in updating chat.")
        changes["name"] = name
    if spec.description is not None:
        changes["description"] = spec.description
    if settings.avatar is not None:
        changes["avatar"] = settings.avatar
    if settings.llm is not None:
        changes["llm"] = build_llm(current.llm, settings.llm, models.default_model)
        _check_model(settings, models)
    if settings.prompt is not None:
        changes["prompt"] = build_prompt(current.prompt, settings.prompt)
        if changes["prompt"].get("rerank_model") != current.prompt.get("rerank_model"):
            _check_rerank_model(changes["prompt"], settings, models)
        if settings.check_variables:
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


# What one completion may set for itself (RAGFlow v0.27's per-request generation settings).
COMPLETION_OVERRIDES = ("llm_id", "temperature", "top_p", "frequency_penalty", "presence_penalty", "max_tokens")


# A completion without a chat has no knowledge base, so its system prompt mentions none (an empty
# one would get the worker's knowledge-base default).
DIRECT_SYSTEM_PROMPT = "You are a helpful assistant."


def deployment_chat(tenant_id: str, models: ModelCatalog) -> Chat:
    """The settings of a completion without a chat: the deployment's model with its defaults, no
    datasets, a plain system prompt, no opener, no quoting (as RAGFlow v0.27's direct chat)."""
    direct = {"prompt": DIRECT_SYSTEM_PROMPT, "opener": "", "variables": [], "empty_response": "", "show_quote": False}
    return Chat(
        id="",
        tenant_id=tenant_id,
        name="",
        description="",
        avatar="",
        dataset_ids=[],
        datasets=[],
        llm=build_llm({}, None, models.default_model),
        prompt=build_prompt({}, direct),
        create_time=0,
        update_time=0,
    )


def with_llm_overrides(chat: Chat, overrides: dict[str, Any], models: ModelCatalog) -> Chat:
    """The chat with one completion's generation settings over its own (nothing is stored)."""
    llm = dict(chat.llm)
    for key, value in overrides.items():
        if key not in COMPLETION_OVERRIDES:
            raise InvalidArgument(f"`{key}` cannot be set for one completion.")
        if value is None:
            continue
        if key == "llm_id":
            LLM_CHECKS["model_name"](key, value)
            if value not in models.available:
                raise InvalidArgument(f"Cannot use specified model {value}.")
            llm["model_name"] = value
        else:
            LLM_CHECKS[key](key, value)
            llm[key] = value
    return replace(chat, llm=llm)


async def list_chats(store: ChatStore, directory: DatasetDirectory, tenant_id: str, query: ChatQuery) -> ChatPage:
    page_window(query.page, query.page_size, zero_is_default=False)
    if query.orderby not in ORDER_FIELDS:
        raise InvalidArgument(f"`orderby` must be one of: {', '.join(ORDER_FIELDS)}.")
    if query.owner_ids and tenant_id not in query.owner_ids:
        return ChatPage(chats=[], total=0)  # a key sees its own tenant's chats only
    if query.id is not None or query.name is not None:
        query = replace(query, keywords=None)  # as RAGFlow: exact filters win
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
    return outcome(wanted, existing, unknown_chat_in_delete, duplicate_errors(ids, "assistant"))
