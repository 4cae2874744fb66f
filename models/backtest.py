"""Rolling-origin backtest: train on everything before each origin, forecast the fold after it; never shuffled."""

from __future__ import annotations

import pandas as pd

from features import feature_columns
from features.table import LABEL_COLUMN
from models.evaluate import add_scores, baseline_columns
from models.lightgbm_model import SpeciesModel, fit_species_model
from setnet.settings import Settings

BACKTEST_COLUMNS = [
    "site_id", "species", "issue_date", "target_date", "lead_days", "mean_kg", "q10_kg", "q50_kg", "q90_kg",
    "p_zero", "p_big_catch", "big_catch_threshold_kg", "positive_log_mean", "positive_log_sd", "actual_kg",
    "climatology_kg", "climatology_median_kg", "persistence_kg", "seasonal_naive_kg", "crps_kg",
    "crps_climatology_kg", "crps_persistence_kg", "fold_origin",
]


def backtest_origins(first_target: pd.Timestamp, last_target: pd.Timestamp, settings: Settings) -> list[pd.Timestamp]:
    """Fold origins: the first after `backtest_min_train_days` of history, then every `backtest_fold_days`."""
    origin = pd.Timestamp(first_target) + pd.Timedelta(days=settings.models.backtest_min_train_days)
    origins = []
    while origin < pd.Timestamp(last_target):
        origins.append(origin)
        origin += pd.Timedelta(days=settings.models.backtest_fold_days)
    if not origins:
        raise ValueError(
            f"history {pd.Timestamp(first_target).date()}..{pd.Timestamp(last_target).date()} is shorter than "
            f"backtest_min_train_days={settings.models.backtest_min_train_days}: nothing to backtest"
        )
    return origins


def fold_rows(table: pd.DataFrame, species: str, origin: pd.Timestamp,
              settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labelled rows of one species -> (train: targets before `origin`, test: issue dates in [origin, origin + fold))."""
    labelled = table[(table.species == species) & table[LABEL_COLUMN].notna()]
    fold_end = origin + pd.Timedelta(days=settings.models.backtest_fold_days)
    return (labelled[labelled.target_date < origin],
            labelled[(labelled.issue_date >= origin) & (labelled.issue_date < fold_end)])


def backtest_fold(table: pd.DataFrame, catches: pd.DataFrame, origin: pd.Timestamp, species: str,
                  settings: Settings, features: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One fold of one species: fit on targets before `origin`, forecast issue dates in [origin, origin + fold)
    (inputs: `features`, default every feature column of the table) -> (forecast rows, the fit's tuning trials)."""
    train, test = fold_rows(table, species, origin, settings)
    if test.empty:
        return pd.DataFrame(columns=BACKTEST_COLUMNS), None
    model: SpeciesModel = fit_species_model(train, species, features or feature_columns(table),
                                            sorted(table.site_id.unique()), settings)
    scored = test.assign(actual_kg=test[LABEL_COLUMN]).join(model.predict(test))
    scored = add_scores(baseline_columns(catches[pd.to_datetime(catches.date) < origin], scored))
    trials = None if model.trials is None else model.trials.assign(fold_origin=origin)
    return scored.assign(fold_origin=origin)[BACKTEST_COLUMNS], trials


def rolling_origin_backtest(table: pd.DataFrame, catches: pd.DataFrame, settings: Settings,
                            species: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature table + catches -> (every backtest forecast with its actual and baseline forecasts in kg, every
    tuning trial of every fold's fit with its fold_origin)."""
    labelled = table[table[LABEL_COLUMN].notna()]
    origins = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)
    chosen = species or sorted(labelled.species.unique())
    folds = [backtest_fold(table, catches, origin, name, settings) for name in chosen for origin in origins]
    predictions = pd.concat([rows for rows, _ in folds if not rows.empty], ignore_index=True)
    trials = [tried for _, tried in folds if tried is not None]
    return predictions, (pd.concat(trials, ignore_index=True) if trials else pd.DataFrame())
