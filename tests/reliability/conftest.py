"""The hostile-input corpus: stores made in a temporary folder, and a fingerprint of every store to prove that a
refused input changed nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from setnet.settings import Settings
from setnet.warehouse import connect
from tests.fixtures import write_sites_csv

VOLATILE_COLUMNS = {"ingested_at", "created_at", "updated_at", "applied_at", "write_id", "actual_ingested_at",
                    "started_at", "ended_at"}


def fingerprint(settings: Settings) -> dict[str, str]:
    """sha256 of every warehouse table (rows sorted, times of writing left out) and of every file of the grid stores."""
    prints: dict[str, str] = {}
    if settings.warehouse_path.exists():
        with connect(settings.warehouse_path, read_only=True) as con:
            tables = [row[0] for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
            for table in sorted(tables):
                frame = con.execute(f'SELECT * FROM "{table}"').df()  # names from the catalogue, not from input
                frame = frame[[c for c in frame.columns if c not in VOLATILE_COLUMNS]]
                text = frame.sort_values(list(frame.columns)).to_csv(index=False) if len(frame.columns) else ""
                prints[f"table {table}"] = hashlib.sha256(text.encode()).hexdigest()
    for store in (settings.grid_store_path, settings.forecast_store_path):
        if store.exists():
            for path in sorted(p for p in store.rglob("*") if p.is_file()):
                prints[str(path.relative_to(settings.data_dir))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


@pytest.fixture
def registered(tmp_path: Path) -> Settings:
    """Settings of a fresh data folder whose warehouse holds the tiny three-net registry (himi, iwase, uozu)."""
    import ingest

    settings = Settings(data_dir=tmp_path / "data")
    ingest.ingest_sites(settings, write_sites_csv(tmp_path / "sites.csv"))
    return settings
