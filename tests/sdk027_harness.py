"""Drives ragflow-sdk 0.27.3 from pytest (API.md §9.1, issue 16).

The SDK needs Python 3.13 and the services run on 3.11, so it lives in a virtualenv of its own,
``.venv-sdk027``, that ``make sdk027`` (part of ``make test``) creates from a 3.13 interpreter it
finds (PATH, pyenv, the usual places; ``PYTHON313=...`` to choose). Each scenario is a plain
function in ``tests/sdk027/<module>.py`` taking a ``RAGFlow`` client (and JSON parameters) and
asserting what the SDK returns; ``Sdk027.run`` starts it in that interpreter (``driver.py``)
against a gateway and a key, and fails the test with the scenario's own traceback.

Usage in a test::

    def test_chats(sdk027: Sdk027, v027_key: str) -> None:
        sdk027.run("chats", "chat_lifecycle", key=v027_key, params={"prefix": "x"})

Without a Python 3.13 the ``sdk027`` fixture skips, saying so.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = Path(__file__).resolve().parent / "sdk027"
VENV_PYTHON = REPO / ".venv-sdk027" / "bin" / "python"
# Set by the environment to use another interpreter that has ragflow-sdk 0.27.3.
PYTHON_ENV = "RAGCHAT_SDK027_PYTHON"
SCENARIO_TIMEOUT_S = 300


def sdk027_python() -> Path | None:
    """The interpreter with ragflow-sdk 0.27.3, or None when ``make sdk027`` found no Python 3.13."""
    chosen = os.environ.get(PYTHON_ENV)
    python = Path(chosen) if chosen else VENV_PYTHON
    return python if python.is_file() else None


SKIP_REASON = (
    "ragflow-sdk 0.27.3 needs Python 3.13 and no .venv-sdk027 exists: `make sdk027` (run by `make test`) "
    f"creates it when it finds a python3.13 (PATH, pyenv, PYTHON313=...), or set {PYTHON_ENV}"
)


class ScenarioFailed(AssertionError):
    """A scenario raised: the message holds its traceback (the SDK's call and assertion)."""


@dataclass(frozen=True)
class Sdk027:
    python: Path
    base_url: str  # the gateway, e.g. http://127.0.0.1:9380

    def run(self, module: str, function: str, *, key: str, params: dict[str, Any] | None = None) -> Any:
        """Runs ``tests/sdk027/<module>.py::<function>(rag, **params)``; returns its JSON result."""
        env = {**os.environ, "RAGFLOW_BASE_URL": self.base_url, "RAGFLOW_API_KEY": key, "PYTHONHASHSEED": "0"}
        env.pop("PYTHONPATH", None)  # the SDK's interpreter sees its own packages only
        done = subprocess.run(
            [str(self.python), str(SCENARIOS / "driver.py"), module, function, json.dumps(params or {})],
            capture_output=True,
            text=True,
            env=env,
            timeout=SCENARIO_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise ScenarioFailed(
                f"ragflow-sdk 0.27.3 scenario {module}.{function} failed (exit {done.returncode}):\n"
                f"{done.stderr.strip()}\n{done.stdout.strip()}"
            )
        return json.loads(done.stdout.strip().splitlines()[-1])["result"]
