"""The ocean state known on a day: trailing windows, anomalies against the years before, swift currents."""

import numpy as np
import pandas as pd
import pytest

from features.ocean import OCEAN_COLUMNS
from features.ocean_state import (
    daily_signals,
    forward_fill,
    ocean_reference,
    ocean_state_arrays,
    reference_year,
    trailing_max,
    trailing_mean,
    trailing_trend,
)

SITES = pd.DataFrame({"site_id": ["a", "b"], "bearing_deg": [0.0, 90.0]})


def seasonal_cube(dates: pd.DatetimeIndex, seed: int = 0, noise: float = 0.0) -> np.ndarray:
    """(date, site, OCEAN_COLUMNS) with a pure seasonal temperature and random currents."""
    rng = np.random.default_rng(seed)
    cube = rng.normal(0.2, 0.1, (len(dates), 2, len(OCEAN_COLUMNS)))
    season = 15 + 8 * np.sin(2 * np.pi * dates.day_of_year.to_numpy() / 365.25)
    for k, column in enumerate(OCEAN_COLUMNS):
        if column.startswith("temp_"):
            cube[:, :, k] = season[:, None] + rng.normal(0, noise, (len(dates), 2))
    return cube


def state(cube: np.ndarray, dates: pd.DatetimeIndex, climatology_end=None, max_age_days: int = 2):
    signals = daily_signals(cube, dates, SITES)
    reference = ocean_reference(signals, np.unique(reference_year(dates, climatology_end)), dates[0], climatology_end,
                                90.0)
    columns, values, ocean_date, age = ocean_state_arrays(signals, max_age_days, reference, climatology_end)
    return {c: pd.DataFrame(values[:, :, k], index=dates, columns=["a", "b"]) for k, c in enumerate(columns)}, \
        ocean_date, age


def test_trailing_operators_match_pandas_and_numpy_definitions() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(60, 4))
    values[rng.random(values.shape) < 0.2] = np.nan
    frame = pd.DataFrame(values)
    np.testing.assert_allclose(trailing_mean(values, 7), frame.rolling(7, min_periods=1).mean(), rtol=1e-12)
    np.testing.assert_allclose(trailing_max(values, 3), frame.rolling(3, min_periods=1).max(), rtol=0)
    np.testing.assert_allclose(forward_fill(values, 2), frame.ffill(limit=2), rtol=0)
    complete = rng.normal(size=(40, 2)).cumsum(axis=0)
    slope = np.polyfit(np.arange(30), complete[10:40, 1], 1)[0]
    assert trailing_trend(complete, 30)[39, 1] == pytest.approx(slope, rel=1e-9)
    assert np.isnan(trailing_trend(values, 7)).sum() > np.isnan(values).sum()  # a gap voids the whole window


def test_the_reference_of_a_day_is_the_complete_years_before_its_year() -> None:
    assert list(reference_year(pd.DatetimeIndex(["2024-01-01", "2024-12-31", "2025-03-01"]), None)) == [2023, 2023, 2024]
    capped = reference_year(pd.DatetimeIndex(["2024-06-01", "2026-06-01"]), pd.Timestamp("2023-09-30"))
    assert list(capped) == [2023, 2023]  # never past climatology_end


def test_anomalies_are_missing_in_the_first_year_and_remove_the_season_afterwards() -> None:
    dates = pd.date_range("2021-01-01", "2023-12-31", freq="D")
    columns, _, _ = state(seasonal_cube(dates), dates)
    anomaly = columns["temp_surface_anom_c"]["a"]
    assert anomaly.loc["2021"].isna().all()  # no complete year before 2021
    assert anomaly.loc["2022":].abs().max() < 0.3  # +-15-day smoothing of a pure season leaves little
    assert columns["temp_surface_c"]["a"].loc["2022":].std() > 5


def test_an_anomaly_is_not_changed_by_anything_after_its_day() -> None:
    dates = pd.date_range("2021-01-01", "2023-12-31", freq="D")
    cube = seasonal_cube(dates, noise=0.5)
    cut = dates.get_loc(pd.Timestamp("2022-08-15"))
    changed = cube.copy()
    changed[cut + 1:] = changed[cut + 1:] * 3 + 7
    original, _, _ = state(cube, dates)
    modified, _, _ = state(changed, dates)
    for column in ("temp_surface_anom_c", "current_speed_threshold_ms", "swift_current", "temp_50m_c_trend_30d"):
        pd.testing.assert_frame_equal(original[column].iloc[: cut + 1], modified[column].iloc[: cut + 1])
        assert not original[column].iloc[cut + 1:].equals(modified[column].iloc[cut + 1:])


def test_a_climatology_end_keeps_later_years_out_of_the_reference() -> None:
    dates = pd.date_range("2021-01-01", "2023-12-31", freq="D")
    cube = seasonal_cube(dates, noise=0.5)
    end = pd.Timestamp("2021-12-31")
    changed = cube.copy()
    changed[dates > end] += 2.0  # a warmer 2022-2023 must show as a +2 C anomaly against 2021
    columns, _, _ = state(changed, dates, climatology_end=end)
    assert columns["temp_surface_anom_c"]["a"].loc["2023"].mean() == pytest.approx(2.0, abs=0.2)


def test_swift_current_is_speed_above_the_sites_percentile_of_earlier_years() -> None:
    dates = pd.date_range("2022-01-01", "2023-12-31", freq="D")
    cube = seasonal_cube(dates)
    east = OCEAN_COLUMNS.index("current_east_ms")
    north = OCEAN_COLUMNS.index("current_north_ms")
    cube[:, :, north] = 0.0
    cube[:, :, east] = np.tile(np.linspace(0.0, 1.0, 365)[:, None], (3, 2))[: len(dates)]
    columns, _, _ = state(cube, dates)
    threshold = columns["current_speed_threshold_ms"]["a"].loc["2023-06-01"]
    assert threshold == pytest.approx(0.9, abs=0.01)  # the 90th percentile of 2022's speeds
    swift = columns["swift_current"]["a"].loc["2023"]
    speed = columns["current_speed_ms"]["a"].loc["2023"]
    assert ((speed > threshold) == (swift == 1)).all()
    assert columns["current_speed_jump_ms"]["a"].loc["2023-06-02"] == pytest.approx(1 / 364, rel=1e-3)
    assert columns["swift_current_days_7d"]["a"].loc["2023-12-31"] == 7


def test_currents_along_and_across_follow_each_nets_bearing() -> None:
    dates = pd.date_range("2024-01-01", periods=3, freq="D")
    cube = seasonal_cube(dates)
    cube[:, :, OCEAN_COLUMNS.index("current_east_ms")] = 0.3
    cube[:, :, OCEAN_COLUMNS.index("current_north_ms")] = 0.1
    columns, _, _ = state(cube, dates)
    # site a points north (0 deg), site b east (90 deg); across is 90 degrees clockwise of along
    assert columns["current_along_ms"].iloc[0].tolist() == pytest.approx([0.1, 0.3])
    assert columns["current_across_ms"].iloc[0].tolist() == pytest.approx([0.3, -0.1])
    assert columns["current_speed_ms"].iloc[0, 0] == pytest.approx(np.hypot(0.3, 0.1))


def test_a_missing_grid_day_carries_the_last_one_within_the_age_limit() -> None:
    dates = pd.date_range("2024-01-01", periods=10, freq="D")
    cube = seasonal_cube(dates)
    cube[5:] = np.nan
    columns, ocean_date, age = state(cube, dates, max_age_days=2)
    assert list(age[4:7]) == [0, 1, 2] and np.isnan(age[7:]).all()
    assert ocean_date[6] == dates[4] and np.isnat(ocean_date[7])
    assert columns["temp_surface_c"]["a"].iloc[6] == columns["temp_surface_c"]["a"].iloc[4]
    assert np.isnan(columns["temp_surface_c"]["a"].iloc[7])
