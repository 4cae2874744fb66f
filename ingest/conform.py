"""Conforming to the canonical grid: canonical variables (ingest.cf) -> the store's layout, grid and days.

The "combiner" side of grid ingest (pangeo-forge-recipes' combiners): longitudes wrapped into -180..180 and every
axis ascending, daily means stamped 00:00, dimensions in the order (time, depth, lat, lon), the part of a grid
near the nets cut out, a file's grid put on the store's (interpolated when it differs) and the files of a batch
combined (the newer file wins where it has values). `normalise_grid` is the whole of it for one provider
dataset. Pure functions: reading files and writing stores is `ingest.grids` and `ingest.store`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ingest.cf import CANONICAL_DIMS, canonical_variables
from ingest.errors import IngestError
from ingest.products import GENERIC, Product
from ingest.store import GRID_AXIS, VARIABLES

SURFACE_DEPTH_M = 5.0  # a level this shallow counts as the surface
GRID_MATCH_FRACTION = 0.01  # coordinates within this fraction of the store's grid step are the same cell


def normalise_grid(ds: xr.Dataset, source: str = "grid", product: Product | None = None,
                   daily: bool = True) -> xr.Dataset:
    """Provider dataset (CF-decoded) -> canonical dataset (time, depth, lat, lon; daily means; degrees C, m/s, m)."""
    product = product or GENERIC
    out = ascending_axes(wrapped_longitudes(canonical_variables(ds, source, product)))
    if "depth" not in out.dims:
        out = out.assign_coords(depth=[0.0])
    out = daily_means(out) if daily else out.sortby(GRID_AXIS)
    out = in_canonical_order(out)
    out.attrs = {"Conventions": "CF-1.8", "title": "setnet canonical ocean grid", "product": product.name}
    return out.drop_encoding()


def wrapped_longitudes(ds: xr.Dataset) -> xr.Dataset:
    """Longitudes in -180..180 (0..360 grids wrapped in float64, so 136.3333 stays 136.3333; a column given twice,
    as 0 and 360, kept once)."""
    if not bool(((ds.lon < -180) | (ds.lon >= 180)).any()):
        return ds
    lon = ds.lon.values.astype("float64")
    ds = ds.assign_coords(lon=np.where((lon < -180) | (lon >= 180), ((lon + 180) % 360) - 180, lon))
    return ds.isel(lon=~ds.lon.to_index().duplicated())


def drop_repeated_steps(ds: xr.Dataset, source: str) -> tuple[xr.Dataset, list[str]]:
    """A time stamp given twice keeps its later step; (dataset, what was decided when the repeats differ)."""
    times = ds[GRID_AXIS].to_index()
    if not times.has_duplicates:
        return ds, []
    repeated = times[times.duplicated()].unique()
    differing = [t for t in repeated if not all(
        ds[name].isel({GRID_AXIS: np.flatnonzero(times == t)}).std(GRID_AXIS, skipna=True).fillna(0).max() == 0
        for name in ds.data_vars if GRID_AXIS in ds[name].dims)]
    kept = ds.isel({GRID_AXIS: np.flatnonzero(~times.duplicated(keep="last"))})
    if not differing:
        return kept, []
    first = pd.Timestamp(differing[0])
    note = (f"{Path(source).name}: {len(differing)} time stamp(s) given twice with different values "
            f"(first {first:%Y-%m-%d %H:%M}); kept the later step of each, as the file orders them")
    return kept, [note]


def ascending_axes(ds: xr.Dataset) -> xr.Dataset:
    """Latitude, longitude and depth ascending (a north-to-south grid flipped)."""
    for axis in ("lat", "lon", "depth"):
        if axis in ds.dims and not ds.indexes[axis].is_monotonic_increasing:
            ds = ds.sortby(axis)
    return ds


def in_canonical_order(ds: xr.Dataset) -> xr.Dataset:
    """Every variable's dimensions in the order (time, depth, lat, lon)."""
    for name in ds.data_vars:
        ds[name] = ds[name].transpose(*[d for d in CANONICAL_DIMS if d in ds[name].dims])
    return ds


def daily_means(ds: xr.Dataset) -> xr.Dataset:
    """Sub-daily steps -> one mean per calendar day, stamped 00:00; daily fields are only re-stamped."""
    days = ds[GRID_AXIS].dt.floor("D")
    if not days.to_index().has_duplicates:
        return ds.assign_coords({GRID_AXIS: days.values}).sortby(GRID_AXIS)
    attrs = {name: ds[name].attrs for name in ds.data_vars}
    out = ds.groupby(days.rename("day")).mean(GRID_AXIS).rename(day=GRID_AXIS)
    for name, kept in attrs.items():
        out[name].attrs = kept
    return out


def combine_daily(groups: list[list[xr.Dataset]]) -> xr.Dataset:
    """Files' fields grouped by product, oldest first in each group and groups by their newest file -> daily fields.

    Within a group, per variable, the steps of the newer file win, then day means; across groups the later
    group's values win where it has values.
    """
    combined: xr.Dataset | None = None
    for fields in groups:
        variables = {}
        for name in VARIABLES:
            steps = [f[name] for f in fields if name in f]
            if not steps:
                continue
            series = xr.concat(steps, dim=GRID_AXIS, join="outer") if len(steps) > 1 else steps[0]
            series = series.isel({GRID_AXIS: ~series[GRID_AXIS].to_index().duplicated(keep="last")})
            variables[name] = series
        daily = daily_means(xr.Dataset(variables))
        combined = daily if combined is None else daily.combine_first(combined)
    return combined  # type: ignore[return-value]


def overlay_newest(fields: list[xr.Dataset]) -> xr.Dataset:
    """Datasets oldest first -> one, each newer one's values winning where it has values."""
    combined = fields[0]
    for newer in fields[1:]:
        combined = newer.combine_first(combined)
    return combined


# --- the nets' area and the store's grid ------------------------------------------------------------------------

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


def _on_store_lat_lon(ds: xr.Dataset, grid: xr.Dataset, source: str) -> tuple[xr.Dataset, bool]:
    """A dataset on the store's lat and lon: the same cells relabelled, else interpolated; (dataset, regridded).

    Coordinates match within GRID_MATCH_FRACTION of the store's grid step (a float32 file on the store's grid
    matches; a grid offset by a part of a cell does not)."""
    tolerance = {a: GRID_MATCH_FRACTION * _step(grid[a].values) for a in ("lat", "lon")}
    same = all(ds.sizes[a] == grid.sizes[a] and np.allclose(ds[a].values.astype("float64"), grid[a].values, rtol=0,
                                                            atol=tolerance[a]) for a in ("lat", "lon"))
    if same:
        return ds.assign_coords(lat=grid.lat.values, lon=grid.lon.values), False
    try:
        ds = ds.sel(lat=grid.lat.values, method="nearest", tolerance=tolerance["lat"])
        ds = ds.sel(lon=grid.lon.values, method="nearest", tolerance=tolerance["lon"])
        return ds.assign_coords(lat=grid.lat.values, lon=grid.lon.values), False
    except KeyError:
        pass
    overlaps = (float(ds.lat.min()) <= float(grid.lat.max()) and float(ds.lat.max()) >= float(grid.lat.min())
                and float(ds.lon.min()) <= float(grid.lon.max()) and float(ds.lon.max()) >= float(grid.lon.min()))
    if not overlaps or ds.sizes["lat"] < 2 or ds.sizes["lon"] < 2:
        raise IngestError(
            f"{source}: its grid (lat {float(ds.lat.min()):.2f}..{float(ds.lat.max()):.2f}, lon "
            f"{float(ds.lon.min()):.2f}..{float(ds.lon.max()):.2f}) does not overlap the store's (lat "
            f"{float(grid.lat.min()):.2f}..{float(grid.lat.max()):.2f}, lon {float(grid.lon.min()):.2f}.."
            f"{float(grid.lon.max()):.2f})")
    return ds.interp(lat=grid.lat.values, lon=grid.lon.values, method="linear"), True


def _step(values: np.ndarray) -> float:
    """The smallest spacing of a grid axis (degrees); 1.0 for an axis of one value."""
    spacing = np.abs(np.diff(np.asarray(values, dtype="float64")))
    spacing = spacing[spacing > 0]
    return float(spacing.min()) if spacing.size else 1.0


def _on_store_depths(ds: xr.Dataset, grid: xr.Dataset, source: str) -> xr.Dataset:
    """A dataset's levels matched to the store's depths (NaN at store depths it lacks); IngestError if none match."""
    if "depth" not in ds.dims:
        return ds
    matches = _match_depths(ds.depth.values, grid.depth.values)
    if not matches:
        raise IngestError(f"{source}: none of its depths ({', '.join(f'{d:g}' for d in ds.depth.values[:5])} m ...) "
                          f"is a depth of the store ({', '.join(f'{d:g}' for d in grid.depth.values[:5])} m ...)")
    store_index = sorted(matches)
    picked = ds.isel(depth=[matches[i] for i in store_index]).assign_coords(depth=grid.depth.values[store_index])
    return picked.reindex(depth=grid.depth.values)


def conform_to_grid(ds: xr.Dataset, grid: xr.Dataset, source: str) -> tuple[xr.Dataset, bool]:
    """A canonical dataset put on the store's lat, lon and depth (interpolated when its grid differs); (dataset, regridded)."""
    ds, regridded = _on_store_lat_lon(ds, grid, source)
    return _on_store_depths(ds, grid, source), regridded


def grid_of(ds: xr.Dataset) -> xr.Dataset:
    """The lat, lon and depth of a canonical dataset, as a coordinates-only Dataset."""
    return xr.Dataset(coords={"lat": ds.lat.values, "lon": ds.lon.values, "depth": ds.depth.values})
