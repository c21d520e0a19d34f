"""`ragchat keys` (to be filled in)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("keys", help="not implemented yet")
    parser.set_defaults(handler=lambda args: 2)
