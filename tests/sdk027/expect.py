"""``with raises("words"):`` for the scenarios (the SDK's interpreter has no pytest): the SDK raises
``Exception(message)`` for an error answer, so the message is what a user sees."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def raises(fragment: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if fragment not in str(exc):
            raise AssertionError(f"expected an error saying {fragment!r}, got {exc!r}") from exc
        return
    raise AssertionError(f"expected an error saying {fragment!r}; the call succeeded")
