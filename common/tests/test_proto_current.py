"""The committed gRPC stubs must be what proto/ generates today (`make proto` refreshes them)."""

import filecmp
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_stubs_are_current(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "scripts" / "gen_proto.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(tmp_path / "common", tmp_path / "client")
    stale: list[str] = []
    for package in ("common", "client"):
        generated = sorted(p.relative_to(tmp_path / package) for p in (tmp_path / package).rglob("*.py*"))
        assert generated, f"nothing generated for {package}"
        stale += [
            f"{package}/{rel}"
            for rel in generated
            if rel.name != "__init__.py"
            and not filecmp.cmp(tmp_path / package / rel, ROOT / package / rel, shallow=False)
        ]
    assert not stale, f"stale generated stubs (run `make proto`): {stale}"
