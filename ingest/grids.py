"""Ocean grids: provider NetCDF files -> one canonical, time-chunked Zarr store (appendable day by day, idempotent).

Canonical layout: dims (time, depth, lat, lon); time daily at 00:00; depth in m positive down; lat ascending;
lon in -180..180 ascending; variables temp_c (degrees C), eastward_current_ms and northward_current_ms (m/s),
ssh_m (m, no depth), salinity_psu (practical salinity). Ocean forecast files go to a separate store
(see ingest/forecasts.py). Which product and file gave each stored day and variable: table `grid_sources`.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import cf_xarray  # noqa: F401  (registers the .cf accessor)
import numpy as np
import pandas as pd
import xarray as xr

from ingest.errors import IngestError
from ingest.files import (
    FileOutcome,
    already_ingested,
    expand_paths,
    record_outcome,
    record_outcomes,
    sha256_of,
)
from ingest.products import GENERIC, Product, ProductTable, load_product_table
from ingest.store import (
    VARIABLES,
    begin_journal,
    end_journal,
    open_grid_store,
    open_store,
    overlay_write,
    recover_store,
    undo_journal,
)
from setnet.settings import Settings
from setnet.warehouse import connect, upsert

log = logging.getLogger(__name__)

NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf")
FILES_PER_BATCH = 64
DASK_ABOVE_BYTES = 256 * 2**20  # files larger than this are read through Dask, lazily
TIME_CHUNK_DAYS = 32

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
COORDINATE_NAMES = {
    "time": (("time",), ("time", "ocean_time", "t", "valid_time")),
    "lat": (("latitude",), ("latitude", "lat", "y", "lat_rho")),
    "lon": (("longitude",), ("longitude", "lon", "x", "lon_rho")),
    "depth": (("depth",), ("depth", "zlev", "lev", "deptht", "z", "level")),
}
SURFACE_ONLY = ("ssh_m",)
SURFACE_DEPTH_M = 5.0  # a level this shallow counts as the surface

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


@dataclass
class GridIngestResult:
    """What one grid ingest did: files read, days added and updated, forecasts stored, files skipped or refused."""

    files: int
    days_added: int
    days_replaced: int
    first_day: str | None
    last_day: str | None
    files_unchanged: int = 0
    files_rejected: list[str] = field(default_factory=list)
    forecast_issues: int = 0
    decisions: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people."""
        span = f" ({self.first_day}..{self.last_day})" if self.first_day else ""
        return (f"{self.files} grid files ({self.files_unchanged} unchanged, {len(self.files_rejected)} rejected): "
                f"{self.days_added} days added, {self.days_replaced} days updated{span}, "
                f"{self.forecast_issues} forecast issues stored")


# --- the pure core: one provider Dataset -> canonical ------------------------------------------------------------

def _find_coordinate(ds: xr.Dataset, canonical: str) -> str | None:
    """Name of the dimension/coordinate playing `canonical` (time, lat, lon, depth): CF attributes first, names second."""
    standard_names, names = COORDINATE_NAMES[canonical]
    axis = {"time": "T", "lat": "Y", "lon": "X", "depth": "Z"}[canonical]
    candidates = [str(n) for n in ds.dims if n in ds.coords] + [str(n) for n in ds.coords if n not in ds.dims]
    for name in candidates:
        attrs = ds[name].attrs
        if attrs.get("standard_name") in standard_names or (attrs.get("axis") == axis and ds[name].ndim == 1):
            return name
    lowered = {n.lower(): n for n in candidates + [str(d) for d in ds.dims]}
    return next((lowered[n] for n in names if n in lowered), None)


def _find_variable(ds: xr.Dataset, canonical: str, product: Product) -> str | None:
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


def _decoded_days(time: xr.DataArray, source: str) -> xr.DataArray:
    """The time coordinate as numpy datetimes (cftime calendars converted); IngestError if it was not decodable."""
    if np.issubdtype(time.dtype, np.datetime64):
        return time
    index = time.to_index()
    if isinstance(index, xr.CFTimeIndex):
        return xr.DataArray(index.to_datetimeindex(time_unit="ns"), dims=time.dims)
    raise IngestError(f"{source}: time values ({time.attrs.get('units', 'no units')}) are not decodable dates")


def normalise_grid(ds: xr.Dataset, source: str = "grid", product: Product | None = None,
                   daily: bool = True) -> xr.Dataset:
    """Provider dataset (CF-decoded) -> canonical dataset (time, depth, lat, lon; daily means; degrees C, m/s, m)."""
    product = product or GENERIC
    rename = {}
    for canonical in ("time", "lat", "lon", "depth"):
        found = _find_coordinate(ds, canonical)
        if found is None and canonical != "depth":
            raise IngestError(f"{source}: no {canonical} coordinate (looked for {', '.join(COORDINATE_NAMES[canonical][1])})")
        if found is not None and found != canonical:
            rename[found] = canonical
    ds = ds.rename(rename)
    if ds["lat"].ndim != 1 or ds["lon"].ndim != 1:
        raise IngestError(f"{source}: latitude/longitude are 2-D (a curvilinear grid); regrid to a regular "
                          "latitude-longitude grid first")
    if "time" not in ds.dims:
        ds = ds.expand_dims("time") if "time" in ds.coords else ds
    if "time" not in ds.dims:
        raise IngestError(f"{source}: no time dimension")
    ds = ds.assign_coords(time=_decoded_days(ds["time"], source))
    has_depth = "depth" in ds.dims
    if has_depth:
        depth = ds["depth"].astype("float64")
        if ds["depth"].attrs.get("positive") == "up" or bool((depth <= 0).all() and (depth < 0).any()):
            depth = -depth
        ds = ds.assign_coords(depth=depth.values)

    variables = {}
    for canonical, (needs_depth, units, standard_name) in VARIABLES.items():
        found = _find_variable(ds, canonical, product)
        if found is None:
            continue
        variable = ds[found]
        extra = [d for d in variable.dims if d not in ("time", "depth", "lat", "lon")]
        if any(variable.sizes[d] > 1 for d in extra):
            raise IngestError(f"{source}: variable {found} has an extra dimension "
                              f"{', '.join(f'{d}={variable.sizes[d]}' for d in extra)} setnet does not know")
        variable = variable.isel({d: 0 for d in extra}, drop=True)
        variable = convert_units(variable, canonical, source, product.units.get(canonical)).astype("float32")
        if not needs_depth and "depth" in variable.dims:
            variable = variable.isel(depth=0, drop=True)
        if needs_depth and "depth" not in variable.dims:
            surface = float(ds["depth"].min()) if has_depth else 0.0
            variable = variable.expand_dims(depth=[surface])
        variable.attrs = {"units": units, "standard_name": standard_name, "source_variable": found}
        variables[canonical] = variable
    if not variables:
        looked = sorted({n for _, names in CANONICAL_VARIABLES.values() for n in names}
                        | {n for names in product.variables.values() for n in names})
        raise IngestError(f"{source}: no ocean variable found by standard_name or as {', '.join(looked)}")
    missing = [c for c in product.required if c not in variables]
    if missing:
        raise IngestError(f"{source}: missing required variable(s) {', '.join(missing)} of product {product.name}")
    if ("eastward_current_ms" in variables) != ("northward_current_ms" in variables):
        raise IngestError(f"{source}: has only one current component; eastward and northward come together")
    out = xr.Dataset(variables)
    out = out.drop_vars([c for c in out.coords if c not in ("time", "depth", "lat", "lon")])
    if bool(((out.lon < -180) | (out.lon >= 180)).any()):
        out = out.assign_coords(lon=((out.lon + 180) % 360) - 180)
        out = out.isel(lon=~out.lon.to_index().duplicated())
    for axis in ("lat", "lon", "depth"):
        if axis in out.dims and not out.indexes[axis].is_monotonic_increasing:
            out = out.sortby(axis)
    if "depth" not in out.dims:
        out = out.assign_coords(depth=[0.0])
    out = daily_means(out) if daily else out.sortby("time")
    dims = ("time", "depth", "lat", "lon")
    for name in out.data_vars:
        out[name] = out[name].transpose(*[d for d in dims if d in out[name].dims])
    out.attrs = {"Conventions": "CF-1.8", "title": "setnet canonical ocean grid", "product": product.name}
    return out.drop_encoding()


def daily_means(ds: xr.Dataset) -> xr.Dataset:
    """Sub-daily steps -> one mean per calendar day, stamped 00:00; daily fields are only re-stamped."""
    days = ds.time.dt.floor("D")
    if not days.to_index().has_duplicates:
        return ds.assign_coords(time=days.values).sortby("time")
    attrs = {name: ds[name].attrs for name in ds.data_vars}
    out = ds.groupby(days.rename("day")).mean("time").rename(day="time")
    for name, kept in attrs.items():
        out[name].attrs = kept
    return out


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


def check_covers_sites(ds: xr.Dataset, sites: pd.DataFrame, source: str) -> None:
    """IngestError naming the first net outside the grid's latitude-longitude box (half a cell of slack)."""
    if sites.empty:
        return
    def bounds(axis: str) -> tuple[float, float]:
        values = ds[axis].values
        half = float(np.abs(np.diff(values)).max()) / 2 if values.size > 1 else 0.125
        return float(values.min()) - half, float(values.max()) + half
    (lat0, lat1), (lon0, lon1) = bounds("lat"), bounds("lon")
    outside = sites[~sites.lat.between(lat0, lat1) | ~sites.lon.between(lon0, lon1)]
    if not outside.empty:
        site = outside.iloc[0]
        raise IngestError(f"{source}: the grid (lat {lat0:.2f}..{lat1:.2f}, lon {lon0:.2f}..{lon1:.2f}) does not "
                          f"cover net {site.site_id} at ({site.lat:.3f}, {site.lon:.3f})"
                          + (f" nor {len(outside) - 1} other net(s)" if len(outside) > 1 else ""))


def crop_to_sites(ds: xr.Dataset, sites: pd.DataFrame, margin_deg: float) -> xr.Dataset:
    """The part of a grid within `margin_deg` of the nets' box (all of it when no nets are registered)."""
    if sites.empty:
        return ds
    lat = (ds.lat >= sites.lat.min() - margin_deg) & (ds.lat <= sites.lat.max() + margin_deg)
    lon = (ds.lon >= sites.lon.min() - margin_deg) & (ds.lon <= sites.lon.max() + margin_deg)
    return ds.isel(lat=np.flatnonzero(lat.values), lon=np.flatnonzero(lon.values))


def _match_depths(file_depths: np.ndarray, store_depths: np.ndarray) -> dict[int, int]:
    """Store depth index -> file depth index for levels within 0.5 m (or 2 %); the surface matches the surface."""
    matches = {}
    for i, depth in enumerate(store_depths):
        j = int(np.abs(file_depths - depth).argmin())
        if abs(file_depths[j] - depth) <= max(0.5, 0.02 * depth):
            matches[i] = j
    if 0 not in matches and store_depths[0] <= SURFACE_DEPTH_M and file_depths[0] <= SURFACE_DEPTH_M:
        matches[0] = 0
    return matches


def conform_to_grid(ds: xr.Dataset, grid: xr.Dataset, source: str) -> tuple[xr.Dataset, bool]:
    """A canonical dataset put on the store's lat, lon and depth (interpolated when its grid differs); (dataset, regridded)."""
    regridded = False
    same = all(ds.sizes[a] == grid.sizes[a] and np.allclose(ds[a], grid[a], atol=1e-5) for a in ("lat", "lon"))
    if same:
        ds = ds.assign_coords(lat=grid.lat.values, lon=grid.lon.values)
    else:
        try:
            ds = ds.sel(lat=grid.lat.values, lon=grid.lon.values, method="nearest", tolerance=1e-5)
            ds = ds.assign_coords(lat=grid.lat.values, lon=grid.lon.values)
        except KeyError:
            overlaps = (float(ds.lat.min()) <= float(grid.lat.max()) and float(ds.lat.max()) >= float(grid.lat.min())
                        and float(ds.lon.min()) <= float(grid.lon.max()) and float(ds.lon.max()) >= float(grid.lon.min()))
            if not overlaps or ds.sizes["lat"] < 2 or ds.sizes["lon"] < 2:
                raise IngestError(
                    f"{source}: its grid (lat {float(ds.lat.min()):.2f}..{float(ds.lat.max()):.2f}, lon "
                    f"{float(ds.lon.min()):.2f}..{float(ds.lon.max()):.2f}) does not overlap the store's (lat "
                    f"{float(grid.lat.min()):.2f}..{float(grid.lat.max()):.2f}, lon {float(grid.lon.min()):.2f}.."
                    f"{float(grid.lon.max()):.2f})") from None
            ds = ds.interp(lat=grid.lat.values, lon=grid.lon.values, method="linear")
            regridded = True
    if "depth" in ds.dims:
        matches = _match_depths(ds.depth.values, grid.depth.values)
        if not matches:
            raise IngestError(f"{source}: none of its depths ({', '.join(f'{d:g}' for d in ds.depth.values[:5])} m ...) "
                              f"is a depth of the store ({', '.join(f'{d:g}' for d in grid.depth.values[:5])} m ...)")
        store_index = sorted(matches)
        picked = ds.isel(depth=[matches[i] for i in store_index]).assign_coords(depth=grid.depth.values[store_index])
        ds = picked.reindex(depth=grid.depth.values)
    return ds, regridded


def grid_of(ds: xr.Dataset) -> xr.Dataset:
    """The lat, lon and depth of a canonical dataset, as a coordinates-only Dataset."""
    return xr.Dataset(coords={"lat": ds.lat.values, "lon": ds.lon.values, "depth": ds.depth.values})


def store_grid(path: Path) -> xr.Dataset | None:
    """The store's grid (lat, lon, depth), or None when there is no store yet."""
    return grid_of(open_store(path)) if path.exists() else None


# --- the I/O edge ---------------------------------------------------------------------------------------------

@dataclass
class ReadGrid:
    """One file read, checked and put on the store's grid, waiting to be written with its batch."""

    path: Path
    checksum: str
    context: str
    product: Product
    provisional: bool
    age: tuple
    fields: xr.Dataset  # canonical, on the store grid; sub-daily steps kept for analyses; issue_time for forecasts
    regridded: bool
    forecast: bool

    @property
    def name(self) -> str:
        return str(self.path)


def _age(path: Path, attrs: dict, provisional: bool) -> tuple:
    """Sort key: the later a file sorts, the newer it is (final after preliminary, then creation date, mtime, name)."""
    created = str(attrs.get("date_created", attrs.get("creation_date", "")))
    return (not provisional, created, path.stat().st_mtime_ns, path.name)


def read_grid_file(path: Path, *, products: ProductTable, product_name: str | None, forecast: bool | None,
                   issue_date: str | None, sites: pd.DataFrame, grids: dict[bool, xr.Dataset | None],
                   settings: Settings, checksum: str, context: str) -> ReadGrid:
    """Open, recognise, normalise, check and conform one NetCDF file; IngestError with the reason if it is bad.

    `grids` holds the grid of the analysis store (False) and of the forecast store (True), None before the first
    file; a new forecast store takes the analysis grid, a new analysis store the file's grid cropped to the nets.
    """
    from ingest.forecasts import is_forecast_file, normalise_forecast

    try:
        lazy = {} if path.stat().st_size > DASK_ABOVE_BYTES else None  # big files: crop before loading
        ds = xr.open_dataset(path, engine="netcdf4", chunks=lazy, decode_timedelta=False)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise IngestError(f"{path}: not a readable NetCDF grid ({str(error).splitlines()[0]})") from None
    with ds:
        product = products.get(product_name) if product_name else products.identify(path.name, ds.attrs)
        provisional = product.is_provisional(path.name)
        as_forecast = is_forecast_file(ds, product, forecast)
        try:
            if as_forecast:
                canonical = normalise_forecast(ds, str(path), product, issue_date, settings.ingest.ocean_forecast_max_lead_days)
            else:
                canonical = normalise_grid(ds, str(path), product, daily=False)
            check_covers_sites(canonical, sites, str(path))
            grid = grids[as_forecast] if grids[as_forecast] is not None else grids[False]
            if grid is None:
                canonical = crop_to_sites(canonical, sites, settings.ingest.grid_margin_deg)
                regridded = False
            else:
                canonical, regridded = conform_to_grid(canonical, grid, str(path))
            canonical = canonical.load()
        except (OSError, RuntimeError) as error:  # a truncated file fails when its data are read
            raise IngestError(f"{path}: data unreadable, truncated or corrupt? ({str(error).splitlines()[0]})") from None
        check_grid_values(canonical, str(path))
        return ReadGrid(path, checksum, context, product, provisional, _age(path, ds.attrs, provisional), canonical,
                        regridded, as_forecast)


def _daily_fields(batch: list[ReadGrid]) -> xr.Dataset:
    """Files of a batch -> daily fields: per product and variable, steps of the newest file win, then day means;
    across products the newest file's values win where it has values."""
    by_product: dict[str, list[ReadGrid]] = {}
    for read in sorted(batch, key=lambda r: r.age):
        by_product.setdefault(read.product.name, []).append(read)
    ranked = sorted(by_product.values(), key=lambda reads: reads[-1].age)
    combined: xr.Dataset | None = None
    for reads in ranked:
        variables = {}
        for name in VARIABLES:
            steps = [r.fields[name] for r in reads if name in r.fields]
            if not steps:
                continue
            series = xr.concat(steps, dim="time", join="outer") if len(steps) > 1 else steps[0]
            series = series.isel(time=~series.time.to_index().duplicated(keep="last"))
            variables[name] = series
        daily = daily_means(xr.Dataset(variables))
        combined = daily if combined is None else daily.combine_first(combined)
    return combined  # type: ignore[return-value]


def _source_rows(batch: list[ReadGrid], grid: xr.Dataset, kept: dict[str, xr.Dataset], axis: str) -> pd.DataFrame:
    """Provenance rows of a batch: (day, variable, product, file, checksum, depths, regridded[, provisional])."""
    rows = []
    for read in sorted(batch, key=lambda r: r.age):
        fields = kept[read.name]
        for name in fields.data_vars:
            variable = fields[name]
            has = variable.notnull()
            other = [d for d in variable.dims if d != axis]
            days_with_values = has.any(dim=other) if other else has
            if "depth" in variable.dims:
                depth_has = has.any(dim=[d for d in variable.dims if d != "depth"])
                depths = grid.depth.values[depth_has.values]
                depths_text = ", ".join(f"{d:g}" for d in depths)
                all_depths = bool(depth_has.all())
            else:
                depths_text, all_depths = "surface", True
            for day in pd.DatetimeIndex(fields[axis].values[days_with_values.values]).floor("D").unique():
                rows.append({"day": day.date(), "variable": name, "product": read.product.name, "file": read.name,
                             "checksum": read.checksum, "depths_m": depths_text, "regridded": read.regridded,
                             "provisional": read.provisional, "all_depths": all_depths})
    return pd.DataFrame(rows, columns=["day", "variable", "product", "file", "checksum", "depths_m", "regridded",
                                       "provisional", "all_depths"])


def _drop_superseded_provisional(con, read: ReadGrid) -> xr.Dataset:
    """A preliminary file never replaces days a final file of its product already gave (OISST's finals win)."""
    if not read.provisional:
        return read.fields
    finals = con.execute("SELECT DISTINCT date FROM grid_sources WHERE product = ? AND NOT provisional",
                         [read.product.name]).df()
    if finals.empty:
        return read.fields
    final_days = pd.DatetimeIndex(pd.to_datetime(finals.date))
    keep = ~read.fields.time.dt.floor("D").to_index().isin(final_days)
    if not keep.all():
        log.info("%s: preliminary; kept the final values already stored for %d day(s)", read.name, int((~keep).sum()))
    return read.fields.isel(time=np.flatnonzero(keep))


def _record_sources(con, table: str, key: str, rows: pd.DataFrame, result: GridIngestResult) -> None:
    """Upsert provenance rows; a file giving every depth of a variable drops other products' rows of that day."""
    if rows.empty:
        return
    con.register("_sources", rows)
    previous = con.execute(
        f"SELECT s.day, s.variable, s.file AS new_file, t.file AS old_file FROM _sources s JOIN {table} t"
        f" ON t.{key} = s.day AND t.variable = s.variable AND t.file <> s.file").df()
    for (new, old, variable), group in previous.groupby(["new_file", "old_file", "variable"]):
        days = sorted(pd.to_datetime(group.day).dt.date)
        decision = (f"{new} replaces {variable} of {len(days)} day(s) ({days[0]}..{days[-1]}) from {old} "
                    "where it has values (the newer file wins)")
        log.info(decision)
        result.decisions.append(decision)
    con.execute(f"DELETE FROM {table} t USING _sources s WHERE t.{key} = s.day AND t.variable = s.variable"
                f" AND s.all_depths AND t.product <> s.product")
    con.unregister("_sources")
    out = rows.drop(columns="all_depths").rename(columns={"day": key}).drop_duplicates([key, "variable", "product"],
                                                                                       keep="last")
    upsert(con, table, out.assign(ingested_at=pd.Timestamp.now()))


def _write_batch(con, settings: Settings, batch: list[ReadGrid], result: GridIngestResult, forecast: bool) -> None:
    """Write one batch of read files to its store and the warehouse, all or nothing."""
    from ingest.forecasts import FORECAST_AXIS

    axis = FORECAST_AXIS if forecast else "time"
    path = settings.forecast_store_path if forecast else settings.grid_store_path
    table, key = ("ocean_forecast_sources", "issue_date") if forecast else ("grid_sources", "date")
    kept = {r.name: (r.fields if forecast else _drop_superseded_provisional(con, r)) for r in batch}
    live = [r for r in batch if kept[r.name].sizes[axis] > 0]
    write_id = uuid.uuid4().hex
    if live:
        reads = [ReadGrid(**{**r.__dict__, "fields": kept[r.name]}) for r in live]
        if forecast:
            fields = None
            for read in sorted(reads, key=lambda r: r.age):
                fields = read.fields if fields is None else read.fields.combine_first(fields)
        else:
            fields = _daily_fields(reads)
        days = fields[axis].to_index()
        grid = grid_of(fields)
        rows = _source_rows(reads, grid, kept, axis)
        if forecast:
            rows = rows.drop(columns=["provisional", "depths_m"]).assign(lead_days=[_leads_text(kept[f]) for f in rows.file])
        prior = set(pd.to_datetime(con.execute(f"SELECT DISTINCT {key} FROM {table}").df()[key]).dt.date)
        begin_journal(path, write_id, days, axis)
    in_transaction = False
    try:
        if live:
            overlay_write(path, fields, axis)
        con.execute("BEGIN TRANSACTION")
        in_transaction = True
        if live:
            _record_sources(con, table, key, rows, result)
            if not forecast:
                legacy = rows.sort_values("day").drop_duplicates("day", keep="last")
                upsert(con, "grid_days", pd.DataFrame({"date": legacy.day, "source_file": legacy.file}))
        record_outcomes(con, [FileOutcome(read.name, "ocean_forecasts" if forecast else "grids", read.checksum,
                                          read.context, read.product.name, rows_stored=int(kept[read.name].sizes[axis]),
                                          write_id=write_id) for read in batch])
        con.execute("COMMIT")
    except BaseException:
        if in_transaction:
            con.execute("ROLLBACK")
        if live:
            undo_journal(path)
        raise
    if live:
        end_journal(path)
        day_list = [d.date() for d in days]
        if forecast:
            result.forecast_issues += len(day_list)
        else:
            result.days_added += sum(d not in prior for d in day_list)
            result.days_replaced += sum(d in prior for d in day_list)
            result.first_day = min(filter(None, [result.first_day, str(min(day_list))]))
            result.last_day = max(filter(None, [result.last_day, str(max(day_list))]))


def _leads_text(fields: xr.Dataset) -> str:
    """'0..7' for the leads a forecast file gave values for."""
    has = fields.to_array().notnull().any(dim=[d for d in fields.to_array().dims if d != "lead_days"])
    leads = fields.lead_days.values[has.values]
    return f"{leads.min()}..{leads.max()}" if leads.size else ""


def _context(products: ProductTable, product: str | None, forecast: bool | None, issue_date: str | None) -> str:
    """Checksum of what shapes a grid file's result besides its bytes: the product table and the options."""
    return hashlib.sha256(f"{products.checksum}|{product}|{forecast}|{issue_date}".encode()).hexdigest()


def ingest_grids(settings: Settings, paths: list[Path], *, product: str | None = None, forecast: bool | None = None,
                 issue_date: str | None = None, force: bool = False, raise_on_rejected: bool = True) -> GridIngestResult:
    """Ingest NetCDF files (files, folders or globs) into the grid store (analyses) or the ocean forecast store.

    `product` names the product table entry to read them with (else recognised per file); `forecast` True/False
    overrides the recognition of forecast files; `issue_date` (YYYY-MM-DD) is the issue date of forecast files
    that do not carry one. Files already ingested unchanged are skipped. Bad files are refused with their reason
    and change nothing; after the others are stored, IngestError names them (unless `raise_on_rejected` is False).
    """
    files = expand_paths(paths, NETCDF_SUFFIXES)
    if not files:
        raise IngestError(f"no NetCDF files under {', '.join(map(str, paths))}")
    products = load_product_table(settings)
    if product:
        products.get(product)  # an unknown name fails before anything is read
    context = _context(products, product, forecast, issue_date)
    result = GridIngestResult(files=len(files), days_added=0, days_replaced=0, first_day=None, last_day=None)
    with connect(settings.warehouse_path) as con:
        def committed(write_id: str) -> bool:
            return con.execute("SELECT 1 FROM ingested_files WHERE write_id = ?", [write_id]).fetchall() != []
        recover_store(settings.grid_store_path, committed)
        recover_store(settings.forecast_store_path, committed)
        sites = con.execute("SELECT site_id, lat, lon FROM sites").df()
        grids = {False: store_grid(settings.grid_store_path), True: store_grid(settings.forecast_store_path)}
        pending: dict[bool, list[ReadGrid]] = {False: [], True: []}
        for path in files:
            checksum = sha256_of(path)
            if not force and already_ingested(con, str(path), checksum, context):
                log.info("%s: unchanged since it was ingested, skipped", path)
                result.files_unchanged += 1
                continue
            try:
                read = read_grid_file(path, products=products, product_name=product, forecast=forecast,
                                      issue_date=issue_date, sites=sites, grids=grids, settings=settings,
                                      checksum=checksum, context=context)
            except IngestError as error:
                log.warning("%s", error)
                record_outcome(con, FileOutcome(str(path), "grids", checksum, context, product, outcome="rejected",
                                                reason=str(error)))
                result.files_rejected.append(str(error))
                continue
            if grids[read.forecast] is None:
                grids[read.forecast] = grid_of(read.fields)
            queue = pending[read.forecast]
            if len(queue) >= FILES_PER_BATCH and _first_day(read) > max(_last_day(r) for r in queue):
                _write_batch(con, settings, queue, result, read.forecast)
                queue.clear()
            queue.append(read)
        for is_forecast, queue in pending.items():
            if queue:
                _write_batch(con, settings, queue, result, is_forecast)
    if result.files_rejected and raise_on_rejected:
        raise IngestError(f"{len(result.files_rejected)} of {len(files)} grid files rejected, the others ingested "
                          f"({result.summary()}); first: {result.files_rejected[0]}")
    return result


def _first_day(read: ReadGrid) -> pd.Timestamp:
    axis = "issue_time" if read.forecast else "time"
    return pd.Timestamp(read.fields[axis].values.min()).floor("D")


def _last_day(read: ReadGrid) -> pd.Timestamp:
    axis = "issue_time" if read.forecast else "time"
    return pd.Timestamp(read.fields[axis].values.max()).floor("D")
