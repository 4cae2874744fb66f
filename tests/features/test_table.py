"""The feature table: leakage-safe by construction, the same rows for the daily run as for the full build."""

import numpy as np
import pandas as pd
import pytest

from features import KEY_COLUMNS, build_feature_table, build_features
from features.table import LABEL_COLUMN
from setnet.settings import Settings
from tests.conftest import synthetic_catches

SITES = pd.DataFrame({"site_id": ["a", "b"], "bearing_deg": [0.0, 90.0]})
SPECIES = ["yellowtail", "sardine", "firefly_squid", "common_squid"]


def site_ocean(days: pd.DatetimeIndex, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.MultiIndex.from_product([days, ["a", "b"]], names=["date", "site_id"]).to_frame(index=False)
    for column in ("temp_surface_c", "temp_50m_c", "temp_100m_c", "current_east_ms", "current_north_ms", "ssh_m"):
        frame[column] = rng.normal(10, 3, len(frame))
    return frame


def build(ocean: pd.DataFrame, catches: pd.DataFrame, issue_dates: pd.DatetimeIndex) -> pd.DataFrame:
    return build_feature_table(ocean, catches, SITES, SPECIES, issue_dates, [1, 3, 7], max_ocean_age_days=2)


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
