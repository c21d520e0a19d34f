"""The bearer header and the key cache of authentication."""

from __future__ import annotations

import time

import pytest

from ragchat_common.errors import Unauthenticated
from ragchat_gateway.auth.dependency import KeyCache, bearer_key
from ragchat_gateway.auth.principal import Principal


def test_bearer_header_parsing() -> None:
    assert bearer_key("Bearer abc") == "abc"
    assert bearer_key("bearer   abc  ") == "abc"
    for header in (None, "", "   ", "Bearer", "Basic abc", "abc"):
        with pytest.raises(Unauthenticated):
            bearer_key(header)


def test_key_cache_entries_age_out_are_invalidated_and_bounded() -> None:
    principal = Principal(key_id="k", tenant_id="t", tenant_name="n")
    cache = KeyCache("keys", ttl_s=60, fallback_ttl_s=2, max_entries=3)
    assert cache.get("h", 60) == (False, None)
    cache.store("h", principal)
    cache.store("unknown", None)
    assert cache.get("h", 60) == (True, principal) and cache.get("unknown", 60) == (True, None)
    time.sleep(0.06)
    # How long an entry counts is decided when it is read (long TTL or the fallback one).
    assert cache.get("h", 0.05) == (False, None) and cache.get("h", 60) == (True, principal)
    # Invalidated by key id; a lookup that began before an invalidation does not store its answer.
    generation = cache.generation
    cache.invalidate("k")
    assert cache.get("h", 60) == (False, None)
    cache.store("h", principal, generation)
    assert cache.get("h", 60) == (False, None)
    cache.store("h", principal, cache.generation)
    assert cache.get("h", 60) == (True, principal)
    cache.clear()
    assert len(cache) == 0
    for name in ("a", "b", "c", "d"):
        cache.store(name, None)
    assert len(cache) <= 3
