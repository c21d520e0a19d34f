"""Runs a ragflow-sdk 0.27 script (tests/sdk027/) under the Python 3.13 virtualenv that holds it.

ragflow-sdk 0.27 needs Python ≥ 3.13, the services run on 3.11: the SDK runs in its own process,
the interpreter of ``.venv-sdk027`` that ``make sdk027`` (part of ``make test``) makes, or the one
``RAGCHAT_SDK027_PYTHON`` names (tests/sdk027_harness.py); without one the tests skip, saying why.
Whole scripts run here; tests/sdk027_harness.py runs scenario functions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sdk027_harness import SKIP_REASON
from sdk027_harness import sdk027_python as harness_python

SCRIPTS = Path(__file__).parent / "sdk027"


def sdk027_python() -> str:
    """The interpreter of the ragflow-sdk 0.27 virtualenv, or a pytest skip naming what is missing."""
    python = harness_python()
    if python is None:
        pytest.skip(SKIP_REASON)
    return str(python)


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
