"""Scores: MAE, pinball, interval coverage, big-catch hits and skill against baselines, on the same rows."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.backtest import backtest_origins
from models.baselines import climatology_median_table, climatology_members, climatology_table
from models.distribution import HurdleLogNormal
from models.evaluate import (
    EVALUATION_METRICS,
    add_scores,
    baseline_columns,
    climatology_crps_kg,
    ensemble_crps_kg,
    pinball_loss,
    reliability_table,
    score_rows,
    skill,
)
from setnet.settings import Settings
from setnet.warehouse import POOLED_SITE_ID, connect, table_columns


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


def test_the_mean_error_of_the_expected_catch_is_scored_apart_from_the_medians() -> None:
    rows = pd.DataFrame({"species": "sardine", "lead_days": 1, "actual_kg": [0.0, 0.0, 30.0],
                         "mean_kg": [6.0, 4.0, 20.0], "q10_kg": 0.0, "q50_kg": [0.0, 0.0, 12.0], "q90_kg": 40.0})
    scores = score_rows(rows, alert_probability=0.5).iloc[0]
    assert scores.mae_mean_kg == pytest.approx((6 + 4 + 10) / 3)  # what a report showing the mean is off by
    assert scores.mae_kg == pytest.approx((0 + 0 + 18) / 3)  # the median's, a different number


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


def pairwise_crps(members: np.ndarray, actual_kg: float) -> float:
    """CRPS of an empirical distribution by its definition: E|X - y| - E|X - X'| / 2 over every pair."""
    return float(np.mean(np.abs(members - actual_kg))
                 - 0.5 * np.mean(np.abs(members[:, None] - members[None, :])))


def test_the_ensemble_crps_equals_the_pairwise_definition_and_an_empty_ensemble_forecasts_zero() -> None:
    members = {0: np.array([0.0, 0.0, 3.0, 10.0, 10.0]), 1: np.array([7.5]), 2: np.array([0.0, 2.0, 40.0, 1.0])}
    member_group = np.concatenate([np.full(len(v), g) for g, v in members.items()])
    member_kg = np.concatenate(list(members.values()))
    query_group = np.array([0, 0, 0, 1, 2, 2, 3])  # group 3 has no members
    actual_kg = np.array([0.0, 10.0, 4.2, 2.0, 40.0, 100.0, 6.0])
    expected = [pairwise_crps(members[g], y) if g in members else y for g, y in zip(query_group, actual_kg, strict=True)]
    shuffled = np.random.default_rng(0).permutation(len(member_kg))  # the members' order does not matter
    got = ensemble_crps_kg(member_group[shuffled], member_kg[shuffled], query_group, actual_kg)
    assert got == pytest.approx(expected, abs=1e-12)
    assert got[3] == pytest.approx(5.5)  # one member: a point forecast, scored by its absolute error


def test_climatology_is_scored_as_the_distribution_of_the_nets_catches_within_15_days_of_the_day_of_year() -> None:
    days = pd.date_range("2023-05-20", "2023-07-10", freq="D")
    rng = np.random.default_rng(1)
    catches = pd.DataFrame({"date": np.tile(days.date, 2), "site_id": np.repeat(["a", "b"], len(days)),
                            "species": "sardine", "catch_kg": np.where(rng.random(2 * len(days)) < 0.4, 0.0,
                                                                      rng.lognormal(3, 1, 2 * len(days)))})
    rows = pd.DataFrame({"site_id": ["a", "b", "a"], "species": "sardine", "actual_kg": [12.0, 0.0, 30.0],
                         "target_date": pd.to_datetime(["2024-06-15", "2024-06-15", "2024-06-01"])})
    crps = climatology_crps_kg(catches, rows)
    for row, score in zip(rows.itertuples(), crps, strict=True):
        target_day = row.target_date.day_of_year
        offset = (pd.to_datetime(catches.date).dt.day_of_year - target_day + 183) % 366 - 183  # circular distance
        window = catches[(catches.site_id == row.site_id) & (offset.abs() <= 15)].catch_kg.to_numpy()
        assert score == pytest.approx(pairwise_crps(window, row.actual_kg), rel=1e-9)
    # the ensemble is the climatology: its mean is climatology_kg
    members = climatology_members(catches).groupby(["site_id", "species", "day_of_year"]).catch_kg.mean()
    table = climatology_table(catches).set_index(["site_id", "species", "day_of_year"]).climatology_kg
    assert members.to_numpy() == pytest.approx(table.loc[members.index].to_numpy())


def test_persistence_is_a_point_forecast_whose_crps_is_its_absolute_error() -> None:
    catches = pd.DataFrame({"date": [date(2024, 6, 1)], "site_id": "a", "species": "sardine", "catch_kg": [5.0]})
    rows = pd.DataFrame({"site_id": "a", "species": "sardine", "target_date": pd.to_datetime(["2024-06-10"] * 2),
                         "catch_last_kg": [8.0, np.nan], "catch_last_year_kg": np.nan, "actual_kg": [2.0, 1.0]})
    scored = baseline_columns(catches, rows)
    assert list(scored.crps_persistence_kg) == [6.0, 4.0]  # no last catch: climatology's 5 kg stands in
    assert list(scored.crps_climatology_kg) == [3.0, 4.0]  # a one-member ensemble is a point forecast too


def hurdle_rows(rng: np.random.Generator, n: int, sites: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    """n rows whose catch is drawn from a known hurdle lognormal, with that distribution as the forecast."""
    truth = HurdleLogNormal.of(rng.uniform(0.05, 0.9, n), rng.normal(3.0, 1.0, n), 0.8)
    empty = rng.random(n) < truth.p_zero
    actual = np.where(empty, 0.0, np.exp(truth.positive_log_mean + truth.positive_log_sd * rng.standard_normal(n)))
    return pd.DataFrame({"site_id": np.resize(np.array(sites), n), "species": "sardine", "lead_days": 1,
                         "actual_kg": actual, "p_zero": truth.p_zero, "positive_log_mean": truth.positive_log_mean,
                         "positive_log_sd": truth.positive_log_sd})


def forecast_of(rows: pd.DataFrame, p_zero_factor: float = 1.0, sd_factor: float = 1.0) -> pd.DataFrame:
    """The rows with their forecast's numbers read off its (possibly miscalibrated) distribution, and its CRPS."""
    distribution = HurdleLogNormal.of(rows.p_zero * p_zero_factor, rows.positive_log_mean,
                                      rows.positive_log_sd * sd_factor)
    forecast = rows.assign(p_zero=distribution.p_zero, positive_log_sd=distribution.positive_log_sd,
                           mean_kg=distribution.mean_kg(), q10_kg=distribution.quantile_kg(0.1),
                           q50_kg=distribution.quantile_kg(0.5), q90_kg=distribution.quantile_kg(0.9))
    return add_scores(forecast)


def test_the_true_distribution_covers_80_percent_and_beats_miscalibrated_ones_in_crps_and_brier() -> None:
    rows = hurdle_rows(np.random.default_rng(2), 4000)
    true = score_rows(forecast_of(rows), 0.5).iloc[0]
    overconfident = score_rows(forecast_of(rows, sd_factor=0.4), 0.5).iloc[0]
    too_hopeful = score_rows(forecast_of(rows, p_zero_factor=0.4), 0.5).iloc[0]
    assert true.coverage_80_pit == pytest.approx(0.8, abs=0.02)
    assert true.coverage_80 > 0.85  # plain counting flatters even the truth
    assert true.coverage_80_caught == pytest.approx(true.coverage_80_caught_expected, abs=0.03)
    assert overconfident.coverage_80_pit < 0.75 and too_hopeful.coverage_80_pit < 0.75  # outside the target band
    assert true.crps_kg < overconfident.crps_kg and true.crps_kg < too_hopeful.crps_kg
    assert true.brier_zero < too_hopeful.brier_zero


def test_crpss_is_above_zero_when_the_model_beats_the_baseline_and_below_when_it_loses() -> None:
    rows = pd.DataFrame({"species": "sardine", "lead_days": 1, "actual_kg": [0.0, 10.0], "q10_kg": 0.0,
                         "q50_kg": 5.0, "q90_kg": 20.0, "mean_kg": 6.0, "crps_kg": [1.0, 3.0],
                         "crps_climatology_kg": [2.0, 6.0], "crps_persistence_kg": [1.0, 1.0]})
    scores = score_rows(rows, 0.5).iloc[0]
    assert scores.crps_kg == 2.0
    assert scores.crpss_climatology == pytest.approx(0.5)  # half climatology's CRPS
    assert scores.crpss_persistence == pytest.approx(-1.0)  # twice persistence's


def test_the_brier_score_of_the_empty_net_chance_is_its_mean_squared_error() -> None:
    rows = pd.DataFrame({"species": "sardine", "lead_days": 1, "actual_kg": [0.0, 0.0, 7.0], "p_zero": [0.9, 0.5, 0.2],
                         "q10_kg": 0.0, "q50_kg": 0.0, "q90_kg": 9.0, "mean_kg": 1.0})
    assert score_rows(rows, 0.5).iloc[0].brier_zero == pytest.approx((0.01 + 0.25 + 0.04) / 3)


def test_scores_come_pooled_over_the_nets_and_per_net() -> None:
    rows = forecast_of(hurdle_rows(np.random.default_rng(3), 300, sites=("a", "b", "c"))).assign(
        lead_days=np.resize([1, 2], 300))
    scores = score_rows(rows, 0.5)
    assert list(scores.columns) == ["site_id", "species", "lead_days", *EVALUATION_METRICS]
    overall = scores[scores.site_id == POOLED_SITE_ID]
    nets = scores[scores.site_id != POOLED_SITE_ID]
    assert list(overall.lead_days) == [1, 2] and scores.index[:2].tolist() == overall.index.tolist()  # pooled first
    assert sorted(zip(nets.site_id, nets.lead_days, strict=True)) == [(s, lead) for s in "abc" for lead in (1, 2)]
    assert nets.n_rows.sum() == overall.n_rows.sum() == 300
    net_a = rows[(rows.site_id == "a") & (rows.lead_days == 1)]
    assert nets.set_index(["site_id", "lead_days"]).loc[("a", 1), "crps_kg"] == pytest.approx(net_a.crps_kg.mean())


def test_every_metric_scored_has_a_column_in_model_evaluations(tmp_path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        assert {"site_id", "species", "lead_days", *EVALUATION_METRICS} <= table_columns(con, "model_evaluations")


def test_the_reliability_table_bins_the_empty_net_chance_against_the_observed_share() -> None:
    rows = forecast_of(hurdle_rows(np.random.default_rng(4), 5000))
    table = reliability_table(rows, bins=5)
    assert list(table.p_zero_from) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
    assert table.n_rows.sum() == 5000
    assert ((table.p_zero_predicted >= table.p_zero_from) & (table.p_zero_predicted < table.p_zero_to)).all()
    assert table.empty_share_observed.to_numpy() == pytest.approx(table.p_zero_predicted.to_numpy(), abs=0.05)
