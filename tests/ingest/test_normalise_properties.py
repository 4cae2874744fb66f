"""Properties of grid normalisation for any grid: longitudes wrap, latitudes flip, units convert and convert back."""

import numpy as np
import pandas as pd
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.cf import UNIT_CONVERSIONS, convert_units
from ingest.conform import normalise_grid

FAST = settings(max_examples=40, deadline=None)


def grid(lats: np.ndarray, lons: np.ndarray, seed: int = 0) -> xr.Dataset:
    values = np.random.default_rng(seed).normal(15, 3, (1, lats.size, lons.size)).astype("float32")
    return xr.Dataset({"sst": (("time", "lat", "lon"), values, {"units": "degC"})},
                      coords={"time": pd.to_datetime(["2024-06-01"]), "lat": lats, "lon": lons})


longitudes = st.lists(st.integers(0, 1439), min_size=2, max_size=12, unique=True).map(
    lambda cells: np.array(cells) * 0.25)  # cells of a 0..360 quarter-degree grid, any subset and order


@FAST
@given(lons=longitudes)
def test_any_0_360_longitudes_wrap_into_minus_180_180_ascending_keeping_each_column(lons: np.ndarray) -> None:
    source = grid(np.array([10.0, 10.25]), lons)
    canonical = normalise_grid(source)
    wrapped = canonical.lon.values
    assert np.all((wrapped >= -180) & (wrapped < 180)) and np.all(np.diff(wrapped) > 0)
    for lon in lons:  # each column is found again at its wrapped longitude, unchanged
        east = ((lon + 180) % 360) - 180
        np.testing.assert_array_equal(canonical.temp_c.sel(lon=east).isel(depth=0).values,
                                      source.sst.sel(lon=lon).values)


@FAST
@given(n_lat=st.integers(2, 8), seed=st.integers(0, 1000))
def test_descending_latitude_gives_the_same_canonical_grid_as_ascending(n_lat: int, seed: int) -> None:
    ascending = grid(np.arange(n_lat) * 0.5 + 30.0, np.array([135.0, 135.5, 136.0]), seed)
    descending = ascending.isel(lat=slice(None, None, -1))
    xr.testing.assert_identical(normalise_grid(descending), normalise_grid(ascending))


@FAST
@given(
    canonical=st.sampled_from(sorted(UNIT_CONVERSIONS)),
    values=st.lists(st.floats(-5, 35, allow_nan=False, width=32), min_size=1, max_size=20),
    data=st.data(),
)
def test_every_accepted_unit_converts_to_canonical_and_back(canonical: str, values: list[float], data) -> None:
    units = data.draw(st.sampled_from(sorted(UNIT_CONVERSIONS[canonical])))
    scale, offset = UNIT_CONVERSIONS[canonical][units]
    truth = np.array(values, dtype="float64")
    as_written = (truth - offset) / scale  # what a file in `units` holds
    converted = convert_units(xr.DataArray(as_written, attrs={"units": units}, name="x"), canonical, "f.nc")
    np.testing.assert_allclose(converted.values, truth, rtol=1e-9, atol=1e-9)


@FAST
@given(kelvin=st.floats(271.0, 310.0, allow_nan=False))
def test_kelvin_and_celsius_files_of_one_sea_agree(kelvin: float) -> None:
    in_k = convert_units(xr.DataArray([kelvin], attrs={"units": "K"}, name="sst"), "temp_c", "f.nc")
    in_c = convert_units(xr.DataArray([kelvin - 273.15], attrs={"units": "degree_Celsius"}, name="sst"), "temp_c", "f.nc")
    np.testing.assert_allclose(in_k.values, in_c.values, atol=1e-9)
