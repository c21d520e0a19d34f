"""`ragchat dev` as a user runs it: a subprocess that prints a URL and a key, and leaves nothing behind.

Each test gives the runner its own state dir, gateway port and namespace, so it never meets a
developer's own `ragchat dev` (which uses the checkout's `.ragchat/`, port 9380 and "ragchat").
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest

from ragchat_cli.dev import DEMO_CHAT, pid_alive, stack_pids
from ragchat_cli.stack import free_port

START_TIMEOUT_S = 240.0


@dataclass
class Runner:
    popen: subprocess.Popen[str]
    state_dir: Path
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def wait_for(self, pattern: str, timeout_s: float = START_TIMEOUT_S) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.stdout):
                match = re.search(pattern, line)
                if match:
                    return match
            if self.popen.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} in the output.\nstdout:\n{self.out}\nstderr:\n{self.err}")

    @property
    def out(self) -> str:
        return "".join(self.stdout)

    @property
    def err(self) -> str:
        return "".join(self.stderr)

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 60.0) -> int:
        self.popen.send_signal(sig)
        return self.popen.wait(timeout=timeout_s)


def _pump(stream: IO[str] | None, into: list[str]) -> None:
    assert stream is not None
    for line in iter(stream.readline, ""):
        into.append(line)


def start_runner(state_dir: Path, port: int, namespace: str, *args: str, own_group: bool = False) -> Runner:
    env = {
        **os.environ,
        "RAGCHAT_GATEWAY_PORT": str(port),
        # Not the default 9390: test runs of other checkouts may be up at the same time.
        "RAGCHAT_PUBLIC_GRPC_PORT": str(free_port()),
        "RAGCHAT_NAMESPACE": namespace,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("RAGCHAT_MONGO_URL", None)  # the runner's own SecantusDB under state_dir
    popen = subprocess.Popen(
        [sys.executable, "-m", "ragchat_cli.main", "dev", "--state-dir", str(state_dir), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=own_group,  # a process group of its own, to be signalled as `make run` is
    )
    runner = Runner(popen, state_dir.resolve())
    threading.Thread(target=_pump, args=(popen.stdout, runner.stdout), daemon=True).start()
    threading.Thread(target=_pump, args=(popen.stderr, runner.stderr), daemon=True).start()
    return runner


@pytest.fixture
def runners() -> Iterator[list[Runner]]:
    """Runners a test started; whatever a failing test leaves running is stopped here."""
    started: list[Runner] = []
    yield started
    for runner in started:
        if runner.popen.poll() is None:
            runner.stop(signal.SIGKILL)
        for pid in stack_pids(runner.state_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_dev_prints_a_working_key_and_stops_every_process(tmp_path: Path, runners: list[Runner]) -> None:
    state_dir = tmp_path / ".ragchat"
    port = free_port()
    runner = start_runner(state_dir, port, "test-" + secrets.token_hex(4))
    runners.append(runner)
    url = runner.wait_for(r"gateway: (\S+)").group(1)
    grpc_address = runner.wait_for(r"grpc: +(\S+)").group(1)
    key = runner.wait_for(r"api key: (ragchat-\S+)").group(1)
    assert url == f"http://127.0.0.1:{port}"
    assert grpc_address.startswith("127.0.0.1:")
    runner.wait_for(r"dataset: lumio-demo \(\w{32}\), 4 documents about the Lumio lamp, 4 indexed")

    assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
    listed = httpx.get(f"{url}/api/v1/chats", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert listed.status_code == 200, listed.text
    assert listed.json()["code"] == 0
    assert DEMO_CHAT in [chat["name"] for chat in listed.json()["data"]]
    refused = httpx.get(f"{url}/api/v1/chats", headers={"Authorization": "Bearer not-a-key"}, timeout=30)
    assert (refused.status_code, refused.json()["code"]) == (401, 103)

    # The keys CLI finds this stack through the endpoints file, from the folder holding .ragchat/.
    endpoints = json.loads((state_dir / "endpoints.json").read_text())
    assert endpoints["gateway_url"] == url and endpoints["mongo_url"].startswith("mongodb://")
    assert endpoints["grpc_url"] == grpc_address
    cli_env = {k: v for k, v in os.environ.items() if k not in ("RAGCHAT_MONGO_URL", "RAGCHAT_MONGO_DB")}
    listing = subprocess.run(
        [sys.executable, "-m", "ragchat_cli.main", "keys", "list", "--json"],
        cwd=tmp_path,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    assert "demo" in [row["tenant"] for row in json.loads(listing.stdout)]

    # A second runner on the same state dir is refused while this one is up.
    second = subprocess.run(
        [sys.executable, "-m", "ragchat_cli.main", "dev", "--state-dir", str(state_dir)],
        env={**os.environ, "RAGCHAT_GATEWAY_PORT": str(free_port()), "RAGCHAT_PUBLIC_GRPC_PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1 and "another `ragchat dev`" in second.stderr

    children = stack_pids(runner.state_dir)
    assert len(children) >= 6  # SecantusDB and five services at least
    assert runner.stop(signal.SIGTERM) == 0
    assert [pid for pid in children if pid_alive(pid)] == []
    assert stack_pids(runner.state_dir) == []
    assert not (state_dir / "endpoints.json").exists()


def test_a_crashed_run_is_cleaned_up_by_the_next_start(tmp_path: Path, runners: list[Runner]) -> None:
    state_dir = tmp_path / ".ragchat"
    port = free_port()
    namespace = "test-" + secrets.token_hex(4)
    first = start_runner(state_dir, port, namespace, "--no-demo")
    runners.append(first)
    key = first.wait_for(r"api key: (ragchat-\S+)").group(1)
    first.stop(signal.SIGKILL)  # the runner dies without stopping anything
    orphans = stack_pids(first.state_dir)
    assert orphans, "the killed runner's services should still be running"

    second = start_runner(state_dir, port, namespace, "--no-demo")
    runners.append(second)
    assert second.wait_for(r"api key: (ragchat-\S+)").group(1) == key  # kept, and still valid
    assert re.search(r"stopped \d+ processes left over", second.err)
    assert [pid for pid in orphans if pid_alive(pid)] == []
    assert second.stop(signal.SIGINT) == 0
    assert stack_pids(second.state_dir) == []


def test_a_second_stack_in_the_same_namespace_is_refused(tmp_path: Path, runners: list[Runner]) -> None:
    """Two stacks of one namespace on one RabbitMQ would take each other's jobs: the second one
    says so and starts nothing (it used to start, its ingest worker dying on a locked queue)."""
    namespace = "test-" + secrets.token_hex(4)
    first = start_runner(tmp_path / "first", free_port(), namespace, "--no-demo")
    runners.append(first)
    first.wait_for(r"api key: (ragchat-\S+)")
    second = start_runner(tmp_path / "second", free_port(), namespace, "--no-demo")
    runners.append(second)
    assert second.popen.wait(timeout=60) == 1
    assert f"namespace {namespace!r} is in use on this RabbitMQ" in second.err
    assert "RAGCHAT_NAMESPACE" in second.err and "Traceback" not in second.err
    assert stack_pids(second.state_dir) == []
    assert first.stop(signal.SIGINT) == 0


def test_a_busy_gateway_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ragchat_cli.main", "dev", "--state-dir", str(tmp_path / "state")],
            env={**os.environ, "RAGCHAT_GATEWAY_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is busy" in done.stderr
    assert "Traceback" not in done.stderr


def test_more_signals_during_the_stop_never_cut_it_short(tmp_path: Path, runners: list[Runner]) -> None:
    """SIGTERM to the process group (as when `make run` is stopped), then Ctrl-C twice and the group
    SIGTERM again while the runner stops: it still says it is stopping, stops everything, says so."""
    state_dir = tmp_path / ".ragchat"
    runner = start_runner(state_dir, free_port(), "test-" + secrets.token_hex(4), "--no-demo", own_group=True)
    runners.append(runner)
    runner.wait_for(r"gateway: (\S+)")
    children = stack_pids(runner.state_dir)
    assert len(children) >= 6
    group = runner.popen.pid
    # Signals that arrive together (handled one after the other by the interpreter), then more
    # while the services are being stopped.
    os.killpg(group, signal.SIGTERM)
    os.killpg(group, signal.SIGINT)
    os.killpg(group, signal.SIGHUP)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
        time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, sig)
    assert runner.popen.wait(timeout=60) == 0, runner.err
    deadline = time.monotonic() + 5
    while "ragchat stopped" not in runner.err and time.monotonic() < deadline:  # the pump thread lags
        time.sleep(0.05)
    err = runner.err
    assert "stopping ragchat" in err and "ragchat stopped" in err, err
    assert err.index("stopping ragchat") < err.index("ragchat stopped")
    assert "Traceback" not in err and "race condition" not in err, err
    assert [pid for pid in children if pid_alive(pid)] == []
    assert stack_pids(runner.state_dir) == []
