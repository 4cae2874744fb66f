"""The warehouse schema is created and migrated by code; upserts are idempotent; replacements are all or nothing."""

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from setnet.warehouse import MIGRATIONS, PRIMARY_KEYS, WarehouseBusy, connect, replace_where, upsert


def forecast_rows(issue_date: str, value: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "issue_date": pd.to_datetime([issue_date] * 2).date, "target_date": pd.to_datetime(["2025-01-02"] * 2).date,
            "lead_days": [1, 1], "site_id": ["a", "b"], "species": ["sardine", "sardine"],
            "mean_kg": [value, value], "q10_kg": [0.0, 0.0], "q50_kg": [value, value], "q90_kg": [2 * value] * 2,
            "model_version": ["m1", "m1"],
        }
    )


def test_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert set(PRIMARY_KEYS) <= tables
    with connect(path) as con:  # a second open applies nothing again
        versions = con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [v for (v,) in versions] == list(range(1, len(MIGRATIONS) + 1))


def test_upsert_replaces_rows_with_the_same_key(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        upsert(con, "forecasts", forecast_rows("2025-01-01", 10.0))
        upsert(con, "forecasts", forecast_rows("2025-01-01", 20.0))
        assert con.execute("SELECT count(*), sum(mean_kg) FROM forecasts").fetchone() == (2, 40.0)


def test_replace_where_rolls_back_on_failure(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        replace_where(con, "forecasts", forecast_rows("2025-01-01", 10.0), "issue_date = ?", ["2025-01-01"])
        broken = forecast_rows("2025-01-01", 20.0).assign(mean_kg=None)  # violates NOT NULL
        with pytest.raises(duckdb.Error):
            replace_where(con, "forecasts", broken, "issue_date = ?", ["2025-01-01"])
        assert con.execute("SELECT count(*), sum(mean_kg) FROM forecasts").fetchone() == (2, 20.0)


def test_a_missing_warehouse_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="ingest data first"), connect(tmp_path / "absent.duckdb", read_only=True):
        pass


def test_a_second_writer_process_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    with connect(path):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseBusy, match="in use by another setnet process"), connect(path):
            pass
    finally:
        holder.kill()
        holder.wait()
