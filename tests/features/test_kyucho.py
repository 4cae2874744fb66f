"""Swift currents at each net from the hourly forecast: the nearest sea cell, the hours above the thresholds, the
peak in knots and its direction, the record of warnings; and nothing issued after the issue date is read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from features.io import hourly_ocean_at_nets
from features.kyucho import KNOT_MS, hourly_at_nets, kyucho_days, observed_days, warning_record
from ingest.store import FORECAST_AXIS, HOURLY_LEAD_AXIS, HOURLY_VARIABLES, overlay_write
from setnet.settings import Settings

LAT, LON = np.array([36.90, 36.95, 37.00]), np.array([137.00, 137.05, 137.10])
SITES = pd.DataFrame({"site_id": ["east_net"], "lat": [36.91], "lon": [137.01], "bearing_deg": [90.0]})


def hourly_store(issues: list[str], east_ms: np.ndarray, north_ms: float = 0.0, hours: int = 72) -> xr.Dataset:
    """Canonical hourly forecasts: every issue has `east_ms` (per lead hour) everywhere but a land cell."""
    shape = (len(issues), hours, 1, len(LAT), len(LON))
    east = np.broadcast_to(np.asarray(east_ms, dtype="float32")[None, :hours, None, None, None], shape).copy()
    north = np.full(shape, north_ms, dtype="float32")
    east[..., 0, 0], north[..., 0, 0] = np.nan, np.nan  # land at the cell nearest the net
    east[..., 1, 1] += 0.3  # a different sea cell
    dims = (FORECAST_AXIS, HOURLY_LEAD_AXIS, "depth", "lat", "lon")
    return xr.Dataset({"eastward_current_ms": (dims, east), "northward_current_ms": (dims, north)},
                      coords={FORECAST_AXIS: pd.DatetimeIndex(issues), HOURLY_LEAD_AXIS: np.arange(hours),
                              "depth": [0.494], "lat": LAT, "lon": LON})


def jst_hours(issue: str, hours: int = 72) -> pd.DatetimeIndex:
    return pd.date_range(issue, periods=hours, freq="h", tz="UTC").tz_convert("Asia/Tokyo").tz_localize(None)


def episode(issue: str, peak_local: str, peak_kn: float, hours: int = 72) -> np.ndarray:
    """0.2 kn, and a triangle peaking at `peak_local` (JST) with `peak_kn`, 4 hours each side."""
    local = jst_hours(issue, hours)
    distance_h = np.abs((local - pd.Timestamp(peak_local)) / pd.Timedelta(hours=1))
    return (0.2 + np.clip(1 - distance_h / 4, 0, None) * (peak_kn - 0.2)) * KNOT_MS


def test_the_net_reads_its_nearest_sea_cell_and_its_bearing() -> None:
    store = hourly_store(["2025-12-01"], episode("2025-12-01", "2025-12-02 08:00", 1.6))
    rows = hourly_at_nets(store, SITES, pd.DatetimeIndex(["2025-12-01"]), max_distance_km=15.0)
    assert len(rows) == 72 and set(rows.site_id) == {"east_net"}
    # the land cell is skipped; the next nearest sea cell (36.90, 137.05) is not the perturbed one
    np.testing.assert_allclose(rows.east_ms, episode("2025-12-01", "2025-12-02 08:00", 1.6), atol=1e-6)
    np.testing.assert_allclose(rows.along_ms, rows.east_ms, atol=1e-6)  # bearing 90: along the net is east
    np.testing.assert_allclose(rows.across_ms, 0.0, atol=1e-6)


def test_a_day_names_its_hours_above_the_threshold_its_peak_in_knots_and_direction() -> None:
    store = hourly_store(["2025-12-01"], episode("2025-12-01", "2025-12-02 08:00", 2.0), north_ms=0.0)
    rows = hourly_at_nets(store, SITES, pd.DatetimeIndex(["2025-12-01"]), 15.0)
    days = kyucho_days(rows, (1.0, 1.5))
    (day,) = days[days.tier != ""].itertuples(index=False)
    assert (day.tier, day.day, day.lead_days) == ("warning", pd.Timestamp("2025-12-02"), 1)
    assert day.peak_kn == pytest.approx(2.0, abs=1e-3) and day.peak_time == pd.Timestamp("2025-12-02 08:00")
    assert day.bearing_deg == pytest.approx(90.0)  # toward the east
    # 1.55 kn an hour either side of the peak, 1.1 kn two hours away: above 1.5 kn from 07:00 to 10:00 (exclusive)
    assert (day.window_start, day.window_end) == (pd.Timestamp("2025-12-02 07:00"), pd.Timestamp("2025-12-02 10:00"))
    advisory = kyucho_days(rows, (1.0, 2.5))
    (day,) = advisory[advisory.tier != ""].itertuples(index=False)
    assert day.tier == "advisory"
    assert (day.window_start, day.window_end) == (pd.Timestamp("2025-12-02 06:00"), pd.Timestamp("2025-12-02 11:00"))


def test_each_net_has_its_own_thresholds() -> None:
    store = hourly_store(["2025-12-01"], episode("2025-12-01", "2025-12-02 08:00", 1.6))
    rows = hourly_at_nets(store, SITES, pd.DatetimeIndex(["2025-12-01"]), 15.0)
    assert (kyucho_days(rows, (1.0, 1.5), {"east_net": (1.7, 2.0)}).tier == "").all()


def test_the_record_counts_hits_misses_and_false_alarms_by_lead() -> None:
    forecast = pd.DataFrame({"site_id": "a", "day": pd.to_datetime(["2025-12-02", "2025-12-03", "2025-12-04",
                                                                    "2025-12-02"]),
                             "lead_days": [1, 1, 1, 2], "tier": ["warning", "advisory", "", "advisory"]})
    observed = pd.DataFrame({"site_id": "a", "day": pd.to_datetime(["2025-12-02", "2025-12-03", "2025-12-04"]),
                             "tier": ["warning", "", "advisory"]})
    record = warning_record(forecast, observed).set_index(["site_id", "tier", "lead_days"])
    lead1 = record.loc[("a", "advisory", "1")]
    assert (lead1.hits, lead1.misses, lead1.false_alarms) == (1, 1, 1)
    assert lead1.hit_rate == 0.5 and lead1.false_alarm_ratio == 0.5
    warning = record.loc[("all", "warning", "all")]
    assert (warning.hits, warning.misses, warning.false_alarms) == (1, 1, 0)  # at lead 2 only an advisory
    assert record.loc[("a", "advisory", "all")].mean_lead_gained_days == 2.0  # 12-02 was warned 2 days ahead


def test_observed_days_join_each_issues_first_day() -> None:
    issues = ["2025-12-01", "2025-12-02", "2025-12-03"]
    store = hourly_store(issues, np.full(72, 0.2 * KNOT_MS))
    rows = hourly_at_nets(store, SITES, pd.DatetimeIndex(issues), 15.0)
    observed = observed_days(rows, (1.0, 1.5))
    assert observed.day.tolist() == [pd.Timestamp("2025-12-02"), pd.Timestamp("2025-12-03")]  # whole JST days only


def test_a_forecast_issued_after_the_issue_date_never_reaches_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    calm = np.full(72, 0.2 * KNOT_MS)
    overlay_write(settings.hourly_forecast_store_path, hourly_store(["2025-12-01"], calm), FORECAST_AXIS,
                  HOURLY_VARIABLES)
    stormy = hourly_store(["2025-12-02"], episode("2025-12-02", "2025-12-03 08:00", 2.5))
    overlay_write(settings.hourly_forecast_store_path, stormy, FORECAST_AXIS, HOURLY_VARIABLES)
    rows = hourly_ocean_at_nets(settings, SITES, pd.Timestamp("2025-12-01"))
    assert not rows.empty and set(rows.forecast_issue_date) == {pd.Timestamp("2025-12-01")}
    assert rows.east_ms.max() < 0.3 * KNOT_MS
    later = hourly_ocean_at_nets(settings, SITES, pd.Timestamp("2025-12-02"))
    assert set(later.forecast_issue_date) == {pd.Timestamp("2025-12-02")}  # the newest issue on or before the day
    local = later.date.dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo").dt.tz_localize(None).dt.normalize()
    assert local.min() == pd.Timestamp("2025-12-03")  # the days after the issue date only
