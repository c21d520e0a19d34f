"""Every package declares what it imports, so a fresh `make install` gives it everything it needs.

The shared development virtualenv has far more installed than the packages declare; code that
imports an undeclared library works there and fails in CI's fresh clone. This test reads each
package's own ``pyproject.toml`` (not the possibly stale installed metadata of our packages)
and every import in its code, and names what is missing.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "common",
    "client",
    "gateway",
    "chat-service",
    "session-service",
    "retrieval-service",
    "inference-worker",
    "cli",
]
FIRST_PARTY = re.compile(r"^ragchat(_\w+)?$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return _normalise(match.group(1))


@cache
def _own_pyprojects() -> dict[str, list[str]]:
    """Distribution name -> declared requirements, for our packages (read from source)."""
    declared = {}
    for folder in PACKAGES:
        project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
        declared[_normalise(project["name"])] = list(project.get("dependencies", []))
    return declared


@cache
def _closure(distribution: str) -> frozenset[str]:
    """The distribution and everything it requires (extras left out), by normalised name."""
    seen: set[str] = set()
    pending = [distribution]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in _own_pyprojects():
            requirements = _own_pyprojects()[name]
        else:
            try:
                requirements = metadata.requires(name) or []
            except metadata.PackageNotFoundError:
                continue
        pending += [_requirement_name(r) for r in requirements if "extra ==" not in r.replace("'", '"')]
    return frozenset(seen)


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (imports for the type checker only)."""
    nodes, pending = [], [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        if _is_type_checking(node):
            assert isinstance(node, ast.If)
            pending += node.orelse
        else:
            pending += list(ast.iter_child_nodes(node))
    return nodes


def _imports(folder: Path, tests: bool = False) -> dict[str, str]:
    """Top-level module -> one file importing it, over the package's code, or only its tests."""
    found: dict[str, str] = {}
    for path in folder.rglob("*.py"):
        relative = path.relative_to(folder)
        if (relative.parts[0] == "tests") != tests or relative.parts[0] == "build":
            continue
        if relative.parts[0] == "ragchat":  # generated gRPC stubs
            continue
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _undeclared(imports: dict[str, str], available: frozenset[str]) -> list[str]:
    providers = metadata.packages_distributions()
    missing = []
    for module, where in sorted(imports.items()):
        if module in sys.stdlib_module_names or FIRST_PARTY.match(module) or module == "__future__":
            continue
        distributions = {_normalise(d) for d in providers.get(module, [])}
        if not distributions:
            missing.append(f"{module} (imported in {where}) is not installed at all")
        elif not distributions & available:
            missing.append(f"{module} (imported in {where}): add {' or '.join(sorted(distributions))}")
    return missing


@pytest.mark.parametrize("folder", PACKAGES)
def test_every_import_is_declared(folder: str) -> None:
    project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
    missing = _undeclared(_imports(ROOT / folder), _closure(_normalise(project["name"])))
    assert not missing, f"{folder}/pyproject.toml lacks dependencies:\n" + "\n".join(missing)


def test_tests_scripts_and_benchmarks_import_only_what_make_install_installs() -> None:
    # deploy/requirements-check.txt: what `make deploy-check` adds for scripts/validate_deploy.py.
    lists = [ROOT / "requirements-dev.txt", ROOT / "deploy" / "requirements-check.txt"]
    lines = [line for path in lists if path.exists() for line in path.read_text().splitlines()]
    tools = [_requirement_name(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    available = frozenset().union(*(_closure(name) for name in [*_own_pyprojects(), *tools]))
    folders = [*(ROOT / folder / "tests" for folder in PACKAGES), *(ROOT / f for f in ("tests", "scripts", "bench"))]
    imports: dict[str, str] = {}
    for folder in folders:
        imports.update(_imports(folder))
    # Helpers beside the tests, and beside the ragflow-sdk 0.27.3 scenarios (tests/sdk027).
    local = {path.stem for folder in folders for path in folder.rglob("*.py")}
    missing = _undeclared({m: w for m, w in imports.items() if m not in local}, available)
    assert not missing, "requirements-dev.txt lacks:\n" + "\n".join(missing)
