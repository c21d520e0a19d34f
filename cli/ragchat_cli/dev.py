"""`ragchat dev` (to be filled in)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("dev", help="not implemented yet")
    parser.set_defaults(handler=lambda args: 2)
