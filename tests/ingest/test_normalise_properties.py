"""Properties of grid normalisation for any grid: longitudes wrap, latitudes flip, every accepted unit converts as
physics says (constants stated here, not read from the table under test)."""

import numpy as np
import pandas as pd
import pytest
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


# Physics, stated here independently of the table under test: a value as a file writes it in its units -> the same
# value in setnet's canonical units.
ZERO_CELSIUS_K = 273.15  # 0 degrees C in kelvin
CM_PER_M = 100.0
MM_PER_M = 1000.0


def same(value: np.ndarray) -> np.ndarray:
    return value


def kelvin_to_celsius(value_k: np.ndarray) -> np.ndarray:
    return value_k - ZERO_CELSIUS_K


def centimetres_to_metres(value_cm: np.ndarray) -> np.ndarray:
    return value_cm / CM_PER_M


def millimetres_to_metres(value_mm: np.ndarray) -> np.ndarray:
    return value_mm / MM_PER_M


CELSIUS = ["degrees_C", "degree_Celsius", "degrees_celsius", "Celsius", "deg_C", "degC", "C", "°C", "degree_C",
           "degreeC", "degreesC", "degreeCelsius", "deg.C"]
KELVIN = ["K", "kelvin", "degK", "deg_K", "degreeK", "degree_K", "degrees_K", "degrees_kelvin"]
METRES_PER_SECOND = ["m s-1", "m/s", "m.s-1", "m s^-1", "m/sec", "meter/second", "meters/second", "metre/second",
                     "metres/second", "meters per second"]
CENTIMETRES_PER_SECOND = ["cm s-1", "cm/s", "cm.s-1", "cm s^-1", "cm/sec", "centimeter/second", "centimeters/second"]
METRES = ["m", "meter", "meters", "metre", "metres"]
CENTIMETRES = ["cm", "centimeter", "centimeters", "centimetre", "centimetres"]
SALINITY = ["psu", "PSU", "1e-3", "0.001", "1", "PSS", "PSS-78", "pss78", "g/kg", "g kg-1", "g.kg-1", "ppt", "‰",
            "practical salinity unit", "practical salinity units", "PSU (PSS-78)"]
CURRENT = [*((u, same) for u in METRES_PER_SECOND), *((u, centimetres_to_metres) for u in CENTIMETRES_PER_SECOND)]
PHYSICS: dict[str, list[tuple[str, object]]] = {
    "temp_c": [*((u, same) for u in CELSIUS), *((u, kelvin_to_celsius) for u in KELVIN)],
    "salinity_psu": [(u, same) for u in SALINITY],
    "eastward_current_ms": CURRENT,
    "northward_current_ms": CURRENT,
    "ssh_m": [*((u, same) for u in METRES), *((u, centimetres_to_metres) for u in CENTIMETRES),
              ("mm", millimetres_to_metres)],
}
CASES = [(canonical, units, convert) for canonical, known in PHYSICS.items() for units, convert in known]


def spelling_key(units: str) -> str:
    """A units attribute as compared: lower case, no white space ("m s-1" and "M S-1" are one unit)."""
    return "".join(units.lower().split())


@pytest.mark.parametrize(("canonical", "units", "convert"), CASES, ids=[f"{c}-{u}" for c, u, _ in CASES])
@settings(max_examples=5, deadline=None)
@given(values=st.lists(st.floats(-1000, 1000, allow_nan=False, width=32), min_size=1, max_size=20))
def test_every_unit_converts_by_its_physical_definition(canonical: str, units: str, convert, values: list[float]) -> None:
    written = np.array(values, dtype="float64")
    converted = convert_units(xr.DataArray(written, attrs={"units": units}, name="x"), canonical, "f.nc")
    np.testing.assert_allclose(converted.values, convert(written), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("canonical", sorted(PHYSICS))
def test_every_unit_the_table_accepts_has_a_physical_definition_here(canonical: str) -> None:
    assert set(UNIT_CONVERSIONS[canonical]) == {spelling_key(units) for units, _ in PHYSICS[canonical]}


@pytest.mark.parametrize(("units", "written", "canonical", "expected"), [
    ("K", 273.15, "temp_c", 0.0), ("K", 300.0, "temp_c", 26.85), ("degrees_C", 12.5, "temp_c", 12.5),
    ("cm s-1", 50.0, "eastward_current_ms", 0.5), ("cm/s", -12.0, "northward_current_ms", -0.12),
    ("cm", 12.0, "ssh_m", 0.12), ("mm", 250.0, "ssh_m", 0.25), ("m", 0.3, "ssh_m", 0.3),
])
def test_known_values_convert_to_the_known_answer(units: str, written: float, canonical: str, expected: float) -> None:
    converted = convert_units(xr.DataArray([written], attrs={"units": units}, name="x"), canonical, "f.nc")
    assert float(converted.values[0]) == pytest.approx(expected, abs=1e-9)


@FAST
@given(kelvin=st.floats(271.0, 310.0, allow_nan=False))
def test_kelvin_and_celsius_files_of_one_sea_agree(kelvin: float) -> None:
    in_k = convert_units(xr.DataArray([kelvin], attrs={"units": "K"}, name="sst"), "temp_c", "f.nc")
    in_c = convert_units(xr.DataArray([kelvin - 273.15], attrs={"units": "degree_Celsius"}, name="sst"), "temp_c", "f.nc")
    np.testing.assert_allclose(in_k.values, in_c.values, atol=1e-9)
