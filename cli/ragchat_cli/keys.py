"""`ragchat keys create|list|revoke` — API key administration straight against Mongo.

``create`` prints the new key alone on stdout (everything else goes to stderr), so
``KEY=$(ragchat keys create --tenant acme)`` works in scripts.
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

from motor.motor_asyncio import AsyncIOMotorClient

from ragchat_cli.endpoints import DEFAULT_MONGO_DB, EndpointsError, MongoTarget, mongo_target
from ragchat_common.errors import RagchatError
from ragchat_common.timeutil import now_ms
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.principal import RAGFLOW_VERSIONS, SCOPES, KeyLimits
from ragchat_gateway.auth.scopes import sorted_scopes

T = TypeVar("T")


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


def _limits_from_args(args: argparse.Namespace) -> KeyLimits:
    # Options for per-key limits (--rpm/--burst/--max-streams) plug in here.
    return KeyLimits(
        requests_per_minute=getattr(args, "rpm", None),
        burst=getattr(args, "burst", None),
        max_streams=getattr(args, "max_streams", None),
    )


def _describe(record: domain.KeyRecord) -> str:
    version = record.ragflow_version or "default"
    expiry = "never expires" if record.expires_at is None else f"expires {_show_time(record.expires_at)}"
    return f"{_show_limits(record.limits)} scopes={','.join(sorted_scopes(record.scopes))} ragflow={version} {expiry}"


def _show_time(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return "-"
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _show_limits(limits: KeyLimits) -> str:
    def show(value: int | None) -> str:
        return "default" if value is None else str(value)

    return f"rpm={show(limits.requests_per_minute)} burst={show(limits.burst)} max_streams={show(limits.max_streams)}"


def _create(args: argparse.Namespace, target: MongoTarget) -> int:
    limits = _limits_from_args(args)
    expires_at = None if args.ttl is None else now_ms() + args.ttl * 1000
    minted = run_with_db(
        target.url,
        target.db,
        lambda db: domain.create_key(
            db, args.tenant, limits, scopes=args.scope, ragflow_version=args.ragflow_version, expires_at=expires_at
        ),
    )
    assert minted.record is not None
    print(
        f"created key {minted.key_id} for tenant {minted.tenant_name!r} ({_describe(minted.record)}); "
        "it is shown once, store it now",
        file=sys.stderr,
    )
    print(minted.key)
    return 0


def _list(args: argparse.Namespace, target: MongoTarget) -> int:
    records = run_with_db(target.url, target.db, lambda db: domain.list_keys(db, args.tenant))
    if args.json:
        rows = [
            {
                "key_id": r.key_id,
                "tenant_id": r.tenant_id,
                "tenant": r.tenant_name,
                "create_time": r.create_time,
                "revoked": r.revoked,
                "prefix": r.prefix,
                "scopes": sorted_scopes(r.scopes),
                "ragflow_version": r.ragflow_version,
                "expires_at": r.expires_at,
                "expired": r.expired(),
                "last_used_at": r.last_used_at,
                "limits": {
                    "requests_per_minute": r.limits.requests_per_minute,
                    "burst": r.limits.burst,
                    "max_streams": r.limits.max_streams,
                },
            }
            for r in records
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not records:
        print("no API keys", file=sys.stderr)
        return 0
    print(f"{'KEY_ID':<14}{'PREFIX':<16}{'TENANT':<24}{'STATUS':<9}{'LAST USED':<22}SETTINGS")
    for r in records:
        status = "revoked" if r.revoked else "expired" if r.expired() else "active"
        print(
            f"{r.key_id:<14}{r.prefix:<16}{r.tenant_name[:23]:<24}{status:<9}{_show_time(r.last_used_at):<22}"
            f"{_describe(r)}"
        )
    return 0


def _revoke(args: argparse.Namespace, target: MongoTarget) -> int:
    record = run_with_db(target.url, target.db, lambda db: domain.revoke_key(db, args.key_id))
    print(f"revoked key {record.key_id} of tenant {record.tenant_name!r}", file=sys.stderr)
    return 0


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _add_limit_options(parser: argparse.ArgumentParser, resettable: bool = False) -> None:
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
    parser.add_argument(
        "--ttl", type=duration_s, default=None, help="the key expires this long from now: 3600, 90m, 12h, 30d, 2w"
    )
    if resettable:
        parser.add_argument(
            "--default",
            action="append",
            choices=("rpm", "burst", "max-streams", "scopes", "ragflow-version", "ttl"),
            default=[],
            help="put this setting back to its default (limits: the deployment's; scopes: full; ttl: never expires)",
        )


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


def _update(args: argparse.Namespace, target: MongoTarget) -> int:
    async def change(db: domain.Db) -> domain.KeyRecord:
        old = (await domain.get_key(db, args.key_id)).limits

        def pick(option: str, given: int | None, kept: int | None) -> int | None:
            if option in args.default:
                return None
            return kept if given is None else given

        limits = KeyLimits(
            requests_per_minute=pick("rpm", args.rpm, old.requests_per_minute),
            burst=pick("burst", args.burst, old.burst),
            max_streams=pick("max-streams", args.max_streams, old.max_streams),
        )
        return await domain.update_key(
            db,
            args.key_id,
            limits=limits,
            scopes=None if "scopes" in args.default else (args.scope or domain.UNSET),
            ragflow_version=None if "ragflow-version" in args.default else (args.ragflow_version or domain.UNSET),
            expires_at=(
                None if "ttl" in args.default else (domain.UNSET if args.ttl is None else now_ms() + args.ttl * 1000)
            ),
        )

    record = run_with_db(target.url, target.db, change)
    print(f"updated key {record.key_id} of tenant {record.tenant_name!r}: {_describe(record)}", file=sys.stderr)
    return 0


def _handler(action: Callable[[argparse.Namespace, MongoTarget], int]) -> Callable[[argparse.Namespace], int]:
    def handle(args: argparse.Namespace) -> int:
        try:
            target = mongo_target()
            return action(args, target)
        except EndpointsError as exc:
            print(f"ragchat keys: {exc}", file=sys.stderr)
            return 2
        except RagchatError as exc:
            print(f"ragchat keys: {exc.message}", file=sys.stderr)
            return 1
        except Exception as exc:  # e.g. the database does not answer
            print(f"ragchat keys: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1

    return handle


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("keys", help="create, list and revoke API keys")
    keys_sub = parser.add_subparsers(dest="keys_command", required=True)

    create = keys_sub.add_parser("create", help="mint a key for a tenant; prints the key alone on stdout")
    create.add_argument("--tenant", required=True, help="tenant name (created on first use)")
    _add_limit_options(create)
    create.set_defaults(handler=_handler(_create))

    update = keys_sub.add_parser(
        "update", help="change a key's limits, scopes, expiry or RAGFlow dialect (options left out keep their value)"
    )
    update.add_argument("key_id", metavar="KEY_ID")
    _add_limit_options(update, resettable=True)
    update.set_defaults(handler=_handler(_update))

    listing = keys_sub.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--tenant", default=None, help="only this tenant's keys")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_handler(_list))

    revoke = keys_sub.add_parser("revoke", help="revoke a key by its KEY_ID")
    revoke.add_argument("key_id", metavar="KEY_ID")
    revoke.set_defaults(handler=_handler(_revoke))
