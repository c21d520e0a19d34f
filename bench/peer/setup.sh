#!/usr/bin/env bash
# Creates bench/peer/.venv with the pinned LiteLLM proxy (from PyPI; not part of `make test`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$(ls -d ~/.pyenv/versions/3.11.*/bin/python3.11 2>/dev/null | head -1)}"
python="${python:-python3}"
"$python" -m venv "$here/.venv"
"$here/.venv/bin/pip" install -q --upgrade pip
"$here/.venv/bin/pip" install -q -r "$here/requirements.txt"
"$here/.venv/bin/litellm" --version || true
