"""Interval calibration on zero-inflated catches: coverage fair to empty nets, and the widening that reaches 80 %."""

import numpy as np
import pytest
from scipy.special import ndtri

from models.calibration import pit_coverage


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
