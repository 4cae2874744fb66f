"""The hostile-input corpus, ocean grids: each case a NetCDF file built here, ingested into a store that already
holds days of the same grid, and its exact outcome asserted: stored (on the store's own cells, or regridded and
said so), or refused with one line naming the file and the stores unchanged (a fingerprint of every table and of
the grid store before and after). Choices made for the user (a day replaced, a time stamp given twice) are said in
the summary line.

docs/reliability.md lists every case and what it promises."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import ingest
from ingest import IngestError
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.ingest import product_files as pf
from tests.reliability.conftest import fingerprint

# A 1/12-degree grid like Copernicus Marine's: 136.75, 136.8333..., none of it exact in binary.
LAT12 = 36.5 + np.arange(10) / 12
LON12 = 136.75 + np.arange(12) / 12


def twelfth_grid(days: int, start: str, seed: int = 0) -> xr.Dataset:
    """Canonical truth on the 1/12-degree grid (land, NaN, on its southern rows)."""
    base = pf.truth(days=days, start=start, seed=seed)
    rng = np.random.default_rng(seed)
    shape = (days, base.sizes["depth"], LAT12.size, LON12.size)
    land = (LAT12 < 36.6)[None, None, :, None]
    fields = {name: (("time", "depth", "lat", "lon"),
                     np.where(land, np.nan, rng.normal(offset, 0.3, shape)).astype("float32"))
              for name, offset in (("temp_c", 15.0), ("salinity_psu", 34.0), ("eastward_current_ms", 0.1),
                                   ("northward_current_ms", 0.0))}
    fields["ssh_m"] = (("time", "lat", "lon"), np.where(land[0], np.nan, rng.normal(0.1, 0.05, shape[:1] + shape[2:]))
                       .astype("float32"))
    return xr.Dataset(fields, coords={"time": base.time.values, "depth": base.depth.values, "lat": LAT12, "lon": LON12})


def on_0_360_in_float32(path: Path, out: Path) -> Path:
    """The same file with longitudes in 0..360 stored as float32 (plus a far column at 300 E, as a global file has)."""
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    far = ds.isel(longitude=[0]).assign_coords(longitude=[300.0]) * np.nan
    wide = xr.concat([ds, far], dim="longitude")
    wide = wide.assign_coords(longitude=wide.longitude.astype("float32"))
    wide["longitude"].attrs.update(standard_name="longitude", units="degrees_east")
    wide.to_netcdf(out, encoding={"longitude": {"dtype": "float32"}, "time": {"units": "hours since 1950-01-01"}})
    return out


def stored_grid(settings: Settings) -> xr.Dataset:
    return ingest.open_grid_store(settings.grid_store_path).load()


@pytest.fixture
def with_store(registered: Settings, tmp_path: Path) -> Settings:
    """The registry and two days (2024-01-01, 02) of the 1/12-degree grid in the store."""
    pf.write_copernicus(twelfth_grid(2, "2024-01-01"), tmp_path / "cmems_first.nc")
    ingest.ingest_grids(registered, [tmp_path / "cmems_first.nc"])
    return registered


# --- class 5: a file on the store's own grid is never regridded --------------------------------------------------

def test_a_0_360_float32_file_on_the_store_grid_is_stored_on_its_own_cells(with_store: Settings, tmp_path: Path) -> None:
    truth = twelfth_grid(1, "2024-01-03", seed=3)
    path = on_0_360_in_float32(pf.write_copernicus(truth, tmp_path / "plain.nc"), tmp_path / "cmems_0360.nc")
    result = ingest.ingest_grids(with_store, [path])
    assert result.days_added == 1
    with connect(with_store.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT DISTINCT regridded FROM grid_sources WHERE file = ?",
                           [str(path.resolve())]).fetchall() == [(False,)]
    day = stored_grid(with_store).sel(time="2024-01-03")
    np.testing.assert_array_equal(np.isnan(day.temp_c.values), np.isnan(truth.temp_c.values[0]))
    np.testing.assert_allclose(day.temp_c.values, truth.temp_c.values[0], rtol=0, atol=1e-3)


def test_a_grid_offset_by_half_a_cell_is_regridded_and_says_so(with_store: Settings, tmp_path: Path) -> None:
    shifted = twelfth_grid(1, "2024-01-03").assign_coords(lon=LON12 + 1 / 24)
    path = pf.write_copernicus(shifted, tmp_path / "cmems_shifted.nc")
    ingest.ingest_grids(with_store, [path])
    with connect(with_store.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT DISTINCT regridded FROM grid_sources WHERE file = ?",
                           [str(path.resolve())]).fetchall() == [(True,)]


# --- class 6: choices made for the user are said in the summary line -----------------------------------------------

def _twice(ds: xr.Dataset, second: xr.Dataset) -> xr.Dataset:
    return xr.concat([ds, second], dim="time")


def test_a_time_stamp_given_twice_with_different_values_keeps_the_later_and_says_so(
        with_store: Settings, tmp_path: Path) -> None:
    first, later = twelfth_grid(1, "2024-01-03", seed=4), twelfth_grid(1, "2024-01-03", seed=5)
    path = pf.write_copernicus(_twice(first, later), tmp_path / "cmems_twice.nc")
    result = ingest.ingest_grids(with_store, [path])
    assert ("cmems_twice.nc: 1 time stamp(s) given twice with different values (first 2024-01-03 00:00); kept the "
            "later step of each, as the file orders them") in result.summary()
    np.testing.assert_allclose(stored_grid(with_store).temp_c.sel(time="2024-01-03").values,
                               later.temp_c.values[0], atol=1e-3)


def test_a_time_stamp_given_twice_with_the_same_values_is_no_choice(with_store: Settings, tmp_path: Path) -> None:
    same = twelfth_grid(1, "2024-01-03", seed=4)
    result = ingest.ingest_grids(with_store, [pf.write_copernicus(_twice(same, same), tmp_path / "cmems_same.nc")])
    assert result.summary() == ("1 grid files (0 unchanged, 0 rejected): 1 days added, 0 days updated "
                                "(2024-01-03..2024-01-03), 0 forecast issues stored")


def test_a_replaced_day_is_said_with_its_file(with_store: Settings, tmp_path: Path) -> None:
    path = pf.write_copernicus(twelfth_grid(1, "2024-01-02", seed=9), tmp_path / "cmems_fix.nc")
    result = ingest.ingest_grids(with_store, [path])
    assert result.days_replaced == 1
    assert ("1 days updated (2024-01-02..2024-01-02), 0 forecast issues stored; cmems_fix.nc replaced 1 day(s) "
            "(2024-01-02..2024-01-02) of cmems_first.nc where it has values (the newer file wins)") in result.summary()


# --- already right, kept right: refused with one line, the stores unchanged ----------------------------------------

def _truncated(folder: Path) -> Path:
    full = pf.write_copernicus(twelfth_grid(1, "2024-01-03"), folder / "full.nc").read_bytes()
    (folder / "cmems_truncated.nc").write_bytes(full[: len(full) // 2])
    return folder / "cmems_truncated.nc"


def _html(folder: Path) -> Path:
    path = folder / "cmems_login.nc"
    path.write_text("<!DOCTYPE html><html><body>Please log in</body></html>", encoding="utf-8")
    return path


def _kelvin(folder: Path) -> Path:
    truth = twelfth_grid(1, "2024-01-03")
    return pf.write_copernicus(truth.assign(temp_c=truth.temp_c + 273.15), folder / "cmems_kelvin.nc",
                               variables=("thetao",))


def _far_away(folder: Path) -> Path:
    return pf.write_copernicus(twelfth_grid(1, "2024-01-03").assign_coords(lat=LAT12 - 20), folder / "cmems_far.nc")


def _all_nan(folder: Path) -> Path:
    truth = twelfth_grid(1, "2024-01-03")
    return pf.write_copernicus(truth.assign(temp_c=truth.temp_c * np.nan), folder / "cmems_nan.nc", variables=("thetao",))


def _curvilinear(folder: Path) -> Path:
    truth = twelfth_grid(1, "2024-01-03")
    lon2, lat2 = np.meshgrid(LON12, LAT12)
    ds = xr.Dataset({"thetao": (("time", "y", "x"), truth.temp_c.values[:, 0],
                                {"standard_name": "sea_water_potential_temperature", "units": "degrees_C"})},
                    coords={"time": truth.time.values,
                            "latitude": (("y", "x"), lat2, {"standard_name": "latitude", "units": "degrees_north"}),
                            "longitude": (("y", "x"), lon2, {"standard_name": "longitude", "units": "degrees_east"})})
    ds.to_netcdf(folder / "cmems_curvilinear.nc")
    return folder / "cmems_curvilinear.nc"


def _empty_file(folder: Path) -> Path:
    (folder / "cmems_empty.nc").write_bytes(b"")
    return folder / "cmems_empty.nc"


REFUSED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "truncated NetCDF": (_truncated, "not a readable NetCDF grid|truncated or corrupt"),
    "HTML saved as .nc": (_html, "not a readable NetCDF grid"),
    "an empty .nc file": (_empty_file, "not a readable NetCDF grid"),
    "kelvin labelled degrees_C": (_kelvin, r"spans 2\d\d.*are its units right\?"),
    "a domain far from the nets": (_far_away, "does not cover net"),
    "every value NaN": (_all_nan, r"has no values: all NaN"),
    "a curvilinear grid": (_curvilinear, "curvilinear grid"),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_a_hostile_grid_is_refused_with_one_line_and_the_stores_unchanged(
        case: str, with_store: Settings, tmp_path: Path) -> None:
    build, reason = REFUSED[case]
    folder = tmp_path / "bad"
    folder.mkdir()
    path = build(folder)
    before = fingerprint(with_store)
    result = ingest.ingest_grids(with_store, [path], raise_on_rejected=False)
    assert len(result.files_rejected) == 1
    assert pd.Series(result.files_rejected).str.contains(reason).all(), result.files_rejected
    assert path.name in result.files_rejected[0] and "\n" not in result.files_rejected[0]
    after = fingerprint(with_store)
    assert {k: v for k, v in after.items() if k != "table ingested_files"} == \
        {k: v for k, v in before.items() if k != "table ingested_files"}


@pytest.mark.parametrize(("given", "reason"), [("nothing-here", "no such file or folder"),
                                               ("empty-folder", "no NetCDF files under"),
                                               ("*.nc-none", "no file matches this pattern")])
def test_paths_that_give_no_grid_file_are_refused_with_one_line(with_store: Settings, tmp_path: Path, given: str,
                                                                reason: str) -> None:
    (tmp_path / "empty-folder").mkdir()
    target = tmp_path / ("none-*.nc" if given.startswith("*") else given)
    before = fingerprint(with_store)
    with pytest.raises(IngestError, match=reason) as error:
        ingest.ingest_grids(with_store, [target])
    assert "\n" not in str(error.value)
    assert fingerprint(with_store) == before


def test_swapped_axes_and_a_north_to_south_grid_store_the_same_values(with_store: Settings, tmp_path: Path) -> None:
    truth = twelfth_grid(1, "2024-01-03", seed=7)
    path = pf.write_copernicus(truth, tmp_path / "plain.nc")
    with xr.open_dataset(path) as ds:
        odd = ds.load().transpose("time", "depth", "longitude", "latitude").isel(latitude=slice(None, None, -1))
    odd.to_netcdf(tmp_path / "cmems_odd.nc")
    ingest.ingest_grids(with_store, [tmp_path / "cmems_odd.nc"])
    np.testing.assert_allclose(stored_grid(with_store).temp_c.sel(time="2024-01-03").values, truth.temp_c.values[0],
                               atol=1e-3)
