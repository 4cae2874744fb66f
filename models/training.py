"""The models stage's I/O edges: backtest, train and register (on history up to a cutoff, if given), promote, and
forecast issue dates (one, or many in one batch)."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from features import build_features, feature_columns
from features.io import hourly_currents_at_nets
from features.kyucho import kyucho_record
from features.ocean_forecast import training_covariates
from features.table import LABEL_COLUMN
from models.backtest import fold_sources, rolling_origin_backtest
from models.distribution import DISTRIBUTION_COLUMNS, forecast_quantiles
from models.evaluate import EVALUATION_METRICS, reliability_table, score_rows
from models.lightgbm_model import (
    PREDICTION_COLUMNS,
    SearchResult,
    SpeciesModel,
    fit_species_model,
    lightgbm_params,
    run_fits,
    search_parameters,
)
from models.model_card import render_model_card, target_checks, truth_scores
from models.operation import (
    OperationModel,
    backtest_operation,
    fit_operation_model,
    operation_matrix,
    operation_reliability,
    operation_rows,
    operation_scores,
)
from models.registry import (
    artifact_dir,
    auto_promote,
    model_version,
    promoted_models,
    table_checksum,
)
from setnet.settings import Settings
from setnet.warehouse import POOLED_SITE_ID, connect, replace_where, table_columns, upsert

OPERATION_FOLDER = "operation"  # <models_dir>/<version>/operation: the operation model of a version (models.operation)


@dataclass(frozen=True)
class BacktestResult:
    """A rolling-origin backtest: the version its data and parameters define, every forecast, the metrics; whether
    it was read back from the warehouse (`reused`) and, when run, per species its latest fold's search."""

    model_version: str
    predictions: pd.DataFrame
    metrics: pd.DataFrame
    reused: bool = False
    searches: dict[str, SearchResult] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced: the version, its window, its backtest metrics and which species it now serves."""

    model_version: str
    train_start: date
    train_end: date
    metrics: pd.DataFrame
    promoted_species: list[str]


def training_table(settings: Settings, until: date | None = None) -> pd.DataFrame:
    """Every issue date from the first catch to the last (or to `until`), as a feature table with labels.

    With `until` (a training cutoff) nothing caught after it is in the table: issue dates end there, so every
    feature is from days up to it, and labels of target days after it are removed (NaN, as unlabelled).
    """
    with connect(settings.warehouse_path, read_only=True) as con:
        first, last = con.execute("SELECT min(date), max(date) FROM catches").fetchone()
    if first is None:
        raise ValueError(f"no catches in {settings.warehouse_path}: run `setnet ingest catches PATH` first")
    if until is not None:
        if until < first:
            raise ValueError(f"training cutoff {until} is before the first catch ({first}): nothing to train on")
        last = min(last, until)
    table = build_features(settings, pd.date_range(first, last, freq="D"))
    if until is not None:
        table.loc[table.target_date > pd.Timestamp(until), LABEL_COLUMN] = float("nan")
    return table


def _catches(settings: Settings, until: date | None = None) -> pd.DataFrame:
    """The stored catches (those up to `until`, when given)."""
    with connect(settings.warehouse_path, read_only=True) as con:
        if until is None:
            return con.execute("SELECT date, site_id, species, catch_kg FROM catches").df()
        return con.execute("SELECT date, site_id, species, catch_kg FROM catches WHERE date <= ?", [until]).df()


def operation_table(settings: Settings, table: pd.DataFrame, until: date | None = None,
                    known_through: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A feature table -> (models.operation rows with their label, the operation matrix), from the catch and
    no-operation days stored (up to `until`, when given); days after `known_through` (default: the last catch day)
    are unknown."""
    end = pd.Timestamp(until) if until is not None else pd.Timestamp.max.normalize()
    with connect(settings.warehouse_path, read_only=True) as con:
        catches = con.execute("SELECT DISTINCT date, site_id FROM catches WHERE date <= ?", [end.date()]).df()
        no_operation = con.execute("SELECT date, site_id FROM no_operation_days WHERE date <= ?", [end.date()]).df()
    first = min([pd.to_datetime(catches.date).min(), pd.Timestamp(table.issue_date.min())] if len(catches)
                else [pd.Timestamp(table.issue_date.min())])
    dates = pd.date_range(first, pd.Timestamp(table.target_date.max()), freq="D")
    through = pd.Timestamp(known_through) if known_through is not None else None
    matrix = operation_matrix(catches, no_operation, dates, sorted(table.site_id.unique()), through)
    return operation_rows(table, matrix), matrix


def _version_of(table: pd.DataFrame, settings: Settings) -> tuple[str, str, dict]:
    search = settings.models
    params = lightgbm_params(settings) | {"rounds": search.lightgbm_rounds, "early_stopping": search.early_stopping_rounds,
                                          "tuning_trials": search.tuning_trials, "spread_bins": search.spread_bins,
                                          "seasonal_start": search.seasonal_start, "search_folds": search.search_folds,
                                          "training_ocean": search.training_ocean,
                                          "own_model_leads": sorted(search.own_model_leads)}
    checksum = table_checksum(table)
    return model_version(checksum, params, feature_columns(table)), checksum, params


def run_backtest(settings: Settings, species: list[str] | None = None, table: pd.DataFrame | None = None,
                 until: date | None = None, force: bool = False,
                 operation_rows_matrix: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> BacktestResult:
    """Rolling-origin backtest on all history (or history up to `until`; `table`: its `training_table`); stores every
    forecast in `backtest_predictions`, metrics in `model_evaluations` and each fold's rows by ocean source in
    `backtest_ocean_sources`; `operation_rows_matrix`: the table's `operation_table`, when the caller has it.

    A backtest already stored for the same model version (same data, parameters and features) and every asked
    species is read back instead of run again (`reused`), unless `force`."""
    table = training_table(settings, until) if table is None else table
    version, _, _ = _version_of(table, settings)
    if not force:
        asked = species or sorted(table.loc[table[LABEL_COLUMN].notna(), "species"].unique())
        stored = stored_backtest(settings, version, asked)
        if stored is not None:
            store_kyucho_record(settings, until)
            return stored
    fit_table = training_covariates(table, settings.models.training_ocean)
    run = rolling_origin_backtest(table, _catches(settings, until), settings, species, fit_table)
    predictions, trials, searches = run.predictions, run.trials, run.searches
    sources = _fold_sources(table, fit_table, predictions, settings).assign(model_version=version)
    metrics = score_rows(predictions, settings.models.big_catch_alert_probability)
    stored = predictions.assign(model_version=version)
    for column in ("issue_date", "target_date", "fold_origin"):
        stored[column] = pd.to_datetime(stored[column]).dt.date
    evaluations = metrics.assign(
        model_version=version, holdout_start=stored.fold_origin.min(), holdout_end=stored.target_date.max(),
        folds=stored.fold_origin.nunique(),
    )
    if operation_rows_matrix is None:
        operation_rows_matrix = operation_table(settings, table, until)
    operation, reliability = _operation_backtest(settings, operation_rows_matrix, predictions, version)
    with connect(settings.warehouse_path) as con:
        if operation is not None:
            replace_where(con, "operation_evaluations", operation, "model_version = ?", [version])
            replace_where(con, "operation_reliability", reliability, "model_version = ?", [version])
        for name in predictions.species.unique():
            replace_where(con, "backtest_predictions", stored[stored.species == name],
                          "model_version = ? AND species = ?", [version, name])
            replace_where(con, "backtest_ocean_sources", sources[sources.species == name],
                          "model_version = ? AND species = ?", [version, name])
        upsert(con, "model_evaluations", evaluations)
        if not trials.empty:  # each fold's search, under "<version>@<fold origin>"
            tuning_ids = version + "@" + pd.to_datetime(trials.pop("fold_origin")).dt.strftime("%Y-%m-%d")
            upsert(con, "tuning_trials", trials.assign(tuning_id=tuning_ids))
    store_kyucho_record(settings, until)  # the swift-current warnings' record, for the reports to read
    return BacktestResult(version, predictions, metrics, searches=searches)


def _operation_backtest(settings: Settings, operation: tuple[pd.DataFrame, pd.DataFrame], predictions: pd.DataFrame,
                        version: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The operation model (its `operation_table`: rows, matrix) on the catch backtest's folds ->
    (operation_evaluations rows, operation_reliability rows), None each when no fold could be fit."""
    rows, matrix = operation
    origins = [pd.Timestamp(o) for o in sorted(pd.to_datetime(predictions.fold_origin).unique())]
    scored = backtest_operation(rows, matrix, origins, settings.models.backtest_fold_days, settings.random_seed,
                                settings.models.lightgbm_threads)
    if scored.empty:
        return None, None
    evaluations = operation_scores(scored, POOLED_SITE_ID).assign(
        model_version=version, holdout_start=pd.Timestamp(scored.fold_origin.min()).date(),
        holdout_end=pd.Timestamp(scored.target_date.max()).date())
    return evaluations, operation_reliability(scored).assign(model_version=version)


def stored_backtest(settings: Settings, version: str, species: list[str]) -> BacktestResult | None:
    """The backtest of `version` stored in the warehouse for every one of `species` (its forecasts and metrics, in
    `run_backtest`'s layout, `reused`), or None when any species has no stored forecasts or metrics."""
    with connect(settings.warehouse_path, read_only=True) as con:  # the species as one list parameter
        predictions = con.execute("SELECT * FROM backtest_predictions WHERE model_version = ? "
                                  "AND list_contains(?, species)", [version, list(species)]).df()
        metrics = con.execute("SELECT * FROM model_evaluations WHERE model_version = ? AND list_contains(?, species)",
                              [version, list(species)]).df()
    if not set(species) <= set(predictions.species) or not set(species) <= set(metrics.species):
        return None
    for column in ("issue_date", "target_date", "fold_origin"):
        predictions[column] = pd.to_datetime(predictions[column])
    metrics = (metrics.assign(per_net=metrics.site_id != POOLED_SITE_ID)  # the pooled rows first, as score_rows
               .sort_values(["per_net", "site_id", "species", "lead_days"]).reset_index(drop=True))
    metrics = metrics[["site_id", "species", "lead_days", *[c for c in EVALUATION_METRICS if c in metrics]]]
    predictions = predictions.sort_values(["species", "fold_origin", "issue_date", "lead_days", "site_id"])
    return BacktestResult(version, predictions.drop(columns="model_version").reset_index(drop=True), metrics,
                          reused=True)


def _fold_sources(table: pd.DataFrame, fit_table: pd.DataFrame, predictions: pd.DataFrame,
                  settings: Settings) -> pd.DataFrame:
    """`models.backtest.fold_sources` of the folds and species the backtest scored, dates as dates."""
    origins = [pd.Timestamp(o) for o in sorted(pd.to_datetime(predictions.fold_origin).unique())]
    sources = fold_sources(table, fit_table, origins, sorted(predictions.species.unique()), settings)
    return sources.assign(fold_origin=pd.to_datetime(sources.fold_origin).dt.date)


def run_tuning(settings: Settings, species: list[str] | None = None, trials: int = 8) -> pd.DataFrame:
    """A bigger search than every fit runs: `trials` parameter sets per species on the held-out blocks of all history,
    every trial stored in `tuning_trials` under one tuning_id; returns them (params = the changes from the defaults)."""
    table = training_table(settings)
    fit_table = training_covariates(table, settings.models.training_ocean)
    labelled = fit_table[fit_table[LABEL_COLUMN].notna()]
    wider = settings.updated(models={"tuning_trials": trials})
    tried = []
    for name in species or sorted(labelled.species.unique()):
        model = SpeciesModel(name, feature_columns(table), sorted(table.site_id.unique()))
        searched = search_parameters(model, labelled[labelled.species == name], wider)
        if searched is None:
            raise ValueError(f"too little history of {name} to hold blocks out for a search")
        tried.append(searched.trials)
    result = pd.concat(tried, ignore_index=True)
    result.insert(0, "tuning_id", f"t{datetime.now(UTC):%Y%m%dT%H%M%S}")
    with connect(settings.warehouse_path) as con:
        upsert(con, "tuning_trials", result)
    return result


def final_fits(labelled: pd.DataFrame, features: list[str], sites: list[str], settings: Settings,
               searches: dict[str, SearchResult]) -> dict[str, SpeciesModel]:
    """Labelled fitting rows of every species -> per species (in order) its model fitted on all of them, reusing
    that species' search in `searches` (its latest backtest fold's); `models.fit_workers` fits at once."""
    names = sorted(labelled.species.unique())
    fits = [functools.partial(fit_species_model, labelled[labelled.species == name], name, features, sites,
                              searched=searches.get(name)) for name in names]
    return dict(zip(names, run_fits([lambda fit_settings, fit=fit: fit(settings=fit_settings) for fit in fits],
                                    settings), strict=True))


def train_models(settings: Settings, until: date | None = None) -> TrainResult:
    """Backtest, fit on all history (or on history up to the cutoff `until`: no catch after it enters the fit or the
    backtest), register in `model_runs`, and promote where the backtest beats the current model.

    The backtest is run (never read back: the final fit needs its searches), and each species' final fit reuses the
    search of its latest fold instead of searching again: it only refits on all history with the parameters, start
    and spread chosen there, its rounds scaled to the rows added since."""
    table = training_table(settings, until)
    operation = operation_table(settings, table, until)
    backtest = run_backtest(settings, table=table, until=until, force=True, operation_rows_matrix=operation)
    version, checksum, params = _version_of(table, settings)
    features = feature_columns(table)
    sites = sorted(table.site_id.unique())
    fit_table = training_covariates(table, settings.models.training_ocean)  # fitting rows only (perfect prog)
    labelled = fit_table[fit_table[LABEL_COLUMN].notna()]
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    runs, searches = [], []
    for species, model in final_fits(labelled, features, sites, settings, backtest.searches).items():
        rows = labelled[labelled.species == species]
        folder = artifact_dir(settings.models_dir, version, str(species))
        model.save(folder)
        if model.trials is not None:
            searches.append(model.trials.assign(tuning_id=version))
        runs.append(
            {
                "model_version": version, "species": species, "trained_at": trained_at,
                "train_start": rows.target_date.min().date(), "train_end": rows.target_date.max().date(),
                "n_rows": len(rows), "features": json.dumps(features), "params": json.dumps(params | model.params),
                "data_checksum": checksum, "artifact_dir": str(folder.resolve()),
            }
        )
    days = operation[0]  # one row per issue date, lead and net, with whether it operated
    labelled_operation = days[days.operated.notna()]
    if labelled_operation.operated.nunique() == 2:  # the chance each net operates, saved beside the species' models
        fit_operation_model(labelled_operation, sites, settings.random_seed, settings.models.lightgbm_threads).save(
            artifact_dir(settings.models_dir, version, OPERATION_FOLDER))
    with connect(settings.warehouse_path) as con:
        upsert(con, "model_runs", pd.DataFrame(runs))
        if searches:  # the search the final fit used (its latest backtest fold's), under the version itself
            upsert(con, "tuning_trials", pd.concat(searches, ignore_index=True))
        promoted = auto_promote(con, version)
    return TrainResult(version, labelled.target_date.min().date(), labelled.target_date.max().date(),
                       backtest.metrics, promoted)


def forecast_day(settings: Settings, issue_date: date,
                 phase_seconds: dict[str, float] | None = None) -> pd.DataFrame:
    """Forecast every site and species for leads 1..max_lead_days from issue_date with the promoted models;
    replaces that day's rows in `forecasts` (intervals, probabilities, explanations and model version included).
    `phase_seconds`, when given, gets the feature build's wall time in s under "features"."""
    return forecast_days(settings, [issue_date], phase_seconds)


def forecast_days(settings: Settings, issue_dates: list[date],
                  phase_seconds: dict[str, float] | None = None) -> pd.DataFrame:
    """`forecast_day` of many issue dates at once: one feature table over all of them, one prediction per species,
    and every date's rows in `forecasts` replaced in one transaction (all or nothing). Returns the rows written,
    sorted by issue_date, lead_days, site_id, species."""
    days = sorted({pd.Timestamp(day).date() for day in issue_dates})
    if not days:
        raise ValueError("no issue dates to forecast")
    with connect(settings.warehouse_path, read_only=True) as con:
        models = promoted_models(con)
        operation_model = _serving_operation_model(con, sorted({version for version, _ in models.values()}))
        last_catch = con.execute("SELECT max(date) FROM catches").fetchone()[0]
    if not models:
        raise ValueError(f"no trained models in {settings.warehouse_path}: run `setnet train` first")
    started = time.perf_counter()
    rows = build_features(settings, pd.DatetimeIndex([pd.Timestamp(day) for day in days]))
    if phase_seconds is not None:
        phase_seconds["features"] = round(time.perf_counter() - started, 3)
    has_ocean = rows.groupby("issue_date").ocean_date.agg(lambda d: d.notna().any())
    blind = [pd.Timestamp(day).date() for day, seen in has_ocean.items() if not seen]
    if blind:
        listed = ", ".join(str(day) for day in blind[:3]) + (f" and {len(blind) - 3} more" if len(blind) > 3 else "")
        raise ValueError(f"no ocean grid within {settings.max_grid_age_days} days before {listed}: ingest the grids first")
    forecasts = []
    for species, (version, model) in models.items():
        species_rows = rows[rows.species == species]
        predicted = species_rows[["issue_date", "target_date", "lead_days", "site_id", "species", "ocean_date"]].join(
            model.predict(species_rows)
        )
        forecasts.append(predicted.assign(model_version=version, explanation=model.explain(species_rows)))
    table = pd.concat(forecasts).sort_values(["issue_date", "lead_days", "site_id", "species"]).reset_index(drop=True)
    table = table.merge(_operation_chances(settings, rows, operation_model, last_catch),
                        on=["issue_date", "lead_days", "site_id"], how="left")
    for column in ("issue_date", "target_date", "ocean_date"):
        table[column] = pd.to_datetime(table[column]).dt.date
    table = table[["issue_date", "target_date", "lead_days", "site_id", "species", *PREDICTION_COLUMNS,
                   "model_version", "ocean_date", "explanation", "p_operate"]]
    with connect(settings.warehouse_path) as con:
        replace_where(con, "forecasts", table, f"issue_date IN ({', '.join('?' * len(days))})", days)
    return table


def _serving_operation_model(con: duckdb.DuckDBPyConnection, versions: list[str]) -> OperationModel | None:
    """The operation model saved with the most recently trained of the serving `versions` (None: none saved one)."""
    if not versions:
        return None
    folders = con.execute(
        "SELECT artifact_dir FROM model_runs WHERE list_contains(?, model_version) "
        "ORDER BY trained_at DESC, model_version DESC", [list(versions)]).fetchall()
    for (folder,) in folders:
        candidate = Path(folder).parent / OPERATION_FOLDER
        if (candidate / "booster.txt").exists():
            return OperationModel.load(candidate)
    return None


def _operation_chances(settings: Settings, rows: pd.DataFrame, model: OperationModel | None,
                       last_catch: date | None) -> pd.DataFrame:
    """Feature rows of the issue dates -> issue_date, lead_days, site_id, p_operate (NaN without an operation model);
    the history is known through the last issue date or the last catch day, whichever is earlier."""
    keys = rows[["issue_date", "lead_days", "site_id"]].drop_duplicates()
    if model is None or last_catch is None:
        return keys.assign(p_operate=float("nan"))
    through = min(pd.Timestamp(rows.issue_date.max()), pd.Timestamp(last_catch))
    operation, _ = operation_table(settings, rows, until=rows.issue_date.max().date(), known_through=through.date())
    chances = operation[["issue_date", "lead_days", "site_id"]].assign(p_operate=model.predict(operation))
    chances["issue_date"] = pd.to_datetime(chances.issue_date)
    return keys.assign(issue_date=pd.to_datetime(keys.issue_date)).merge(chances, how="left")


def stored_quantiles(settings: Settings, issue_date: date, levels: list[float], lead_days: int = 1) -> pd.DataFrame:
    """The forecasts issued on `issue_date` at one lead -> site_id, species, mean_kg, p_zero and one column (kg) per
    quantile level, read off each row's stored distribution (no model needed)."""
    with connect(settings.warehouse_path, read_only=True) as con:
        rows = con.execute(
            f"SELECT site_id, species, mean_kg, {', '.join(DISTRIBUTION_COLUMNS)} FROM forecasts "
            "WHERE issue_date = ? AND lead_days = ? ORDER BY site_id, species", [issue_date, lead_days]).df()
    if rows.empty:
        raise ValueError(f"no forecasts issued on {issue_date} at lead {lead_days} in {settings.warehouse_path}: "
                         f"run `setnet forecast --date {issue_date}` first")
    return rows[["site_id", "species", "mean_kg", "p_zero"]].join(forecast_quantiles(rows, levels))


def has_trained_models(settings: Settings) -> bool:
    """True when the warehouse registers at least one trained model."""
    if not settings.warehouse_path.exists():
        return False
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute("SELECT count(*) FROM model_runs").fetchone()[0] > 0


def write_model_card(settings: Settings, truth_csv: Path | None, command: str,
                     ceiling_crpss: dict[str, float] | None = None) -> str:
    """Markdown model card of the newest backtest (scored against the sample world's truth file when given, and
    against the model ceiling bench's CRPSS per species when given)."""
    with connect(settings.warehouse_path, read_only=True) as con:
        latest = con.execute(  # the most recently trained model's backtest, else the longest latest one
            "SELECT b.model_version FROM (SELECT model_version, max(target_date) AS last_day, count(*) AS n "
            "FROM backtest_predictions GROUP BY ALL) b LEFT JOIN (SELECT model_version, max(trained_at) AS trained_at "
            "FROM model_runs GROUP BY ALL) r USING (model_version) "
            "ORDER BY r.trained_at DESC NULLS LAST, b.last_day DESC, b.n DESC LIMIT 1").fetchone()
        if latest is None:
            raise ValueError("no backtest in the warehouse: run `setnet backtest` or `setnet train` first")
        version = latest[0]
        metrics = con.execute("SELECT * FROM model_evaluations WHERE model_version = ? ORDER BY species, lead_days",
                              [version]).df()
        predictions = con.execute(
            "SELECT * FROM backtest_predictions WHERE model_version = ? AND fold_origin = "
            "(SELECT max(fold_origin) FROM backtest_predictions WHERE model_version = ?)", [version, version]).df()
        period = con.execute("SELECT min(fold_origin), max(target_date) FROM backtest_predictions WHERE model_version = ?",
                             [version]).fetchone()
        ocean_rows, ocean_sources = _ocean_value_rows(con, version)
        operation = operation_reliability_ = None
        if table_columns(con, "operation_evaluations"):
            operation = con.execute("SELECT * FROM operation_evaluations WHERE model_version = ?", [version]).df()
            operation_reliability_ = con.execute(
                "SELECT * FROM operation_reliability WHERE model_version = ? ORDER BY bin", [version]).df()
    truth_table = checks = None
    lead1 = predictions[predictions.lead_days == 1]
    if truth_csv is not None:
        truth_table = truth_scores(lead1, pd.read_csv(truth_csv), ceiling_crpss)
        checks = target_checks(truth_table)
    return render_model_card(version, metrics, truth_table, checks, period, command,
                             reliability=reliability_table(lead1), kyucho_record=kyucho_warning_record(settings),
                             ocean_rows=ocean_rows, ocean_sources=ocean_sources, operation=operation,
                             operation_reliability=operation_reliability_)


def _ocean_value_rows(con: duckdb.DuckDBPyConnection, version: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The backtest rows of `version` with their ocean source and persisted-analysis scores, and its folds' rows by
    ocean source (None each where the warehouse predates them)."""
    if "crps_persisted_kg" not in table_columns(con, "backtest_predictions"):
        return None, None
    rows = con.execute(
        "SELECT species, lead_days, ocean_source, actual_kg, q50_kg, crps_kg, crps_climatology_kg, q50_persisted_kg, "
        "crps_persisted_kg FROM backtest_predictions WHERE model_version = ?", [version]).df()
    sources = con.execute("SELECT used_for, ocean_source, sum(n_rows) AS n_rows FROM backtest_ocean_sources "
                          "WHERE model_version = ? GROUP BY ALL ORDER BY ALL", [version]).df()
    return rows, sources


def kyucho_warning_record(settings: Settings, through: date | None = None) -> pd.DataFrame:
    """The swift-current warnings of every stored hourly forecast (issued on or before `through`, when given) against
    the current of the day (features.kyucho.RECORD_COLUMNS: per net, tier, lead; days verified)."""
    with connect(settings.warehouse_path, read_only=True) as con:
        sites = con.execute("SELECT site_id, lat, lon, bearing_deg FROM sites").df()
    hourly = hourly_currents_at_nets(settings, sites)
    if through is not None and not hourly.empty:
        hourly = hourly[pd.to_datetime(hourly.issue_date) <= pd.Timestamp(through)]
    report = settings.reports
    return kyucho_record(hourly, (report.kyucho_advisory_kn, report.kyucho_warning_kn),
                         dict(report.kyucho_thresholds_kn), settings.timezone)


def store_kyucho_record(settings: Settings, through: date | None = None,
                        record: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compute (or take) the warnings' record as of `through` (None: the last hourly issue stored) and keep it in the
    warehouse table `kyucho_record` under that day, so a report reads it instead of recomputing it; returns it (empty,
    and nothing stored, without an hourly forecast archive)."""
    record = kyucho_warning_record(settings, through) if record is None else record
    if record.empty:
        return record
    last = pd.to_datetime(record.last_day).max()
    day = pd.Timestamp(through).date() if through is not None else (last.date() if pd.notna(last) else None)
    if day is None:
        return record
    rows = record.assign(through_date=day, first_day=pd.to_datetime(record.first_day).dt.date,
                         last_day=pd.to_datetime(record.last_day).dt.date)
    rows = rows.astype({"first_day": "object", "last_day": "object", "lead_days": str})
    with connect(settings.warehouse_path) as con:
        replace_where(con, "kyucho_record", rows, "through_date = ?", [day])
    return record
