"""parser_config checks: RAGFlow's rules for the keys it defines, with the name of the key."""

from __future__ import annotations

from typing import Any

import pytest

from ragchat_common.errors import InvalidArgument
from ragchat_retrieval.domain.datasets import DEFAULT_PARSER_CONFIG, check_parser_config


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"auto_keywords": -1}, "auto_keywords"),
        ({"auto_keywords": 33}, "auto_keywords"),
        ({"auto_keywords": 3.14}, "auto_keywords"),
        ({"auto_keywords": "3"}, "auto_keywords"),
        ({"auto_questions": 11}, "auto_questions"),
        ({"auto_questions": True}, "auto_questions"),
        ({"topn_tags": 0}, "topn_tags"),
        ({"topn_tags": 11}, "topn_tags"),
        ({"task_page_size": 0}, "task_page_size"),
        ({"filename_embd_weight": -0.1}, "filename_embd_weight"),
        ({"filename_embd_weight": 1.1}, "filename_embd_weight"),
        ({"filename_embd_weight": "0.5"}, "filename_embd_weight"),
        ({"html4excel": "true"}, "html4excel"),
        ({"layout_recognize": 1}, "layout_recognize"),
        ({"tag_kb_ids": "kb1"}, "tag_kb_ids"),
        ({"tag_kb_ids": [1]}, "tag_kb_ids"),
        ({"pages": [["a", 2]]}, "pages"),
        ({"pages": "1-2"}, "pages"),
        ({"parent_child": {"use_parent_child": "yes"}}, "use_parent_child"),
        ({"parent_child": {"children_delimiter": ""}}, "children_delimiter"),
        ({"parent_child": "yes"}, "parent_child"),
        # RAPTOR and GraphRAG are off here, but a malformed object of theirs is still refused (it was
        # stored); the restful_api suite's cases of v0.27.0
        ({"raptor": {"use_raptor": "string"}}, "raptor.use_raptor"),
        ({"raptor": {"max_token": 99999}}, "raptor.max_token"),
        ({"raptor": {"clustering_threshold": 1.5}}, "raptor.clustering_threshold"),
        ({"raptor": {"max_cluster": 0}}, "raptor.max_cluster"),
        ({"raptor": {"random_seed": -1}}, "raptor.random_seed"),
        ({"raptor": {"scope": "everything"}}, "raptor.scope"),
        ({"raptor": {"prompt": ""}}, "raptor.prompt"),
        ({"raptor": {"prompt": "  "}}, "raptor.prompt"),
        ({"raptor": []}, "raptor"),
        ({"graphrag": {"method": "unknown"}}, "graphrag.method"),
        ({"graphrag": {"entity_types": "person"}}, "graphrag.entity_types"),
        ({"graphrag": {"community": 1}}, "graphrag.community"),
        ({"graphrag": {"batch_chunk_token_size": 100}}, "graphrag.batch_chunk_token_size"),
    ],
)
def test_a_bad_value_of_a_known_key_is_refused_naming_it(config: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidArgument, match=named):
        check_parser_config(config)


def test_good_values_are_kept_and_integral_numbers_become_integers() -> None:
    config = {
        "auto_keywords": 32,
        "auto_questions": 0,
        "topn_tags": 10.0,
        "task_page_size": None,
        "filename_embd_weight": 1,
        "html4excel": True,
        "layout_recognize": "Plain Text",
        "tag_kb_ids": ["kb1"],
        "pages": [[1, 10]],
        "parent_child": {"use_parent_child": False, "children_delimiter": "\n"},
        "raptor": {"use_raptor": False, "max_token": 256, "scope": "file", "threshold": 0.1},
        "graphrag": {"use_graphrag": False, "method": "light", "entity_types": ["person"]},
        "custom_key": {"anything": 1},  # keys RAGFlow does not define are kept as given
    }
    merged = check_parser_config(config)
    assert merged == {**DEFAULT_PARSER_CONFIG, **config, "topn_tags": 10}
    assert isinstance(merged["topn_tags"], int)
    assert config["topn_tags"] == 10.0  # the caller's dict is not changed


def test_stored_values_are_not_checked_again_on_a_merge() -> None:
    # A config stored before these checks existed stays updatable.
    stored = {**DEFAULT_PARSER_CONFIG, "auto_keywords": 99}
    assert check_parser_config({"chunk_token_num": 256}, stored)["auto_keywords"] == 99
