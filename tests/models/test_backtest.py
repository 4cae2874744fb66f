"""The backtest's covariates: a fold is fit on rows known before its origin (the target day's later analysis may
stand in for a missing forecast) and scores rows with only what was known on their issue date."""

import numpy as np
import pandas as pd
import pytest

from features import build_feature_table
from features.ocean_forecast import (
    SOURCE_FORECAST,
    SOURCE_LATER_ANALYSIS,
    SOURCE_PERSISTED,
    TARGET_COLUMNS,
    training_covariates,
)
from models.backtest import (
    fold_frames,
    fold_model,
    fold_sources,
    rolling_origin_backtest,
    searches_parameters,
)
from setnet.settings import Settings
from tests.conftest import FEATURE_OPTIONS, synthetic_catches
from tests.features.test_table import SITES, SPECIES, forecasts, site_ocean

DAYS = pd.date_range("2024-01-01", periods=150, freq="D")
ORIGIN = DAYS[110]
ARCHIVE = DAYS[100::2]  # the forecast archive: every other day from 10 days before the fold
LEADS = [1, 3]
SETTINGS = Settings(models={"backtest_fold_days": 30, "lightgbm_rounds": 10, "tuning_trials": 1})


def build(ocean: pd.DataFrame) -> pd.DataFrame:
    return build_feature_table(ocean, synthetic_catches("2024-01-01", len(DAYS), ["a", "b"]), SITES, SPECIES, DAYS,
                               LEADS, 2, site_forecasts=forecasts(ARCHIVE, LEADS, ["a", "b"]), **FEATURE_OPTIONS)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """150 days whose ocean changes every day: the target day's analysis always differs from persistence."""
    return build(site_ocean(DAYS))


def test_a_fold_scores_only_issue_day_values_and_fits_on_nothing_known_after_its_origin(table) -> None:
    fit_table = training_covariates(table, "analysis")
    train, test = fold_frames(table, fit_table, "sardine", ORIGIN, SETTINGS)
    # scored rows: the feature table's own, the forecast as issued or the issue day's analysis, never a later one
    pd.testing.assert_frame_equal(test, table.loc[test.index])
    assert set(test.ocean_source) == {SOURCE_FORECAST, SOURCE_PERSISTED}
    persisted = test[test.ocean_source == SOURCE_PERSISTED]
    for target, source in TARGET_COLUMNS.items():
        if source in test:
            np.testing.assert_array_equal(persisted[target].to_numpy(), persisted[source].to_numpy())
    later = fit_table.loc[persisted.index]  # what the later analysis would have put there: different, so it can fail
    assert (later.ocean_source == SOURCE_LATER_ANALYSIS).all()
    assert not np.allclose(later.target_temp_50m_c, persisted.target_temp_50m_c)
    # fitting rows: before the origin, later analyses where the archive has no forecast, the archive's as issued
    assert (train.target_date < ORIGIN).all()
    assert set(train.ocean_source) == {SOURCE_LATER_ANALYSIS, SOURCE_FORECAST}
    # and none of it changes when everything from the origin on changes
    ocean = site_ocean(DAYS)
    changed = ocean.assign(**{c: ocean[c].where(ocean.date < ORIGIN, ocean[c] * 3 + 50)
                              for c in ocean.columns if c not in ("date", "site_id")})
    train_changed, _ = fold_frames(build(changed), training_covariates(build(changed), "analysis"), "sardine",
                                   ORIGIN, SETTINGS)
    features = [c for c in train.columns if c != "catch_kg"]
    pd.testing.assert_frame_equal(train_changed[features], train[features])


def test_a_fold_counts_its_rows_by_ocean_source(table) -> None:
    fit_table = training_covariates(table, "analysis")
    counts = fold_sources(table, fit_table, [ORIGIN], ["sardine"], SETTINGS).set_index(["used_for", "ocean_source"])
    train, test = fold_frames(table, fit_table, "sardine", ORIGIN, SETTINGS)
    assert counts.n_rows.sum() == len(train) + len(test)
    assert counts.loc[("scored", SOURCE_FORECAST), "n_rows"] == (test.ocean_source == SOURCE_FORECAST).sum()
    assert counts.loc[("fit", SOURCE_LATER_ANALYSIS), "n_rows"] == (train.ocean_source == SOURCE_LATER_ANALYSIS).sum()
    assert ("scored", SOURCE_LATER_ANALYSIS) not in counts.index


@pytest.mark.slow
def test_a_fold_scores_its_forecast_rows_twice_with_the_same_model(table) -> None:
    catches = synthetic_catches("2024-01-01", len(DAYS), ["a", "b"])
    rows, _ = fold_model(table, catches, ORIGIN, "sardine", SETTINGS)
    assert set(rows.ocean_source) <= {SOURCE_FORECAST, SOURCE_PERSISTED}
    forecast = rows.ocean_source == SOURCE_FORECAST
    assert forecast.any() and rows.loc[forecast, ["q50_persisted_kg", "crps_persisted_kg"]].notna().all().all()
    assert rows.loc[~forecast, ["q50_persisted_kg", "crps_persisted_kg"]].isna().all().all()
    assert (rows.crps_persisted_kg[forecast] >= 0).all()


@pytest.mark.parametrize(("mode", "expected"), [
    ("ends", [True, False, False, True]),  # the final fit then reuses a search of the most history
    ("first", [True, False, False, False]),
    ("every", [True, True, True, True]),
])
def test_the_folds_that_search_their_parameters_follow_models_search_folds(mode: str, expected: list[bool]) -> None:
    assert [searches_parameters(index, 4, mode) for index in range(4)] == expected
    assert searches_parameters(0, 1, mode)  # a single fold always searches
    assert [searches_parameters(index, 2, mode) for index in range(2)] == [True, mode != "first"]


@pytest.mark.slow
def test_fits_run_at_once_give_the_backtest_one_at_a_time_gives(table) -> None:
    catches = synthetic_catches("2024-01-01", len(DAYS), ["a", "b"])
    settings = SETTINGS.updated(models={"backtest_min_train_days": 56, "backtest_fold_days": 28, "tuning_trials": 2,
                                        "search_folds": "ends"})
    one = rolling_origin_backtest(table, catches, settings.updated(models={"fit_workers": 1}))
    two = rolling_origin_backtest(table, catches, settings.updated(models={"fit_workers": 2, "lightgbm_threads": 2}))
    pd.testing.assert_frame_equal(one.predictions, two.predictions)
    pd.testing.assert_frame_equal(one.trials, two.trials)
    assert {name: s.params for name, s in one.searches.items()} == {name: s.params for name, s in two.searches.items()}
    # per species and fold in origin order: the earliest and latest searched every trial, the ones between reran one
    for folds in (one.folds, two.folds):
        for _, rows in folds.groupby("species"):
            assert list(rows.fold_origin) == sorted(rows.fold_origin) and len(rows) >= 3
            assert rows.trials.iloc[0] == rows.trials.iloc[-1] == 4 and (rows.trials.iloc[1:-1] == 1).all()
    # the folds between rerun the earliest fold's chosen trial, never the latest's (a later search: leakage)
    for _, rows in one.trials.groupby("species"):
        by_fold = {origin: fold for origin, fold in rows.groupby("fold_origin")}
        origins = sorted(by_fold)
        earliest = int(by_fold[origins[0]].trial[by_fold[origins[0]].chosen].iloc[0])
        assert all(by_fold[origin].trial.tolist() == [earliest] for origin in origins[1:-1])
