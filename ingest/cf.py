"""CF names and units: a provider's dataset -> the canonical variables, in canonical units, on the provider's grid.

The "opener" side of grid ingest (pangeo-forge-recipes' openers): which coordinate is time, latitude, longitude
and depth (CF `standard_name` / `axis` attributes first, common provider names second), which data variable is
each canonical variable (CF `standard_name`, then the product table's names, then common names), and the unit
tables that convert the values (K -> degrees C, cm/s -> m/s, cm -> m). Nothing here sorts, wraps or regrids:
that is `ingest.conform`.
"""

from __future__ import annotations

import cf_xarray  # noqa: F401  (registers the .cf accessor)
import numpy as np
import xarray as xr

from ingest.errors import IngestError
from ingest.products import Product
from ingest.store import GRID_AXIS, SPATIAL, VARIABLES

CANONICAL_DIMS = (GRID_AXIS, *SPATIAL)  # the dimensions a canonical variable may have, in this order

# Canonical variable -> (CF standard names, common provider names). The product table adds product names.
CANONICAL_VARIABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "temp_c": (
        ("sea_water_potential_temperature", "sea_water_temperature", "sea_water_conservative_temperature",
         "sea_surface_temperature", "sea_surface_foundation_temperature", "sea_surface_subskin_temperature",
         "sea_surface_skin_temperature"),
        ("thetao", "temp", "water_temp", "sst", "temperature", "analysed_sst"),
    ),
    "salinity_psu": (
        ("sea_water_practical_salinity", "sea_water_salinity", "sea_water_absolute_salinity"),
        ("so", "salinity", "salt", "sss"),
    ),
    "eastward_current_ms": (
        ("eastward_sea_water_velocity", "surface_eastward_sea_water_velocity", "sea_water_eastward_velocity",
         "sea_water_x_velocity"),
        ("uo", "u", "water_u"),
    ),
    "northward_current_ms": (
        ("northward_sea_water_velocity", "surface_northward_sea_water_velocity", "sea_water_northward_velocity",
         "sea_water_y_velocity"),
        ("vo", "v", "water_v"),
    ),
    "ssh_m": (
        ("sea_surface_height_above_geoid", "sea_surface_height_above_sea_level", "sea_surface_height"),
        ("zos", "ssh", "surf_el", "zeta", "el", "ht"),
    ),
}
# Canonical coordinate -> (CF standard names, common provider names), and the CF `axis` attribute it may carry.
COORDINATE_NAMES = {
    GRID_AXIS: (("time",), ("time", "ocean_time", "t", "valid_time")),
    "lat": (("latitude",), ("latitude", "lat", "y", "lat_rho")),
    "lon": (("longitude",), ("longitude", "lon", "x", "lon_rho")),
    "depth": (("depth",), ("depth", "zlev", "lev", "deptht", "z", "level")),
}
CF_AXES = {GRID_AXIS: "T", "lat": "Y", "lon": "X", "depth": "Z"}

# Units as written (lower case, no spaces) -> (multiply by, then add) to reach canonical units.
_CELSIUS = ("c", "°c", "degc", "deg_c", "degreec", "degree_c", "degreesc", "degrees_c", "degree_celsius",
            "degrees_celsius", "celsius", "degreecelsius", "deg.c")
_KELVIN = ("k", "kelvin", "degk", "deg_k", "degreek", "degree_k", "degrees_k", "degrees_kelvin")
_SPEED_MS = ("m/s", "ms-1", "m.s-1", "ms^-1", "m/sec", "meter/second", "meters/second", "metre/second",
             "metres/second", "meterspersecond")
_SPEED_CMS = ("cm/s", "cms-1", "cm.s-1", "cms^-1", "cm/sec", "centimeter/second", "centimeters/second")
_HEIGHT_M = ("m", "meter", "meters", "metre", "metres")
_HEIGHT_CM = ("cm", "centimeter", "centimeters", "centimetre", "centimetres")
_SALINITY = ("psu", "1e-3", "0.001", "1", "pss", "pss-78", "pss78", "g/kg", "gkg-1", "g.kg-1", "ppt", "‰",
             "practicalsalinityunit", "practicalsalinityunits", "psu(pss-78)")
UNIT_CONVERSIONS: dict[str, dict[str, tuple[float, float]]] = {
    "temp_c": {**dict.fromkeys(_CELSIUS, (1.0, 0.0)), **dict.fromkeys(_KELVIN, (1.0, -273.15))},
    "salinity_psu": dict.fromkeys(_SALINITY, (1.0, 0.0)),
    "eastward_current_ms": {**dict.fromkeys(_SPEED_MS, (1.0, 0.0)), **dict.fromkeys(_SPEED_CMS, (0.01, 0.0))},
    "northward_current_ms": {**dict.fromkeys(_SPEED_MS, (1.0, 0.0)), **dict.fromkeys(_SPEED_CMS, (0.01, 0.0))},
    "ssh_m": {**dict.fromkeys(_HEIGHT_M, (1.0, 0.0)), **dict.fromkeys(_HEIGHT_CM, (0.01, 0.0)),
              "mm": (0.001, 0.0)},
}
# Values outside these (canonical units) mean the units attribute lies: the file is refused, not stored wrong.
PLAUSIBLE_RANGE = {"temp_c": (-3.0, 40.0), "salinity_psu": (0.0, 45.0), "eastward_current_ms": (-10.0, 10.0),
                   "northward_current_ms": (-10.0, 10.0), "ssh_m": (-10.0, 10.0)}


# --- recognising coordinates and variables ------------------------------------------------------------------

def find_coordinate(ds: xr.Dataset, canonical: str) -> str | None:
    """Name of the dimension/coordinate playing `canonical` (time, lat, lon, depth): CF attributes first, names second."""
    standard_names, names = COORDINATE_NAMES[canonical]
    axis = CF_AXES[canonical]
    candidates = [str(n) for n in ds.dims if n in ds.coords] + [str(n) for n in ds.coords if n not in ds.dims]
    for name in candidates:
        attrs = ds[name].attrs
        if attrs.get("standard_name") in standard_names or (attrs.get("axis") == axis and ds[name].ndim == 1):
            return name
    lowered = {n.lower(): n for n in candidates + [str(d) for d in ds.dims]}
    return next((lowered[n] for n in names if n in lowered), None)


def find_variable(ds: xr.Dataset, canonical: str, product: Product) -> str | None:
    """Data variable carrying `canonical`: by CF standard_name, then the product's names, then common names."""
    standard_names, common = CANONICAL_VARIABLES[canonical]
    for standard_name in standard_names:
        for name, variable in ds.data_vars.items():
            if variable.attrs.get("standard_name") == standard_name:
                return str(name)
    lowered = {str(name).lower(): str(name) for name in ds.data_vars}
    for name in (*product.variables.get(canonical, ()), *common):
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def convert_units(variable: xr.DataArray, canonical: str, source: str, assumed: str | None = None) -> xr.DataArray:
    """Values in the variable's units -> canonical units (K -> degrees C, cm/s -> m/s, cm -> m); IngestError if unknown."""
    units = str(variable.attrs.get("units", "") or assumed or "").strip()
    key = "".join(units.lower().split())
    if key == "":
        return variable
    conversion = UNIT_CONVERSIONS[canonical].get(key)
    if conversion is None:
        raise IngestError(f"{source}: variable {variable.name} has units {units!r} that setnet cannot convert to "
                          f"{VARIABLES[canonical][1]}")
    scale, offset = conversion
    return variable if (scale, offset) == (1.0, 0.0) else variable * scale + offset


def decoded_days(time: xr.DataArray, source: str) -> xr.DataArray:
    """The time coordinate as numpy datetimes (cftime calendars converted); IngestError if it was not decodable."""
    if np.issubdtype(time.dtype, np.datetime64):
        return time
    index = time.to_index()
    if isinstance(index, xr.CFTimeIndex):
        return xr.DataArray(index.to_datetimeindex(time_unit="ns"), dims=time.dims)
    raise IngestError(f"{source}: time values ({time.attrs.get('units', 'no units')}) are not decodable dates")


# --- the steps of canonical_variables -----------------------------------------------------------------------

def _renamed_coordinates(ds: xr.Dataset, source: str) -> xr.Dataset:
    """The provider's time, lat, lon (and depth, if any) renamed to the canonical names; IngestError if one lacks."""
    rename = {}
    for canonical in COORDINATE_NAMES:
        found = find_coordinate(ds, canonical)
        if found is None and canonical != "depth":
            raise IngestError(f"{source}: no {canonical} coordinate "
                              f"(looked for {', '.join(COORDINATE_NAMES[canonical][1])})")
        if found is not None and found != canonical:
            rename[found] = canonical
    ds = ds.rename(rename)
    if ds["lat"].ndim != 1 or ds["lon"].ndim != 1:
        raise IngestError(f"{source}: latitude/longitude are 2-D (a curvilinear grid); regrid to a regular "
                          "latitude-longitude grid first")
    return ds


def _with_time_axis(ds: xr.Dataset, source: str) -> xr.Dataset:
    """A time dimension (a scalar time becomes one step) of decoded datetimes; IngestError when there is none."""
    if GRID_AXIS not in ds.dims and GRID_AXIS in ds.coords:
        ds = ds.expand_dims(GRID_AXIS)
    if GRID_AXIS not in ds.dims:
        raise IngestError(f"{source}: no time dimension")
    return ds.assign_coords({GRID_AXIS: decoded_days(ds[GRID_AXIS], source)})


def _depth_positive_down(ds: xr.Dataset) -> xr.Dataset:
    """Depth in m positive down (flipped when CF says `positive: up` or every level is at or above 0)."""
    if "depth" not in ds.dims:
        return ds
    depth = ds["depth"].astype("float64")
    if ds["depth"].attrs.get("positive") == "up" or bool((depth <= 0).all() and (depth < 0).any()):
        depth = -depth
    return ds.assign_coords(depth=depth.values)


def _canonical_variable(ds: xr.Dataset, found: str, canonical: str, product: Product, source: str) -> xr.DataArray:
    """Provider variable `found` -> `canonical`: float32 in canonical units, a depth axis only if it has one."""
    needs_depth, units, standard_name = VARIABLES[canonical]
    variable = ds[found]
    extra = [d for d in variable.dims if d not in CANONICAL_DIMS]
    if any(variable.sizes[d] > 1 for d in extra):
        raise IngestError(f"{source}: variable {found} has an extra dimension "
                          f"{', '.join(f'{d}={variable.sizes[d]}' for d in extra)} setnet does not know")
    variable = variable.isel({d: 0 for d in extra}, drop=True)
    variable = convert_units(variable, canonical, source, product.units.get(canonical)).astype("float32")
    if not needs_depth and "depth" in variable.dims:
        variable = variable.isel(depth=0, drop=True)
    if needs_depth and "depth" not in variable.dims:
        surface = float(ds["depth"].min()) if "depth" in ds.dims else 0.0
        variable = variable.expand_dims(depth=[surface])
    variable.attrs = {"units": units, "standard_name": standard_name, "source_variable": found}
    return variable


def _check_variable_set(variables: dict[str, xr.DataArray], product: Product, source: str) -> None:
    """IngestError when no variable was found, a required one lacks, or only one current component came."""
    if not variables:
        looked = sorted({n for _, names in CANONICAL_VARIABLES.values() for n in names}
                        | {n for names in product.variables.values() for n in names})
        raise IngestError(f"{source}: no ocean variable found by standard_name or as {', '.join(looked)}")
    missing = [c for c in product.required if c not in variables]
    if missing:
        raise IngestError(f"{source}: missing required variable(s) {', '.join(missing)} of product {product.name}")
    if ("eastward_current_ms" in variables) != ("northward_current_ms" in variables):
        raise IngestError(f"{source}: has only one current component; eastward and northward come together")


def canonical_variables(ds: xr.Dataset, source: str, product: Product) -> xr.Dataset:
    """Provider dataset (CF-decoded) -> the canonical variables it holds, canonical names and units, on its own grid.

    Coordinates are renamed time, lat, lon, depth (depth in m positive down, time as datetimes); the grid is left
    as the provider wrote it (longitudes, order, sub-daily steps): `ingest.conform` puts it on the canonical grid.
    """
    ds = _depth_positive_down(_with_time_axis(_renamed_coordinates(ds, source), source))
    variables = {}
    for canonical in VARIABLES:
        found = find_variable(ds, canonical, product)
        if found is not None:
            variables[canonical] = _canonical_variable(ds, found, canonical, product, source)
    _check_variable_set(variables, product, source)
    out = xr.Dataset(variables)
    return out.drop_vars([c for c in out.coords if c not in CANONICAL_DIMS])


def check_grid_values(ds: xr.Dataset, source: str) -> None:
    """IngestError when a variable has no values at all, or values its units cannot have (mislabelled units)."""
    for name, variable in ds.data_vars.items():
        values = np.asarray(variable.values, dtype="float64")
        found_as = variable.attrs.get("source_variable", name)
        if not np.isfinite(values).any():
            raise IngestError(f"{source}: variable {found_as} ({name}) has no values: all NaN over the area kept")
        low, high = PLAUSIBLE_RANGE[str(name)]
        lowest, highest = float(np.nanmin(values)), float(np.nanmax(values))
        if lowest < low or highest > high:
            raise IngestError(f"{source}: variable {found_as} ({name}) spans {lowest:.4g}..{highest:.4g} "
                              f"{VARIABLES[str(name)][1]} after unit conversion, outside {low:g}..{high:g}: "
                              "are its units right?")
