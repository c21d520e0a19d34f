"""The gateway keeps an idle client connection open longer than the proxies in front of it."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from ragchat_cli.stack import Stack


def _response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data  # closed by the gateway
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head


def test_an_idle_connection_outlives_uvicorns_default_keepalive(stack: Stack) -> None:
    url = urlsplit(stack.gateway_url)
    assert url.hostname and url.port
    request = f"GET /healthz HTTP/1.1\r\nHost: {url.hostname}\r\n\r\n".encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        assert _response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(6)  # uvicorn's default (5 s) would have closed it by now
        sock.sendall(request)
        assert _response(sock).startswith(b"HTTP/1.1 200")
