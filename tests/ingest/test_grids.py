"""Ocean grids: provider layouts normalised to one canonical grid; the Zarr store appends, overwrites and rebuilds idempotently."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ingest import IngestError, ingest_grids, normalise_grid, open_grid_store
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.conftest import SHARED_DATA, copernicus_like_grid, write_daily_files

OISST_REAL = SHARED_DATA / "oisst_v2_daily_2003_2004_east_tasmania.nc"


def test_copernicus_layout_becomes_canonical() -> None:
    canonical = normalise_grid(copernicus_like_grid(days=3))
    assert set(canonical.data_vars) == {"temp_c", "eastward_current_ms", "northward_current_ms", "ssh_m"}
    assert canonical.temp_c.dims == ("time", "depth", "lat", "lon")
    assert canonical.ssh_m.dims == ("time", "lat", "lon")
    assert canonical.temp_c.attrs["units"] == "degrees_C"
    assert bool((canonical.lat.diff("lat") > 0).all())


def test_kelvin_descending_latitude_and_0_360_longitude_are_normalised() -> None:
    source = copernicus_like_grid(days=2)
    source = source.assign_coords(longitude=source.longitude - 300.0)  # a western-hemisphere domain, -180..180
    provider = source.assign(thetao=(source.thetao + 273.15).assign_attrs(units="K", standard_name="sea_water_temperature"))
    provider = provider.assign_coords(longitude=provider.longitude % 360).isel(latitude=slice(None, None, -1))
    assert float(provider.longitude.min()) > 180  # as OISST and HYCOM lay it out
    canonical = normalise_grid(provider)
    expected = normalise_grid(source)
    np.testing.assert_allclose(canonical.lon.values, expected.lon.values)
    np.testing.assert_allclose(canonical.temp_c.values, expected.temp_c.values, rtol=0, atol=1e-4)
    assert bool((canonical.lat.diff("lat") > 0).all())


def test_hourly_fields_are_averaged_to_daily_means() -> None:
    daily = copernicus_like_grid(days=1)
    hourly = xr.concat([daily.assign_coords(time=daily.time + pd.Timedelta(hours=h)) + h for h in (0, 12)], dim="time")
    canonical = normalise_grid(hourly)
    assert canonical.sizes["time"] == 1
    np.testing.assert_allclose(canonical.temp_c.values, (normalise_grid(daily).temp_c.values + 6.0), atol=1e-4)


def test_a_file_without_temperature_is_a_one_line_error() -> None:
    with pytest.raises(IngestError, match="no sea temperature variable"):
        normalise_grid(copernicus_like_grid(days=1).drop_vars("thetao"), "f.nc")


def test_the_real_oisst_file_reads_as_surface_temperature_in_celsius() -> None:
    if not OISST_REAL.exists():
        pytest.skip(f"shared real data absent: {OISST_REAL} (../shared is not beside the project)")
    with xr.open_dataset(OISST_REAL) as ds:
        canonical = normalise_grid(ds.isel(time=slice(0, 40)), str(OISST_REAL)).load()
    assert canonical.temp_c.dims == ("time", "depth", "lat", "lon")
    assert canonical.depth.values.tolist() == [0.0]
    assert str(canonical.time.values[0])[:10] == "2003-01-01"
    assert (canonical.time.dt.hour == 0).all()  # stamped at 12:00 by NOAA, stored as the day
    assert 10 < float(canonical.temp_c.mean()) < 25  # Tasmanian summer, degrees C


def test_daily_files_are_ingested_and_reruns_change_nothing(settings: Settings, tmp_path: Path) -> None:
    write_daily_files(copernicus_like_grid(days=6), tmp_path / "nc")
    first = ingest_grids(settings, [tmp_path / "nc"])
    stored = open_grid_store(settings.grid_store_path).load()
    again = ingest_grids(settings, [tmp_path / "nc"])
    assert (first.days_added, first.days_replaced, again.days_added, again.days_replaced) == (6, 0, 0, 6)
    xr.testing.assert_identical(open_grid_store(settings.grid_store_path).load(), stored)
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM grid_days").fetchone()[0] == 6


def test_later_days_append_earlier_days_rebuild_and_newer_files_win(settings: Settings, tmp_path: Path) -> None:
    grid = copernicus_like_grid(days=12)
    write_daily_files(grid.isel(time=slice(4, 8)), tmp_path / "middle")
    write_daily_files(grid.isel(time=slice(10, 12)), tmp_path / "later")  # leaves a two-day gap
    write_daily_files(grid.isel(time=slice(0, 5)), tmp_path / "earlier")  # overlaps one stored day
    for folder in ("middle", "later", "earlier"):
        ingest_grids(settings, [tmp_path / folder])
    stored = open_grid_store(settings.grid_store_path)
    assert stored.sizes["time"] == 12
    assert pd.DatetimeIndex(stored.time.values).equals(pd.date_range("2024-01-01", periods=12, freq="D"))
    assert bool(stored.temp_c.isel(time=8).isnull().all()) and bool(stored.temp_c.isel(time=9).isnull().all())
    expected = normalise_grid(grid)
    np.testing.assert_allclose(stored.temp_c.isel(time=slice(0, 8)).values, expected.temp_c.isel(time=slice(0, 8)).values)

    revised = grid.isel(time=slice(5, 6)).assign(thetao=grid.thetao.isel(time=slice(5, 6)) + 1.0)
    write_daily_files(revised, tmp_path / "revised")
    result = ingest_grids(settings, [tmp_path / "revised"])
    assert (result.days_added, result.days_replaced) == (0, 1)
    stored = open_grid_store(settings.grid_store_path)
    np.testing.assert_allclose(stored.temp_c.isel(time=5).values, expected.temp_c.isel(time=5).values + 1.0, atol=1e-5)


def test_a_file_on_another_grid_is_refused(settings: Settings, tmp_path: Path) -> None:
    write_daily_files(copernicus_like_grid(days=2), tmp_path / "a")
    ingest_grids(settings, [tmp_path / "a"])
    other = copernicus_like_grid(days=1, start="2024-01-03").isel(longitude=slice(0, 5))
    write_daily_files(other, tmp_path / "b")
    with pytest.raises(IngestError, match="lon grid differs"):
        ingest_grids(settings, [tmp_path / "b"])


def test_a_corrupt_file_is_a_one_line_error_naming_it(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.nc"
    bad.write_bytes(b"not netcdf at all")
    with pytest.raises(IngestError, match="bad.nc: not a readable NetCDF grid") as error:
        ingest_grids(settings, [bad])
    assert "\n" not in str(error.value)
