"""Document metadata rules (RAGFlow v0.27's flattened view, summary types, bulk edits, conditions)."""

from __future__ import annotations

import pytest

from ragchat_common.errors import InvalidArgument
from ragchat_retrieval.domain.metadata import apply_deletes, apply_updates, filter_by_condition, flatten, value_type

DOCS = [
    {"id": "a", "meta_fields": {"author": "Ann", "tags": ["x", "y"], "pages": 10}},
    {"id": "b", "meta_fields": {"author": "Bob", "pages": 9, "none": None}},
    {"id": "c", "meta_fields": {}},
]


def test_flatten_counts_list_items_and_skips_nulls() -> None:
    assert flatten(DOCS) == {
        "author": {"Ann": ["a"], "Bob": ["b"]},
        "tags": {"x": ["a"], "y": ["a"]},
        "pages": {"10": ["a"], "9": ["b"]},
        "none": {},
    }


def test_value_types() -> None:
    assert [value_type(v) for v in (["x"], 3, 2.5, True, "2026-02-03T00:00:00", "2026-02-03", "x")] == [
        "list",
        "number",
        "number",
        "string",
        "time",
        "string",
        "string",
    ]


def test_conditions_compare_numbers_as_numbers_and_text_in_any_case() -> None:
    metas = flatten(DOCS)

    def chosen(*conditions: dict, logic: str = "and") -> set[str]:
        return filter_by_condition(metas, {"logic": logic, "conditions": list(conditions)})

    def cond(name: str, op: str, value: object = "") -> dict:
        return {"name": name, "comparison_operator": op, "value": value}

    assert chosen(cond("pages", ">", "9")) == {"a"}  # 10 > 9, not "10" < "9"
    assert chosen(cond("author", "is", "ann")) == {"a"}
    assert chosen(cond("author", "not is", "ann")) == {"b"}
    assert chosen(cond("tags", "contains", "X")) == {"a"}
    assert chosen(cond("author", "start with", "b")) == {"b"}
    assert chosen(cond("author", "in", ["ann", "carl"])) == {"a"}
    assert chosen(cond("author", "is", "ann"), cond("pages", "<", 10)) == set()
    assert chosen(cond("author", "is", "ann"), cond("pages", "<", 10), logic="or") == {"a", "b"}
    assert chosen(cond("missing", "is", "x")) == set()
    with pytest.raises(InvalidArgument, match="near"):
        chosen(cond("author", "near", "x"))
    with pytest.raises(InvalidArgument, match="logic"):
        chosen(cond("author", "is", "x"), logic="xor")


def test_updates_set_append_and_replace_matches() -> None:
    meta = {"author": "Ann", "tags": ["x"]}
    apply_updates(meta, [{"key": "tags", "value": "y"}, {"key": "tags", "value": ["x", "z"]}])
    assert meta["tags"] == ["x", "y", "z"]
    apply_updates(meta, [{"key": "tags", "value": "w", "match": "y"}, {"key": "author", "value": "Al", "match": "Bo"}])
    assert meta == {"author": "Ann", "tags": ["x", "w", "z"]}
    apply_updates(meta, [{"key": "year", "value": 2024}, {"key": "lang", "value": "en", "match": "fr"}])
    assert meta == {"author": "Ann", "tags": ["x", "w", "z"], "year": 2024}  # a match on a missing field adds nothing


def test_deletes_remove_fields_or_single_values() -> None:
    meta = {"author": "Ann", "tags": ["x", "y"], "year": 2024}
    apply_deletes(meta, [{"key": "tags", "value": "x"}, {"key": "year", "value": "2023"}, {"key": "nope"}])
    assert meta == {"author": "Ann", "tags": ["y"], "year": 2024}
    apply_deletes(meta, [{"key": "tags", "value": "y"}, {"key": "author"}, {"key": "year", "value": 2024}])
    assert meta == {}
