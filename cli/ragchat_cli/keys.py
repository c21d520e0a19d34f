"""`ragchat keys create|list|revoke` — API key administration straight against Mongo.

``create`` prints the new key alone on stdout (everything else goes to stderr), so
``KEY=$(ragchat keys create --tenant acme)`` works in scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from motor.motor_asyncio import AsyncIOMotorClient

from ragchat_cli.endpoints import DEFAULT_MONGO_DB, EndpointsError, MongoTarget, mongo_target
from ragchat_common.errors import NotFound, RagchatError
from ragchat_gateway.auth import domain
from ragchat_gateway.auth.principal import KeyLimits

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


def mint_key(mongo_url: str, tenant_name: str, limits: KeyLimits | None = None, db_name: str = DEFAULT_MONGO_DB) -> str:
    """Mints a key for ``tenant_name`` (created on first use) and returns the key itself."""
    minted = run_with_db(mongo_url, db_name, lambda db: domain.create_key(db, tenant_name, limits))
    return minted.key


def _limits_from_args(args: argparse.Namespace) -> KeyLimits:
    # Options for per-key limits (--rpm/--burst/--max-streams) plug in here.
    return KeyLimits(
        requests_per_minute=getattr(args, "rpm", None),
        burst=getattr(args, "burst", None),
        max_streams=getattr(args, "max_streams", None),
    )


def _show_limits(limits: KeyLimits) -> str:
    def show(value: int | None) -> str:
        return "default" if value is None else str(value)

    return f"rpm={show(limits.requests_per_minute)} burst={show(limits.burst)} max_streams={show(limits.max_streams)}"


def _create(args: argparse.Namespace, target: MongoTarget) -> int:
    limits = _limits_from_args(args)
    minted = run_with_db(target.url, target.db, lambda db: domain.create_key(db, args.tenant, limits))
    print(
        f"created key {minted.key_id} for tenant {minted.tenant_name!r} ({_show_limits(minted.limits)}); "
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
    print(f"{'KEY_ID':<14}{'TENANT':<24}{'STATUS':<9}LIMITS")
    for r in records:
        status = "revoked" if r.revoked else "active"
        print(f"{r.key_id:<14}{r.tenant_name[:23]:<24}{status:<9}{_show_limits(r.limits)}")
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
    if resettable:
        parser.add_argument(
            "--default",
            action="append",
            choices=("rpm", "burst", "max-streams"),
            default=[],
            help="put this limit back to the deployment's default (repeatable)",
        )


def _update(args: argparse.Namespace, target: MongoTarget) -> int:
    async def change(db: domain.Db) -> domain.KeyRecord:
        current = next((r for r in await domain.list_keys(db) if r.key_id == args.key_id), None)
        if current is None:
            raise NotFound(f"No API key with id {args.key_id}.")
        old = current.limits

        def pick(option: str, given: int | None, kept: int | None) -> int | None:
            if option in args.default:
                return None
            return kept if given is None else given

        limits = KeyLimits(
            requests_per_minute=pick("rpm", args.rpm, old.requests_per_minute),
            burst=pick("burst", args.burst, old.burst),
            max_streams=pick("max-streams", args.max_streams, old.max_streams),
        )
        return await domain.update_key_limits(db, args.key_id, limits)

    record = run_with_db(target.url, target.db, change)
    print(
        f"updated key {record.key_id} of tenant {record.tenant_name!r}: {_show_limits(record.limits)} "
        "(gateways apply it within their auth cache time)",
        file=sys.stderr,
    )
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

    update = keys_sub.add_parser("update", help="change a key's limits (options left out keep their value)")
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
