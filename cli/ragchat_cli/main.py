"""`ragchat` — the command line. Sub-commands live in their own modules."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ragchat", description="ragchat command line")
    sub = parser.add_subparsers(dest="command", required=True)
    from ragchat_cli import dev, keys

    dev.register(sub)
    keys.register(sub)
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
