"""A gateway process holds ONE Redis pub/sub connection: its stream hub and both replicated caches
(API keys, chat snapshots) listen through it. A gateway on a Redis of this module's own, so that
every pub/sub client there is that gateway's."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from ragchat_cli import dev
from ragchat_cli.stack import Stack, StackConfig
from ragchat_common.ids import new_id
from ragchat_gateway.auth.authenticator import key_events_channel
from ragchat_gateway.chat_snapshots import chat_events_channel


@pytest.fixture(scope="module")
def alone(
    gateway_group: Callable[..., Stack], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, redis.Redis]]:
    home = Path(tmp_path_factory.mktemp("pubsub-own-redis"))
    own = Stack(StackConfig(state_dir=home))
    try:
        url = dev.start_redis(own, home / "redis")
        group = gateway_group(1, {}, url)
        client = redis.Redis.from_url(url, socket_timeout=5)
        try:
            yield group, client
        finally:
            client.close()
            group.stop()
    finally:
        own.stop()


def pubsub_clients(client: redis.Redis) -> list[dict[str, Any]]:
    return [c for c in client.client_list() if int(c["sub"]) or int(c["psub"])]


def subscribed_as_one(client: redis.Redis, channels: list[str], within_s: float = 15.0) -> dict[str, Any]:
    """The one pub/sub client, once it is subscribed to ``channels`` (it connects at startup)."""
    deadline = time.monotonic() + within_s
    while True:
        listeners = pubsub_clients(client)
        counts = dict(client.pubsub_numsub(*channels))
        if len(listeners) == 1 and all(counts[c.encode()] == 1 for c in channels):
            return listeners[0]
        assert len(listeners) <= 1, listeners
        assert time.monotonic() < deadline, (listeners, counts)
        time.sleep(0.05)


def test_a_gateway_holds_one_pubsub_connection_for_its_hub_and_both_caches(
    stack: Stack, alone: tuple[Stack, redis.Redis], make_key: Callable[[str], str]
) -> None:
    group, client = alone
    namespace = stack.config.namespace
    channels = [key_events_channel(namespace), chat_events_channel(namespace)]
    listener = subscribed_as_one(client, channels)
    assert (listener["sub"], listener["psub"]) == ("3", "0")  # its own channel and the caches'

    # Requests use the caches (a key is looked up and cached): still the one connection.
    headers = {"Authorization": f"Bearer {make_key('pubsub-' + new_id())}"}
    for _ in range(3):
        response = httpx.get(f"{group.gateway_url}/api/v1/chats", headers=headers, timeout=15)
        assert response.status_code == 200, response.text
    assert [c["id"] for c in pubsub_clients(client)] == [listener["id"]]

    # Cut: redis-py reconnects it, and it is still one connection for everything.
    assert client.client_kill_filter(_type="pubsub") == 1
    again = subscribed_as_one(client, channels)
    assert again["id"] != listener["id"] and again["sub"] == "3"
