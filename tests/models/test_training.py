"""Training: registered, reproducible, promoted only when better; forecasts carry intervals, probabilities, reasons."""

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from features.table import LABEL_COLUMN
from models import (
    forecast_day,
    forecast_days,
    has_trained_models,
    list_models,
    promote,
    run_backtest,
    stored_quantiles,
    train_models,
)
from models.distribution import HurdleLogNormal, forecast_quantiles
from models.training import training_table
from setnet.settings import Settings
from setnet.warehouse import connect, upsert
from tests.conftest import copernicus_like_grid, synthetic_catches, write_daily_files
from tests.fixtures import TINY_SITES, write_sites_csv

CUTOFF = date(2024, 4, 19)  # the small world's catches run 2024-03-01..2024-04-29


@pytest.fixture
def trainable(small_world: Settings) -> Settings:
    """The small world with a backtest short enough for its 60 days."""
    return small_world.updated(models={"backtest_min_train_days": 60, "backtest_fold_days": 20, "tuning_trials": 2})


def change_catches_after(settings: Settings, cutoff: date) -> None:
    """Every stored catch after `cutoff` ten times larger, and catches on days after it that had none."""
    with connect(settings.warehouse_path) as con:
        later = con.execute("SELECT date, site_id, species, catch_kg * 10 + 1 AS catch_kg FROM catches "
                            "WHERE date > ?", [cutoff]).df()
        sundays = later[["site_id", "species"]].drop_duplicates().assign(date=cutoff + timedelta(days=2), catch_kg=5.0)
        upsert(con, "catches", pd.concat([later, sundays[later.columns]], ignore_index=True))


def test_a_training_cutoff_keeps_every_catch_after_it_out_of_the_training_table(small_world: Settings) -> None:
    table = training_table(small_world, until=CUTOFF)
    assert table.issue_date.max() == pd.Timestamp(CUTOFF)
    labelled = table[table[LABEL_COLUMN].notna()]
    assert labelled.target_date.max() <= pd.Timestamp(CUTOFF)
    assert table[table.target_date > pd.Timestamp(CUTOFF)][LABEL_COLUMN].isna().all()
    change_catches_after(small_world, CUTOFF)
    pd.testing.assert_frame_equal(training_table(small_world, until=CUTOFF), table)  # nothing after it counts
    assert not training_table(small_world).equals(table)  # while the whole history does see the change


def test_a_cutoff_before_any_catch_is_refused(small_world: Settings) -> None:
    with pytest.raises(ValueError, match="before the first catch"):
        training_table(small_world, until=date(2023, 1, 1))


@pytest.fixture(scope="module")
def cut_world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The small world (3 nets, 60 days), trained once on its history up to CUTOFF only."""
    from ingest import ingest_catches, ingest_grids, ingest_sites

    root = tmp_path_factory.mktemp("cut-world")
    settings = Settings(data_dir=root / "data", models={"lightgbm_rounds": 30, "backtest_min_train_days": 30,
                                                        "backtest_fold_days": 20, "tuning_trials": 2,
                                                        "training_ocean": "analysis"})
    ingest_sites(settings, write_sites_csv(root / "sites.csv"))
    write_daily_files(copernicus_like_grid(days=60, start="2024-03-01"), root / "grids")
    ingest_grids(settings, [root / "grids"])
    synthetic_catches("2024-03-01", 60, TINY_SITES.site_id.tolist()).to_csv(root / "catches.csv", index=False)
    ingest_catches(settings, [root / "catches.csv"])
    train_models(settings, until=CUTOFF)
    return settings


@pytest.mark.slow
def test_a_model_trained_to_a_cutoff_learnt_and_was_tested_on_nothing_after_it(cut_world: Settings) -> None:
    with connect(cut_world.warehouse_path, read_only=True) as con:
        runs = con.execute("SELECT max(train_end), count(*) FROM model_runs").fetchone()
        tested = con.execute("SELECT max(target_date), max(issue_date) FROM backtest_predictions").fetchone()
        period = con.execute("SELECT max(holdout_end) FROM model_evaluations").fetchone()[0]
    assert runs[0] <= CUTOFF and runs[1] == 4
    assert tested[0] <= CUTOFF and tested[1] < CUTOFF and period <= CUTOFF


@pytest.mark.slow
def test_a_batch_of_issue_dates_forecasts_each_exactly_as_its_own_day_would(cut_world: Settings) -> None:
    days = [CUTOFF + timedelta(days=offset) for offset in range(0, 10, 3)]  # out of sample: all on or after it
    batch = forecast_days(cut_world, days)
    with connect(cut_world.warehouse_path, read_only=True) as con:
        stored = con.execute("SELECT issue_date, count(*) FROM forecasts GROUP BY 1 ORDER BY 1").fetchall()
    assert stored == [(day, 3 * 4 * 7) for day in days]  # every day replaced, in the one transaction
    for day in days:
        one = forecast_day(cut_world, day)
        pd.testing.assert_frame_equal(batch[batch.issue_date == day].reset_index(drop=True), one)
    again = forecast_days(cut_world, days[1:])  # a rerun over days already done replaces only those days
    pd.testing.assert_frame_equal(again, batch[batch.issue_date != days[0]].reset_index(drop=True))
    with connect(cut_world.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM forecasts").fetchone()[0] == len(batch)


@pytest.mark.slow
def test_a_live_forecast_reads_only_what_was_known_on_its_issue_date(cut_world: Settings) -> None:
    """Fits used the target day's later analysis; a forecast issued inside history still uses the issue day's."""
    from features import build_features
    from features.ocean_forecast import SOURCE_LATER_ANALYSIS, training_covariates
    from models.registry import promoted_models

    day = CUTOFF - timedelta(days=10)  # its target days' analyses exist: they must not be read
    forecast = forecast_day(cut_world, day)
    known = build_features(cut_world, pd.DatetimeIndex([pd.Timestamp(day)]))
    later = training_covariates(build_features(cut_world, pd.date_range(day, day + timedelta(days=7))), "analysis")
    later = later[later.issue_date == pd.Timestamp(day)].reset_index(drop=True)
    assert (later.ocean_source[later.lead_days < 7] == SOURCE_LATER_ANALYSIS).all()
    assert not np.allclose(later.target_temp_surface_c, known.target_temp_surface_c)  # the two differ: can fail
    with connect(cut_world.warehouse_path, read_only=True) as con:
        models = promoted_models(con)
    for species, (_, model) in models.items():
        rows = known[known.species == species]
        expected = model.predict(rows).mean_kg.to_numpy()
        np.testing.assert_allclose(forecast[forecast.species == species].mean_kg.to_numpy(), expected)


def test_forecasting_without_a_model_says_what_to_do(small_world: Settings) -> None:
    with pytest.raises(ValueError, match="run `setnet train` first"):
        forecast_day(small_world, date(2024, 4, 29))


@pytest.mark.slow
def test_a_backtest_stores_every_forecast_and_its_metrics(trainable: Settings) -> None:
    result = run_backtest(trainable.updated(models={"backtest_min_train_days": 30, "training_ocean": "analysis"}),
                          species=["sardine"])
    assert set(result.predictions.species) == {"sardine"}
    assert (result.predictions.issue_date >= result.predictions.fold_origin).all()
    with connect(trainable.warehouse_path, read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM backtest_predictions WHERE model_version = ?",
                             [result.model_version]).fetchone()[0]
        metrics = con.execute("SELECT * FROM model_evaluations WHERE model_version = ?", [result.model_version]).df()
    assert stored == len(result.predictions)
    pooled = metrics[metrics.site_id == "all"]
    assert sorted(pooled.lead_days) == list(range(1, 8))
    assert set(metrics.site_id) == {"all", *result.predictions.site_id.unique()}  # each net's own record too
    assert pooled[["crps_kg", "crps_climatology_kg", "brier_zero"]].notna().all().all()
    with connect(trainable.warehouse_path, read_only=True) as con:  # the small world has no forecast archive
        sources = con.execute("SELECT used_for, ocean_source, sum(n_rows) FROM backtest_ocean_sources "
                              "WHERE model_version = ? GROUP BY ALL ORDER BY ALL", [result.model_version]).fetchall()
        scored = con.execute("SELECT DISTINCT ocean_source FROM backtest_predictions WHERE model_version = ?",
                             [result.model_version]).fetchall()
    assert [(used, source) for used, source, _ in sources] == [("fit", "later analysis"), ("scored", "persisted analysis")]
    assert sources[1][2] == stored and scored == [("persisted analysis",)]  # scored: what was known on the day


@pytest.mark.slow
def test_a_backtest_of_the_same_version_is_read_back_unless_forced_or_the_data_changed(trainable: Settings) -> None:
    settings = trainable.updated(models={"backtest_min_train_days": 30})
    first = run_backtest(settings, species=["sardine"])
    again = run_backtest(settings, species=["sardine"])
    assert not first.reused and again.reused and again.model_version == first.model_version
    pd.testing.assert_frame_equal(again.metrics, first.metrics, check_dtype=False)
    columns = ["issue_date", "lead_days", "site_id", "q50_kg", "crps_kg", "actual_kg"]
    in_order = first.predictions.sort_values(["fold_origin", "issue_date", "lead_days", "site_id"])
    pd.testing.assert_frame_equal(again.predictions[columns], in_order[columns].reset_index(drop=True),
                                  check_dtype=False)
    assert not run_backtest(settings, species=["sardine", "yellowtail"]).reused  # yellowtail was never backtested
    assert not run_backtest(settings, species=["sardine"], force=True).reused
    change_catches_after(settings, CUTOFF)
    changed = run_backtest(settings, species=["sardine"])
    assert not changed.reused and changed.model_version != first.model_version


def trials_chosen(settings: Settings, version: str) -> pd.DataFrame:
    """The chosen trial (tuning_id, species, trial) of every stored search of `version`'s folds."""
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute("SELECT tuning_id, species, trial FROM tuning_trials WHERE tuning_id LIKE ? AND chosen",
                           [f"{version}@%"]).df()


@pytest.mark.slow
def test_training_registers_promotes_and_forecasts_reproducibly(trainable: Settings) -> None:
    settings = trainable.updated(models={"backtest_min_train_days": 42, "backtest_fold_days": 14,  # 2 folds, the
                                         "search_folds": "first"})  # later one rerunning the earlier's chosen trial
    assert not has_trained_models(settings)
    first = train_models(settings)
    assert first.promoted_species == ["common_squid", "firefly_squid", "sardine", "yellowtail"]
    again = train_models(settings)
    assert again.model_version == first.model_version  # same data and seed, same version
    assert again.promoted_species == []  # already serving
    issue_date = date(2024, 4, 29)
    table = forecast_day(settings, issue_date)
    assert len(table) == 3 * 4 * 7
    assert (table.q10_kg <= table.q50_kg).all() and (table.q50_kg <= table.q90_kg).all()
    assert table[["p_zero", "p_big_catch"]].apply(lambda p: p.between(0, 1)).all().all()
    stored = HurdleLogNormal.from_frame(table)  # every number of every row: the stored distribution's
    assert ((table.q50_kg == 0) == (table.p_zero >= 0.5)).all()
    np.testing.assert_allclose(table.mean_kg, stored.mean_kg())
    np.testing.assert_allclose(table.p_big_catch, stored.p_above(table.big_catch_threshold_kg))
    np.testing.assert_allclose(table[["q10_kg", "q50_kg", "q90_kg"]],
                               forecast_quantiles(table, [0.1, 0.5, 0.9]).to_numpy())
    asked = stored_quantiles(settings, issue_date, [0.05, 0.1, 0.9, 0.95])  # any level later, from the stored rows
    lead1 = table[table.lead_days == 1].sort_values(["site_id", "species"])
    np.testing.assert_allclose(asked[["q10_kg", "q90_kg"]], lead1[["q10_kg", "q90_kg"]])
    assert (asked.q05_kg <= asked.q10_kg).all() and (asked.q95_kg >= asked.q90_kg).all()
    assert (asked.q95_kg > asked.q90_kg).any()
    reasons = json.loads(table.explanation.iloc[0])
    assert len(reasons) == 3 and {"feature", "value", "effect_kg"} <= set(reasons[0])
    pd.testing.assert_frame_equal(table, forecast_day(settings, issue_date))
    with connect(settings.warehouse_path) as con:
        assert con.execute("SELECT count(*) FROM forecasts").fetchone()[0] == 3 * 4 * 7
        listed = list_models(con)
        searches = con.execute("SELECT species, count(*) AS trials, sum(chosen::INTEGER) AS chosen FROM tuning_trials "
                               "WHERE tuning_id = ? GROUP BY species", [first.model_version]).df()
        assert listed.serving.all() and set(listed.species) == {"common_squid", "firefly_squid", "sardine", "yellowtail"}
        with pytest.raises(ValueError, match="no model m0000 in the registry"):
            promote(con, "m0000")
    # the final fits' trial: the latest fold's rerun of the chosen trial of the earliest fold's search
    assert len(searches) == 4 and (searches.trials == 1).all() and (searches.chosen == 1).all()
    with connect(settings.warehouse_path, read_only=True) as con:  # the final fits searched nothing themselves ...
        trials = con.execute("SELECT tuning_id, species, trial, params, seasonal_start, crps_kg, rounds_catch, "
                             "rounds_positive FROM tuning_trials WHERE tuning_id LIKE ? ORDER BY ALL",
                             [f"{first.model_version}%"]).df()
    folds = trials[trials.tuning_id != first.model_version]
    earliest = folds[folds.tuning_id == folds.groupby("species").tuning_id.transform("min")]
    latest = folds[folds.tuning_id == folds.groupby("species").tuning_id.transform("max")]  # ... they took the latest
    final = trials[trials.tuning_id == first.model_version]  # fold's trial of each species
    # the earliest fold searched (2 sets x 2 starts); the latest reran its chosen trial only
    assert folds.tuning_id.nunique() == 2 and len(earliest) == 16 and len(latest) == len(final) == 4
    chosen = earliest.merge(trials_chosen(settings, first.model_version), on=["tuning_id", "species", "trial"])
    assert len(chosen) == 4
    pd.testing.assert_frame_equal(
        latest[["species", "trial", "params", "seasonal_start"]].sort_values("species").reset_index(drop=True),
        chosen[["species", "trial", "params", "seasonal_start"]].sort_values("species").reset_index(drop=True))
    pd.testing.assert_frame_equal(final.drop(columns="tuning_id").sort_values(["species", "trial"]).reset_index(drop=True),
                                  latest.drop(columns="tuning_id").sort_values(["species", "trial"]).reset_index(drop=True))
    assert run_backtest(settings).reused  # a backtest after the training reads the training's back


@pytest.mark.slow
def test_training_scores_and_serves_the_chance_that_each_net_operates(cut_world: Settings) -> None:
    """The small world's nets are never hauled on Sundays: the backtest scores the operation model on the catch
    folds, and the daily forecast stores a chance per net and day, low for a Sunday."""
    with connect(cut_world.warehouse_path, read_only=True) as con:
        scores = con.execute("SELECT lead_days, brier, brier_climatology, n FROM operation_evaluations "
                             "WHERE site_id = 'all' ORDER BY lead_days").df()
        bins = con.execute("SELECT sum(n) FROM operation_reliability").fetchone()[0]
    assert scores.lead_days.tolist() == list(range(1, 8)) and (scores.n > 0).all() and bins == scores.n.sum()
    # days off only on Sundays: the weekday rate is exact (Brier 0), and the model far better than a coin (0.25)
    assert (scores.brier_climatology == 0).all() and (scores.brier < 0.05).all()  # the base rate's: 0.12
    forecast = forecast_days(cut_world, [CUTOFF, CUTOFF + timedelta(days=3)])
    assert forecast.p_operate.between(0, 1).all()
    assert (forecast.groupby(["issue_date", "lead_days", "site_id"]).p_operate.nunique() == 1).all()  # one per net
    sunday = pd.to_datetime(forecast.target_date).dt.day_of_week == 6
    assert forecast.p_operate[sunday].max() < 0.5 < forecast.p_operate[~sunday].min()
