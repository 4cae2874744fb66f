"""The DuckDB warehouse: its schema (created and migrated by code), connections and idempotent upserts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

# Each migration is applied once, in order; never edit one that has shipped, append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: the walking skeleton's tables
    """
    CREATE TABLE sites (
        site_id VARCHAR PRIMARY KEY,
        name_ja VARCHAR NOT NULL,
        name_en VARCHAR NOT NULL,
        coop VARCHAR NOT NULL,
        lat DOUBLE NOT NULL,
        lon DOUBLE NOT NULL,
        depth_m DOUBLE,
        bearing_deg DOUBLE,
        updated_at TIMESTAMP DEFAULT current_timestamp
    );
    CREATE TABLE species (
        species VARCHAR PRIMARY KEY,
        name_ja VARCHAR NOT NULL,
        name_en VARCHAR NOT NULL
    );
    CREATE TABLE catches (
        date DATE NOT NULL,
        site_id VARCHAR NOT NULL,
        species VARCHAR NOT NULL,
        catch_kg DOUBLE NOT NULL,
        source_file VARCHAR,
        ingested_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (date, site_id, species)
    );
    CREATE TABLE ingest_rejects (
        file VARCHAR NOT NULL,
        line INTEGER NOT NULL,
        raw VARCHAR,
        reason VARCHAR NOT NULL,
        ingested_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (file, line)
    );
    CREATE TABLE grid_days (
        date DATE PRIMARY KEY,
        source_file VARCHAR NOT NULL,
        ingested_at TIMESTAMP DEFAULT current_timestamp
    );
    CREATE TABLE forecasts (
        issue_date DATE NOT NULL,
        target_date DATE NOT NULL,
        lead_days INTEGER NOT NULL,
        site_id VARCHAR NOT NULL,
        species VARCHAR NOT NULL,
        mean_kg DOUBLE NOT NULL,
        q10_kg DOUBLE NOT NULL,
        q50_kg DOUBLE NOT NULL,
        q90_kg DOUBLE NOT NULL,
        model_version VARCHAR NOT NULL,
        ocean_date DATE,
        created_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (issue_date, target_date, site_id, species)
    );
    CREATE TABLE model_runs (
        model_version VARCHAR NOT NULL,
        species VARCHAR NOT NULL,
        trained_at TIMESTAMP NOT NULL,
        train_start DATE NOT NULL,
        train_end DATE NOT NULL,
        n_rows INTEGER NOT NULL,
        features VARCHAR NOT NULL,
        params VARCHAR NOT NULL,
        data_checksum VARCHAR NOT NULL,
        artifact_dir VARCHAR NOT NULL,
        PRIMARY KEY (model_version, species)
    );
    CREATE TABLE model_evaluations (
        model_version VARCHAR NOT NULL,
        species VARCHAR NOT NULL,
        lead_days INTEGER NOT NULL,
        holdout_start DATE NOT NULL,
        holdout_end DATE NOT NULL,
        n_rows INTEGER NOT NULL,
        mae_kg DOUBLE,
        rmse_kg DOUBLE,
        coverage_80 DOUBLE,
        mae_climatology_kg DOUBLE,
        mae_persistence_kg DOUBLE,
        skill_vs_climatology DOUBLE,
        skill_vs_persistence DOUBLE,
        PRIMARY KEY (model_version, species, lead_days)
    );
    """,
    # 2: ingest bookkeeping: files and their outcomes, provenance of grid values, no-operation days
    """
    CREATE TABLE ingested_files (
        file VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        checksum VARCHAR NOT NULL,
        context_checksum VARCHAR NOT NULL,
        product VARCHAR,
        rows_stored INTEGER NOT NULL,
        rows_updated INTEGER NOT NULL,
        rows_rejected INTEGER NOT NULL,
        outcome VARCHAR NOT NULL,
        reason VARCHAR,
        write_id VARCHAR,
        ingested_at TIMESTAMP DEFAULT current_timestamp
    );
    CREATE TABLE grid_sources (
        date DATE NOT NULL,
        variable VARCHAR NOT NULL,
        product VARCHAR NOT NULL,
        file VARCHAR NOT NULL,
        checksum VARCHAR NOT NULL,
        depths_m VARCHAR NOT NULL,
        regridded BOOLEAN NOT NULL,
        provisional BOOLEAN NOT NULL,
        ingested_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (date, variable, product)
    );
    CREATE TABLE ocean_forecast_sources (
        issue_date DATE NOT NULL,
        variable VARCHAR NOT NULL,
        product VARCHAR NOT NULL,
        file VARCHAR NOT NULL,
        checksum VARCHAR NOT NULL,
        lead_days VARCHAR NOT NULL,
        regridded BOOLEAN NOT NULL,
        ingested_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (issue_date, variable, product)
    );
    CREATE TABLE no_operation_days (
        date DATE NOT NULL,
        site_id VARCHAR NOT NULL,
        marker VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        ingested_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (date, site_id)
    );
    """,
    # 3: the forecasting workbench: backtests, promotion, probabilities and explanations
    """
    ALTER TABLE model_runs ADD COLUMN promoted_at TIMESTAMP;
    ALTER TABLE model_evaluations ADD COLUMN folds INTEGER;
    ALTER TABLE model_evaluations ADD COLUMN pinball_q10_kg DOUBLE;
    ALTER TABLE model_evaluations ADD COLUMN pinball_q50_kg DOUBLE;
    ALTER TABLE model_evaluations ADD COLUMN pinball_q90_kg DOUBLE;
    ALTER TABLE model_evaluations ADD COLUMN pinball_kg DOUBLE;
    ALTER TABLE model_evaluations ADD COLUMN mae_seasonal_naive_kg DOUBLE;
    ALTER TABLE model_evaluations ADD COLUMN skill_vs_seasonal_naive DOUBLE;
    ALTER TABLE model_evaluations ADD COLUMN big_catch_hit_rate DOUBLE;
    ALTER TABLE model_evaluations ADD COLUMN big_catch_false_alarm_rate DOUBLE;
    ALTER TABLE forecasts ADD COLUMN p_zero DOUBLE;
    ALTER TABLE forecasts ADD COLUMN p_big_catch DOUBLE;
    ALTER TABLE forecasts ADD COLUMN big_catch_threshold_kg DOUBLE;
    ALTER TABLE forecasts ADD COLUMN explanation VARCHAR;
    CREATE TABLE backtest_predictions (
        model_version VARCHAR NOT NULL,
        site_id VARCHAR NOT NULL,
        species VARCHAR NOT NULL,
        issue_date DATE NOT NULL,
        target_date DATE NOT NULL,
        lead_days INTEGER NOT NULL,
        fold_origin DATE NOT NULL,
        mean_kg DOUBLE NOT NULL,
        q10_kg DOUBLE NOT NULL,
        q50_kg DOUBLE NOT NULL,
        q90_kg DOUBLE NOT NULL,
        p_zero DOUBLE,
        p_big_catch DOUBLE,
        big_catch_threshold_kg DOUBLE,
        actual_kg DOUBLE NOT NULL,
        climatology_kg DOUBLE,
        climatology_median_kg DOUBLE,
        persistence_kg DOUBLE,
        seasonal_naive_kg DOUBLE,
        PRIMARY KEY (model_version, site_id, species, issue_date, lead_days)
    );
    CREATE TABLE tuning_trials (
        tuning_id VARCHAR NOT NULL,
        trial INTEGER NOT NULL,
        species VARCHAR NOT NULL,
        params VARCHAR NOT NULL,
        mae_kg DOUBLE NOT NULL,
        pinball_kg DOUBLE NOT NULL,
        created_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (tuning_id, trial, species)
    );
    """,
    # 4: operations: one row per flow run (what it handled, whether degraded and why), forecasts scored against
    # the catches stored so far (a view, so late catches update it)
    """
    CREATE TABLE flow_runs (
        run_id VARCHAR PRIMARY KEY,
        flow VARCHAR NOT NULL,
        issue_date DATE,
        state VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        pid INTEGER,
        host VARCHAR,
        sites INTEGER,
        forecasts INTEGER,
        model_versions VARCHAR,
        ocean_date DATE,
        degraded BOOLEAN NOT NULL DEFAULT false,
        reasons VARCHAR,
        inputs_watermark VARCHAR,
        message VARCHAR,
        parameters VARCHAR
    );
    CREATE VIEW forecast_scores AS
    SELECT f.issue_date, f.target_date, f.lead_days, f.site_id, f.species, f.model_version, f.ocean_date,
           f.mean_kg, f.q10_kg, f.q50_kg, f.q90_kg, c.catch_kg AS actual_kg, c.ingested_at AS actual_ingested_at,
           c.catch_kg IS NOT NULL AS scored, abs(f.q50_kg - c.catch_kg) AS abs_error_kg,
           c.catch_kg BETWEEN f.q10_kg AND f.q90_kg AS inside_80
    FROM forecasts f
    LEFT JOIN catches c ON c.date = f.target_date AND c.site_id = f.site_id AND c.species = f.species;
    """,
    # 5: interval coverage that is fair to empty nets (models.calibration.pit_coverage)
    """
    ALTER TABLE model_evaluations ADD COLUMN coverage_80_pit DOUBLE;
    """,
    # 6: one predictive distribution per forecast (models.distribution), judged by CRPS; evaluations per net as
    # well as pooled (site_id 'all': every row written before this migration, and the default); tuning trials of
    # the hurdle's two boosters
    """
    CREATE TABLE model_evaluations_6 (
        model_version VARCHAR NOT NULL,
        site_id VARCHAR NOT NULL DEFAULT 'all',
        species VARCHAR NOT NULL,
        lead_days INTEGER NOT NULL,
        holdout_start DATE NOT NULL,
        holdout_end DATE NOT NULL,
        n_rows INTEGER NOT NULL,
        folds INTEGER,
        mae_kg DOUBLE,
        rmse_kg DOUBLE,
        pinball_q10_kg DOUBLE,
        pinball_q50_kg DOUBLE,
        pinball_q90_kg DOUBLE,
        pinball_kg DOUBLE,
        coverage_80 DOUBLE,
        coverage_80_pit DOUBLE,
        coverage_80_caught DOUBLE,
        coverage_80_caught_expected DOUBLE,
        mae_climatology_kg DOUBLE,
        mae_persistence_kg DOUBLE,
        mae_seasonal_naive_kg DOUBLE,
        skill_vs_climatology DOUBLE,
        skill_vs_persistence DOUBLE,
        skill_vs_seasonal_naive DOUBLE,
        crps_kg DOUBLE,
        crps_climatology_kg DOUBLE,
        crps_persistence_kg DOUBLE,
        crpss_climatology DOUBLE,
        crpss_persistence DOUBLE,
        brier_zero DOUBLE,
        big_catch_hit_rate DOUBLE,
        big_catch_false_alarm_rate DOUBLE,
        PRIMARY KEY (model_version, site_id, species, lead_days)
    );
    INSERT INTO model_evaluations_6 (
        model_version, site_id, species, lead_days, holdout_start, holdout_end, n_rows, folds, mae_kg, rmse_kg,
        pinball_q10_kg, pinball_q50_kg, pinball_q90_kg, pinball_kg, coverage_80, coverage_80_pit, mae_climatology_kg,
        mae_persistence_kg, mae_seasonal_naive_kg, skill_vs_climatology, skill_vs_persistence, skill_vs_seasonal_naive,
        big_catch_hit_rate, big_catch_false_alarm_rate)
    SELECT model_version, 'all', species, lead_days, holdout_start, holdout_end, n_rows, folds, mae_kg, rmse_kg,
        pinball_q10_kg, pinball_q50_kg, pinball_q90_kg, pinball_kg, coverage_80, coverage_80_pit, mae_climatology_kg,
        mae_persistence_kg, mae_seasonal_naive_kg, skill_vs_climatology, skill_vs_persistence, skill_vs_seasonal_naive,
        big_catch_hit_rate, big_catch_false_alarm_rate
    FROM model_evaluations;
    DROP TABLE model_evaluations;
    ALTER TABLE model_evaluations_6 RENAME TO model_evaluations;
    ALTER TABLE forecasts ADD COLUMN positive_log_mean DOUBLE;
    ALTER TABLE forecasts ADD COLUMN positive_log_sd DOUBLE;
    ALTER TABLE backtest_predictions ADD COLUMN positive_log_mean DOUBLE;
    ALTER TABLE backtest_predictions ADD COLUMN positive_log_sd DOUBLE;
    ALTER TABLE backtest_predictions ADD COLUMN crps_kg DOUBLE;
    ALTER TABLE backtest_predictions ADD COLUMN crps_climatology_kg DOUBLE;
    ALTER TABLE backtest_predictions ADD COLUMN crps_persistence_kg DOUBLE;
    ALTER TABLE tuning_trials ALTER COLUMN mae_kg DROP NOT NULL;
    ALTER TABLE tuning_trials ALTER COLUMN pinball_kg DROP NOT NULL;
    ALTER TABLE tuning_trials ADD COLUMN crps_kg DOUBLE;
    ALTER TABLE tuning_trials ADD COLUMN brier_zero DOUBLE;
    ALTER TABLE tuning_trials ADD COLUMN rmse_log_kg DOUBLE;
    ALTER TABLE tuning_trials ADD COLUMN rounds_catch INTEGER;
    ALTER TABLE tuning_trials ADD COLUMN rounds_positive INTEGER;
    ALTER TABLE tuning_trials ADD COLUMN chosen BOOLEAN;
    """,
    # 7: whether each tuning trial's boosters started from the net's seasonal normal
    """
    ALTER TABLE tuning_trials ADD COLUMN seasonal_start BOOLEAN;
    """,
    # 8: yellowtail (and any species) by size class (銘柄), where a cooperative's catch file names them: the kg of
    # each class (summed into catches.catch_kg) and the fish counted (本/尾, NULL when the file gave weights)
    """
    CREATE TABLE catch_size_classes (
        date DATE NOT NULL,
        site_id VARCHAR NOT NULL,
        species VARCHAR NOT NULL,
        size_class VARCHAR NOT NULL,
        catch_kg DOUBLE NOT NULL,
        fish_count DOUBLE,
        source_file VARCHAR,
        ingested_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (date, site_id, species, size_class)
    );
    """,
    # 9: which file gave each hourly ocean forecast issue (the hourly store, for the swift-current warnings)
    """
    CREATE TABLE hourly_forecast_sources (
        issue_date DATE NOT NULL,
        variable VARCHAR NOT NULL,
        product VARCHAR NOT NULL,
        file VARCHAR NOT NULL,
        checksum VARCHAR NOT NULL,
        lead_hours VARCHAR NOT NULL,
        regridded BOOLEAN NOT NULL,
        ingested_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (issue_date, variable, product)
    );
    """,
    # 10: the evening summary's deliveries: one row per issue date, cooperative (folder name), channel (email, line)
    # and recipient: sent, failed or skipped, after how many attempts, and a checksum of the message sent
    """
    CREATE TABLE deliveries (
        issue_date DATE NOT NULL,
        coop VARCHAR NOT NULL,
        channel VARCHAR NOT NULL,
        recipient VARCHAR NOT NULL,
        state VARCHAR NOT NULL,
        attempts INTEGER NOT NULL,
        error VARCHAR,
        sent_at TIMESTAMP,
        message_checksum VARCHAR,
        lang VARCHAR,
        updated_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (issue_date, coop, channel, recipient)
    );
    """,
    # 11: the cooperative's English name from the site registry (optional: NULL shows the Japanese one)
    """
    ALTER TABLE sites ADD COLUMN coop_en VARCHAR;
    """,
    # 12: the mean absolute error of the expected catch (mean_kg, the number the report shows); mae_kg is the median's
    """
    ALTER TABLE model_evaluations ADD COLUMN mae_mean_kg DOUBLE;
    """,
    # 13: the swift-current level a daily or
    # refresh run issued (warning / advisory / none / unknown: no ocean forecast), and the warnings' verified record
    # (features.kyucho.RECORD_COLUMNS, with the days verified) as of each issue date it was computed through
    """
    ALTER TABLE flow_runs ADD COLUMN kyucho_level VARCHAR;
    CREATE TABLE kyucho_record (
        through_date DATE NOT NULL,
        site_id VARCHAR NOT NULL,
        tier VARCHAR NOT NULL,
        lead_days VARCHAR NOT NULL,
        hits INTEGER NOT NULL,
        misses INTEGER NOT NULL,
        false_alarms INTEGER NOT NULL,
        correct_negatives INTEGER NOT NULL,
        hit_rate DOUBLE,
        false_alarm_ratio DOUBLE,
        mean_lead_gained_days DOUBLE,
        first_day DATE,
        last_day DATE,
        computed_at TIMESTAMP DEFAULT current_timestamp,
        PRIMARY KEY (through_date, site_id, tier, lead_days)
    );
    """,
    # 14 (the list's order is the version): how a flow run ran (engine: prefect,
    # a Prefect flow run; local, the command line without a Prefect server) and its wall time per phase (JSON
    # object of seconds: ingest, features, forecast, report, deliver)
    """
    ALTER TABLE flow_runs ADD COLUMN engine VARCHAR;
    ALTER TABLE flow_runs ADD COLUMN phase_seconds VARCHAR;
    """,
    # 15: where each backtest row's target-day
    # ocean values came from (features.ocean_forecast SOURCE_*), the same model's median and CRPS fed the persisted
    # analysis instead of the forecast (rows with a forecast only), and per fold the rows fit and scored by source
    """
    ALTER TABLE backtest_predictions ADD COLUMN ocean_source VARCHAR;
    ALTER TABLE backtest_predictions ADD COLUMN q50_persisted_kg DOUBLE;
    ALTER TABLE backtest_predictions ADD COLUMN crps_persisted_kg DOUBLE;
    CREATE TABLE backtest_ocean_sources (
        model_version VARCHAR NOT NULL,
        species VARCHAR NOT NULL,
        fold_origin DATE NOT NULL,
        used_for VARCHAR NOT NULL,
        ocean_source VARCHAR NOT NULL,
        n_rows BIGINT NOT NULL,
        PRIMARY KEY (model_version, species, fold_origin, used_for, ocean_source)
    );
    """,
    # 16: the chance that the net operates (is hauled) on the target day (models.operation); the catch columns stay
    # the catch given that it operates
    """
    ALTER TABLE forecasts ADD COLUMN p_operate DOUBLE;
    """,
    # 17: the operation model's backtest: Brier score, climatology's (the net's operating rate for the weekday and
    # month in the training window) and the skill, per lead, pooled (site_id 'all') and per net; and its reliability
    # (10 equal bins of the forecast probability, all leads pooled)
    """
    CREATE TABLE operation_evaluations (
        model_version VARCHAR NOT NULL,
        site_id VARCHAR NOT NULL DEFAULT 'all',
        lead_days INTEGER NOT NULL,
        holdout_start DATE,
        holdout_end DATE,
        n INTEGER NOT NULL,
        operated_rate DOUBLE,
        brier DOUBLE,
        brier_climatology DOUBLE,
        brier_skill DOUBLE,
        PRIMARY KEY (model_version, site_id, lead_days)
    );
    CREATE TABLE operation_reliability (
        model_version VARCHAR NOT NULL,
        bin INTEGER NOT NULL,
        p_from DOUBLE NOT NULL,
        p_to DOUBLE NOT NULL,
        mean_forecast DOUBLE,
        observed_rate DOUBLE,
        n INTEGER NOT NULL,
        PRIMARY KEY (model_version, bin)
    );
    """,
)

POOLED_SITE_ID = "all"  # model_evaluations' site_id of the record pooled over every net (migration 6)

# Tables whose rows are keyed for idempotent upserts, with their primary keys.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "sites": ("site_id",),
    "species": ("species",),
    "catches": ("date", "site_id", "species"),
    "catch_size_classes": ("date", "site_id", "species", "size_class"),
    "ingest_rejects": ("file", "line"),
    "grid_days": ("date",),
    "forecasts": ("issue_date", "target_date", "site_id", "species"),
    "model_runs": ("model_version", "species"),
    "model_evaluations": ("model_version", "site_id", "species", "lead_days"),
    "ingested_files": ("file",),
    "grid_sources": ("date", "variable", "product"),
    "ocean_forecast_sources": ("issue_date", "variable", "product"),
    "hourly_forecast_sources": ("issue_date", "variable", "product"),
    "no_operation_days": ("date", "site_id"),
    "backtest_predictions": ("model_version", "site_id", "species", "issue_date", "lead_days"),
    "backtest_ocean_sources": ("model_version", "species", "fold_origin", "used_for", "ocean_source"),
    "tuning_trials": ("tuning_id", "trial", "species"),
    "flow_runs": ("run_id",),
    "deliveries": ("issue_date", "coop", "channel", "recipient"),
    "kyucho_record": ("through_date", "site_id", "tier", "lead_days"),
    "operation_evaluations": ("model_version", "site_id", "lead_days"),
    "operation_reliability": ("model_version", "bin"),
}


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse open for writing."""


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One all-or-nothing transaction on `con`: committed when the body ends, rolled back (and re-raised) if it raises.

    Transactions do not nest: DuckDB refuses a BEGIN inside one, and that error rolls the outer one back.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")  # a COMMIT that fails has already rolled back: its error is the one raised


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations not yet applied; returns the schema version now in force."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    applied = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, sql in enumerate(MIGRATIONS, start=1):
        if version in applied:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, current_timestamp)", [version])
    return len(MIGRATIONS)


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse at `path` (created and migrated if writable), closing it afterwards."""
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: ingest data first")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusy(f"warehouse {path} is in use by another setnet process; try again when it ends") from None
        if "not a valid duckdb database" in str(error).lower():
            raise RuntimeError(f"warehouse {path} is not a DuckDB database (corrupt, or another file): "
                               "move it away and ingest the source files again") from None
        raise
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The column names of `table` as the warehouse has them (empty when it has no such table)."""
    return {row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}


def upsert(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame | pa.Table) -> int:
    """Insert `rows` (a DataFrame, or an Arrow table: read without conversion) into `table`, replacing rows with the
    same primary key, in one statement; returns rows written."""
    return _insert(con, table, rows, replace=True)


def insert_new(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame | pa.Table) -> int:
    """Insert `rows` (none of whose primary keys is stored: a duplicate raises) into `table` with a plain INSERT,
    cheaper than upsert's per-row replace check; returns rows written."""
    return _insert(con, table, rows, replace=False)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame | pa.Table, replace: bool) -> int:
    """`rows` into the warehouse's `table` by their column names in one statement (`replace`: rows with a stored
    primary key replace it; else such a row raises); returns rows written."""
    if table not in PRIMARY_KEYS:
        raise ValueError(f"unknown table {table!r}")
    names = rows.column_names if isinstance(rows, pa.Table) else list(rows.columns)
    if len(rows) == 0:
        return 0
    con.register("_inserted_rows", rows)
    try:
        columns = ", ".join(f'"{c}"' for c in names)
        con.execute(f"INSERT OR REPLACE INTO {table} ({columns}) SELECT {columns} FROM _inserted_rows" if replace
                    else f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _inserted_rows")
    finally:
        con.unregister("_inserted_rows")
    return len(rows)


def replace_where(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame, where: str, params: list) -> int:
    """In one transaction, delete the rows of `table` matching `where` and insert `rows`: all or nothing."""
    with transaction(con):
        con.execute(f"DELETE FROM {table} WHERE {where}", params)
        return upsert(con, table, rows)
