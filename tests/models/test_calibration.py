"""Interval calibration on zero-inflated catches: coverage fair to empty nets, and the widening that reaches 80 %."""

import numpy as np
import pytest
from scipy.special import ndtri

from models.calibration import calibrated_widening, interval_bounds, pit_coverage


def zero_inflated(rng: np.random.Generator, n: int, p_zero: float, mu: float = 4.0, sigma: float = 1.0):
    """n catches with an empty net at chance p_zero, else lognormal(mu, sigma); and their true q10, q90."""
    catches = np.where(rng.random(n) < p_zero, 0.0, rng.lognormal(mu, sigma, n))

    def quantile(level: float) -> float:
        return 0.0 if p_zero >= level else float(np.exp(mu + sigma * ndtri((level - p_zero) / (1 - p_zero))))

    return catches, np.full(n, quantile(0.1)), np.full(n, quantile(0.9))


@pytest.mark.parametrize("p_zero", [0.0, 0.3, 0.7])
def test_the_true_quantiles_of_a_zero_inflated_catch_score_80_percent(p_zero: float) -> None:
    catches, q10, q90 = zero_inflated(np.random.default_rng(1), 20_000, p_zero)
    assert pit_coverage(catches, q10, q90, np.full(len(catches), p_zero)) == pytest.approx(0.8, abs=0.01)


def test_plain_counting_overstates_the_coverage_of_the_true_quantiles_when_nets_are_often_empty() -> None:
    catches, q10, q90 = zero_inflated(np.random.default_rng(2), 20_000, 0.7)
    plain = np.mean((catches >= q10) & (catches <= q90))
    assert plain == pytest.approx(0.9, abs=0.01)  # every empty net is "inside" [0, q90]


def test_an_interval_that_claims_empty_nets_are_rare_gets_no_credit_for_them() -> None:
    catches = np.zeros(10)
    assert pit_coverage(catches, np.full(10, 5.0), np.full(10, 50.0), np.full(10, 0.5)) == 0.0
    assert pit_coverage(catches, np.zeros(10), np.full(10, 50.0), np.full(10, 0.05)) == 0.0


def test_a_zero_lower_bound_stays_zero_and_bounds_never_go_negative() -> None:
    lower, upper = interval_bounds(np.array([0.0, 10.0]), np.array([0.0, 100.0]), -0.5)
    assert lower[0] == 0.0 and upper[0] == 0.0
    assert 10.0 < lower[1] < upper[1] < 100.0
    lower, upper = interval_bounds(np.array([0.0, 10.0]), np.array([0.0, 100.0]), 0.5)
    assert lower[0] == 0.0 and lower[1] < 10.0 and upper[1] > 100.0


@pytest.mark.parametrize("q10_kg, q90_kg", [(50.0, 60.0), (1.0, 5000.0)], ids=["too narrow", "too wide"])
def test_the_calibrated_widening_brings_coverage_to_80_percent(q10_kg: float, q90_kg: float) -> None:
    rng = np.random.default_rng(0)
    catches, _, _ = zero_inflated(rng, 4000, 0.0)
    q10, q90 = np.full_like(catches, q10_kg), np.full_like(catches, q90_kg)
    p_zero = np.zeros_like(catches)
    widening = calibrated_widening(q10, q90, p_zero, catches)
    assert (widening > 0) == (q10_kg == 50.0)
    assert pit_coverage(catches, *interval_bounds(q10, q90, widening), p_zero) == pytest.approx(0.8, abs=0.01)


def test_the_widening_of_well_calibrated_zero_inflated_intervals_is_close_to_none() -> None:
    catches, q10, q90 = zero_inflated(np.random.default_rng(3), 20_000, 0.4)
    widening = calibrated_widening(q10, q90, np.full(len(catches), 0.4), catches)
    assert abs(widening) < 0.05


def test_the_model_interval_starts_at_zero_wherever_an_empty_net_has_at_least_a_10_percent_chance() -> None:
    from models.lightgbm_model import interval_quantiles

    raw = {"q10": np.array([5.0, 5.0, -1.0]), "q50": np.array([20.0, 3.0, 2.0]), "q90": np.array([50.0, 1.0, 9.0]),
           "zero": np.array([0.05, 0.2, 0.5])}
    q10, q50, q90 = interval_quantiles(raw, 0.0)
    assert list(q10) == [5.0, 0.0, 0.0]  # the classifier decides whether 0 is in the interval
    assert list(q50) == pytest.approx([20.0, 3.0, 2.0]) and list(q90) == pytest.approx([50.0, 5.0, 9.0])  # sorted, >= 0


def test_every_training_row_gets_one_held_out_interval_and_short_histories_get_none() -> None:
    import pandas as pd

    from models.lightgbm_model import SpeciesModel, out_of_fold_intervals
    from setnet.settings import Settings

    rng = np.random.default_rng(4)
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    rows = pd.DataFrame({"target_date": np.repeat(days, 5), "site_id": np.tile(list("abcde"), len(days))})
    rows["signal"] = rng.normal(size=len(rows))
    rows["catch_kg"] = np.where(rng.random(len(rows)) < 0.3, 0.0, np.exp(3 + rows.signal + rng.normal(size=len(rows))))
    model = SpeciesModel("sardine", ["site_id", "signal"], list("abcde"))
    settings = Settings(models={"lightgbm_rounds": 10, "calibration_folds": 3})

    q10, q90, p_zero, actual_kg = out_of_fold_intervals(model, rows, settings)
    assert len(actual_kg) == len(rows) and sorted(actual_kg) == sorted(rows.catch_kg)
    assert (q10 <= q90).all() and ((p_zero > 0) & (p_zero < 1)).all()
    short = rows[rows.target_date < days[80]]
    assert out_of_fold_intervals(model, short, settings) is None  # three blocks would be under 30 days each
    assert out_of_fold_intervals(model, short, settings.updated(models={"calibration_folds": 2})) is not None


def test_the_pit_share_of_each_row_is_the_chance_its_randomised_pit_lands_in_the_range() -> None:
    from models.calibration import pit_inside_share
    from models.distribution import HurdleLogNormal

    rng = np.random.default_rng(5)
    n = 20_000
    forecast = HurdleLogNormal.of(rng.uniform(0.0, 0.95, n), rng.normal(3.0, 1.0, n), rng.uniform(0.3, 1.2, n))
    empty = rng.random(n) < forecast.p_zero
    catches = np.where(empty, 0.0, np.exp(forecast.positive_log_mean + forecast.positive_log_sd * rng.standard_normal(n)))
    share = pit_inside_share(catches, forecast.quantile_kg(0.1), forecast.quantile_kg(0.9), forecast.p_zero)
    pit = forecast.randomised_pit(catches, rng)
    assert share.mean() == pytest.approx(np.mean((pit >= 0.1) & (pit <= 0.9)), abs=0.01)
    assert share.mean() == pytest.approx(0.8, abs=0.01)  # the true distribution, per row different
    assert set(np.unique(share[catches > 0])) <= {0.0, 1.0}  # a catch is inside or not
