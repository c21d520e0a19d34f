"""Where a running ``ragchat dev`` stack can be reached, as recorded under ``.ragchat/``.

``ragchat dev`` writes ``.ragchat/endpoints.json`` in the checkout: a JSON object with at least
``"mongo_url"`` (and optionally ``"mongo_db"``, ``"gateway_url"``, ...). Tools such as
``ragchat keys`` read it so they work with no extra configuration while the stack is up;
``RAGCHAT_MONGO_URL`` (and ``RAGCHAT_MONGO_DB``) always win.
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
    """No way to reach the database was configured or recorded."""


@dataclass(frozen=True)
class MongoTarget:
    url: str
    db: str
    source: str  # where the URL came from, for messages


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


def mongo_target(env: dict[str, str] | None = None, start: Path | None = None) -> MongoTarget:
    env = dict(os.environ) if env is None else env
    db = env.get("RAGCHAT_MONGO_DB") or ""
    if env.get("RAGCHAT_MONGO_URL"):
        return MongoTarget(env["RAGCHAT_MONGO_URL"], db or DEFAULT_MONGO_DB, "RAGCHAT_MONGO_URL")
    path = endpoints_path(start)
    if path is None:
        raise EndpointsError(
            "no database configured: set RAGCHAT_MONGO_URL, or run this from the checkout while `ragchat dev` is up"
        )
    data = read_endpoints(path)
    url = data.get("mongo_url")
    if not isinstance(url, str) or not url:
        raise EndpointsError(f'{path} has no "mongo_url"')
    recorded_db = data.get("mongo_db")
    if not db:
        db = recorded_db if isinstance(recorded_db, str) and recorded_db else DEFAULT_MONGO_DB
    return MongoTarget(url, db, str(path))
