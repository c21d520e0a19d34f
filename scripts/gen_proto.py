"""Generates the Python gRPC stubs of proto/: internal packages into common/, the public API into client/.

The internal services' stubs (``ragchat.chat.v1``, ...) live in common/ (package ``ragchat.*``).
The public API ``ragchat.api.v1`` is what outside callers import, so its stubs live in the
``ragchat-client`` package (client/, module ``ragchat_client.api.v1``), which the gateway depends
on too: one generated copy, importable without any server dependency.

The stubs are committed; common/tests/test_proto_current.py regenerates them into a temporary folder
and fails when the committed ones are stale. Run ``make proto`` after editing a .proto file.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
# The public API's proto package and the Python package its stubs are shipped in.
PUBLIC_PACKAGE = "ragchat.api"
CLIENT_PACKAGE = "ragchat_client.api"


def _protoc(protos: list[str], out_dir: Path) -> None:
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


def _make_packages(root: Path, leaf: Path) -> None:
    """Every generated folder is a regular package so setuptools ships it."""
    package = leaf
    while package != root:
        (package / "__init__.py").touch()
        package = package.parent


def generate(common_out: Path, client_out: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    public_dir = PUBLIC_PACKAGE.replace(".", "/")
    internal = [p for p in protos if not p.startswith(public_dir + "/")]
    public = [p for p in protos if p.startswith(public_dir + "/")]
    common_out.mkdir(parents=True, exist_ok=True)
    _protoc(internal, common_out)
    for proto in internal:
        _make_packages(common_out, (common_out / proto).parent)
    with tempfile.TemporaryDirectory() as scratch:
        _protoc(public, Path(scratch))
        for proto in public:
            source = (Path(scratch) / proto).parent
            target = client_out / CLIENT_PACKAGE.replace(".", "/") / Path(proto).parent.relative_to(public_dir)
            target.mkdir(parents=True, exist_ok=True)
            for generated in sorted(source.glob("*.py*")):
                text = generated.read_text()
                # The stubs import each other by proto path; they ship under the client's package.
                text = text.replace(f"from {PUBLIC_PACKAGE}.", f"from {CLIENT_PACKAGE}.")
                text = text.replace(f"import {PUBLIC_PACKAGE}.", f"import {CLIENT_PACKAGE}.")
                (target / generated.name).write_text(text)
            _make_packages(client_out, target)


if __name__ == "__main__":
    if len(sys.argv) > 2:
        generate(Path(sys.argv[1]), Path(sys.argv[2]))
    else:
        generate(ROOT / "common", ROOT / "client")
