"""Generates the Python gRPC stubs of proto/ into common/ (package ``ragchat.*``).

The stubs are committed; common/tests/test_proto_current.py regenerates them into a temporary folder
and fails when the committed ones are stale. Run ``make proto`` after editing a .proto file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"


def generate(out_dir: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    # Every generated folder is a regular package so setuptools ships it.
    for proto in protos:
        package = (out_dir / proto).parent
        while package != out_dir:
            (package / "__init__.py").touch()
            package = package.parent


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "common")
