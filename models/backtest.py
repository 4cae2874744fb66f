"""Rolling-origin backtest: train on everything before each origin, forecast the fold after it; never shuffled."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import pandas as pd

from features import feature_columns
from features.ocean_forecast import SOURCE_FORECAST, persisted_covariates, training_covariates
from features.table import LABEL_COLUMN
from models.distribution import HurdleLogNormal
from models.evaluate import add_scores, baseline_columns
from models.lightgbm_model import SearchResult, SpeciesModel, fit_species_model, run_fits
from setnet.settings import Settings

BACKTEST_COLUMNS = [
    "site_id", "species", "issue_date", "target_date", "lead_days", "mean_kg", "q10_kg", "q50_kg", "q90_kg",
    "p_zero", "p_big_catch", "big_catch_threshold_kg", "positive_log_mean", "positive_log_sd", "actual_kg",
    "climatology_kg", "climatology_median_kg", "persistence_kg", "seasonal_naive_kg", "crps_kg",
    "crps_climatology_kg", "crps_persistence_kg", "fold_origin", "ocean_source", "q50_persisted_kg",
    "crps_persisted_kg",
]
# `fold_sources`: per fold and species, how many rows of each ocean_source the fit used and the fold scored.
FOLD_SOURCE_COLUMNS = ["species", "fold_origin", "used_for", "ocean_source", "n_rows"]


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


def fold_frames(table: pd.DataFrame, fit_table: pd.DataFrame, species: str, origin: pd.Timestamp,
                settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) of one fold: train from `fit_table` (`training_covariates` of the table: the target day's
    later analysis may stand in for a missing forecast, all of it known before `origin`), test from `table` itself
    (only what was known on each issue date: the forecast as issued, else the persisted analysis)."""
    return fold_rows(fit_table, species, origin, settings)[0], fold_rows(table, species, origin, settings)[1]


def fold_model(table: pd.DataFrame, catches: pd.DataFrame, origin: pd.Timestamp, species: str,
               settings: Settings, features: list[str] | None = None, fit_table: pd.DataFrame | None = None,
               earlier: SearchResult | None = None) -> tuple[pd.DataFrame, SpeciesModel | None]:
    """One fold of one species: fit on targets before `origin`, forecast issue dates in [origin, origin + fold)
    (inputs: `features`, default every feature column of the table) -> (forecast rows, BACKTEST_COLUMNS; the fitted
    model with its search, trials and booster seconds, None when there is nothing to score).

    The fit's rows come from `fit_table` (default: `training_covariates(table, settings.models.training_ocean)`).
    Rows scored with a forecast are scored a second time by the same model fed the persisted analysis instead
    (q50_persisted_kg, crps_persisted_kg; NaN on rows without a forecast, where both are the same). `earlier`: an
    earlier fold's search whose chosen trial this fold's fit runs again instead of searching (see
    `fit_species_model`); it must come from a fold with an earlier origin."""
    if fit_table is None:
        fit_table = training_covariates(table, settings.models.training_ocean)
    train, test = fold_frames(table, fit_table, species, origin, settings)
    if test.empty:
        return pd.DataFrame(columns=BACKTEST_COLUMNS), None
    model: SpeciesModel = fit_species_model(train, species, features or feature_columns(table),
                                            sorted(table.site_id.unique()), settings, earlier=earlier)
    scored = test.assign(actual_kg=test[LABEL_COLUMN]).join(model.predict(test))
    scored = add_scores(baseline_columns(catches[pd.to_datetime(catches.date) < origin], scored))
    scored = scored.join(persisted_scores(model, test[test.ocean_source == SOURCE_FORECAST]))
    return scored.assign(fold_origin=origin)[BACKTEST_COLUMNS], model


def persisted_scores(model: SpeciesModel, rows: pd.DataFrame) -> pd.DataFrame:
    """Labelled feature rows -> q50_persisted_kg and crps_persisted_kg (kg): the model's median and CRPS when fed
    the issue day's analysis persisted instead of the rows' target-day ocean values (same index as `rows`)."""
    if rows.empty:
        return pd.DataFrame({"q50_persisted_kg": pd.Series(dtype=float), "crps_persisted_kg": pd.Series(dtype=float)})
    predicted = model.predict(persisted_covariates(rows))
    crps = HurdleLogNormal.from_frame(predicted).crps_kg(rows[LABEL_COLUMN].to_numpy(dtype=float))
    return pd.DataFrame({"q50_persisted_kg": predicted.q50_kg.to_numpy(float), "crps_persisted_kg": crps},
                        index=rows.index)


def fold_sources(table: pd.DataFrame, fit_table: pd.DataFrame, origins: list[pd.Timestamp], species: list[str],
                 settings: Settings) -> pd.DataFrame:
    """Per fold origin and species, the rows the fit used ("fit") and the fold scored ("scored") by ocean_source
    (FOLD_SOURCE_COLUMNS): how many carried a forecast as issued, a persisted or a later analysis."""
    counts = []
    for name in species:
        for origin in origins:
            train, test = fold_frames(table, fit_table, name, origin, settings)
            if test.empty:
                continue
            for used_for, rows in (("fit", train), ("scored", test)):
                sizes = rows.ocean_source.astype(str).value_counts()
                counts.append(pd.DataFrame({"species": name, "fold_origin": origin, "used_for": used_for,
                                            "ocean_source": sizes.index, "n_rows": sizes.to_numpy()}))
    return pd.concat(counts, ignore_index=True) if counts else pd.DataFrame(columns=FOLD_SOURCE_COLUMNS)


def searches_parameters(fold_index: int, folds: int, search_folds: str) -> bool:
    """Position of a fold among a species' folds (0 = earliest) and models.search_folds -> whether that fold runs
    the whole parameter search ('every': all; 'first': the earliest; 'ends': the earliest and the latest, so the
    final fit reuses a search of the most history)."""
    last = fold_index == folds - 1
    return search_folds == "every" or fold_index == 0 or (search_folds == "ends" and last)


# `BacktestRun.folds`: per species and fold, how long its fit took (wall s, per booster wall and CPU s) and what
# its search ran (trials: 1 when it reran an earlier search's chosen trial) and chose (boosting rounds). Folds fitted
# at once (models.fit_workers) each count their own wall time.
FOLD_TIMING_COLUMNS = ["species", "fold_origin", "wall_s", "catch_wall_s", "catch_cpu_s", "positive_wall_s",
                       "positive_cpu_s", "trials", "rounds_catch", "rounds_positive"]


@dataclass(frozen=True)
class BacktestRun:
    """A rolling-origin backtest as run: every forecast with its actual and baselines (BACKTEST_COLUMNS), every
    tuning trial with its fold_origin, per species the search of its latest fold that ran one (what the final fit
    reuses), and each fold's timing (FOLD_TIMING_COLUMNS)."""

    predictions: pd.DataFrame
    trials: pd.DataFrame
    searches: dict[str, SearchResult]
    folds: pd.DataFrame


@dataclass(frozen=True)
class _Fold:
    species: str
    origin: pd.Timestamp
    rows: pd.DataFrame
    model: SpeciesModel | None
    wall_s: float

    def timing(self) -> dict:
        """This fold's row of BacktestRun.folds."""
        model = self.model
        chosen = None if model is None or model.trials is None else model.trials[model.trials.chosen].iloc[0]
        seconds = {} if model is None else model.booster_timings()
        return {"species": self.species, "fold_origin": self.origin, "wall_s": self.wall_s, **seconds,
                "trials": 0 if chosen is None else len(model.trials),
                "rounds_catch": None if chosen is None else int(chosen.rounds_catch),
                "rounds_positive": None if chosen is None else int(chosen.rounds_positive)}


def rolling_origin_backtest(table: pd.DataFrame, catches: pd.DataFrame, settings: Settings,
                            species: list[str] | None = None, fit_table: pd.DataFrame | None = None) -> BacktestRun:
    """Feature table + catches -> the backtest of every fold of every species (BacktestRun: forecasts in kg, tuning
    trials, the searches the final fits reuse, per-fold timings). Fits use `fit_table` (see `fold_model`).

    models.search_folds says which folds search (`searches_parameters`); a fold that does not reruns the chosen
    trial of the species' earliest search on its own (earlier) history: a fold never sees data from after its
    origin. The folds that search run first, `models.fit_workers` at a time (the latest, largest, first); then
    each species' other folds, in order, one species per worker (`run_fits`)."""
    labelled = table[table[LABEL_COLUMN].notna()]
    origins = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)
    chosen = species or sorted(labelled.species.unique())
    if fit_table is None:
        fit_table = training_covariates(table, settings.models.training_ocean)
    mode = settings.models.search_folds

    def fold(name: str, origin: pd.Timestamp, earlier: SearchResult | None, fit_settings: Settings) -> _Fold:
        started = time.perf_counter()
        rows, model = fold_model(table, catches, origin, name, fit_settings, fit_table=fit_table, earlier=earlier)
        return _Fold(name, origin, rows, model, time.perf_counter() - started)

    searching = [(name, origin) for index, origin in reversed(list(enumerate(origins))) for name in chosen
                 if searches_parameters(index, len(origins), mode)]
    done = {(f.species, f.origin): f for f in run_fits(
        [functools.partial(fold, name, origin, None) for name, origin in searching], settings)}

    def rest_of(name: str, fit_settings: Settings) -> list[_Fold]:
        """One species' folds that do not search, in order, each rerunning the species' earliest search so far
        (a fold that has none before it searches itself)."""
        first, folds = None, []
        for origin in origins:
            current = done.get((name, origin))
            if current is None:
                current = fold(name, origin, first, fit_settings)
                folds.append(current)
            if first is None and mode != "every" and current.model is not None and current.model.search is not None:
                first = current.model.search
        return folds

    for folds in run_fits([functools.partial(rest_of, name) for name in chosen], settings):
        done.update({(f.species, f.origin): f for f in folds})
    ordered = [done[name, origin] for name in chosen for origin in origins if (name, origin) in done]
    predictions = [f.rows for f in ordered if not f.rows.empty]
    trials = [f.model.trials.assign(fold_origin=f.origin) for f in ordered
              if f.model is not None and f.model.search is not None]
    searches = {f.species: f.model.search for f in ordered  # origins ascend: the latest fold's search stays
                if f.model is not None and f.model.search is not None}
    return BacktestRun(pd.concat(predictions, ignore_index=True),
                       pd.concat(trials, ignore_index=True) if trials else pd.DataFrame(), searches,
                       pd.DataFrame([f.timing() for f in ordered], columns=FOLD_TIMING_COLUMNS))
