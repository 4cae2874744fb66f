"""Shared fixtures: a seeded tiny CF ocean dataset split into daily files, a tiny site registry, settings in tmp."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from setnet.settings import FeatureSettings, Settings
from tests.fixtures import TINY_SITES, write_sites_csv

# Prefect in tests: its own home in a temporary folder, no telemetry, a patient server start on a busy CI machine.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="setnet-prefect-home-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
# A bound on the wait, not a duration asserted: a loaded 2-core CI machine has taken over 120 s to start the server.
PREFECT_STARTUP_TIMEOUT_S = 600
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(PREFECT_STARTUP_TIMEOUT_S))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

# build_feature_table's settings as the Settings defaults give them (no restated numbers)
FEATURE_OPTIONS = {"swift_percentile": FeatureSettings().swift_current_percentile,
                   "neighbour_count": FeatureSettings().catch_neighbour_count}
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


def copernicus_like_grid(days: int = 10, start: str = "2024-01-01", seed: int = 0) -> xr.Dataset:
    """A tiny grid laid out like a Copernicus Marine daily physics file: thetao/uo/vo/zos on time, depth, latitude, longitude."""
    rng = np.random.default_rng(seed)
    time = pd.date_range(start, periods=days, freq="D")
    depth = np.array([0.494025, 47.37369, 92.32607])
    latitude = np.arange(36.6, 37.21, 0.1)
    longitude = np.arange(136.8, 137.61, 0.1)
    shape4 = (days, depth.size, latitude.size, longitude.size)
    day_of_year = time.day_of_year.to_numpy()[:, None, None, None]
    thetao = 17 + 8 * np.sin(2 * np.pi * (day_of_year - 120) / 365) - depth[None, :, None, None] / 20
    thetao = thetao + rng.normal(0, 0.3, shape4)
    land = latitude[:, None] < 36.75 + 0 * longitude[None, :]  # southern row is land
    thetao = np.where(land[None, None], np.nan, thetao).astype("float32")
    uo = np.where(land[None, None], np.nan, rng.normal(0.1, 0.1, shape4)).astype("float32")
    vo = np.where(land[None, None], np.nan, rng.normal(0.0, 0.1, shape4)).astype("float32")
    zos = np.where(land[None], np.nan, rng.normal(0.1, 0.05, (days, latitude.size, longitude.size))).astype("float32")
    ds = xr.Dataset(
        {
            "thetao": (("time", "depth", "latitude", "longitude"), thetao,
                       {"standard_name": "sea_water_potential_temperature", "units": "degrees_C"}),
            "uo": (("time", "depth", "latitude", "longitude"), uo,
                   {"standard_name": "eastward_sea_water_velocity", "units": "m s-1"}),
            "vo": (("time", "depth", "latitude", "longitude"), vo,
                   {"standard_name": "northward_sea_water_velocity", "units": "m s-1"}),
            "zos": (("time", "latitude", "longitude"), zos,
                    {"standard_name": "sea_surface_height_above_geoid", "units": "m"}),
        },
        coords={
            "time": ("time", time),
            "depth": ("depth", depth, {"units": "m", "positive": "down", "standard_name": "depth"}),
            "latitude": ("latitude", latitude, {"units": "degrees_north", "standard_name": "latitude"}),
            "longitude": ("longitude", longitude, {"units": "degrees_east", "standard_name": "longitude"}),
        },
        attrs={"Conventions": "CF-1.6"},
    )
    ds.time.encoding.update({"units": "hours since 1950-01-01", "calendar": "gregorian"})
    return ds


def write_daily_files(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Split a dataset into one NetCDF file per day, as a provider delivers them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(ds.sizes["time"]):
        day = ds.isel(time=slice(index, index + 1))
        path = folder / f"phy_{pd.Timestamp(day.time.values[0]):%Y%m%d}.nc"
        day.to_netcdf(path, encoding={"time": {"units": "hours since 1950-01-01", "calendar": "gregorian"}})
        paths.append(path)
    return paths


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose data folder is a fresh temporary folder."""
    return Settings(data_dir=tmp_path / "data", models={"lightgbm_rounds": 30})


@pytest.fixture
def sites_csv(tmp_path: Path) -> Path:
    """The tiny three-net registry (tests.fixtures.TINY_SITES), inside the tiny grid of `copernicus_like_grid`."""
    return write_sites_csv(tmp_path / "sites.csv")


def synthetic_catches(start: str, days: int, site_ids: list[str], seed: int = 0) -> pd.DataFrame:
    """Catch rows (date, site_id, species, catch_kg) for operated days only: no rows on Sundays."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    dates = dates[dates.day_of_week != 6]
    keys = pd.MultiIndex.from_product([dates, site_ids, ["yellowtail", "sardine", "firefly_squid", "common_squid"]],
                                      names=["date", "site_id", "species"]).to_frame(index=False)
    catch = rng.gamma(1.0, 100.0, len(keys)) * (rng.random(len(keys)) > 0.2)
    return keys.assign(date=keys.date.dt.date, catch_kg=np.round(catch, 1))


@pytest.fixture
def small_world(settings: Settings, sites_csv: Path, tmp_path: Path) -> Settings:
    """Stores holding three nets, 60 days of grids and 60 days of catches, ready for features and models."""
    from ingest import ingest_catches, ingest_grids, ingest_sites

    ingest_sites(settings, sites_csv)
    write_daily_files(copernicus_like_grid(days=60, start="2024-03-01"), tmp_path / "grids")
    ingest_grids(settings, [tmp_path / "grids"])
    synthetic_catches("2024-03-01", 60, TINY_SITES.site_id.tolist()).to_csv(tmp_path / "catches.csv", index=False)
    ingest_catches(settings, [tmp_path / "catches.csv"])
    return settings


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect database and local server for the whole test session (stopped at the end)."""
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.testing.utilities import prefect_test_harness

    # Prefect configures logging on its first full import, replacing the root logger's handlers: done here, before
    # any test, so it never removes the handler a test captures log records with (caplog) in the middle of that test
    ensure_logging_setup()
    with prefect_test_harness(server_startup_timeout=PREFECT_STARTUP_TIMEOUT_S):
        yield
