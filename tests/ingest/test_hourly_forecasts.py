"""Hourly ocean forecasts (surface currents every hour): their own store, kept hourly, keyed (issue time, lead hour);
a re-issued run replaces only the run of its own issue time."""

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ingest import ingest_grids, open_forecast_store
from ingest.store import open_hourly_forecast_store
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.ingest import product_files as pf


def write_hourly_forecast(path: Path, issued: str, hours: int = 48, offset_ms: float = 0.0) -> tuple[Path, np.ndarray]:
    """A Copernicus PT1H-like file: surface uo, vo every hour from the issue time; returns (path, uo values)."""
    times = pd.date_range(issued, periods=hours, freq="h")
    shape = (hours, 1, len(pf.LAT), len(pf.LON))
    hour = np.arange(hours, dtype="float32")[:, None, None, None]
    east = (0.1 * np.cos(2 * np.pi * hour / 12.42) + offset_ms + np.zeros(shape)).astype("float32")
    north = np.full(shape, 0.05, dtype="float32")
    dims = ("time", "depth", "latitude", "longitude")
    ds = xr.Dataset(
        {"uo": (dims, east, {"standard_name": "eastward_sea_water_velocity", "units": "m s-1"}),
         "vo": (dims, north, {"standard_name": "northward_sea_water_velocity", "units": "m s-1"})},
        coords={"time": times, "depth": ("depth", [0.494025], {"units": "m", "positive": "down"}),
                "latitude": ("latitude", pf.LAT, {"units": "degrees_north"}),
                "longitude": ("longitude", pf.LON, {"units": "degrees_east"}),
                "forecast_reference_time": ((), pd.Timestamp(issued), {"standard_name": "forecast_reference_time"})},
        attrs={"source": "MERCATOR PSY4", "title": "Global Ocean Physics Analysis and Forecast hourly"})
    ds.to_netcdf(path, encoding={"time": {"units": "hours since 1950-01-01"},
                                 "forecast_reference_time": {"units": "hours since 1950-01-01"}})
    return path, east


def test_hourly_files_go_to_their_own_store_kept_hourly(settings: Settings, tmp_path: Path) -> None:
    _, east = write_hourly_forecast(tmp_path / "cur_20240301.nc", "2024-03-01")
    result = ingest_grids(settings, [tmp_path])
    assert (result.hourly_forecast_issues, result.forecast_issues) == (1, 0)
    assert not settings.forecast_store_path.exists() and not settings.grid_store_path.exists()
    store = open_hourly_forecast_store(settings.hourly_forecast_store_path).load()
    assert store.eastward_current_ms.dims == ("issue_time", "lead_hours", "depth", "lat", "lon")
    assert set(store.data_vars) == {"eastward_current_ms", "northward_current_ms"}
    np.testing.assert_allclose(store.eastward_current_ms.isel(issue_time=0, lead_hours=slice(0, 48)).values,
                               east, atol=1e-6)
    assert bool(store.eastward_current_ms.isel(issue_time=0, lead_hours=slice(48, None)).isnull().all())
    with connect(settings.warehouse_path, read_only=True) as con:
        rows = con.execute("SELECT DISTINCT issue_date, lead_hours FROM hourly_forecast_sources").fetchall()
    assert [(str(d), leads) for d, leads in rows] == [("2024-03-01", "0..47")]


def test_a_reissued_run_replaces_only_its_own_issue_time(settings: Settings, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    write_hourly_forecast(first / "cur_20240301.nc", "2024-03-01")
    _, east_2 = write_hourly_forecast(first / "cur_20240302.nc", "2024-03-02", offset_ms=0.2)
    ingest_grids(settings, [first])
    _, east_1b = write_hourly_forecast(second / "cur_20240301_rerun.nc", "2024-03-01", offset_ms=0.5)
    ingest_grids(settings, [second])
    store = open_hourly_forecast_store(settings.hourly_forecast_store_path).load()
    window = {"lead_hours": slice(0, 48)}
    np.testing.assert_allclose(store.eastward_current_ms.sel(issue_time="2024-03-01").isel(window).values,
                               east_1b, atol=1e-6)
    np.testing.assert_allclose(store.eastward_current_ms.sel(issue_time="2024-03-02").isel(window).values,
                               east_2, atol=1e-6)  # the other issue's run is untouched


def test_daily_and_hourly_forecasts_of_one_issue_keep_apart(settings: Settings, tmp_path: Path) -> None:
    truth = pf.truth(days=4, start="2024-03-01")
    pf.write_copernicus_forecast(truth, tmp_path / "fc_20240301.nc", "2024-03-01T00:00")
    write_hourly_forecast(tmp_path / "cur_20240301.nc", "2024-03-01")
    result = ingest_grids(settings, [tmp_path])
    assert (result.forecast_issues, result.hourly_forecast_issues) == (1, 1)
    daily = open_forecast_store(settings.forecast_store_path)
    assert "lead_hours" not in daily.dims and daily.sizes["issue_time"] == 1


def test_a_later_issue_ingested_afterwards_leaves_the_earlier_run_intact(settings: Settings, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    _, east_1 = write_hourly_forecast(first / "cur_20240301.nc", "2024-03-01")
    ingest_grids(settings, [first])
    _, east_2 = write_hourly_forecast(second / "cur_20240302.nc", "2024-03-02", offset_ms=0.2)
    ingest_grids(settings, [second])
    store = open_hourly_forecast_store(settings.hourly_forecast_store_path).load()
    assert pd.DatetimeIndex(store.issue_time.values).strftime("%Y-%m-%d").tolist() == ["2024-03-01", "2024-03-02"]
    window = {"lead_hours": slice(0, 48)}
    np.testing.assert_allclose(store.eastward_current_ms.sel(issue_time="2024-03-01").isel(window).values,
                               east_1, atol=1e-6)  # the hours the next run also covers keep the first run's values
    np.testing.assert_allclose(store.eastward_current_ms.sel(issue_time="2024-03-02").isel(window).values,
                               east_2, atol=1e-6)
