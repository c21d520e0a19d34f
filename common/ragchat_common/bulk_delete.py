"""The delete rules shared by every ``DELETE /<collection>`` of API.md (chats, sessions,
datasets, documents, chunks): the one home of "which ids does this request delete".

Missing, null or empty ``ids`` deletes nothing and is an error unless ``delete_all`` is sent;
ids that are sent are what is deleted (``delete_all`` beside them changes nothing); duplicated ids
are deleted once and reported ("Duplicate assistant ids: X", as RAGFlow); some unknown → success
with an error per unknown id; all unknown → not found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from ragchat_common.errors import InvalidArgument, NotFound


@dataclass(frozen=True)
class DeleteOutcome:
    success_count: int
    errors: list[str] = field(default_factory=list)


def ids_to_delete(ids: Sequence[str] | None, delete_all: bool, noun: str) -> list[str] | None:
    """The distinct ids to delete in request order, or None for "delete every one"."""
    unique = list(dict.fromkeys(ids or ()))
    if unique:
        return unique
    if delete_all:
        return None
    raise InvalidArgument(f'`ids` is required; send "delete_all": true to delete every {noun}')


def duplicate_errors(ids: Sequence[str] | None, noun: str) -> list[str]:
    """RAGFlow's report of ids sent more than once: "Duplicate {noun} ids: X", one per id."""
    counts = Counter(ids or ())
    return [f"Duplicate {noun} ids: {item}" for item, count in counts.items() if count > 1]


def outcome(
    requested: Sequence[str],
    deleted: Collection[str],
    missing: Callable[[str], str],
    duplicates: Sequence[str] = (),
) -> DeleteOutcome:
    """The report for a deletion of ``requested`` ids of which ``deleted`` existed; ``duplicates``
    (from ``duplicate_errors``) follow the unknown ids in ``errors``."""
    errors = [missing(item) for item in requested if item not in deleted] + list(duplicates)
    if requested and not deleted:
        raise NotFound("; ".join(errors))
    return DeleteOutcome(success_count=len(deleted), errors=errors)
