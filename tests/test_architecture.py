"""The import layers of pyproject.toml's [tool.importlinter] contracts hold (CI runs `make test`, not `make lint`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(root: Path = ROOT) -> subprocess.CompletedProcess:
    """`lint-imports` of this venv on the checkout at `root` (its packages first on the path)."""
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "importlinter.cli"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([*command, "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_every_import_contract_is_kept() -> None:
    done = lint_imports()
    assert done.returncode == 0, f"lint-imports failed:\n{done.stdout}\n{done.stderr}"
    assert "0 broken" in done.stdout


def test_a_stage_import_in_setnet_breaks_the_layers(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for package in ("setnet", "ingest", "features", "models", "reports", "flows", "sample_world"):
        for source in (ROOT / package).rglob("*.py"):
            target = copy / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (copy / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    with (copy / "setnet" / "operations.py").open("a", encoding="utf-8") as module:
        module.write("\n\ndef _cycle() -> None:\n    from ingest.store import recover_store  # noqa: F401\n")
    done = lint_imports(copy)
    assert done.returncode != 0
    assert "setnet is not allowed to import ingest" in done.stdout


def test_ruff_with_the_selected_rule_sets_is_clean() -> None:
    script = Path(sys.executable).with_name("ruff")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ruff"]
    done = subprocess.run([*command, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"ruff check failed:\n{done.stdout}\n{done.stderr}"
