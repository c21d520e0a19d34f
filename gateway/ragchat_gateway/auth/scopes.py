"""What a key's scopes allow (API.md §9.4), free of any transport.

``read`` allows reading (HTTP GET), ``chat`` also sessions and completions, ``full`` everything.
HTTP asks ``required_scope_for_http``; the public gRPC API names the scope of each method and
calls ``check_scope`` the same way (PERMISSION_DENIED there, 104 / HTTP 403 here).
"""

from __future__ import annotations

from collections.abc import Iterable

from ragchat_common.errors import InvalidArgument, PermissionDenied
from ragchat_gateway.auth.principal import DEFAULT_SCOPES, SCOPES, Principal, Scope

_RANK: dict[str, int] = {scope: rank for rank, scope in enumerate(SCOPES)}
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/v1"


def parse_scopes(values: Iterable[object] | None) -> frozenset[Scope]:
    """Validated scopes of a key; None or empty means the default (``full``)."""
    if values is None:
        return DEFAULT_SCOPES
    if isinstance(values, str):
        raise InvalidArgument(f"`scopes` should be a list of scope names ({', '.join(SCOPES)}).")
    found: set[Scope] = set()
    for value in values:
        if not isinstance(value, str) or value not in _RANK:
            raise InvalidArgument(f"Unknown scope {value!r}; the scopes are {', '.join(SCOPES)}.")
        found.add(value)  # type: ignore[arg-type]  # checked against SCOPES just above
    return frozenset(found) or DEFAULT_SCOPES


def sorted_scopes(scopes: Iterable[Scope]) -> list[Scope]:
    return sorted(set(scopes), key=_RANK.__getitem__)


def allows(scopes: Iterable[Scope], needed: Scope) -> bool:
    """True when one of ``scopes`` is ``needed`` or wider."""
    want = _RANK[needed]
    return any(_RANK.get(scope, -1) >= want for scope in scopes)


def check_scope(principal: Principal, needed: Scope) -> None:
    """Raises PermissionDenied (104) naming the scope this action needs when the key lacks it."""
    if not allows(principal.scopes, needed):
        held = ", ".join(sorted_scopes(principal.scopes))
        raise PermissionDenied(
            f"This API key's scope ({held}) does not allow this action; it needs the `{needed}` scope."
        )


def required_scope_for_http(method: str, path: str) -> Scope:
    """The narrowest scope that allows ``method`` on ``path`` (a route template or a real path).

    Reads (GET) need ``read``; sessions, their messages, every completion route (native and
    OpenAI-compatible) and the chat tools (``/chat/...``) need ``chat``; anything else (chats,
    datasets, retrieval...) needs ``full``.
    """
    if method.upper() in _READ_METHODS:
        return "read"
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX) :]
    segments = [segment for segment in path.split("/") if segment]
    if segments and segments[-1] == "completions":
        return "chat"
    if len(segments) >= 3 and segments[0] == "chats" and segments[2] == "sessions":
        return "chat"
    # RAGFlow v0.27's chat tools: related questions (also under their older and search-app paths),
    # speech, mind maps.
    if segments[:1] == ["chat"] or segments in (["sessions", "related_questions"], ["searchbots", "related_questions"]):
        return "chat"
    return "full"
