"""Models: time-ordered holdout against baselines, ordered quantiles, reproducible versions, idempotent forecasts."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from features.table import LABEL_COLUMN
from models import forecast_day, has_trained_models, train_models
from models.baselines import climatology_table
from models.evaluate import holdout_split, score_rows, skill
from setnet.settings import Settings
from setnet.warehouse import connect


def test_the_holdout_is_time_ordered() -> None:
    issue = pd.date_range("2024-01-01", periods=100, freq="D").repeat(2)
    table = pd.DataFrame({"issue_date": issue, "lead_days": [1, 7] * 100})
    table["target_date"] = table.issue_date + pd.to_timedelta(table.lead_days, unit="D")
    table[LABEL_COLUMN] = 1.0
    train, test, cutoff = holdout_split(table, holdout_days=30)
    assert train.target_date.max() < cutoff <= test.issue_date.min()


def test_skill_is_one_minus_the_error_ratio() -> None:
    assert skill(5.0, 10.0) == 0.5
    assert skill(10.0, 5.0) == -1.0


def test_scores_count_coverage_of_the_80_percent_interval() -> None:
    rows = pd.DataFrame({"species": "sardine", "lead_days": 1, "actual_kg": [1.0, 5.0, 9.0, 20.0],
                         "mean_kg": 5.0, "q10_kg": 2.0, "q90_kg": 10.0, "climatology_kg": 6.0, "persistence_kg": 1.0})
    scores = score_rows(rows).iloc[0]
    assert scores.coverage_80 == 0.5
    assert scores.mae_kg == pytest.approx((4 + 0 + 4 + 15) / 4)
    assert scores.mae_climatology_kg == pytest.approx((5 + 1 + 3 + 14) / 4)


def test_climatology_is_a_smoothed_mean_by_day_of_year_across_the_new_year() -> None:
    catches = pd.DataFrame({"date": [date(2023, 12, 31), date(2024, 1, 1)], "site_id": "a", "species": "sardine",
                            "catch_kg": [10.0, 30.0]})
    table = climatology_table(catches).set_index("day_of_year")
    assert table.loc[1, "climatology_kg"] == pytest.approx(20.0)
    assert table.loc[365, "climatology_kg"] == pytest.approx(20.0)
    assert np.isnan(table.loc[180, "climatology_kg"])


@pytest.mark.slow
def test_training_registers_models_and_forecasts_replace_their_day(small_world: Settings) -> None:
    assert not has_trained_models(small_world)
    first = train_models(small_world)
    again = train_models(small_world)
    assert first.model_version == again.model_version  # same data and seed, same version
    assert set(first.metrics.columns) >= {"mae_kg", "coverage_80", "skill_vs_climatology", "skill_vs_persistence"}
    issue_date = date(2024, 4, 29)
    table = forecast_day(small_world, issue_date)
    assert len(table) == 3 * 4 * 7
    assert (table.q10_kg <= table.q50_kg).all() and (table.q50_kg <= table.q90_kg).all()
    assert (table[["mean_kg", "q10_kg"]] >= 0).all().all()
    repeated = forecast_day(small_world, issue_date)
    pd.testing.assert_frame_equal(table, repeated)
    with connect(small_world.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM forecasts").fetchone()[0] == 3 * 4 * 7
        assert con.execute("SELECT count(DISTINCT species) FROM model_runs").fetchone()[0] == 4
        assert con.execute("SELECT count(*) FROM model_evaluations").fetchone()[0] == 4 * 7


def test_forecasting_without_a_model_says_what_to_do(small_world: Settings) -> None:
    with pytest.raises(ValueError, match="run `setnet train` first"):
        forecast_day(small_world, date(2024, 4, 29))
