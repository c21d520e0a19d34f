"""When Redis or RabbitMQ does not answer, `ragchat dev` runs its own, owned by the stack.

The machine's brokers stay untouched: the runner is pointed at a default address where nothing
listens, as on a machine without them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aio_pika
import pytest
import redis

from ragchat_cli import dev
from ragchat_cli.stack import Stack, StackConfig, free_port, tcp_answers


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    return Stack(StackConfig(state_dir=tmp_path))


def test_env_url_that_does_not_answer_is_a_clear_error(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAGCHAT_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(dev.DevError, match=r"Redis at RAGCHAT_REDIS_URL=.* does not answer"):
        dev.redis_url(stack, tmp_path)


def test_a_redis_of_its_own_when_none_answers(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if dev._find_binary("redis-server") is None:
        pytest.skip("redis-server is not installed")
    monkeypatch.delenv("RAGCHAT_REDIS_URL", raising=False)
    monkeypatch.setattr(dev, "DEFAULT_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    try:
        url = dev.redis_url(stack, tmp_path)
        assert url != dev.DEFAULT_REDIS_URL
        assert redis.Redis.from_url(url).ping()
        assert [p.spec.name for p in stack.processes] == ["redis"]
    finally:
        stack.stop()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    assert not tcp_answers("127.0.0.1", port)


def test_a_rabbitmq_of_its_own_when_none_answers(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if dev._find_binary("rabbitmq-server") is None:
        pytest.skip("rabbitmq-server is not installed")
    monkeypatch.delenv("RAGCHAT_AMQP_URL", raising=False)
    monkeypatch.setattr(dev, "DEFAULT_AMQP_URL", f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    try:
        url = dev.amqp_url(stack, tmp_path)
        assert url != dev.DEFAULT_AMQP_URL

        async def round_trip() -> bytes:
            connection = await aio_pika.connect(url)
            async with connection:
                channel = await connection.channel()
                queue = await channel.declare_queue(exclusive=True)
                await channel.default_exchange.publish(aio_pika.Message(b"ping"), routing_key=queue.name)
                message = await queue.get(timeout=10)
                assert message is not None
                await message.ack()
                return message.body

        assert asyncio.run(round_trip()) == b"ping"
    finally:
        stack.stop()
    assert dev.stack_pids(tmp_path) == []  # the node and its helpers are gone, not just the script
