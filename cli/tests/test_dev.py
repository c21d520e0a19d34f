"""The pieces of `ragchat dev` that need no running stack (the whole runner: tests/test_dev_runner.py)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ragchat_cli import dev
from ragchat_cli.demo import documents
from ragchat_cli.stack import Stack, StackConfig

ROOT = Path(__file__).resolve().parents[2]


def test_checkout_root_is_found_from_a_subfolder_and_from_outside() -> None:
    assert dev.checkout_root(ROOT / "cli" / "ragchat_cli" / "demo") == ROOT
    # Outside any checkout: the one this package is installed from (editable install).
    assert dev.checkout_root(Path("/")) == ROOT


def _sleeper(state_dir: Path, ignore_term: bool = False) -> subprocess.Popen[bytes]:
    code = "import signal, time\n"
    if ignore_term:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "print('up', flush=True)\ntime.sleep(300)\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env={"RAGCHAT_STATE_DIR": str(state_dir), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"up\n"  # handler installed
    return proc


def test_leftovers_of_a_state_dir_are_found_and_stopped_others_are_not(tmp_path: Path) -> None:
    mine, other = tmp_path / "mine", tmp_path / "other"
    polite, stubborn, bystander = _sleeper(mine), _sleeper(mine, ignore_term=True), _sleeper(other)
    try:
        assert sorted(dev.stack_pids(mine)) == sorted([polite.pid, stubborn.pid])
        found, survivors = dev.stop_leftovers(mine, grace_s=2.0)
        assert (found, survivors) == (2, [])
        assert polite.wait(timeout=5) == -signal.SIGTERM
        assert stubborn.wait(timeout=5) == -signal.SIGKILL
        assert bystander.poll() is None
        assert dev.stack_pids(mine) == []
    finally:
        for proc in (polite, stubborn, bystander):
            proc.kill()
            proc.wait()


def test_one_runner_per_state_dir(tmp_path: Path) -> None:
    with dev.runner_lock(tmp_path):
        with pytest.raises(dev.DevError, match=r"another `ragchat dev` \(pid \d+\)"), dev.runner_lock(tmp_path):
            pass
    with dev.runner_lock(tmp_path):  # free again once the holder is done
        pass


def test_a_busy_port_is_refused_with_a_clear_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(dev.DevError, match=f"port {port} on 127.0.0.1 is busy"):
            dev.ensure_port_free(port)
    dev.ensure_port_free(port)


@pytest.mark.parametrize(("raw", "expected"), [(None, 9380), ("9400", 9400)])
def test_gateway_port_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str | None, expected: int) -> None:
    if raw is None:
        monkeypatch.delenv("RAGCHAT_GATEWAY_PORT", raising=False)
    else:
        monkeypatch.setenv("RAGCHAT_GATEWAY_PORT", raw)
    assert dev.gateway_port() == expected


@pytest.mark.parametrize("raw", ["http", "0", "70000"])
def test_a_bad_gateway_port_is_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("RAGCHAT_GATEWAY_PORT", raw)
    with pytest.raises(dev.DevError, match="RAGCHAT_GATEWAY_PORT"):
        dev.gateway_port()


def test_demo_documents_are_shipped_in_every_format_the_api_parses() -> None:
    docs = documents()
    assert {mime for _, _, mime in docs} == {"text/markdown", "text/plain", "text/html"}
    assert len(docs) == 4
    for name, content, _ in docs:
        assert b"Lumio" in content, name
    assert any(b"2-year limited warranty" in content for _, content, _ in docs)  # the banner's question


def test_banner_has_url_key_and_a_ready_to_paste_curl(tmp_path: Path) -> None:
    stack = Stack(StackConfig(state_dir=tmp_path, namespace="ragchat"))
    stack.gateway_urls.append("http://127.0.0.1:9380")
    stack.grpc_addresses.append("127.0.0.1:9390")
    text = dev.banner(stack, "ragchat-k3y", dev.Demo(chat_id="c" * 32, dataset_id="d" * 32, documents=4))
    assert "  gateway: http://127.0.0.1:9380\n" in text
    assert "  grpc:    127.0.0.1:9390 (ragchat.api.v1; reflection on)\n" in text
    assert "  api key: ragchat-k3y\n" in text
    assert f"curl -s http://127.0.0.1:9380/api/v1/chats/{'c' * 32}/completions" in text
    assert "-H 'Authorization: Bearer ragchat-k3y'" in text
    without_chat = dev.banner(stack, "ragchat-k3y", dev.Demo())
    assert "curl -s http://127.0.0.1:9380/api/v1/chats -H 'Authorization: Bearer ragchat-k3y'" in without_chat
