"""The hurdle lognormal: one distribution whose mean, quantiles, zero chance, tail and CRPS agree with each other."""

import numpy as np
import pandas as pd
import pytest

from models.distribution import HurdleLogNormal, forecast_quantiles, quantile_column


def some_distributions(n: int = 200, seed: int = 3) -> HurdleLogNormal:
    rng = np.random.default_rng(seed)
    p_zero = np.concatenate([rng.uniform(0, 1, n - 4), [0.0, 0.5, 0.9999, 1.0]])
    return HurdleLogNormal.of(p_zero, rng.normal(4, 1.5, n), rng.uniform(0.2, 1.5, n))


def draws(distribution: HurdleLogNormal, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, rows) catches drawn from each row's distribution."""
    shape = (n, distribution.p_zero.size)
    empty = rng.random(shape) < distribution.p_zero
    positive = np.exp(distribution.positive_log_mean + distribution.positive_log_sd * rng.standard_normal(shape))
    return np.where(empty, 0.0, positive)


def test_quantiles_are_ordered_and_the_median_is_zero_exactly_when_an_empty_net_is_as_likely_as_not() -> None:
    distribution = some_distributions()
    q10, q50, q90 = (distribution.quantile_kg(level) for level in (0.1, 0.5, 0.9))
    assert (q10 <= q50).all() and (q50 <= q90).all() and (q10 >= 0).all()
    np.testing.assert_array_equal(q50 == 0, distribution.p_zero >= 0.5)
    np.testing.assert_array_equal(q10 == 0, distribution.p_zero >= 0.1)


def test_mean_quantiles_and_tail_match_draws_from_the_distribution() -> None:
    rng = np.random.default_rng(0)
    distribution = HurdleLogNormal.of([0.3, 0.0, 0.8, 0.55], [3.0, 5.0, 1.0, 4.0], [0.8, 0.5, 1.2, 0.3])
    sample = draws(distribution, 200_000, rng)
    np.testing.assert_allclose(distribution.mean_kg(), sample.mean(axis=0), rtol=0.02)
    for level in (0.1, 0.5, 0.75, 0.9):
        np.testing.assert_allclose(distribution.quantile_kg(level), np.quantile(sample, level, axis=0), rtol=0.02,
                                   atol=1e-9)
    threshold = np.array([50.0, 100.0, 1.0, 60.0])
    np.testing.assert_allclose(distribution.p_above(threshold), (sample > threshold).mean(axis=0), atol=0.005)
    np.testing.assert_allclose(distribution.cdf(0.0), distribution.p_zero)


def test_the_chance_of_a_big_catch_is_the_tail_beyond_the_threshold() -> None:
    distribution = some_distributions()
    threshold = np.full(distribution.p_zero.shape, 80.0)
    np.testing.assert_allclose(distribution.p_above(threshold), 1 - distribution.cdf(threshold))
    assert (distribution.p_above(threshold) <= distribution.p_catch + 1e-12).all()
    assert (distribution.p_above(np.full(threshold.shape, np.nan)) == 0).all()  # a net without a threshold


@pytest.mark.parametrize("actual_kg", [0.0, 3.0, 40.0, 900.0])
def test_crps_equals_the_integral_of_the_squared_distance_between_forecast_and_outcome(actual_kg: float) -> None:
    distribution = HurdleLogNormal.of([0.0, 0.35, 0.9], [3.0, 3.5, 2.0], [0.6, 1.0, 0.9])
    grid = np.concatenate([[0.0], np.geomspace(1e-4, 1e6, 400_000)])
    cdf = distribution.cdf(grid[:, None])  # (x, rows)
    step = (cdf - (grid[:, None] >= actual_kg)) ** 2
    integral = np.sum(0.5 * (step[1:] + step[:-1]) * np.diff(grid)[:, None], axis=0)
    np.testing.assert_allclose(distribution.crps_kg(np.full(3, actual_kg)), integral, rtol=2e-3, atol=1e-3)


def test_crps_prefers_the_true_distribution_to_a_miscalibrated_one() -> None:
    rng = np.random.default_rng(1)
    truth = HurdleLogNormal.of(np.full(20_000, 0.4), np.full(20_000, 3.0), np.full(20_000, 0.8))
    actual = draws(truth, 1, rng)[0]
    too_sure = HurdleLogNormal.of(truth.p_zero, truth.positive_log_mean, truth.positive_log_sd / 4)
    never_empty = HurdleLogNormal.of(np.zeros(20_000), truth.positive_log_mean, truth.positive_log_sd)
    assert truth.crps_kg(actual).mean() < too_sure.crps_kg(actual).mean()
    assert truth.crps_kg(actual).mean() < never_empty.crps_kg(actual).mean()


def test_the_randomised_pit_of_a_calibrated_forecast_is_uniform() -> None:
    rng = np.random.default_rng(2)
    truth = HurdleLogNormal.of(rng.uniform(0, 0.9, 50_000), rng.normal(3, 1, 50_000), np.full(50_000, 0.7))
    pit = truth.randomised_pit(draws(truth, 1, rng)[0], rng)
    assert abs(np.mean((pit >= 0.1) & (pit <= 0.9)) - 0.8) < 0.01
    assert abs(np.mean(pit < 0.5) - 0.5) < 0.01


def test_any_quantile_can_be_asked_of_stored_forecasts_without_the_model() -> None:
    rows = pd.DataFrame({"p_zero": [0.2, 0.7], "positive_log_mean": [4.0, 2.0], "positive_log_sd": [0.5, 0.5]},
                        index=[10, 11])
    table = forecast_quantiles(rows, [0.05, 0.5, 0.95])
    assert list(table.columns) == ["q05_kg", "q50_kg", "q95_kg"] and list(table.index) == [10, 11]
    assert table.q05_kg.tolist() == [0.0, 0.0] and table.q50_kg.iloc[1] == 0.0
    assert table.q95_kg.iloc[0] == pytest.approx(np.exp(4.0 + 0.5 * 1.5341206), rel=1e-6)  # z of (0.95 - 0.2) / 0.8
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        forecast_quantiles(rows, [0.5, 1.0])
    assert quantile_column(0.975) == "q97.5_kg" and quantile_column(0.1) == "q10_kg"
