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


def old_warehouse(path: Path, before_version: int) -> None:
    """A warehouse as the code of schema version `before_version - 1` left it (its migrations applied only)."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    for version, sql in enumerate(MIGRATIONS[:before_version - 1], start=1):
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, current_timestamp)", [version])
    con.execute("INSERT INTO model_evaluations (model_version, species, lead_days, holdout_start, holdout_end, n_rows, "
                "mae_kg, skill_vs_climatology, coverage_80_pit, folds) VALUES "
                "('m1', 'sardine', 1, '2024-12-01', '2025-11-30', 500, 12.5, 0.1, 0.81, 2), "
                "('m1', 'sardine', 2, '2024-12-01', '2025-11-30', 500, 13.0, 0.05, 0.8, 2)")
    con.execute("INSERT INTO tuning_trials (tuning_id, trial, species, params, mae_kg, pinball_kg) "
                "VALUES ('t1', 0, 'sardine', '{}', 12.0, 6.0)")
    con.execute("INSERT INTO backtest_predictions (model_version, site_id, species, issue_date, target_date, lead_days, "
                "fold_origin, mean_kg, q10_kg, q50_kg, q90_kg, actual_kg) VALUES "
                "('m1', 'a', 'sardine', '2025-01-01', '2025-01-02', 1, '2024-12-01', 5, 0, 3, 12, 4)")
    con.register("old_forecasts", forecast_rows("2025-01-01", 10.0))
    con.execute("INSERT INTO forecasts (issue_date, target_date, lead_days, site_id, species, mean_kg, q10_kg, q50_kg, "
                "q90_kg, model_version) SELECT * FROM old_forecasts")
    con.close()


def test_a_warehouse_of_the_previous_schema_upgrades_keeping_its_rows_as_the_pooled_record(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old_warehouse(path, before_version=6)
    with connect(path) as con:
        evaluations = con.execute("SELECT * FROM model_evaluations ORDER BY lead_days").df()
        assert list(evaluations.site_id) == ["all", "all"] and list(evaluations.mae_kg) == [12.5, 13.0]
        assert list(evaluations.coverage_80_pit) == [0.81, 0.8] and list(evaluations.folds) == [2, 2]
        assert {"crps_kg", "crpss_climatology", "crpss_persistence", "brier_zero", "coverage_80_caught"} <= set(
            evaluations.columns)
        # per-net rows beside the pooled one; a writer that names no site writes the pooled record
        upsert(con, "model_evaluations", evaluations.iloc[:1].assign(site_id="a", mae_kg=20.0))
        upsert(con, "model_evaluations", evaluations.iloc[:1].drop(columns="site_id").assign(mae_kg=11.0))
        assert con.execute("SELECT site_id, mae_kg FROM model_evaluations WHERE lead_days = 1 ORDER BY site_id"
                           ).fetchall() == [("a", 20.0), ("all", 11.0)]

        predictions = con.execute("SELECT * FROM backtest_predictions").df()
        assert len(predictions) == 1 and predictions.crps_kg.isna().all()
        assert {"positive_log_mean", "positive_log_sd", "crps_climatology_kg", "crps_persistence_kg"} <= set(
            predictions.columns)
        forecasts = con.execute("SELECT * FROM forecasts").df()
        assert len(forecasts) == 2 and {"positive_log_mean", "positive_log_sd"} <= set(forecasts.columns)
        assert con.execute("SELECT count(*) FROM forecast_scores").fetchone() == (2,)  # the view still reads forecasts

        con.execute("INSERT INTO tuning_trials (tuning_id, trial, species, params, crps_kg, brier_zero, rmse_log_kg, "
                    "rounds_catch, rounds_positive, chosen) VALUES ('t2', 0, 'sardine', '{}', 9.5, 0.2, 1.1, 80, 120, "
                    "true)")  # a hurdle trial has no MAE or pinball of its own
        assert con.execute("SELECT count(*) FROM tuning_trials").fetchone() == (2,)
    assert PRIMARY_KEYS["model_evaluations"] == ("model_version", "site_id", "species", "lead_days")
