#!/usr/bin/env bash
# Prints the path of a Python that can create virtualenvs, or fails with a clear message:
#   find_python.sh         a 3.11 (3.11.5 or later) for the services; $PYTHON overrides
#   find_python.sh 3.13    a 3.13 for ragflow-sdk 0.27.3 (tests/sdk027); $PYTHON313 overrides
# Looks at the override, pythonX.Y / python3 on PATH, pyenv's versions, then the usual system
# places, so `make` works from a bare `env -i` shell as well as from a developer's pyenv setup.
set -u
want=${1:-3.11}
case "$want" in
  3.11) override=${PYTHON:-}; floor="(3, 11, 5)"; hint="set PYTHON=/path/to/python3.11" ;;
  3.13) override=${PYTHON313:-}; floor="(3, 13, 0)"; hint="set PYTHON313=/path/to/python3.13" ;;
  *) echo "find_python.sh: unsupported version $want (3.11 or 3.13)" >&2; exit 2 ;;
esac
minor=${want#3.}
candidates=()
[ -n "$override" ] && candidates+=("$override")
for name in "python$want" python3; do
  found=$(command -v "$name" 2>/dev/null) && candidates+=("$found")
done
for root in "${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv /opt/pyenv /usr/local/pyenv; do
  [ -n "$root" ] || continue
  for dir in "$root"/versions/"$want"*/bin; do
    [ -x "$dir/python$want" ] && candidates+=("$dir/python$want")
  done
done
candidates+=("/usr/local/bin/python$want" "/usr/bin/python$want")

for python in "${candidates[@]}"; do
  [ -x "$python" ] || continue
  # pyenv's shims answer for any version; ask the interpreter itself.
  # 3.11.5 at least: pinned packages need it (soupsieve, for one, declares Requires-Python >=3.11.5).
  if "$python" -c "import sys, venv, ensurepip; sys.exit(not $floor <= sys.version_info[:3] < (3, $((minor + 1))))" 2>/dev/null; then
    "$python" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "no Python $want with venv and ensurepip found (tried: ${candidates[*]}); install one (e.g. pyenv install $want), or $hint" >&2
exit 1
