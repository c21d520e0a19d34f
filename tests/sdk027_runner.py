"""Runs a ragflow-sdk 0.27 script (tests/sdk027/) under the Python 3.13 virtualenv that holds it.

ragflow-sdk 0.27 needs Python ≥ 3.13, the services run on 3.11: the SDK runs in its own process.
``RAGCHAT_SDK027_PYTHON`` names that interpreter (``make test`` sets it when it built the
virtualenv); without one the tests skip, saying why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parent / "sdk027"
ENV_PYTHON = "RAGCHAT_SDK027_PYTHON"


def sdk027_python() -> str:
    """The interpreter of the ragflow-sdk 0.27 virtualenv, or a pytest skip naming what is missing."""
    python = os.environ.get(ENV_PYTHON, "")
    if not python or not Path(python).is_file():
        pytest.skip(f"no Python 3.13 with ragflow-sdk 0.27 ({ENV_PYTHON} unset or missing: {python!r})")
    return python


def run_sdk_script(name: str, base_url: str, api_key: str, timeout_s: float = 600) -> str:
    """Runs tests/sdk027/<name> against the gateway; fails the test with its output if it fails."""
    env = {**os.environ, "RAGCHAT_BASE_URL": base_url, "RAGCHAT_API_KEY": api_key, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [sdk027_python(), str(SCRIPTS / name)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    output = done.stdout + done.stderr
    sys.stdout.write(output)
    assert done.returncode == 0, output
    return output
