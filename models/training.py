"""The models stage's I/O edges: train (with a holdout evaluation) and forecast one issue date."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from features import build_features, feature_columns
from features.table import LABEL_COLUMN
from models.evaluate import baseline_columns, holdout_split, score_rows
from models.lightgbm_model import fit_species_model, lightgbm_params
from models.registry import artifact_dir, latest_models, model_version, table_checksum
from setnet.settings import Settings
from setnet.warehouse import connect, replace_where, upsert


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced: the version, its window and the holdout metrics per species and lead."""

    model_version: str
    train_start: date
    train_end: date
    metrics: pd.DataFrame


def training_table(settings: Settings) -> pd.DataFrame:
    """Every issue date from the first catch to the last, as a feature table with labels."""
    with connect(settings.warehouse_path, read_only=True) as con:
        first, last = con.execute("SELECT min(date), max(date) FROM catches").fetchone()
    if first is None:
        raise ValueError(f"no catches in {settings.warehouse_path}: run `setnet ingest catches PATH` first")
    return build_features(settings, pd.date_range(first, last, freq="D"))


def evaluate_holdout(table: pd.DataFrame, catches: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Fit on days before the holdout, forecast the holdout: metrics per species and lead, and the cutoff."""
    train, test, cutoff = holdout_split(table, settings.holdout_days)
    features = feature_columns(table)
    sites = sorted(table.site_id.unique())
    scored = []
    for species, species_test in test.groupby("species"):
        model = fit_species_model(train[train.species == species], str(species), features, sites, settings)
        predicted = model.predict(species_test)
        scored.append(species_test.assign(actual_kg=species_test[LABEL_COLUMN]).join(predicted))
    rows = pd.concat(scored)
    rows = baseline_columns(catches[pd.to_datetime(catches.date) < cutoff], rows)
    return score_rows(rows), cutoff


def train_models(settings: Settings) -> TrainResult:
    """Evaluate on a time-ordered holdout, then fit on all history and register the models in `model_runs`."""
    table = training_table(settings)
    with connect(settings.warehouse_path, read_only=True) as con:
        catches = con.execute("SELECT date, site_id, species, catch_kg FROM catches").df()
    metrics, cutoff = evaluate_holdout(table, catches, settings)
    features = feature_columns(table)
    sites = sorted(table.site_id.unique())
    params = lightgbm_params(settings) | {"rounds": settings.lightgbm_rounds}
    checksum = table_checksum(table)
    version = model_version(checksum, params, features)
    labelled = table[table[LABEL_COLUMN].notna()]
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    runs = []
    for species, rows in labelled.groupby("species"):
        model = fit_species_model(rows, str(species), features, sites, settings)
        folder = artifact_dir(settings.models_dir, version, str(species))
        model.save(folder)
        runs.append(
            {
                "model_version": version, "species": species, "trained_at": trained_at,
                "train_start": rows.target_date.min().date(), "train_end": rows.target_date.max().date(),
                "n_rows": len(rows), "features": json.dumps(features), "params": json.dumps(params),
                "data_checksum": checksum, "artifact_dir": str(folder.resolve()),
            }
        )
    evaluations = metrics.assign(
        model_version=version, holdout_start=cutoff.date(), holdout_end=labelled.target_date.max().date()
    )
    with connect(settings.warehouse_path) as con:
        upsert(con, "model_runs", pd.DataFrame(runs))
        upsert(con, "model_evaluations", evaluations)
    return TrainResult(version, labelled.target_date.min().date(), labelled.target_date.max().date(), metrics)


def forecast_day(settings: Settings, issue_date: date) -> pd.DataFrame:
    """Forecast every site and species for leads 1..max_lead_days from issue_date; replaces that day's rows in `forecasts`."""
    with connect(settings.warehouse_path, read_only=True) as con:
        models = latest_models(con, settings.models_dir)
    if not models:
        raise ValueError(f"no trained models in {settings.warehouse_path}: run `setnet train` first")
    rows = build_features(settings, pd.DatetimeIndex([pd.Timestamp(issue_date)]))
    if rows.ocean_date.isna().all():
        raise ValueError(
            f"no ocean grid within {settings.max_grid_age_days} days before {issue_date}: ingest the grids first"
        )
    forecasts = []
    for species, (version, model) in models.items():
        species_rows = rows[rows.species == species]
        predicted = species_rows[["issue_date", "target_date", "lead_days", "site_id", "species", "ocean_date"]].join(
            model.predict(species_rows)
        )
        forecasts.append(predicted.assign(model_version=version))
    table = pd.concat(forecasts).sort_values(["issue_date", "lead_days", "site_id", "species"]).reset_index(drop=True)
    for column in ("issue_date", "target_date", "ocean_date"):
        table[column] = pd.to_datetime(table[column]).dt.date
    with connect(settings.warehouse_path) as con:
        replace_where(con, "forecasts", table, "issue_date = ?", [issue_date])
    return table


def has_trained_models(settings: Settings) -> bool:
    """True when the warehouse registers at least one trained model."""
    if not settings.warehouse_path.exists():
        return False
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute("SELECT count(*) FROM model_runs").fetchone()[0] > 0
