"""A small world for the feature tests, written straight into the canonical stores (not through ingest's parsers):
a 0.05-degree grid with land in the south-west corner, three nets, catches, and optionally an ocean forecast store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from setnet.settings import Settings
from setnet.warehouse import connect, upsert
from tests.conftest import synthetic_catches
from tests.fixtures import TINY_SITES

LATS = np.round(np.arange(36.70, 37.101, 0.05), 4)
LONS = np.round(np.arange(136.90, 137.451, 0.05), 4)
DEPTHS = np.array([0.5, 47.4, 92.3])
SITES = TINY_SITES  # the shared tiny registry: Iwase's nearest cell here is land


def land() -> np.ndarray:
    """(lat, lon) True on land: the southern rows and a western strip."""
    lat, lon = np.meshgrid(LATS, LONS, indexing="ij")
    return (lat < 36.76) | ((lon < 136.97) & (lat < 36.9))


def canonical_fields(times: pd.DatetimeIndex, seed: int, extra_dims: tuple[int, ...] = ()) -> dict[str, np.ndarray]:
    """Seasonal, noisy canonical fields on (time, *extra_dims, depth, lat, lon); NaN on land."""
    rng = np.random.default_rng(seed)
    shape = (len(times), *extra_dims, len(DEPTHS), len(LATS), len(LONS))
    doy = times.day_of_year.to_numpy().reshape(-1, *([1] * (len(shape) - 1)))
    depth = DEPTHS.reshape(-1, 1, 1)
    lon = LONS.reshape(1, -1)
    temp = 17 + 8 * np.sin(2 * np.pi * (doy - 120) / 365.25) - depth / 20 + (lon - 137) * 2 + rng.normal(0, 0.3, shape)
    sea = ~land()
    fields = {
        "temp_c": temp,
        "salinity_psu": 34 + 0.2 * np.sin(2 * np.pi * doy / 365.25) + rng.normal(0, 0.05, shape),
        "eastward_current_ms": rng.normal(0.1, 0.15, shape),
        "northward_current_ms": rng.normal(0.0, 0.15, shape),
        "ssh_m": rng.normal(0.1, 0.05, shape[:-3] + shape[-2:]),
    }
    return {name: np.where(sea, values, np.nan).astype("float32") for name, values in fields.items()}


def write_grid_store(path: Path, start: str, days: int, seed: int = 0) -> xr.Dataset:
    """A canonical grid store (time, depth, lat, lon), chunked 32 days x whole grid, as ingest writes it."""
    times = pd.date_range(start, periods=days, freq="D")
    fields = canonical_fields(times, seed)
    ds = xr.Dataset(
        {name: (("time", "depth", "lat", "lon") if values.ndim == 4 else ("time", "lat", "lon"), values)
         for name, values in fields.items()},
        coords={"time": times, "depth": DEPTHS, "lat": LATS, "lon": LONS},
    )
    encoding = {name: {"chunks": (32, *ds[name].shape[1:])} for name in ds.data_vars}
    ds.to_zarr(path, mode="w", consolidated=False, zarr_format=3, encoding=encoding)
    return ds


def write_forecast_store(path: Path, issue_dates: pd.DatetimeIndex, max_lead: int = 10, seed: int = 1) -> xr.Dataset:
    """An ocean forecast store (issue_time, lead_days, depth, lat, lon) holding the given issue dates only."""
    issue_days = pd.date_range(issue_dates.min(), issue_dates.max(), freq="D")
    fields = canonical_fields(issue_days, seed, extra_dims=(max_lead + 1,))
    missing = ~issue_days.isin(issue_dates)
    for values in fields.values():
        values[missing] = np.nan
    ds = xr.Dataset(
        {name: (("issue_time", "lead_days", "depth", "lat", "lon") if values.ndim == 5
                else ("issue_time", "lead_days", "lat", "lon"), values) for name, values in fields.items()},
        coords={"issue_time": issue_days, "lead_days": np.arange(max_lead + 1), "depth": DEPTHS, "lat": LATS,
                "lon": LONS},
    )
    encoding = {name: {"chunks": (32, *ds[name].shape[1:])} for name in ds.data_vars}
    ds.to_zarr(path, mode="w", consolidated=False, zarr_format=3, encoding=encoding)
    return ds


def write_world(settings: Settings, start: str = "2023-01-01", days: int = 500, seed: int = 0,
                forecast_issues: pd.DatetimeIndex | None = None) -> Settings:
    """Sites, catches and the grid store (and a forecast store when forecast_issues is given) under settings.data_dir."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    write_grid_store(settings.grid_store_path, start, days, seed)
    if forecast_issues is not None:
        write_forecast_store(settings.forecast_store_path, forecast_issues)
    catches = synthetic_catches(start, days, SITES.site_id.tolist(), seed=seed)
    with connect(settings.warehouse_path) as con:
        upsert(con, "sites", SITES)
        upsert(con, "catches", catches)
    return settings


@pytest.fixture
def world(tmp_path: Path) -> Settings:
    """500 days (2023-01-01 .. 2024-05-14) of grids and catches, three nets, forecasts issued on some days of 2024."""
    settings = Settings(data_dir=tmp_path / "data")
    issues = pd.date_range("2024-03-01", "2024-05-14", freq="D")
    return write_world(settings, forecast_issues=issues[issues.day % 3 != 0])
