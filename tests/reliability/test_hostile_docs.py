"""docs/reliability.md is complete: every case of the corpus and every test of tests/reliability/ is in its table."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.reliability import (
    test_hostile_catches,
    test_hostile_cli,
    test_hostile_delivery,
    test_hostile_grids,
    test_hostile_registries,
)

HERE = Path(__file__).resolve().parent
DOC = (HERE.parents[1] / "docs" / "reliability.md").read_text(encoding="utf-8")


def test_every_named_case_is_in_the_table() -> None:
    names = ([case.name for case in test_hostile_catches.CASES] + list(test_hostile_grids.REFUSED)
             + list(test_hostile_registries.REFUSED) + list(test_hostile_cli.CASES) + list(test_hostile_delivery.OUTCOMES))
    assert len(names) >= 60
    assert [name for name in names if f"| {name} |" not in DOC] == []


def test_every_test_of_the_corpus_is_in_the_table() -> None:
    tests = [node.name for path in sorted(HERE.glob("test_hostile_*.py")) if path.name != Path(__file__).name
             for node in ast.parse(path.read_text(encoding="utf-8")).body
             if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    assert tests and [name for name in tests if name not in DOC] == []
