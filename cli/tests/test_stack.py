"""Stack helpers that need no running services."""

from __future__ import annotations

import socket

import pytest

from ragchat_cli import stack
from ragchat_cli.stack import _ephemeral_ports, free_port


def test_free_ports_are_bindable_and_never_from_the_ephemeral_range() -> None:
    # Ephemeral ports are what outgoing connections take: one picked there could be gone
    # before the service binds it (seen as "Address already in use" under load).
    ephemeral = _ephemeral_ports()
    ports = [free_port() for _ in range(50)]
    assert not [port for port in ports if port in ephemeral]
    assert len(set(ports)) > 40  # random picks, so parallel stacks rarely collide
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[0]))


def test_a_busy_port_is_not_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", free_port()))
        busy.listen()
        taken = busy.getsockname()[1]
        other = free_port()
        picks = iter([taken, taken, other])
        monkeypatch.setattr(stack.secrets, "choice", lambda _: next(picks))
        assert free_port() == other
