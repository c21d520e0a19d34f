"""README.md stays true to the code: its configuration table names every setting of every service.

Defaults and wording are refreshed by `make docs`; only a missing variable fails here, so that a
changed default elsewhere does not turn the whole suite red.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _config_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("config_table", ROOT / "scripts" / "config_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_setting_of_every_service_is_in_the_table() -> None:
    # Independent of the renderer: each field of each settings class, by its variable name.
    table = _config_table().readme_block((ROOT / "README.md").read_text())
    fields = set()
    for path in ROOT.glob("*/ragchat_*/settings.py"):
        fields |= set(re.findall(r"^    ([a-z][a-z0-9_]*): ", path.read_text(), flags=re.MULTILINE))
    assert len(fields) > 20
    missing = sorted(f"RAGCHAT_{name.upper()}" for name in fields if f"`RAGCHAT_{name.upper()}`" not in table)
    assert not missing, f"README.md lacks {missing}: run `make docs`"


def test_readme_shows_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text()
    first_section = readme.split("\n## ")[1]
    assert first_section.startswith("The two commands")
    assert "make run" in first_section and "make test" in first_section
