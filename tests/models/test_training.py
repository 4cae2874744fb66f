"""Training: registered, reproducible, promoted only when better; forecasts carry intervals, probabilities, reasons."""

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from models import (
    forecast_day,
    has_trained_models,
    list_models,
    promote,
    run_backtest,
    stored_quantiles,
    train_models,
)
from models.distribution import HurdleLogNormal, forecast_quantiles
from setnet.settings import Settings
from setnet.warehouse import connect


@pytest.fixture
def trainable(small_world: Settings) -> Settings:
    """The small world with a backtest short enough for its 60 days."""
    return small_world.updated(models={"backtest_min_train_days": 60, "backtest_fold_days": 20, "tuning_trials": 2})


def test_forecasting_without_a_model_says_what_to_do(small_world: Settings) -> None:
    with pytest.raises(ValueError, match="run `setnet train` first"):
        forecast_day(small_world, date(2024, 4, 29))


@pytest.mark.slow
def test_a_backtest_stores_every_forecast_and_its_metrics(trainable: Settings) -> None:
    result = run_backtest(trainable.updated(models={"backtest_min_train_days": 30}), species=["sardine"])
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


@pytest.mark.slow
def test_training_registers_promotes_and_forecasts_reproducibly(trainable: Settings) -> None:
    settings = trainable.updated(models={"backtest_min_train_days": 30})
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
    assert len(searches) == 4 and (searches.trials == 4).all() and (searches.chosen == 1).all()  # 2 sets x 2 starts
