"""Datasets (knowledge bases): create, resolve, list, update, delete — always per tenant."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ragchat_common.bulk_delete import ids_to_delete
from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.ids import new_id
from ragchat_common.paging import page_window
from ragchat_common.timeutil import now_ms
from ragchat_retrieval.domain.chunking import CHUNK_METHODS, UNSUPPORTED_PARSER_FEATURES
from ragchat_retrieval.domain.deps import Deps, dedupe, delete_outcome, duplicates, free_name, split_name
from ragchat_retrieval.domain.ports import Scope
from ragchat_retrieval.store import NameTaken

SUPPORTED_CHUNK_METHODS = CHUNK_METHODS
PERMISSIONS = ("me", "team")
ORDER_FIELDS = ("create_time", "update_time", "name")
MAX_NAME_CHARS = 128
MAX_TEXT_CHARS = 65535  # description and avatar, as RAGFlow's columns
MAX_PAGERANK = 100
# RAGFlow accepts a JPEG or PNG avatar as a data URL only.
AVATAR_URL = re.compile(r"^data:image/(jpeg|png);base64,", re.IGNORECASE)
DEFAULT_PARSER_CONFIG: dict[str, Any] = {"chunk_token_num": 512, "delimiter": "\n", "overlapped_percent": 10}

Dataset = dict[str, Any]


def check_embedding_model(deps: Deps, model: str | None) -> str:
    """None → the deployment's model; the same name (optionally `@provider`) is accepted. An empty
    name is refused, as RAGFlow does (it names no model)."""
    available = deps.embedder.model_name
    if model is None or model.strip().split("@", 1)[0] == available:
        return available
    if not model.strip():
        raise InvalidArgument(f"`embedding_model` cannot be empty; available models: {available}.")
    raise InvalidArgument(f"Embedding model '{model}' is not available; available models: {available}.")


def check_chunk_method(method: str | None) -> str:
    """None → the default ("naive"); an empty string is refused, as RAGFlow does."""
    if method is None:
        return "naive"
    if not method:
        raise InvalidArgument(
            f"`chunk_method` (empty string) is not valid; supported methods: {', '.join(SUPPORTED_CHUNK_METHODS)}."
        )
    if method not in SUPPORTED_CHUNK_METHODS:
        raise InvalidArgument(
            f"Chunk method '{method}' is not supported; supported methods: {', '.join(SUPPORTED_CHUNK_METHODS)}."
        )
    return method


# RAGFlow's limit: a parser_config is stored as one text column of this many characters (JSON).
PARSER_CONFIG_MAX_CHARS = 65_535


# RAGFlow v0.27.0's ParserConfig, key by key, beyond the three chunking keys (keys it does not
# define are kept as given): ("bool",), ("int", low, high or None), ("number", low, high),
# ("string",) any string, ("text",) a non-empty one, ("words",) one that is not blank either,
# ("choice", options), ("texts",) a list of strings, ("pages",) [from, to] integer ranges, and
# ("object", rules) for a sub-object. RAGFlow raises a RAPTOR max_token under 512 to 512 rather
# than refusing it: only its upper bound is checked.
_PARSER_CONFIG_RULES: dict[str, tuple[Any, ...]] = {
    "auto_keywords": ("int", 0, 32),
    "auto_questions": ("int", 0, 10),
    "topn_tags": ("int", 1, 10),
    "task_page_size": ("int", 1, None),
    "filename_embd_weight": ("number", 0, 1),
    "html4excel": ("bool",),
    "enable_children": ("bool",),
    "layout_recognize": ("string",),
    "children_delimiter": ("string",),
    "tag_kb_ids": ("texts",),
    "pages": ("pages",),
    "parent_child": ("object", {"use_parent_child": ("bool",), "children_delimiter": ("text",)}),
    "raptor": (
        "object",
        {
            "use_raptor": ("bool",),
            "prompt": ("words",),
            "max_token": ("int", 0, 2048),
            "clustering_threshold": ("number", 0, 1),
            "clustering_ratio": ("number", 0, 1),
            "max_cluster": ("int", 1, 1024),
            "random_seed": ("int", 0, None),
            "scope": ("choice", ("file", "dataset")),
            "auto_disable_for_structured_data": ("bool",),
        },
    ),
    "graphrag": (
        "object",
        {
            "use_graphrag": ("bool",),
            "entity_types": ("texts",),
            "method": ("choice", ("light", "general", "ner")),
            "community": ("bool",),
            "resolution": ("bool",),
            "batch_chunk_token_size": ("int", 512, 8196),
            "retry_attempts": ("int", 1, 10),
        },
    ),
}
# Top-level keys that may be sent as null (RAGFlow's defaults for them are null, or the object's).
_NULLABLE_KEYS = frozenset({"task_page_size", "filename_embd_weight", "pages", "parent_child", "raptor", "graphrag"})


def _integer(value: Any) -> int | None:
    """An integer, or a float holding one (JSON numbers cross a Struct as floats); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_known_keys(config: dict[str, Any]) -> None:
    """The keys RAGFlow defines, as a request sends them (stored values are not re-checked).
    Integers sent as floats (JSON numbers cross a Struct as floats) are stored as integers."""
    for key, rule in _PARSER_CONFIG_RULES.items():
        if key in config and not (config[key] is None and key in _NULLABLE_KEYS):
            config[key] = _checked(f"parser_config.{key}", config[key], rule)


def _checked(name: str, value: Any, rule: tuple[Any, ...]) -> Any:
    """``value`` if it meets ``rule`` (an int-valued float as an int), else InvalidArgument."""
    kind = rule[0]
    if kind == "bool" and not isinstance(value, bool):
        raise InvalidArgument(f"`{name}` must be a boolean.")
    if kind == "string" and not isinstance(value, str):
        raise InvalidArgument(f"`{name}` must be a string.")
    if kind in ("text", "words") and not (isinstance(value, str) and (value.strip() if kind == "words" else value)):
        raise InvalidArgument(f"`{name}` must be a non-empty string.")
    if kind == "texts" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise InvalidArgument(f"`{name}` must be a list of strings.")
    if kind == "choice" and value not in rule[1]:
        raise InvalidArgument(f"`{name}` must be one of: {', '.join(rule[1])}.")
    if kind == "pages" and not (
        isinstance(value, list) and all(isinstance(p, list) and all(_integer(n) is not None for n in p) for p in value)
    ):
        raise InvalidArgument(f"`{name}` must be a list of page ranges ([from, to] integers).")
    if kind == "object":
        if not isinstance(value, dict):
            raise InvalidArgument(f"`{name}` must be an object.")
        for key, field_rule in rule[1].items():
            if key in value:  # checked, not rewritten: the object is the caller's
                _checked(f"{name}.{key}", value[key], field_rule)
    if kind in ("int", "number"):
        low, high = rule[1], rule[2]
        number = _integer(value) if kind == "int" else (value if _is_number(value) else None)
        if number is None or number < low or (high is not None and number > high):
            bound = f"between {low} and {high}" if high is not None else f"of at least {low}"
            raise InvalidArgument(f"`{name}` must be {'an integer' if kind == 'int' else 'a number'} {bound}.")
        return number
    return value


def check_parser_config(config: dict[str, Any] | None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    size = len(json.dumps(config, separators=(",", ":"), ensure_ascii=False)) if config else 0
    if size > PARSER_CONFIG_MAX_CHARS:
        raise InvalidArgument(f"Parser config exceeds size limit (max 65,535 characters). Current size: {size}")
    config = dict(config or {})
    _check_known_keys(config)
    merged = {**(base or DEFAULT_PARSER_CONFIG), **config}
    for feature in UNSUPPORTED_PARSER_FEATURES:
        setting = config.get(feature)
        # RAGFlow's own default config carries {"use_raptor": false}: only switching it on is refused.
        if setting and (
            not isinstance(setting, dict) or any(v is True for k, v in setting.items() if k.startswith("use_"))
        ):
            raise InvalidArgument(f"`parser_config.{feature}` is not supported.")
    tokens = _integer(merged.get("chunk_token_num"))
    if tokens is None or not 1 <= tokens <= 2048:
        raise InvalidArgument("`parser_config.chunk_token_num` must be an integer between 1 and 2048.")
    merged["chunk_token_num"] = tokens
    if not isinstance(merged.get("delimiter"), str) or not merged["delimiter"]:
        raise InvalidArgument("`parser_config.delimiter` must be a non-empty string.")
    overlap = merged.get("overlapped_percent", 0)
    if not _is_number(overlap) or not 0 <= overlap <= 90:
        raise InvalidArgument("`parser_config.overlapped_percent` must be a number between 0 and 90.")
    return merged


DEFAULT_LANGUAGE = "English"
LANGUAGE_MAX_CHARS = 32


def check_language(language: Any) -> str:
    """RAGFlow's `language` of a dataset: a name of at most 32 characters (kept as given)."""
    if not isinstance(language, str) or not language.strip() or len(language) > LANGUAGE_MAX_CHARS:
        raise InvalidArgument(f"`language` must be a non-empty string of at most {LANGUAGE_MAX_CHARS} characters.")
    return language.strip()


def check_no_connectors(connectors: Any) -> None:
    """RAGFlow v0.27 links data-source connectors to a dataset; there are none here, so only an
    empty list (what its clients send back) is accepted."""
    if not isinstance(connectors, list):
        raise InvalidArgument("`connectors` must be a list.")
    if connectors:
        raise InvalidArgument("Data source connectors are not supported by this server; `connectors` must be empty.")


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidArgument("`name` is required and cannot be empty.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidArgument(f"`name` must be at most {MAX_NAME_CHARS} characters.")
    return name


def check_permission(permission: str | None) -> str:
    if permission is None:
        return "me"
    if permission not in PERMISSIONS:
        raise InvalidArgument(f"`permission` must be one of: {', '.join(PERMISSIONS)}.")
    return permission


def check_description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_TEXT_CHARS:
        raise InvalidArgument(f"`description` must be at most {MAX_TEXT_CHARS} characters.")
    return description


def check_avatar(avatar: str | None) -> str | None:
    """None or "" (no avatar) or a JPEG/PNG data URL: `data:image/png;base64,...`."""
    if not avatar:
        return avatar
    if len(avatar) > MAX_TEXT_CHARS:
        raise InvalidArgument(f"`avatar` must be at most {MAX_TEXT_CHARS} characters.")
    if not AVATAR_URL.match(avatar):
        raise InvalidArgument(
            "`avatar` must be a base64 data URL of a JPEG or PNG image: data:image/png;base64,<data>."
        )
    return avatar


def check_pagerank(value: Any) -> int:
    pagerank = _integer(value)
    if pagerank is None or not 0 <= pagerank <= MAX_PAGERANK:
        raise InvalidArgument(f"`pagerank` must be an integer between 0 and {MAX_PAGERANK}.")
    return pagerank


def with_auto_metadata(parser_config: dict[str, Any] | None, auto_metadata: Any) -> dict[str, Any] | None:
    """RAGFlow keeps `auto_metadata_config` inside parser_config (`metadata`, `enable_metadata`)."""
    if auto_metadata is None:
        return parser_config
    if not isinstance(auto_metadata, dict):
        raise InvalidArgument("`auto_metadata_config` must be an object.")
    fields = auto_metadata.get("fields", [])
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        raise InvalidArgument("`auto_metadata_config.fields` must be a list of objects.")
    return {
        **(parser_config or {}),
        "metadata": fields,
        "enable_metadata": bool(auto_metadata.get("enabled", True)),
    }


def auto_metadata_of(dataset: Dataset) -> dict[str, Any]:
    config = dataset.get("parser_config") or {}
    return {"enabled": bool(config.get("enable_metadata", False)), "fields": list(config.get("metadata") or [])}


async def _insert_with_free_name(deps: Deps, record: Dataset) -> None:
    """Inserts the dataset; a name the tenant uses gets the first free "name(n)", as RAGFlow does."""
    wanted = record["name"]
    for _ in range(5):  # another insert may take the free name between the look-up and ours
        taken = await deps.store.dataset_names_starting(record["tenant_id"], split_name(wanted)[0])
        record["name"] = free_name(wanted, taken, fold_case=True)
        if len(record["name"]) > MAX_NAME_CHARS:
            raise InvalidArgument(f"`name` must be at most {MAX_NAME_CHARS} characters.")
        try:
            await deps.store.insert_dataset(record)
            return
        except NameTaken:
            continue
    raise InvalidArgument(f"Dataset name '{wanted}' is taken; please retry.")


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
    description: str | None = None,
    avatar: str | None = None,
    embedding_model: str | None = None,
    chunk_method: str | None = None,
    permission: str | None = None,
    parser_config: dict[str, Any] | None = None,
    auto_metadata_config: dict[str, Any] | None = None,
) -> Dataset:
    """A new dataset. Optional fields left out stay None (read back as null); a name the tenant
    already uses is numbered ("x" → "x(1)") rather than refused."""
    now = now_ms()
    record: Dataset = {
        "id": new_id(),
        "tenant_id": tenant_id,
        "name": check_name(name),
        "description": check_description(description),
        "avatar": check_avatar(avatar),
        "embedding_model": check_embedding_model(deps, embedding_model),
        "chunk_method": check_chunk_method(chunk_method),
        "permission": check_permission(permission),
        "parser_config": check_parser_config(with_auto_metadata(parser_config, auto_metadata_config)),
        "pagerank": 0,
        "create_time": now,
        "update_time": now,
    }
    await _insert_with_free_name(deps, record)
    return {**record, "chunk_count": 0, "document_count": 0}


async def get_datasets(deps: Deps, tenant_id: str, ids: Sequence[str]) -> tuple[list[Dataset], list[str]]:
    """The tenant's datasets among `ids` (in the order asked) and the ids it does not own."""
    wanted = dedupe(ids)
    if not wanted:
        return [], []
    found = {d["id"]: d for d in await deps.store.get_datasets(tenant_id, wanted)}
    datasets = await _with_counts(deps, tenant_id, [found[i] for i in wanted if i in found])
    return datasets, [i for i in wanted if i not in found]


async def dataset_record(deps: Deps, tenant_id: str, dataset_id: str) -> Dataset:
    """The tenant's dataset as stored, without its document and chunk counts (which are summed
    over its documents on every read): for the calls that only need it to exist."""
    found = await deps.store.get_datasets(tenant_id, [dataset_id])
    if not found:
        raise NotFound(f"Dataset {dataset_id} not found.")
    return found[0]


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
    ids: Sequence[str] = (),
) -> tuple[list[Dataset], int]:
    """A page of the tenant's datasets. An `id` or `name` that names no dataset of the tenant is
    NotFound (RAGFlow answers an error, not an empty list); an `id` and a `name` that each name one,
    but not the same one, list nothing. `ids` lists exactly those the tenant owns."""
    orderby = orderby or "create_time"
    if orderby not in ORDER_FIELDS:
        raise InvalidArgument(f"`orderby` must be one of: {', '.join(ORDER_FIELDS)}.")
    if id and ids:
        raise InvalidArgument("Send either `id` or `ids`, not both.")
    skip, limit = page_window(page, page_size, max_page_size=deps.limits.max_page_size)
    rows, total = await deps.store.list_datasets(
        tenant_id, skip=skip, limit=limit, orderby=orderby, desc=desc, id=id, name=name, ids=dedupe(ids)
    )
    if total == 0 and (id or name):
        if not (id and name):
            raise NotFound(_lacks_dataset(tenant_id, id or name))
        # Both given and no dataset has both: each must still name one of the tenant's.
        if not await _any_dataset(deps, tenant_id, id=id):
            raise NotFound(_lacks_dataset(tenant_id, id))
        if not await _any_dataset(deps, tenant_id, name=name):
            raise NotFound(_lacks_dataset(tenant_id, name))
        return [], 0
    return await _with_counts(deps, tenant_id, rows), total


def _lacks_dataset(tenant_id: str, filter_value: str) -> str:
    return f"User '{tenant_id}' lacks permission for dataset '{filter_value}'"


async def _any_dataset(deps: Deps, tenant_id: str, *, id: str = "", name: str = "") -> bool:
    _, total = await deps.store.list_datasets(
        tenant_id, skip=0, limit=1, orderby="create_time", desc=True, id=id, name=name, ids=[]
    )
    return total > 0


RUN_STATES = ("UNSTART", "RUNNING", "CANCEL", "DONE", "FAIL")


async def dataset_summary(deps: Deps, tenant_id: str, dataset_id: str) -> dict[str, Any]:
    """Documents, chunks and tokens of a dataset, and its documents per parse state."""
    await dataset_record(deps, tenant_id, dataset_id)
    by_run = await deps.store.dataset_summary(tenant_id, dataset_id)
    return {
        "document_count": sum(docs for docs, _, _ in by_run.values()),
        "chunk_count": sum(chunks for _, chunks, _ in by_run.values()),
        "token_count": sum(tokens for _, _, tokens in by_run.values()),
        "documents_by_run": {run: by_run.get(run, (0, 0, 0))[0] for run in RUN_STATES},
    }


UPDATABLE = (
    "name",
    "description",
    "avatar",
    "embedding_model",
    "chunk_method",
    "permission",
    "parser_config",
    "pagerank",
    "auto_metadata_config",
    "language",
    "connectors",
)
READ_ONLY = ("id", "tenant_id", "chunk_count", "document_count", "create_time", "update_time", "token_num")


def _check_update_keys(fields: dict[str, Any]) -> None:
    if not fields:
        raise InvalidArgument("No properties were modified")
    for key in fields:
        if key in READ_ONLY:
            raise InvalidArgument(f"`{key}` is read-only and cannot be changed.")
        if key not in UPDATABLE:
            raise InvalidArgument(f"Unknown field `{key}`; updatable fields: {', '.join(UPDATABLE)}.")
    for key in ("name", "chunk_method", "permission", "pagerank"):
        if key in fields and fields[key] is None:
            raise InvalidArgument(f"`{key}` cannot be null.")
    for key in ("name", "description", "avatar", "embedding_model", "chunk_method", "permission"):
        if fields.get(key) is not None and not isinstance(fields[key], str):
            raise InvalidArgument(f"`{key}` should be a string.")
    if fields.get("parser_config") is not None and not isinstance(fields["parser_config"], dict):
        raise InvalidArgument("`parser_config` must be an object.")


async def update_dataset(deps: Deps, tenant_id: str, dataset_id: str, fields: dict[str, Any]) -> Dataset:
    """Partial update. Refused, as RAGFlow refuses them: an empty update, unknown or read-only
    fields, null where a value is required, a name another dataset of the tenant uses."""
    _check_update_keys(fields)
    current = await get_dataset(deps, tenant_id, dataset_id)
    changes: dict[str, Any] = {}
    parser_config = with_auto_metadata(fields.get("parser_config"), fields.get("auto_metadata_config"))
    for key, value in fields.items():
        if key == "name":
            changes["name"] = check_name(value)
        elif key == "description":
            changes[key] = check_description(value)
        elif key == "avatar":
            changes[key] = check_avatar(value)
        elif key == "embedding_model":
            model = check_embedding_model(deps, value)
            if model != current["embedding_model"] and current["chunk_count"] > 0:
                raise InvalidArgument("`embedding_model` cannot change while the dataset has chunks.")
            changes[key] = model
        elif key == "chunk_method":
            changes[key] = check_chunk_method(value)
        elif key == "permission":
            changes[key] = check_permission(value)
        elif key == "pagerank":
            changes[key] = check_pagerank(value)
        elif key == "language":
            changes[key] = check_language(value)
        elif key == "connectors":
            check_no_connectors(value)
    if parser_config:
        changes["parser_config"] = check_parser_config(parser_config, current["parser_config"])
    if changes:
        changes["update_time"] = now_ms()
        await deps.store.update_dataset(tenant_id, dataset_id, changes)
    return await get_dataset(deps, tenant_id, dataset_id)


# Datasets deleted per round of bulk writes.
DELETE_SLICE = 200


async def delete_datasets(
    deps: Deps, tenant_id: str, ids: Sequence[str], delete_all: bool = False
) -> tuple[int, list[str]]:
    """Deletes datasets with their documents, files and vectors; ids sent twice are reported."""
    wanted = ids_to_delete(ids, delete_all, "dataset")
    repeated = duplicates("dataset", ids)
    if wanted is None:
        rows, _ = await deps.store.list_datasets(tenant_id, skip=0, limit=100_000, orderby="create_time", desc=True)
        wanted = [r["id"] for r in rows]
        if not wanted:
            return 0, []
    found = {d["id"] for d in await deps.store.get_datasets(tenant_id, wanted)}
    errors = [f"Dataset {i} not found." for i in wanted if i not in found] + repeated
    doomed = list(dict.fromkeys(i for i in wanted if i in found))
    deleted = 0
    # In slices: one request may name thousands (RAGFlow's clients delete 1,000 at once).
    for start in range(0, len(doomed), DELETE_SLICE):
        ids = doomed[start : start + DELETE_SLICE]
        for dataset_id in ids:
            deps.known_datasets.forget(tenant_id, dataset_id)
        await deps.vectors.delete(Scope(tenant_id=tenant_id, dataset_ids=ids))
        deleted += await deps.store.delete_datasets_with_contents(tenant_id, ids)
    return delete_outcome("dataset", wanted, deleted, errors)
