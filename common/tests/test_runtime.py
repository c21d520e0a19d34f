"""settle_heap: what startup imported is frozen out of the collector, young collections are rarer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ragchat_common.runtime import settle_heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settle_heap_freezes_what_exists_and_sets_the_young_threshold(restored_gc: None) -> None:
    gc.unfreeze()
    _, middle, old = gc.get_threshold()
    settle_heap(12_345)
    assert gc.get_freeze_count() > 1000  # the modules, classes and functions imported so far
    assert gc.get_threshold() == (12_345, middle, old)


def test_a_zero_threshold_keeps_pythons_own(restored_gc: None) -> None:
    before = gc.get_threshold()
    settle_heap(0)
    assert gc.get_threshold() == before
