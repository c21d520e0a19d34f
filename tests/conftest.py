"""Cross-service fixtures: a real stack of ragchat processes on loopback.

Mongo is SecantusDB started by the stack (or RAGCHAT_TEST_MONGO_URL), Redis and RabbitMQ are the
machine's real ones; every stack gets its own namespace so runs never see each other's queues.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sdk027_harness import SKIP_REASON, Sdk027, sdk027_python

from ragchat_cli.keys import mint_key
from ragchat_cli.stack import Stack, StackConfig


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig(
        state_dir=Path(tmp_path_factory.mktemp("stack")),
        mongo_url=os.environ.get("RAGCHAT_TEST_MONGO_URL"),
        redis_url=os.environ.get("RAGCHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        amqp_url=os.environ.get("RAGCHAT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    with Stack(config) as running:
        yield running


@pytest.fixture(scope="session")
def make_key(stack: Stack) -> Callable[[str], str]:
    """Mints a real API key for a tenant (created on first use) in the stack's database.

    Usable from sync and async tests: ``key = make_key("acme-" + uuid4().hex)``.
    """

    def mint(tenant_name: str) -> str:
        return mint_key(stack.mongo_url, tenant_name)

    return mint


@pytest.fixture(scope="session")
def make_key027(stack: Stack) -> Callable[[str], str]:
    """Like ``make_key``, for a key of the ``ragflow-0.27`` dialect (API.md §9.1)."""

    def mint(tenant_name: str) -> str:
        return mint_key(stack.mongo_url, tenant_name, ragflow_version="0.27")

    return mint


@pytest.fixture(scope="session")
def sdk027(stack: Stack) -> Sdk027:
    """ragflow-sdk 0.27.3 in its Python 3.13 virtualenv, against the session stack's gateway
    (``Sdk027(sdk027.python, other_url)`` for another); skips when there is no Python 3.13."""
    python = sdk027_python()
    if python is None:
        pytest.skip(SKIP_REASON)
    return Sdk027(python, stack.gateway_url)


@pytest.fixture(scope="session")
def gateway_group(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Stack]]:
    """Starts extra gateway processes against the session stack, with their own settings.

    ``group = gateway_group(3, {"RAGCHAT_RATELIMIT_PERIOD_S": "2"})`` → ``group.gateway_urls``,
    ``group.find("gateway")``, ``group.kill(proc)``; same database, services and namespace as
    ``stack`` (or ``redis_url=...`` for a Redis of the test's own), and the same admin token.
    Stopped at the session's end.
    """
    groups: list[Stack] = []

    def start(count: int, env: dict[str, str] | None = None, redis_url: str | None = None) -> Stack:
        addresses = {
            "RAGCHAT_" + name.upper().replace("-", "_") + "_ADDR": addr for name, addr in stack.addresses.items()
        }
        group = Stack(
            StackConfig(
                state_dir=Path(tmp_path_factory.mktemp("gateways")),
                mongo_url=stack.mongo_url,
                service_token=stack.config.service_token,
                redis_url=redis_url or stack.config.redis_url,
                amqp_url=stack.config.amqp_url,
                gateways=count,
                only=("gateway",),
                namespace=stack.config.namespace,
                env={**addresses, **(env or {})},
                admin_token=stack.config.admin_token,
            )
        )
        groups.append(group)
        return group.start()

    yield start
    for group in groups:
        group.stop()
