"""The warehouse schema is created and migrated by code; upserts are idempotent; replacements and transactions are
all or nothing."""

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from setnet.warehouse import (
    MIGRATIONS,
    PRIMARY_KEYS,
    WarehouseBusy,
    connect,
    replace_where,
    transaction,
    upsert,
)


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


def test_a_transaction_commits_when_its_body_ends(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as con, transaction(con):
        upsert(con, "forecasts", forecast_rows("2025-01-01", 10.0))
    with connect(path, read_only=True) as con:  # a new connection sees the rows: they were committed
        assert con.execute("SELECT count(*), sum(mean_kg) FROM forecasts").fetchone() == (2, 20.0)


def test_a_transaction_whose_body_raises_leaves_no_rows_and_reraises(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        with pytest.raises(ZeroDivisionError), transaction(con):
            upsert(con, "forecasts", forecast_rows("2025-01-01", 10.0))
            _ = 1 / 0
        assert con.execute("SELECT count(*) FROM forecasts").fetchone() == (0,)
        with transaction(con):  # rolled back, not left aborted: the connection takes a new transaction
            upsert(con, "forecasts", forecast_rows("2025-01-02", 5.0))
    with connect(path, read_only=True) as con:
        assert con.execute("SELECT count(*), min(issue_date) FROM forecasts").fetchone() == (
            2, pd.Timestamp("2025-01-02").date())


def test_a_transaction_inside_another_is_refused_and_rolls_the_outer_back(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        with pytest.raises(duckdb.TransactionException, match="within a transaction"), transaction(con):
            upsert(con, "forecasts", forecast_rows("2025-01-01", 10.0))
            with transaction(con):
                upsert(con, "forecasts", forecast_rows("2025-01-02", 10.0))
        assert con.execute("SELECT count(*) FROM forecasts").fetchone() == (0,)


def test_a_commit_that_fails_raises_its_own_error(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        other = con.cursor()  # a second connection to the same database, committing first
        with pytest.raises(duckdb.TransactionException, match="Failed to commit"), transaction(con):
            upsert(con, "forecasts", forecast_rows("2025-01-01", 10.0))
            with transaction(other):
                upsert(other, "forecasts", forecast_rows("2025-01-01", 30.0))  # the same keys
        assert con.execute("SELECT count(*), sum(mean_kg) FROM forecasts").fetchone() == (2, 60.0)


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
