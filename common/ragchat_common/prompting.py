"""Filling ``{name}`` placeholders in prompts, openers and empty responses.

Braces that name no known variable are left exactly as written (API.md §5): a prompt may
contain JSON or code, and that must never be an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders(template: str) -> set[str]:
    """The variable names a template mentions."""
    return set(_PLACEHOLDER.findall(template))


def fill_placeholders(template: str, values: Mapping[str, str]) -> str:
    """Replaces ``{key}`` for every key in ``values``; other braces stay untouched."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return _PLACEHOLDER.sub(replace, template)
