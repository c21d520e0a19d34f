"""A redis-server of a test's own: one a test may stop, freeze or cut off without touching the
machine's shared Redis (and every other client of it)."""

from __future__ import annotations

import shutil
import subprocess
import time

from ragchat_cli.stack import tcp_answers


def start_redis_server(port: int, *, timeout_s: float = 10.0) -> subprocess.Popen[bytes]:
    """redis-server on 127.0.0.1:``port``, keeping nothing on disk, answering once this returns
    (a session of its own, so signals meant for the test runner's group never reach it)."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed"
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    while not tcp_answers("127.0.0.1", port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("redis-server did not start")
        time.sleep(0.05)
    return proc
