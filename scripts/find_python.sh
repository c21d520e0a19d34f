#!/usr/bin/env bash
# Prints the path of a Python 3.11 (3.11.5 or later) that can create virtualenvs, or fails with a
# clear message.
# Looks at $PYTHON, python3.11 / python3 on PATH, pyenv's versions, then the usual system places,
# so `make` works from a bare `env -i` shell as well as from a developer's pyenv setup.
set -u
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for name in python3.11 python3; do
  found=$(command -v "$name" 2>/dev/null) && candidates+=("$found")
done
for root in "${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv /opt/pyenv /usr/local/pyenv; do
  [ -n "$root" ] || continue
  for dir in "$root"/versions/3.11*/bin; do
    [ -x "$dir/python3.11" ] && candidates+=("$dir/python3.11")
  done
done
candidates+=(/usr/local/bin/python3.11 /usr/bin/python3.11)

for python in "${candidates[@]}"; do
  [ -x "$python" ] || continue
  # pyenv's shims answer for any version; ask the interpreter itself.
  # 3.11.5 at least: pinned packages need it (soupsieve, for one, declares Requires-Python >=3.11.5).
  if "$python" -c 'import sys, venv, ensurepip; sys.exit(not (3, 11, 5) <= sys.version_info[:3] < (3, 12))' 2>/dev/null; then
    "$python" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "no Python 3.11.5+ with venv and ensurepip found (tried: ${candidates[*]}); install one (e.g. pyenv install 3.11), or set PYTHON=/path/to/python3.11" >&2
exit 1
