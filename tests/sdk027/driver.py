"""Runs one scenario of ragflow-sdk 0.27.3 against a gateway, in the SDK's own Python 3.13.

``python driver.py MODULE FUNCTION PARAMS_JSON`` with ``RAGFLOW_BASE_URL`` and ``RAGFLOW_API_KEY``
in the environment: imports ``MODULE`` (a file beside this one), calls ``FUNCTION(rag, **params)``
with a ``RAGFlow`` client, and prints ``{"result": ...}`` (what the function returned, as JSON) as
the last line of stdout. A failed assertion or any other exception exits 1 with its traceback on
stderr. Nothing here imports ragchat: the SDK runs as a user's program would.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from importlib.metadata import version
from pathlib import Path

EXPECTED_SDK = "0.27.3"


def main() -> int:
    module_name, function_name, raw_params = sys.argv[1], sys.argv[2], sys.argv[3]
    installed = version("ragflow-sdk")
    if installed != EXPECTED_SDK:
        print(f"ragflow-sdk {installed} is installed, the scenarios are for {EXPECTED_SDK}", file=sys.stderr)
        return 2
    from ragflow_sdk import RAGFlow

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    scenario = getattr(importlib.import_module(module_name), function_name)
    rag = RAGFlow(api_key=os.environ["RAGFLOW_API_KEY"], base_url=os.environ["RAGFLOW_BASE_URL"])
    result = scenario(rag, **json.loads(raw_params))
    print(json.dumps({"result": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
