"""Datasets (knowledge bases): create, resolve, list, update, delete — always per tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.ids import new_id
from ragchat_common.timeutil import now_ms
from ragchat_retrieval.domain.deps import Deps, dedupe, delete_outcome, page_window
from ragchat_retrieval.domain.ports import Scope

SUPPORTED_CHUNK_METHODS = ("naive",)
PERMISSIONS = ("me", "team")
ORDER_FIELDS = ("create_time", "update_time", "name")
MAX_NAME_CHARS = 128
DEFAULT_PARSER_CONFIG: dict[str, Any] = {"chunk_token_num": 512, "delimiter": "\n", "overlapped_percent": 10}

Dataset = dict[str, Any]


def check_embedding_model(deps: Deps, model: str) -> str:
    """'' → the deployment's model; the same name (optionally `@provider`) is accepted."""
    available = deps.embedder.model_name
    if not model or model.split("@", 1)[0] == available:
        return available
    raise InvalidArgument(f"Embedding model '{model}' is not available; available models: {available}.")


def check_chunk_method(method: str) -> str:
    if not method:
        return "naive"
    if method not in SUPPORTED_CHUNK_METHODS:
        raise InvalidArgument(
            f"Chunk method '{method}' is not supported; supported methods: {', '.join(SUPPORTED_CHUNK_METHODS)}."
        )
    return method


def check_parser_config(config: dict[str, Any] | None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    merged = {**(base or DEFAULT_PARSER_CONFIG), **(config or {})}
    tokens = merged.get("chunk_token_num")
    if isinstance(tokens, float) and tokens.is_integer():
        tokens = int(tokens)
    if not isinstance(tokens, int) or isinstance(tokens, bool) or not 1 <= tokens <= 2048:
        raise InvalidArgument("`parser_config.chunk_token_num` must be an integer between 1 and 2048.")
    merged["chunk_token_num"] = tokens
    if not isinstance(merged.get("delimiter"), str) or not merged["delimiter"]:
        raise InvalidArgument("`parser_config.delimiter` must be a non-empty string.")
    overlap = merged.get("overlapped_percent", 0)
    if not isinstance(overlap, int | float) or isinstance(overlap, bool) or not 0 <= overlap <= 90:
        raise InvalidArgument("`parser_config.overlapped_percent` must be a number between 0 and 90.")
    return merged


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidArgument("`name` is required and cannot be empty.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidArgument(f"`name` must be at most {MAX_NAME_CHARS} characters.")
    return name


async def _with_counts(deps: Deps, tenant_id: str, datasets: list[Dataset]) -> list[Dataset]:
    if not datasets:
        return datasets
    counts = await deps.store.dataset_counts(tenant_id, [d["id"] for d in datasets])
    for dataset in datasets:
        docs, chunks = counts.get(dataset["id"], (0, 0))
        dataset["document_count"] = docs
        dataset["chunk_count"] = chunks
    return datasets


async def create_dataset(
    deps: Deps,
    tenant_id: str,
    *,
    name: str,
    description: str = "",
    avatar: str = "",
    embedding_model: str = "",
    chunk_method: str = "",
    permission: str = "",
    parser_config: dict[str, Any] | None = None,
) -> Dataset:
    permission = permission or "me"
    if permission not in PERMISSIONS:
        raise InvalidArgument(f"`permission` must be one of: {', '.join(PERMISSIONS)}.")
    now = now_ms()
    record: Dataset = {
        "id": new_id(),
        "tenant_id": tenant_id,
        "name": check_name(name),
        "description": description or "",
        "avatar": avatar or "",
        "embedding_model": check_embedding_model(deps, embedding_model),
        "chunk_method": check_chunk_method(chunk_method),
        "permission": permission,
        "parser_config": check_parser_config(parser_config),
        "create_time": now,
        "update_time": now,
    }
    await deps.store.insert_dataset(record)
    return {**record, "chunk_count": 0, "document_count": 0}


async def get_datasets(deps: Deps, tenant_id: str, ids: Sequence[str]) -> tuple[list[Dataset], list[str]]:
    """The tenant's datasets among `ids` (in the order asked) and the ids it does not own."""
    wanted = dedupe(ids)
    if not wanted:
        return [], []
    found = {d["id"]: d for d in await deps.store.get_datasets(tenant_id, wanted)}
    datasets = await _with_counts(deps, tenant_id, [found[i] for i in wanted if i in found])
    return datasets, [i for i in wanted if i not in found]


async def get_dataset(deps: Deps, tenant_id: str, dataset_id: str) -> Dataset:
    datasets, _ = await get_datasets(deps, tenant_id, [dataset_id])
    if not datasets:
        raise NotFound(f"Dataset {dataset_id} not found.")
    return datasets[0]


async def require_datasets(deps: Deps, tenant_id: str, ids: Sequence[str]) -> list[Dataset]:
    datasets, missing = await get_datasets(deps, tenant_id, ids)
    if missing:
        raise NotFound(f"Dataset {missing[0]} not found.")
    return datasets


async def check_datasets_exist(deps: Deps, tenant_id: str, ids: Sequence[str]) -> None:
    """NotFound for the first id the tenant does not own; cheap on the search path."""
    unknown = [i for i in dedupe(ids) if not deps.known_datasets.known(tenant_id, i)]
    if not unknown:
        return
    found = {d["id"] for d in await deps.store.get_datasets(tenant_id, unknown)}
    deps.known_datasets.remember(tenant_id, list(found))
    for dataset_id in unknown:
        if dataset_id not in found:
            raise NotFound(f"Dataset {dataset_id} not found.")


async def list_datasets(
    deps: Deps,
    tenant_id: str,
    *,
    page: int = 1,
    page_size: int = 30,
    orderby: str = "create_time",
    desc: bool = True,
    id: str = "",
    name: str = "",
) -> tuple[list[Dataset], int]:
    orderby = orderby or "create_time"
    if orderby not in ORDER_FIELDS:
        raise InvalidArgument(f"`orderby` must be one of: {', '.join(ORDER_FIELDS)}.")
    skip, limit = page_window(page, page_size, deps.limits.max_page_size)
    rows, total = await deps.store.list_datasets(
        tenant_id, skip=skip, limit=limit, orderby=orderby, desc=desc, id=id, name=name
    )
    return await _with_counts(deps, tenant_id, rows), total


UPDATABLE = ("name", "description", "avatar", "embedding_model", "chunk_method", "permission", "parser_config")


async def update_dataset(deps: Deps, tenant_id: str, dataset_id: str, fields: dict[str, Any]) -> Dataset:
    current = await get_dataset(deps, tenant_id, dataset_id)
    changes: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in UPDATABLE or value is None:
            continue  # unknown/read-only keys (id, chunk_count, ...) are ignored, as RAGFlow does
        if key == "name":
            changes["name"] = check_name(str(value))
        elif key == "embedding_model":
            model = check_embedding_model(deps, str(value))
            if model != current["embedding_model"] and current["chunk_count"] > 0:
                raise InvalidArgument("`embedding_model` cannot change while the dataset has chunks.")
            changes[key] = model
        elif key == "chunk_method":
            changes[key] = check_chunk_method(str(value))
        elif key == "permission":
            if value not in PERMISSIONS:
                raise InvalidArgument(f"`permission` must be one of: {', '.join(PERMISSIONS)}.")
            changes[key] = value
        elif key == "parser_config":
            if not isinstance(value, dict):
                raise InvalidArgument("`parser_config` must be an object.")
            changes[key] = check_parser_config(value, current["parser_config"])
        else:
            changes[key] = str(value)
    if changes:
        changes["update_time"] = now_ms()
        await deps.store.update_dataset(tenant_id, dataset_id, changes)
    return await get_dataset(deps, tenant_id, dataset_id)


async def delete_datasets(
    deps: Deps, tenant_id: str, ids: Sequence[str], delete_all: bool = False
) -> tuple[int, list[str]]:
    """Deletes datasets with their documents, files and vectors."""
    wanted = dedupe(ids)
    if not wanted:
        if not delete_all:
            raise InvalidArgument('`ids` is required; send "delete_all": true to delete every dataset')
        rows, _ = await deps.store.list_datasets(tenant_id, skip=0, limit=100_000, orderby="create_time", desc=True)
        wanted = [r["id"] for r in rows]
        if not wanted:
            return 0, []
    found = {d["id"] for d in await deps.store.get_datasets(tenant_id, wanted)}
    errors = [f"Dataset {i} not found." for i in wanted if i not in found]
    deleted = 0
    for dataset_id in (i for i in wanted if i in found):
        deps.known_datasets.forget(tenant_id, dataset_id)
        await deps.vectors.delete(Scope(tenant_id=tenant_id, dataset_ids=[dataset_id]))
        for document_id in await deps.store.document_ids_of(tenant_id, dataset_id):
            await deps.store.delete_file(document_id)
            await deps.store.delete_document(tenant_id, document_id)
        if await deps.store.delete_dataset(tenant_id, dataset_id):
            deleted += 1
    return delete_outcome("dataset", wanted, deleted, errors)
