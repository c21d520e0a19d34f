"""README.md leads with the two commands.

Its configuration table is generated (`make docs`, `scripts/config_table.py --check`) rather than
tested here: a setting added anywhere would otherwise turn the whole suite red until someone
regenerates the documentation.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_shows_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text()
    first_section = readme.split("\n## ")[1]
    assert first_section.startswith("The two commands")
    assert "make run" in first_section and "make test" in first_section
