"""The feature table: leakage-safe by construction, the same rows for the daily run as for the full build."""

import numpy as np
import pandas as pd
import pytest

from features import KEY_COLUMNS, build_feature_table, build_features, feature_columns
from features.ocean import OCEAN_COLUMNS
from features.ocean_forecast import POINT_COLUMNS
from features.table import INFO_COLUMNS, LABEL_COLUMN
from setnet.settings import Settings
from tests.conftest import FEATURE_OPTIONS, synthetic_catches

SITES = pd.DataFrame({"site_id": ["a", "b"], "bearing_deg": [0.0, 90.0]})
SPECIES = ["yellowtail", "sardine", "firefly_squid", "common_squid"]
PLACED_SITES = pd.DataFrame({"site_id": ["a", "b", "c", "d"], "bearing_deg": [0.0, 90.0, 45.0, 10.0],
                             "lat": [36.80, 36.81, 36.95, 37.10], "lon": [137.00, 137.02, 137.30, 137.50]})


def site_ocean(days: pd.DatetimeIndex, seed: int = 0, columns=("temp_surface_c", "temp_50m_c", "temp_100m_c",
               "current_east_ms", "current_north_ms", "ssh_m"), sites=("a", "b")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.MultiIndex.from_product([days, list(sites)], names=["date", "site_id"]).to_frame(index=False)
    for column in columns:
        frame[column] = rng.normal(10, 3, len(frame))
    return frame


def forecasts(issue_dates: pd.DatetimeIndex, leads: list[int], sites: list[str], seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.MultiIndex.from_product([issue_dates, leads, sites], names=["issue_date", "lead_days", "site_id"])
    frame = frame.to_frame(index=False)
    for column in POINT_COLUMNS:
        frame[column] = rng.normal(12, 2, len(frame))
    return frame


def build(ocean: pd.DataFrame, catches: pd.DataFrame, issue_dates: pd.DatetimeIndex) -> pd.DataFrame:
    return build_feature_table(ocean, catches, SITES, SPECIES, issue_dates, [1, 3, 7], max_ocean_age_days=2,
                               **FEATURE_OPTIONS)


def test_features_of_day_d_do_not_change_when_everything_after_d_changes() -> None:
    days = pd.date_range("2024-01-01", periods=90, freq="D")
    ocean, catches = site_ocean(days), synthetic_catches("2024-01-01", 90, ["a", "b"])
    cutoff = pd.Timestamp("2024-02-15")
    future_ocean = ocean.assign(**{c: ocean[c].where(ocean.date <= cutoff, ocean[c] * 5 + 100)
                                   for c in ocean.columns if c not in ("date", "site_id")})
    future_catches = catches.assign(catch_kg=catches.catch_kg.where(pd.to_datetime(catches.date) <= cutoff, 99999.0))
    original = build(ocean, catches, days)
    changed = build(future_ocean, future_catches, days)
    features = [c for c in original.columns if c != LABEL_COLUMN]
    known = original.issue_date <= cutoff
    pd.testing.assert_frame_equal(original.loc[known, features], changed.loc[known, features])
    assert not original.loc[~known, features].equals(changed.loc[~known, features])  # the test can fail


def test_no_signal_of_any_kind_sees_past_its_issue_date() -> None:
    """Two and a half years, every ocean column, forecasts and neighbours: change all after D, rows of D stay."""
    days = pd.date_range("2022-01-01", "2024-06-30", freq="D")
    site_ids = PLACED_SITES.site_id.tolist()
    ocean = site_ocean(days, columns=OCEAN_COLUMNS, sites=site_ids)
    catches = synthetic_catches("2022-01-01", len(days), site_ids)
    issues = pd.date_range("2023-12-01", "2024-06-22", freq="D")
    fc = forecasts(issues, [1, 3, 7], site_ids)
    fc = fc[fc.issue_date.dt.day % 4 != 0]  # some issue dates have no ocean forecast
    for cutoff in (pd.Timestamp("2023-12-31"), pd.Timestamp("2024-03-10")):
        after = ocean.date > cutoff
        future_ocean = ocean.assign(**{c: ocean[c].where(~after, ocean[c] * 5 + 100) for c in OCEAN_COLUMNS})
        future_catches = catches.assign(catch_kg=catches.catch_kg.where(pd.to_datetime(catches.date) <= cutoff, 9e4))
        future_fc = fc.assign(**{c: fc[c].where(fc.issue_date <= cutoff, -50.0) for c in POINT_COLUMNS})

        def build_all(o, c, f):
            return build_feature_table(o, c, PLACED_SITES, SPECIES, issues, [1, 3, 7], 2, site_forecasts=f,
                                       **FEATURE_OPTIONS)

        original, changed = build_all(ocean, catches, fc), build_all(future_ocean, future_catches, future_fc)
        features = [c for c in original.columns if c != LABEL_COLUMN]
        known = original.issue_date <= cutoff
        pd.testing.assert_frame_equal(original.loc[known, features], changed.loc[known, features])
        unknown = original.loc[~known, features].reset_index(drop=True)
        differs = (unknown != changed.loc[~known, features].reset_index(drop=True)) & unknown.notna()
        assert differs.any().sum() > 100  # the test can fail: most columns react to the change after D


def test_the_table_has_every_signal_family_and_feature_columns_are_numeric() -> None:
    days = pd.date_range("2022-01-01", "2023-03-31", freq="D")
    site_ids = PLACED_SITES.site_id.tolist()
    table = build_feature_table(site_ocean(days, columns=OCEAN_COLUMNS, sites=site_ids),
                                synthetic_catches("2022-01-01", len(days), site_ids), PLACED_SITES, SPECIES,
                                days[-30:], [1, 7], 2, site_forecasts=forecasts(days[-30:], [1, 7], site_ids),
                                **FEATURE_OPTIONS)
    for column in ("temp_surface_c", "temp_50m_radius_c", "salinity_psu", "front_surface_c_per_km",
                   "stratification_100m_c", "temp_surface_anom_c", "current_along_ms", "current_across_50m_ms",
                   "swift_current", "current_speed_jump_ms", "temp_surface_c_mean_30d", "temp_50m_c_trend_7d",
                   "catch_lag_1d_kg", "catch_mean_14d_kg", "catch_neighbours_mean_3d_kg", "days_since_operation",
                   "doy_sin", "is_holiday", "lunar_age_days", "target_temp_50m_c", "ocean_is_forecast",
                   "ocean_age_days", "ocean_date", "ocean_source"):
        assert column in table, column
        assert table[column].notna().any(), column
    compact = feature_columns(table, compact=True)
    assert set(compact) < set(feature_columns(table)) and len(compact) < 0.6 * len(feature_columns(table))
    assert {"temp_50m_c", "current_along_ms", "swift_current", "catch_lag_1d_kg", "target_temp_50m_c"} <= set(compact)
    inputs = table[feature_columns(table)].drop(columns="site_id")
    assert all(np.issubdtype(dtype, np.number) for dtype in inputs.dtypes)
    assert not set(INFO_COLUMNS) & set(feature_columns(table))
    assert list(table[KEY_COLUMNS].itertuples(index=False)) == sorted(table[KEY_COLUMNS].itertuples(index=False))


def test_forecast_time_values_come_from_the_forecast_issued_on_d_else_the_value_on_d() -> None:
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    ocean = site_ocean(days)
    issues = days[-10:]
    fc = forecasts(issues[::2], [1, 3], ["a", "b"])
    table = build_feature_table(ocean, pd.DataFrame(columns=["date", "site_id", "species", "catch_kg"]), SITES,
                                SPECIES, issues, [1, 3], 2, site_forecasts=fc, **FEATURE_OPTIONS)
    with_forecast = table.issue_date.isin(issues[::2])
    assert (table.ocean_source[with_forecast] == "forecast").all()
    assert (table.ocean_source[~with_forecast] == "persisted analysis").all()
    assert (table.ocean_is_forecast == with_forecast.astype(float)).all()
    row = table[with_forecast & (table.lead_days == 3) & (table.site_id == "b")].iloc[0]
    issued = fc[(fc.issue_date == row.issue_date) & (fc.lead_days == 3) & (fc.site_id == "b")].iloc[0]
    assert row.target_temp_50m_c == pytest.approx(issued.temp_50m_c, rel=1e-6)
    assert row.target_current_along_ms == pytest.approx(issued.current_east_ms, rel=1e-5)  # b points east
    persisted = table[~with_forecast & (table.lead_days == 3)]
    np.testing.assert_allclose(persisted.target_temp_surface_c, persisted.temp_surface_c)


def test_catch_lags_windows_and_neighbours_use_operated_days_only() -> None:
    days = pd.date_range("2024-01-01", periods=20, freq="D")
    catches = pd.DataFrame({
        "date": [d.date() for d in days[[10, 12, 12, 13, 13, 14]]],
        "site_id": ["a", "a", "b", "b", "c", "d"],
        "species": "sardine",
        "catch_kg": [5.0, 10.0, 30.0, 50.0, 70.0, 1000.0],
    })
    table = build_feature_table(site_ocean(days, sites=PLACED_SITES.site_id), catches, PLACED_SITES, SPECIES, days,
                                [1], 2, swift_percentile=FEATURE_OPTIONS["swift_percentile"], neighbour_count=2)
    row = table[(table.issue_date == days[14]) & (table.site_id == "a") & (table.species == "sardine")].iloc[0]
    assert np.isnan(row.catch_lag_0d_kg) and np.isnan(row.catch_lag_1d_kg)  # a did not operate on days 13 and 14
    assert row.catch_lag_2d_kg == 10.0 and np.isnan(row.catch_lag_7d_kg)
    assert row.catch_mean_7d_kg == pytest.approx(7.5)
    assert row.days_since_operation == 2
    # a's two nearest other nets are b and c (d is far): their operated days in the last 3 days are 30, 50, 70
    assert row.catch_neighbours_mean_3d_kg == pytest.approx(50.0)


def test_calendar_of_the_target_day_knows_holidays_and_the_moon() -> None:
    days = pd.date_range("2024-01-01", periods=30, freq="D")
    table = build(site_ocean(days), pd.DataFrame(columns=["date", "site_id", "species", "catch_kg"]), days)
    by_target = table.drop_duplicates("target_date").set_index("target_date")
    assert by_target.loc["2024-01-08", "is_holiday"] == 1  # Coming of Age Day (a Monday)
    assert by_target.loc["2024-01-09", "is_holiday"] == 0
    assert by_target.loc["2024-01-26", "moon_illumination"] > 0.97  # full moon of 2024-01-25 (UTC)
    assert 13.5 < by_target.loc["2024-01-26", "lunar_age_days"] < 16
    assert by_target.loc["2024-01-12", "moon_illumination"] < 0.03  # new moon of 2024-01-11


def test_labels_are_the_target_days_catch_and_missing_when_the_net_did_not_operate() -> None:
    days = pd.date_range("2024-01-01", periods=30, freq="D")
    catches = synthetic_catches("2024-01-01", 30, ["a", "b"])
    table = build(site_ocean(days), catches, days).set_index(KEY_COLUMNS)
    sunday = pd.Timestamp("2024-01-07")
    assert table.xs(sunday, level="target_date")[LABEL_COLUMN].isna().all()
    row = catches.iloc[100]
    target = pd.Timestamp(row.date)
    label = table.xs((target - pd.Timedelta(days=1), 1, row.site_id, row.species),
                     level=["issue_date", "lead_days", "site_id", "species"])[LABEL_COLUMN]
    assert label.iloc[0] == row.catch_kg


def test_days_without_operation_are_missing_not_zero_in_the_history() -> None:
    days = pd.date_range("2024-01-01", periods=14, freq="D")
    catches = pd.DataFrame({"date": [d.date() for d in days[[0, 1, 4]]], "site_id": "a", "species": "sardine",
                            "catch_kg": [10.0, 20.0, 60.0]})
    table = build(site_ocean(days), catches, days)
    row = table[(table.issue_date == days[6]) & (table.site_id == "a") & (table.species == "sardine") & (table.lead_days == 1)]
    assert row.catch_mean_7d_kg.iloc[0] == pytest.approx(30.0)  # (10 + 20 + 60) / 3, not / 7
    assert row.catch_last_kg.iloc[0] == 60.0
    assert row.days_since_operation.iloc[0] == 2


def test_a_stale_grid_is_carried_forward_within_the_limit_and_flagged() -> None:
    days = pd.date_range("2024-01-01", periods=10, freq="D")
    ocean = site_ocean(days)
    ocean = ocean[ocean.date <= days[5]]  # the grid stops on day 6
    table = build(ocean, pd.DataFrame(columns=["date", "site_id", "species", "catch_kg"]), days)
    by_day = table[table.lead_days == 1].groupby("issue_date")
    assert by_day.ocean_age_days.first().loc[days[7]] == 2
    assert by_day.temp_surface_c.first().loc[days[7]] == by_day.temp_surface_c.first().loc[days[5]]
    assert by_day.temp_surface_c.first().isna().loc[days[8]]  # older than max_ocean_age_days: missing
    assert pd.isna(by_day.ocean_date.first().loc[days[8]])


def test_the_daily_rows_equal_the_same_rows_of_the_full_build(small_world: Settings) -> None:
    all_days = pd.date_range("2024-03-01", "2024-04-29", freq="D")
    full = build_features(small_world, all_days)
    issue_date = pd.Timestamp("2024-04-10")
    daily = build_features(small_world, pd.DatetimeIndex([issue_date]))
    expected = full[full.issue_date == issue_date].reset_index(drop=True)
    assert len(daily) == 3 * 4 * 7
    pd.testing.assert_frame_equal(daily.reset_index(drop=True), expected, check_dtype=False)
