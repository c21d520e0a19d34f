"""Request parsing shared by the routes, and the bearer header / key cache of authentication."""

from __future__ import annotations

import time

import pytest

from ragchat_common.errors import InvalidArgument, Unauthenticated
from ragchat_gateway.auth.dependency import KeyCache, bearer_key
from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.wire import list_query, optional_object, optional_str, optional_str_list


def test_list_query_defaults_and_values() -> None:
    query = list_query({})
    assert (query.page, query.page_size, query.orderby, query.desc, query.filters) == (1, 30, "create_time", True, {})
    query = list_query(
        {"page": "3", "page_size": "1000", "orderby": "name", "desc": "FaLsE", "id": "a", "name": "n", "user_id": "u"},
        extra_filters=("user_id",),
    )
    assert (query.page, query.page_size, query.orderby, query.desc) == (3, 1000, "name", False)
    assert query.filters == {"id": "a", "name": "n", "user_id": "u"}
    assert list_query({"desc": "1"}).desc is True and list_query({"desc": "0"}).desc is False
    assert "user_id" not in list_query({"user_id": "u"}).filters  # only where the route allows it


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"page": "0"}, "`page`"),
        ({"page": "1.5"}, "`page`"),
        ({"page_size": "1001"}, "`page_size`"),
        ({"page_size": "abc"}, "`page_size`"),
        ({"orderby": "dataset"}, "`orderby`"),
        ({"desc": "yes"}, "`desc`"),
    ],
)
def test_list_query_errors_name_the_parameter(params: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        list_query(params)
    assert named in caught.value.message


def test_typed_fields() -> None:
    body = {"s": "x", "n": 1, "o": {"a": 1}, "l": ["a"], "bad_l": [1], "nil": None}
    assert optional_str(body, "s") == "x" and optional_str(body, "nil") is None and optional_str(body, "gone") is None
    assert optional_object(body, "o") == {"a": 1} and optional_str_list(body, "l") == ["a"]
    for check, key, message in [
        (optional_str, "n", "`n` should be a string"),
        (optional_object, "l", "`l` should be an object"),
        (optional_str_list, "s", "`s` should be a list"),
        (optional_str_list, "bad_l", "`bad_l` should be a list of strings"),
    ]:
        with pytest.raises(InvalidArgument) as caught:
            check(body, key)
        assert caught.value.message == message


def test_bearer_header_parsing() -> None:
    assert bearer_key("Bearer abc") == "abc"
    assert bearer_key("bearer   abc  ") == "abc"
    for header in (None, "", "   ", "Bearer", "Basic abc", "abc"):
        with pytest.raises(Unauthenticated):
            bearer_key(header)


def test_key_cache_entries_age_out_are_invalidated_and_bounded() -> None:
    principal = Principal(key_id="k", tenant_id="t", tenant_name="n")
    cache = KeyCache(max_entries=3)
    assert cache.get("h", 60) == (False, None)
    cache.put("h", principal)
    cache.put("unknown", None)
    assert cache.get("h", 60) == (True, principal) and cache.get("unknown", 60) == (True, None)
    time.sleep(0.06)
    # How long an entry counts is decided when it is read (long TTL or the fallback one).
    assert cache.get("h", 0.05) == (False, None) and cache.get("h", 60) == (True, principal)
    # Invalidated by key id; a lookup that began before an invalidation does not store its answer.
    generation = cache.generation
    cache.invalidate("k")
    assert cache.get("h", 60) == (False, None)
    cache.put("h", principal, generation)
    assert cache.get("h", 60) == (False, None)
    cache.put("h", principal, cache.generation)
    assert cache.get("h", 60) == (True, principal)
    cache.clear()
    assert len(cache) == 0
    for name in ("a", "b", "c", "d"):
        cache.put(name, None)
    assert len(cache) <= 3
