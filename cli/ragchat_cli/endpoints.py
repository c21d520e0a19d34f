"""Where a running ``ragchat dev`` stack can be reached, as recorded under ``.ragchat/``.

``ragchat dev`` writes ``.ragchat/endpoints.json`` in the checkout: a JSON object with at least
``"gateway_url"`` and ``"admin_token_file"`` (and ``"mongo_url"``, ...). ``ragchat keys`` reads it
so it works with no extra configuration while the stack is up; ``RAGCHAT_GATEWAY_URL`` with
``RAGCHAT_ADMIN_TOKEN`` (or ``RAGCHAT_ADMIN_TOKEN_FILE``) always win.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENDPOINTS_FILE = Path(".ragchat") / "endpoints.json"
DEFAULT_MONGO_DB = "ragchat"


class EndpointsError(RuntimeError):
    """No way to reach the gateway's admin API was configured or recorded."""


@dataclass(frozen=True)
class AdminTarget:
    """A gateway's admin API: its base URL and the admin token."""

    gateway_url: str
    token: str
    source: str  # where they came from, for messages


def _checkout_root() -> Path:
    # The CLI is installed in editable mode from <checkout>/cli/ragchat_cli.
    return Path(__file__).resolve().parents[2]


def endpoints_path(start: Path | None = None) -> Path | None:
    """The nearest ``.ragchat/endpoints.json`` from ``start`` (cwd) upwards, else the checkout's."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / ENDPOINTS_FILE
        if candidate.is_file():
            return candidate
    candidate = _checkout_root() / ENDPOINTS_FILE
    return candidate if candidate.is_file() else None


def read_endpoints(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EndpointsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise EndpointsError(f"{path} does not hold a JSON object")
    return data


def _read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise EndpointsError(f"cannot read the admin token file {path}: {exc}") from exc
    if not token:
        raise EndpointsError(f"the admin token file {path} is empty")
    return token


def admin_target(env: dict[str, str] | None = None, start: Path | None = None) -> AdminTarget:
    env = dict(os.environ) if env is None else env
    if env.get("RAGCHAT_GATEWAY_URL"):
        if env.get("RAGCHAT_ADMIN_TOKEN"):
            token = env["RAGCHAT_ADMIN_TOKEN"]
        elif env.get("RAGCHAT_ADMIN_TOKEN_FILE"):
            token = _read_token(Path(env["RAGCHAT_ADMIN_TOKEN_FILE"]))
        else:
            raise EndpointsError(
                "RAGCHAT_GATEWAY_URL is set: set RAGCHAT_ADMIN_TOKEN (or RAGCHAT_ADMIN_TOKEN_FILE) too"
            )
        return AdminTarget(env["RAGCHAT_GATEWAY_URL"].rstrip("/"), token, "RAGCHAT_GATEWAY_URL")
    path = endpoints_path(start)
    if path is None:
        raise EndpointsError(
            "no gateway configured: set RAGCHAT_GATEWAY_URL and RAGCHAT_ADMIN_TOKEN, "
            "or run this from the checkout while `ragchat dev` is up"
        )
    data = read_endpoints(path)
    url = data.get("gateway_url")
    if not isinstance(url, str) or not url:
        raise EndpointsError(f'{path} has no "gateway_url"')
    token_file = data.get("admin_token_file")
    token_path = Path(token_file) if isinstance(token_file, str) and token_file else path.parent / "admin_token"
    return AdminTarget(url.rstrip("/"), _read_token(token_path), str(path))
