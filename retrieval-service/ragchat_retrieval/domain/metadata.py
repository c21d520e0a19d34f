"""Document metadata (a document's `meta_fields`) across a dataset, as RAGFlow v0.27 serves it:
flattened (field → value → documents), summarised (field → type and value counts), and changed
in bulk (documents chosen by ids and/or a condition on their metadata)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from typing import Any

from ragchat_common.errors import InvalidArgument
from ragchat_common.timeutil import now_ms
from ragchat_retrieval.domain.datasets import dataset_record, require_datasets
from ragchat_retrieval.domain.deps import Deps, dedupe

Flattened = dict[str, dict[str, list[str]]]
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def _values(value: Any) -> list[Any]:
    """A field's values: a list counts per item; null counts as none."""
    items = value if isinstance(value, list) else [value]
    return [v for v in items if v is not None]


def flatten(documents: Sequence[dict[str, Any]]) -> Flattened:
    """field → value (as text) → ids of the documents having it."""
    out: Flattened = {}
    for doc in documents:
        for key, value in (doc.get("meta_fields") or {}).items():
            by_value = out.setdefault(key, {})
            for item in _values(value):
                by_value.setdefault(str(item), []).append(doc["id"])
    return out


async def flattened_metadata(deps: Deps, tenant_id: str, dataset_ids: Sequence[str]) -> Flattened:
    wanted = dedupe(dataset_ids)
    if not wanted:
        raise InvalidArgument("Lack of dataset_ids in query parameters")
    await require_datasets(deps, tenant_id, wanted)
    return flatten(await deps.store.document_metadata(tenant_id, wanted))


def value_type(value: Any) -> str:
    """RAGFlow's type of a metadata value: list, number, time (ISO 8601 seconds) or string."""
    if isinstance(value, list):
        return "list"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    if isinstance(value, str) and _ISO_TIME.match(value):
        return "time"
    return "string"


async def metadata_summary(
    deps: Deps, tenant_id: str, dataset_id: str, document_ids: Sequence[str] = ()
) -> dict[str, Any]:
    """field → {"type": the commonest type of its values, "values": [[value, documents], ...]},
    values most frequent first."""
    await dataset_record(deps, tenant_id, dataset_id)
    counts: dict[str, dict[str, int]] = {}
    types: dict[str, dict[str, int]] = {}
    for doc in await deps.store.document_metadata(tenant_id, [dataset_id], dedupe(document_ids)):
        for key, value in (doc.get("meta_fields") or {}).items():
            if value is not None:
                seen = types.setdefault(key, {})
                seen[value_type(value)] = seen.get(value_type(value), 0) + 1
            for item in _values(value):
                by_value = counts.setdefault(key, {})
                by_value[str(item)] = by_value.get(str(item), 0) + 1
    summary: dict[str, Any] = {}
    for key, by_value in counts.items():
        ranked = sorted(by_value.items(), key=lambda pair: pair[1], reverse=True)
        seen = types.get(key) or {"string": 1}
        summary[key] = {"type": max(seen.items(), key=lambda pair: pair[1])[0], "values": [list(p) for p in ranked]}
    return summary


# ---- conditions on metadata (RAGFlow's metadata_condition) ---------------------------------

_OPERATOR_ALIASES = {"is": "=", "not is": "≠", ">=": "≥", "<=": "≤", "!=": "≠"}
_ORDERED = ("=", "≠", ">", "<", "≥", "≤")
OPERATORS = (
    *_ORDERED,
    "contains",
    "not contains",
    "start with",
    "end with",
    "in",
    "not in",
    "empty",
    "not empty",
)


def _comparable(text: str) -> Any:
    """A number when the text is one (so "10" > "9"), else the text in lower case."""
    try:
        return float(text)
    except ValueError:
        return text.strip().lower()


def _matches(operator: str, stored: str, wanted: Any) -> bool:
    value = stored.lower()
    if operator in _ORDERED:
        left, right = _comparable(stored), _comparable(str(wanted))
        if type(left) is not type(right):
            left, right = str(left), str(right)
        tests: dict[str, Callable[[Any, Any], bool]] = {
            "=": lambda a, b: a == b,
            "≠": lambda a, b: a != b,
            ">": lambda a, b: a > b,
            "<": lambda a, b: a < b,
            "≥": lambda a, b: a >= b,
            "≤": lambda a, b: a <= b,
        }
        return tests[operator](left, right)
    target = [str(w).lower() for w in wanted] if isinstance(wanted, list) else str(wanted).lower()
    if operator == "contains":
        return str(target) in value
    if operator == "not contains":
        return str(target) not in value
    if operator == "start with":
        return value.startswith(str(target))
    if operator == "end with":
        return value.endswith(str(target))
    if operator == "in":
        return value in target
    if operator == "not in":
        return value not in target
    if operator == "empty":
        return not value
    return bool(value)  # "not empty"


def effective_condition(condition: dict[str, Any] | None) -> dict[str, Any] | None:
    """RAGFlow's metadata_condition when it filters at all: one without conditions filters nothing."""
    return condition if condition and condition.get("conditions") else None


def filter_by_condition(metas: Flattened, condition: dict[str, Any]) -> set[str]:
    """Ids of the documents the condition selects (`logic` "and" by default, or "or")."""
    logic = condition.get("logic", "and")
    if logic not in ("and", "or"):
        raise InvalidArgument("`metadata_condition.logic` must be 'and' or 'or'.")
    conditions = condition.get("conditions") or []
    if not isinstance(conditions, list):
        raise InvalidArgument("`metadata_condition.conditions` must be a list.")
    selected: set[str] | None = None
    for cond in conditions:
        if not isinstance(cond, dict) or not cond.get("name") or "comparison_operator" not in cond:
            raise InvalidArgument("Each condition requires name and comparison_operator.")
        operator = str(cond["comparison_operator"])
        operator = _OPERATOR_ALIASES.get(operator, operator)
        if operator not in OPERATORS:
            raise InvalidArgument(f"Unknown comparison_operator '{operator}'; known: {', '.join(OPERATORS)}.")
        ids = {
            doc_id
            for stored, doc_ids in metas.get(str(cond["name"]), {}).items()
            if _matches(operator, stored, cond.get("value", ""))
            for doc_id in doc_ids
        }
        if selected is None:
            selected = ids
        else:
            selected = selected & ids if logic == "and" else selected | ids
    return selected or set()


# ---- bulk changes ----------------------------------------------------------------------------


def _dedupe_values(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def apply_updates(meta: dict[str, Any], updates: Sequence[dict[str, Any]]) -> None:
    """Sets `key` to `value`; a list field gets `value` appended. With `match`, only a value equal
    to it (as text) is replaced, and a missing field is left alone."""
    for upd in updates:
        key, new = upd["key"], upd.get("value")
        match = upd.get("match")
        has_match = match not in (None, "")
        if key not in meta:
            if not has_match:
                meta[key] = _dedupe_values(new) if isinstance(new, list) else new
            continue
        current = meta[key]
        if isinstance(current, list):
            if not has_match:
                meta[key] = _dedupe_values(current + (new if isinstance(new, list) else [new]))
            elif any(str(item) == str(match) for item in current):
                meta[key] = _dedupe_values([new if str(item) == str(match) else item for item in current])
        elif not has_match or str(current) == str(match):
            meta[key] = new


def apply_deletes(meta: dict[str, Any], deletes: Sequence[dict[str, Any]]) -> None:
    """Removes `key`, or only its `value` (from a list, or the field when it equals it)."""
    for d in deletes:
        key = d["key"]
        if key not in meta:
            continue
        value = d.get("value")
        current = meta[key]
        if isinstance(current, list) and value is not None:
            kept = [item for item in current if str(item) != str(value)]
            if kept:
                meta[key] = kept
            else:
                del meta[key]
        elif value is None or str(current) == str(value):
            del meta[key]


def check_changes(updates: Any, deletes: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not isinstance(updates, list) or not isinstance(deletes, list):
        raise InvalidArgument("updates and deletes must be lists.")
    for upd in updates:
        if not isinstance(upd, dict) or not upd.get("key") or "value" not in upd:
            raise InvalidArgument("Each update requires key and value.")
    for d in deletes:
        if not isinstance(d, dict) or not d.get("key"):
            raise InvalidArgument("Each delete requires key.")
    return updates, deletes


async def update_metadata(
    deps: Deps,
    tenant_id: str,
    dataset_id: str,
    *,
    document_ids: Sequence[str],
    condition: dict[str, Any],
    updates: Any,
    deletes: Any,
) -> tuple[int, int]:
    """(documents changed, documents selected). Documents are chosen by `document_ids` (all of
    them must be the dataset's) and narrowed by `condition`; a condition alone chooses among all
    of the dataset's documents; neither chooses none, as RAGFlow does."""
    await dataset_record(deps, tenant_id, dataset_id)
    updates, deletes = check_changes(updates, deletes)
    wanted = dedupe(document_ids)
    documents = await deps.store.document_metadata(tenant_id, [dataset_id], wanted)
    if wanted:
        unknown = [i for i in wanted if i not in {d["id"] for d in documents}]
        if unknown:
            raise InvalidArgument(f"These documents do not belong to dataset {dataset_id}: {', '.join(unknown)}")
    elif not condition:
        return 0, 0
    if condition:
        chosen = filter_by_condition(flatten(documents), condition)
        documents = [d for d in documents if d["id"] in chosen]
    changed: dict[str, dict[str, Any]] = {}
    for doc in documents:
        before = dict(doc.get("meta_fields") or {})
        meta = copy.deepcopy(before)
        apply_updates(meta, updates)
        apply_deletes(meta, deletes)
        if meta != before:
            changed[doc["id"]] = meta
    # In bulk: a thousand documents, one write each, took longer than the caller's deadline.
    await deps.store.set_meta_fields(tenant_id, changed, now_ms())
    return len(changed), len(documents)
