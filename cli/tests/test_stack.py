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


def _unused_port() -> int:
    """A port free now that free_port never handed out."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_busy_port_is_not_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        other = _unused_port()
        picks = iter([taken, taken, other])
        monkeypatch.setattr(stack.secrets, "choice", lambda _: next(picks))
        assert free_port() == other


def test_a_port_is_handed_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stack asks for all its ports before any service binds one: a repeat would fail a bind.
    first, other = free_port(), _unused_port()
    picks = iter([first, first, other])
    monkeypatch.setattr(stack.secrets, "choice", lambda _: next(picks))
    assert free_port() == other
