"""Scores: MAE, pinball, interval coverage, big-catch hits and skill against baselines, on the same rows."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.backtest import backtest_origins
from models.baselines import climatology_median_table, climatology_table
from models.evaluate import pinball_loss, score_rows, skill
from setnet.settings import Settings


def test_skill_is_one_minus_the_error_ratio() -> None:
    assert skill(5.0, 10.0) == 0.5
    assert skill(10.0, 5.0) == -1.0


def test_pinball_loss_weights_misses_by_the_quantile_level() -> None:
    assert pinball_loss(np.array([10.0]), np.array([0.0]), 0.9) == pytest.approx(9.0)
    assert pinball_loss(np.array([0.0]), np.array([10.0]), 0.9) == pytest.approx(1.0)


def test_scores_count_coverage_big_catches_and_baseline_errors() -> None:
    rows = pd.DataFrame({"species": "sardine", "lead_days": 1, "actual_kg": [1.0, 5.0, 9.0, 20.0],
                         "mean_kg": 5.0, "q10_kg": 2.0, "q50_kg": 5.0, "q90_kg": 10.0, "climatology_median_kg": 6.0,
                         "persistence_kg": 1.0, "seasonal_naive_kg": 5.0, "big_catch_threshold_kg": 15.0,
                         "p_big_catch": [0.1, 0.6, 0.1, 0.7]})
    scores = score_rows(rows, alert_probability=0.5).iloc[0]
    assert scores.coverage_80 == 0.5
    assert scores.mae_kg == pytest.approx((4 + 0 + 4 + 15) / 4)
    assert scores.mae_climatology_kg == pytest.approx((5 + 1 + 3 + 14) / 4)
    assert scores.skill_vs_seasonal_naive == pytest.approx(1 - 23 / 4 / ((4 + 0 + 4 + 15) / 4))
    assert scores.big_catch_hit_rate == 1.0  # the one day above 15 kg had an alert
    assert scores.big_catch_false_alarm_rate == pytest.approx(1 / 3)


def test_climatology_is_a_smoothed_mean_by_day_of_year_across_the_new_year() -> None:
    catches = pd.DataFrame({"date": [date(2023, 12, 31), date(2024, 1, 1)], "site_id": "a", "species": "sardine",
                            "catch_kg": [10.0, 30.0]})
    table = climatology_table(catches).set_index("day_of_year")
    assert table.loc[1, "climatology_kg"] == pytest.approx(20.0)
    assert table.loc[365, "climatology_kg"] == pytest.approx(20.0)
    assert np.isnan(table.loc[180, "climatology_kg"])


def test_backtest_origins_leave_a_year_of_history_then_step_by_the_fold() -> None:
    settings = Settings(models={"backtest_min_train_days": 365, "backtest_fold_days": 365})
    origins = backtest_origins(pd.Timestamp("2022-12-01"), pd.Timestamp("2025-11-30"), settings)
    assert origins == [pd.Timestamp("2023-12-01"), pd.Timestamp("2024-11-30")]
    with pytest.raises(ValueError, match="nothing to backtest"):
        backtest_origins(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-01"), settings)


def test_the_median_climatology_is_robust_to_one_huge_catch() -> None:
    days = pd.date_range("2024-06-01", periods=5, freq="D")
    catches = pd.DataFrame({"date": days.date, "site_id": "a", "species": "sardine",
                            "catch_kg": [10.0, 12.0, 11.0, 5000.0, 9.0]})
    median = climatology_median_table(catches).set_index("day_of_year").climatology_median_kg
    mean = climatology_table(catches).set_index("day_of_year").climatology_kg
    june_3 = days[2].day_of_year
    assert median.loc[june_3] == pytest.approx(11.0)
    assert mean.loc[june_3] > 1000


def test_tuning_candidates_start_from_the_current_parameters_and_are_distinct_and_seeded() -> None:
    from models.tuning import SEARCH_SPACE, candidate_params

    candidates = candidate_params(6, seed=1)
    assert candidates[0] == {} and len(candidates) == 6
    assert len({tuple(sorted(c.items())) for c in candidates}) == 6
    assert all(c[name] in SEARCH_SPACE[name] for c in candidates[1:] for name in c)
    assert candidate_params(6, seed=1) == candidates


def test_overrides_replace_the_default_booster_parameters() -> None:
    from models.lightgbm_model import lightgbm_params

    assert lightgbm_params(Settings(models={"lightgbm_overrides": {"num_leaves": 31}}))["num_leaves"] == 31
    assert lightgbm_params(Settings())["num_leaves"] == 15
