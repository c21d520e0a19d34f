"""Authentication (API.md §2), the `ragchat keys` CLI, and the envelope at the HTTP edge (§1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ragchat_cli.stack import Stack
from ragchat_common.ids import new_id

# Variables that point the CLI somewhere; each test sets its own.
CLI_TARGET_ENV = ("RAGCHAT_MONGO_URL", "RAGCHAT_MONGO_DB", "RAGCHAT_GATEWAY_URL", "RAGCHAT_ADMIN_TOKEN")


def ragchat(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in CLI_TARGET_ENV}
    return subprocess.run(
        [sys.executable, "-m", "ragchat_cli.main", *args],
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url + "/api/v1", timeout=30) as http:
        yield http


def envelope_error(response: httpx.Response, status: int, code: int) -> str:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert (response.status_code, body["code"], body["data"]) == (status, code, None), body
    assert isinstance(body["message"], str) and body["message"]
    return str(body["message"])


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer  -"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-ragchat-key"},
        {"Authorization": "Bearer ragchat-" + "A" * 43},  # well-formed, unknown
    ],
)
def test_missing_malformed_and_unknown_keys_get_401_code_103(gateway: httpx.Client, headers: dict[str, str]) -> None:
    for method, path in [("GET", "/chats"), ("POST", "/chats"), ("GET", f"/chats/{new_id()}/sessions")]:
        message = envelope_error(gateway.request(method, path, headers=headers, json={"name": "x"}), 401, 103)
        assert "key" in message.lower() or "authorization" in message.lower()


def test_a_valid_key_passes_and_is_scoped_to_its_tenant(gateway: httpx.Client, make_key: Callable[[str], str]) -> None:
    tenant = "auth-" + new_id()
    first, second = make_key(tenant), make_key(tenant)
    chat = gateway.post("/chats", json={"name": "shared"}, headers=bearer(first)).json()["data"]
    # Two keys of one tenant see the same objects.
    assert gateway.get(f"/chats/{chat['id']}", headers=bearer(second)).json()["data"]["id"] == chat["id"]
    # "bearer" in any case is accepted.
    assert gateway.get("/chats", headers={"Authorization": f"bearer {first}"}).json()["code"] == 0


def admin_env(stack: Stack) -> dict[str, str]:
    return {"RAGCHAT_GATEWAY_URL": stack.gateway_url, "RAGCHAT_ADMIN_TOKEN": stack.config.admin_token}


def test_cli_create_list_revoke(stack: Stack, gateway: httpx.Client) -> None:
    env = admin_env(stack)
    tenant = "cli-" + new_id()
    created = ragchat("keys", "create", "--tenant", tenant, env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n"  # the key alone on stdout
    assert key.startswith("ragchat-") and key not in created.stderr and tenant in created.stderr
    assert gateway.get("/chats", headers=bearer(key)).json()["code"] == 0

    listed = ragchat("keys", "list", "--json", "--tenant", tenant, env=env)
    assert listed.returncode == 0, listed.stderr
    [record] = json.loads(listed.stdout)
    assert record["tenant"] == tenant and record["revoked"] is False
    assert key not in listed.stdout  # never the key itself
    table = ragchat("keys", "list", env=env)
    assert record["id"] in table.stdout and "active" in table.stdout

    revoked = ragchat("keys", "revoke", record["id"], env=env)
    assert revoked.returncode == 0, revoked.stderr
    envelope_error(gateway.get("/chats", headers=bearer(key)), 401, 103)  # at once
    [after] = json.loads(ragchat("keys", "list", "--json", "--tenant", tenant, env=env).stdout)
    assert after["revoked"] is True

    unknown = ragchat("keys", "revoke", "no-such-id", env=env)
    assert unknown.returncode != 0 and "no-such-id" in unknown.stderr and unknown.stdout == ""


def test_cli_reads_the_dev_runner_endpoints_file(stack: Stack, tmp_path: Path, gateway: httpx.Client) -> None:
    (tmp_path / ".ragchat").mkdir()
    (tmp_path / ".ragchat" / "endpoints.json").write_text(json.dumps({"gateway_url": stack.gateway_url}))
    (tmp_path / ".ragchat" / "admin_token").write_text(stack.config.admin_token + "\n")
    work = tmp_path / "sub" / "dir"
    work.mkdir(parents=True)
    created = ragchat("keys", "create", "--tenant", "endpoints-" + new_id(), cwd=work)
    assert created.returncode == 0, created.stderr
    assert gateway.get("/chats", headers=bearer(created.stdout.strip())).json()["code"] == 0


def test_cli_without_a_gateway_says_how_to_configure_one(stack: Stack, tmp_path: Path) -> None:
    result = ragchat("keys", "list", cwd=tmp_path)
    if result.returncode == 0:
        pytest.skip("a .ragchat/endpoints.json of a running dev stack exists in the checkout")
    assert "RAGCHAT_GATEWAY_URL" in result.stderr and result.stdout == ""
    no_token = ragchat("keys", "list", cwd=tmp_path, env={"RAGCHAT_GATEWAY_URL": stack.gateway_url})
    assert no_token.returncode != 0 and "RAGCHAT_ADMIN_TOKEN" in no_token.stderr
    wrong = ragchat("keys", "list", env={**admin_env(stack), "RAGCHAT_ADMIN_TOKEN": "wrong"})
    assert wrong.returncode == 1 and "Invalid admin token" in wrong.stderr and wrong.stdout == ""


# -- the envelope at the edge (API.md §1) ----------------------------------------------------


def test_unknown_route_and_wrong_method(gateway: httpx.Client, make_key: Callable[[str], str]) -> None:
    key = make_key("edge-" + new_id())
    envelope_error(gateway.get("/no/such/route", headers=bearer(key)), 404, 105)
    envelope_error(gateway.get("/no/such/route"), 404, 105)
    assert "PATCH" in envelope_error(gateway.patch("/chats", headers=bearer(key), json={}), 405, 102)
    envelope_error(gateway.request("POST", f"/chats/{new_id()}", headers=bearer(key), json={}), 405, 102)


@pytest.mark.parametrize(
    "content",
    [b"{", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe"],
)
def test_bad_json_bodies(gateway: httpx.Client, make_key: Callable[[str], str], content: bytes) -> None:
    headers = {**bearer(make_key("json-" + new_id())), "Content-Type": "application/json"}
    message = envelope_error(gateway.post("/chats", content=content, headers=headers), 400, 102)
    assert "JSON" in message


def test_oversize_bodies_get_413(gateway: httpx.Client, make_key: Callable[[str], str]) -> None:
    headers = bearer(make_key("size-" + new_id()))
    big = {"name": "big", "description": "x" * (1024 * 1024)}
    message = envelope_error(gateway.post("/chats", json=big, headers=headers), 413, 102)
    assert "1 MiB" in message

    def chunks() -> Iterator[bytes]:  # no Content-Length: streamed in chunks
        yield b'{"name": "big", "description": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    envelope_error(gateway.post("/chats", content=chunks(), headers=headers), 413, 102)

    def small() -> Iterator[bytes]:
        yield b'{"name": "chunked-'
        yield new_id().encode() + b'"}'

    response = gateway.post("/chats", content=small(), headers={**headers, "Content-Type": "application/json"})
    assert response.json()["code"] == 0, response.text


def test_errors_never_leak_internals(gateway: httpx.Client, make_key: Callable[[str], str]) -> None:
    headers = bearer(make_key("leak-" + new_id()))
    bodies: list[Any] = [{"name": {"$gt": ""}}, {"name": "n", "llm": {"temperature": {"$ne": 1}}}]
    for body in bodies:
        message = envelope_error(gateway.post("/chats", json=body, headers=headers), 400, 102)
        assert "Traceback" not in message and "File " not in message


def test_cli_sets_scopes_dialect_and_expiry(stack: Stack, gateway: httpx.Client) -> None:
    env = admin_env(stack)
    tenant = "cli-shaped-" + new_id()
    created = ragchat(
        "keys", "create", "--tenant", tenant, "--ragflow-version", "0.27", "--scope", "read", "--ttl", "2h", env=env
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    [record] = json.loads(ragchat("keys", "list", "--json", "--tenant", tenant, env=env).stdout)
    assert (record["ragflow_version"], record["scopes"], record["expired"]) == ("0.27", ["read"], False)
    assert 7000 <= (record["expires_at"] - record["create_time"]) / 1000 <= 7300
    assert key.startswith(record["prefix"]) and key not in json.dumps(record)
    # A read-only key reads, and is told which scope a write needs.
    assert gateway.get("/chats", headers=bearer(key)).json()["code"] == 0
    assert "`full`" in envelope_error(gateway.post("/chats", json={"name": "x"}, headers=bearer(key)), 403, 104)

    updated = ragchat("keys", "update", record["id"], "--ragflow-version", "0.22", "--default", "expiry", env=env)
    assert updated.returncode == 0, updated.stderr
    [after] = json.loads(ragchat("keys", "list", "--json", "--tenant", tenant, env=env).stdout)
    assert (after["ragflow_version"], after["scopes"], after["expires_at"]) == ("0.22", ["read"], None)
    bad = ragchat("keys", "create", "--tenant", tenant, "--ragflow-version", "0.25", env=env)
    assert bad.returncode != 0 and bad.stdout == ""
