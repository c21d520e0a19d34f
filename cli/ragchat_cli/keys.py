"""`ragchat keys create|list|show|update|revoke` — a client of the gateway's admin API (API.md §9.4).

It reaches the gateway named by ``RAGCHAT_GATEWAY_URL`` with ``RAGCHAT_ADMIN_TOKEN`` (or
``RAGCHAT_ADMIN_TOKEN_FILE``), or, from the checkout, the ``ragchat dev`` stack recorded in
``.ragchat/endpoints.json`` with its ``.ragchat/admin_token``. Keys are only ever written through
the gateway's keys package (``ragchat_gateway.auth.domain``), which also announces changes to
every replica. ``create`` prints the new key alone on stdout (everything else goes to stderr),
so ``KEY=$(ragchat keys create --tenant acme)`` works in scripts.

``mint_key`` is for tests and the dev runner's demo key: the same keys package, straight
against a database.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from motor.motor_asyncio import AsyncIOMotorClient

from ragchat_cli.endpoints import DEFAULT_MONGO_DB, AdminTarget, EndpointsError, admin_target
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.principal import RAGFLOW_VERSIONS, SCOPES, KeyLimits

T = TypeVar("T")


# -- the same keys package, straight against a database (tests, the dev runner's demo key) -------


async def _with_db(url: str, db_name: str, action: Callable[[domain.Db], Awaitable[T]]) -> T:
    client: AsyncIOMotorClient[Any] = AsyncIOMotorClient(url, serverSelectionTimeoutMS=5000)
    try:
        return await action(client[db_name])
    finally:
        client.close()


def run_with_db(url: str, db_name: str, action: Callable[[domain.Db], Awaitable[T]]) -> T:
    """Runs an async domain action on its own event loop in a worker thread.

    A thread keeps this callable from code that already runs an event loop (async tests).
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _with_db(url, db_name, action)).result()


def mint_key(
    mongo_url: str,
    tenant_name: str,
    limits: KeyLimits | None = None,
    db_name: str = DEFAULT_MONGO_DB,
    *,
    scopes: Sequence[str] | None = None,
    ragflow_version: str | None = None,
    expires_at: int | None = None,
) -> str:
    """Mints a key for ``tenant_name`` (created on first use) and returns the key itself.

    ``scopes`` None: full; ``ragflow_version`` None: the deployment's default; ``expires_at``
    epoch ms, None: never.
    """
    minted = run_with_db(
        mongo_url,
        db_name,
        lambda db: domain.create_key(
            db, tenant_name, limits, scopes=scopes, ragflow_version=ragflow_version, expires_at=expires_at
        ),
    )
    return minted.key


# -- the admin API client ------------------------------------------------------------------------


class AdminError(RuntimeError):
    """The admin API refused the call; the message is the gateway's."""


def call(target: AdminTarget, method: str, path: str, body: dict[str, Any] | None = None, **params: str) -> Any:
    """One admin API call; returns ``data`` of the envelope, raises AdminError with its message."""
    url = f"{target.gateway_url}/api/v1/admin{path}"
    headers = {"Authorization": f"Bearer {target.token}"}
    try:
        response = httpx.request(method, url, json=body, params=params or None, headers=headers, timeout=30.0)
    except httpx.HTTPError as exc:
        raise AdminError(f"cannot reach the gateway at {target.gateway_url} ({target.source}): {exc}") from exc
    try:
        envelope = response.json()
    except ValueError:
        raise AdminError(f"{method} {url}: HTTP {response.status_code}, not a ragchat answer") from None
    if not isinstance(envelope, dict) or envelope.get("code") != 0:
        message = envelope.get("message") if isinstance(envelope, dict) else None
        raise AdminError(str(message or f"HTTP {response.status_code}"))
    return envelope.get("data")


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def duration_s(text: str) -> int:
    """Seconds of a duration such as ``3600``, ``90m``, ``12h``, ``30d`` or ``2w``."""
    match = _DURATION.match(text.lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 3600, 90m, 12h, 30d, 2w)")
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if seconds <= 0:
        raise argparse.ArgumentTypeError("a duration must be longer than zero")
    return seconds


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


# CLI option → admin API field, for the options that map one to one.
_FIELDS = {
    "rpm": "rpm",
    "burst": "burst",
    "max_streams": "max_streams",
    "scope": "scopes",
    "ragflow_version": "ragflow_version",
    "ttl": "ttl_s",
    "expires_at": "expires_at",
}
# `--default NAME` → the field(s) set to null (back to the default).
_RESETS = {
    "rpm": ("rpm",),
    "burst": ("burst",),
    "max-streams": ("max_streams",),
    "scopes": ("scopes",),
    "ragflow-version": ("ragflow_version",),
    "expiry": ("expires_at",),
}


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    body = {field: getattr(args, option) for option, field in _FIELDS.items() if getattr(args, option) is not None}
    for name in getattr(args, "default", []):
        body.update(dict.fromkeys(_RESETS[name]))
    return body


def _show_time(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return "-"
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _describe(key: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        return "default" if value is None else str(value)

    expiry = "never expires" if key.get("expires_at") is None else f"expires {_show_time(key['expires_at'])}"
    return (
        f"rpm={show(key.get('rpm'))} burst={show(key.get('burst'))} max_streams={show(key.get('max_streams'))} "
        f"scopes={','.join(key.get('scopes') or [])} ragflow={show(key.get('ragflow_version'))} {expiry}"
    )


def _status(key: dict[str, Any]) -> str:
    return "revoked" if key.get("revoked") else "expired" if key.get("expired") else "active"


def _create(args: argparse.Namespace, target: AdminTarget) -> int:
    created = call(target, "POST", "/keys", {"tenant": args.tenant, **_settings(args)})
    print(
        f"created key {created['id']} for tenant {created['tenant']!r} ({_describe(created)}); "
        "it is shown once, store it now",
        file=sys.stderr,
    )
    print(created["key"])
    return 0


def _list(args: argparse.Namespace, target: AdminTarget) -> int:
    keys: list[dict[str, Any]] = call(target, "GET", "/keys", **({"tenant": args.tenant} if args.tenant else {}))
    if args.json:
        print(json.dumps(keys, indent=2))
        return 0
    if not keys:
        print("no API keys", file=sys.stderr)
        return 0
    print(f"{'KEY_ID':<14}{'PREFIX':<16}{'TENANT':<24}{'STATUS':<9}{'LAST USED':<22}SETTINGS")
    for key in keys:
        print(
            f"{key['id']:<14}{key['prefix']:<16}{key['tenant'][:23]:<24}{_status(key):<9}"
            f"{_show_time(key.get('last_used_at')):<22}{_describe(key)}"
        )
    return 0


def _show(args: argparse.Namespace, target: AdminTarget) -> int:
    print(json.dumps(call(target, "GET", f"/keys/{args.key_id}"), indent=2))
    return 0


def _update(args: argparse.Namespace, target: AdminTarget) -> int:
    body = _settings(args)
    if not body:
        print("ragchat keys update: nothing to change (see --help)", file=sys.stderr)
        return 2
    key = call(target, "PATCH", f"/keys/{args.key_id}", body)
    print(f"updated key {key['id']} of tenant {key['tenant']!r}: {_describe(key)}", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace, target: AdminTarget) -> int:
    key = call(target, "DELETE", f"/keys/{args.key_id}")
    print(f"revoked key {key['id']} of tenant {key['tenant']!r}", file=sys.stderr)
    return 0


def _add_settings_options(parser: argparse.ArgumentParser, resettable: bool = False) -> None:
    parser.add_argument("--rpm", type=_non_negative, default=None, help="requests per minute (sustained)")
    parser.add_argument("--burst", type=_non_negative, default=None, help="extra requests a full bucket admits")
    parser.add_argument("--max-streams", type=_non_negative, default=None, help="concurrent streaming completions")
    parser.add_argument(
        "--scope",
        action="append",
        choices=SCOPES,
        default=None,
        help="what the key may do: read (GET only), chat (also sessions and completions), full (default); repeatable",
    )
    parser.add_argument(
        "--ragflow-version",
        choices=RAGFLOW_VERSIONS,
        default=None,
        help="RAGFlow dialect of the key's answers (default: the gateway's RAGCHAT_RAGFLOW_VERSION)",
    )
    expiry = parser.add_mutually_exclusive_group()
    expiry.add_argument(
        "--ttl", type=duration_s, default=None, help="the key expires this long from now: 3600, 90m, 12h, 30d, 2w"
    )
    expiry.add_argument(
        "--expires-at", default=None, help="the key expires at this time (ISO 8601, e.g. 2027-01-31T00:00:00Z)"
    )
    if resettable:
        parser.add_argument(
            "--default",
            action="append",
            choices=tuple(_RESETS),
            default=[],
            help="put this setting back to its default (limits and dialect: the deployment's; scopes: full; "
            "expiry: never); repeatable",
        )


def _handler(action: Callable[[argparse.Namespace, AdminTarget], int]) -> Callable[[argparse.Namespace], int]:
    def handle(args: argparse.Namespace) -> int:
        try:
            return action(args, admin_target())
        except EndpointsError as exc:
            print(f"ragchat keys: {exc}", file=sys.stderr)
            return 2
        except AdminError as exc:
            print(f"ragchat keys: {exc}", file=sys.stderr)
            return 1

    return handle


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "keys", help="create, list, change and revoke API keys (through the gateway's admin API)"
    )
    keys_sub = parser.add_subparsers(dest="keys_command", required=True)

    create = keys_sub.add_parser("create", help="mint a key for a tenant; prints the key alone on stdout")
    create.add_argument("--tenant", required=True, help="tenant name (created on first use)")
    _add_settings_options(create)
    create.set_defaults(handler=_handler(_create))

    update = keys_sub.add_parser(
        "update", help="change a key's limits, scopes, expiry or RAGFlow dialect (options left out keep their value)"
    )
    update.add_argument("key_id", metavar="KEY_ID")
    _add_settings_options(update, resettable=True)
    update.set_defaults(handler=_handler(_update))

    listing = keys_sub.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--tenant", default=None, help="only this tenant's keys")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_handler(_list))

    show = keys_sub.add_parser("show", help="one key's record as JSON (never the key itself)")
    show.add_argument("key_id", metavar="KEY_ID")
    show.set_defaults(handler=_handler(_show))

    revoke = keys_sub.add_parser("revoke", help="revoke a key by its KEY_ID (every gateway refuses it at once)")
    revoke.add_argument("key_id", metavar="KEY_ID")
    revoke.set_defaults(handler=_handler(_revoke))
