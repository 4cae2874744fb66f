"""No SQL is built by string formatting from input: every value a query needs is a parameter (`?`) or a registered
DataFrame; the only pieces formatted into SQL text are the vetted identifiers and fragments below, each made by
code from names setnet itself defines. A new formatted piece fails this test until it is vetted here.

With the catalogue queries of the corpus (`tests/reliability/conftest.py`), hostile names in the inputs (SQL in a
site id, species or cooperative name, tests in test_hostile_catches and test_hostile_registries) stay text."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from setnet.warehouse import connect, upsert

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("setnet", "ingest", "features", "models", "reports", "flows")
SQL_METHODS = {"execute", "executemany", "sql", "query"}
# formatted piece -> why it is not input
VETTED = {
    "table": "a table name: upsert checks it against PRIMARY_KEYS; grids pass one of two constants (_store_of)",
    "columns": "the quoted column names of a DataFrame built by code (upsert)",
    "where": "a WHERE clause written in code with ? parameters (replace_where's callers, track_record)",
    "key": "a day column name from _store_of ('date' or 'issue_date')",
    "crpss": "one of two literal expressions (models.registry)",
    "_pooled(con)": "a literal sub-query (models.registry)",
    "', '.join('?' * len(ISSUING_FLOWS))": "placeholders, one per flow name (setnet.operations)",
    "', '.join(DISTRIBUTION_COLUMNS)": "the stored distribution's column names (models.distribution)",
}
VETTED_NAMES = {"sql": "reports.data._frame: its callers pass literal SQL with ? parameters",
                "query": "setnet.operations: a literal SELECT extended by a literal condition"}


def _formatted_pieces(node: ast.expr) -> list[str]:
    """The expressions formatted into a SQL argument (f-string fields, % and .format operands, bare names)."""
    if isinstance(node, ast.JoinedStr):
        return [ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Mod):
            return ["% " + ast.unparse(node.right)]
        return _formatted_pieces(node.left) + _formatted_pieces(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return [".format(" + ast.unparse(node) + ")"]
    if isinstance(node, ast.Name):
        return [f"name {node.id}"]
    return []


def _sql_pieces() -> list[tuple[str, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in SQL_METHODS and node.args):
                    found += [(f"{path.relative_to(ROOT)}:{node.lineno}", piece)
                              for piece in _formatted_pieces(node.args[0])]
    return found


def test_only_vetted_identifiers_are_formatted_into_sql() -> None:
    pieces = _sql_pieces()
    assert pieces, "the scan found no SQL at all: it is broken"
    unvetted = [f"{where}: {piece}" for where, piece in pieces
                if piece not in VETTED and piece.removeprefix("name ") not in VETTED_NAMES]
    assert unvetted == []


def test_upsert_refuses_a_table_name_it_does_not_know(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(ValueError, match="unknown table"):
        upsert(con, "sites; DROP TABLE catches", pd.DataFrame({"site_id": ["x"]}))
