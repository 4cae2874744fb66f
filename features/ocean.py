"""Ocean values at each net, read from the canonical grid in ONE lazy, vectorised pass.

Geometry first, once per grid (`site_footprints`): each net's nearest SEA cell (never a land cell next to the
coast), the sea cells within a radius of the net, and the neighbours needed for horizontal gradients. Then one
numpy kernel per time chunk (`_chunk_signals`, run by Dask over every chunk of the store) turns a chunk of the
grid into the daily base signals of every net: point values, radius means and front strength. No loop over
sites or days; each chunk is read and decompressed once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr
from scipy import sparse

from ingest.store import GRID_AXIS, open_grid_store

EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE = np.pi * EARTH_RADIUS_KM / 180.0
# Nominal level name -> depth (m); a stored level counts only within DEPTH_TOLERANCE_M of it.
LEVELS_M = {"surface": 0.0, "50m": 50.0, "100m": 100.0}
DEPTH_TOLERANCE_M = 15.0
# Days read from the start of the store to find its sea cells (the land mask is static).
SEA_MASK_DAYS = 32
# About this many bytes of grid per read task of the store reader (whole chunks; memory per thread).
STORE_BLOCK_BYTES = 32 * 2**20

# The base signals, in the kernel's output order: column -> (grid variable, nominal level or None, kind).
# kind: "point" = the net's nearest sea cell; "radius" = mean over sea cells within the radius;
# "front" = radius mean of the horizontal gradient magnitude |grad T| (C/km).
BASE_SIGNALS: dict[str, tuple[str, str | None, str]] = {
    "temp_surface_c": ("temp_c", "surface", "point"),
    "temp_50m_c": ("temp_c", "50m", "point"),
    "temp_100m_c": ("temp_c", "100m", "point"),
    "salinity_psu": ("salinity_psu", "surface", "point"),
    "salinity_50m_psu": ("salinity_psu", "50m", "point"),
    "current_east_ms": ("eastward_current_ms", "surface", "point"),
    "current_north_ms": ("northward_current_ms", "surface", "point"),
    "current_east_50m_ms": ("eastward_current_ms", "50m", "point"),
    "current_north_50m_ms": ("northward_current_ms", "50m", "point"),
    "ssh_m": ("ssh_m", None, "point"),
    "temp_surface_radius_c": ("temp_c", "surface", "radius"),
    "temp_50m_radius_c": ("temp_c", "50m", "radius"),
    "temp_100m_radius_c": ("temp_c", "100m", "radius"),
    "salinity_radius_psu": ("salinity_psu", "surface", "radius"),
    "current_east_radius_ms": ("eastward_current_ms", "surface", "radius"),
    "current_north_radius_ms": ("northward_current_ms", "surface", "radius"),
    "ssh_radius_m": ("ssh_m", None, "radius"),
    "front_surface_c_per_km": ("temp_c", "surface", "front"),
    "front_50m_c_per_km": ("temp_c", "50m", "front"),
}
OCEAN_COLUMNS = list(BASE_SIGNALS)
GRID_VARIABLES = ("temp_c", "salinity_psu", "eastward_current_ms", "northward_current_ms", "ssh_m")


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def sea_mask(grid: xr.Dataset) -> np.ndarray:
    """Grid -> bool (lat, lon), True on sea: cells with a surface temperature on any of the store's first days.

    Read from the START of the store (the first SEA_MASK_DAYS with any value), so the daily run and the full
    build agree, and nothing after an issue date is involved.
    """
    surface = grid["temp_c"].isel(depth=0) if "depth" in grid["temp_c"].dims else grid["temp_c"]
    for start in range(0, grid.sizes["time"], SEA_MASK_DAYS):
        mask = surface.isel(time=slice(start, start + SEA_MASK_DAYS)).notnull().any("time").values
        if mask.any():
            return mask
    raise ValueError("the grid store has no sea cells: every stored temperature is missing")


@dataclass(frozen=True)
class SiteFootprints:
    """Where each net reads the grid: nearest sea cell, sea cells within `radius_km`, gradient stencils.

    Flat cell indices are `lat_index * n_lon + lon_index`. `radius` is a sparse (n_sites x n_cells) 0/1 matrix
    over `cells`; `east/west/north/south` index `cells`' neighbours (self at the grid edge) and `*_km` hold the
    distance to each (NaN at the edge).
    """

    lookup: pd.DataFrame
    radius_km: float
    point_flat: np.ndarray
    cells: np.ndarray
    radius: sparse.csr_matrix
    east: np.ndarray
    west: np.ndarray
    north: np.ndarray
    south: np.ndarray
    east_km: np.ndarray
    west_km: np.ndarray
    north_km: np.ndarray
    south_km: np.ndarray

    @property
    def site_ids(self) -> list[str]:
        return self.lookup.site_id.tolist()


def site_cell_lookup(grid: xr.Dataset, sites: pd.DataFrame, max_distance_km: float) -> pd.DataFrame:
    """Sites (site_id, lat, lon) -> nearest SEA cell: site_id, lat_index, lon_index, cell_lat, cell_lon, distance_km."""
    return _nearest_sea_cells(grid.lat.values, grid.lon.values, sea_mask(grid), sites, max_distance_km)


def _nearest_sea_cells(lats: np.ndarray, lons: np.ndarray, mask: np.ndarray, sites: pd.DataFrame,
                       max_distance_km: float) -> pd.DataFrame:
    lat_index, lon_index = np.nonzero(mask)
    distance = haversine_km(sites.lat.to_numpy(float)[:, None], sites.lon.to_numpy(float)[:, None],
                            lats[lat_index][None, :], lons[lon_index][None, :])
    nearest = distance.argmin(axis=1)
    lookup = pd.DataFrame(
        {
            "site_id": sites.site_id.to_numpy(),
            "lat_index": lat_index[nearest],
            "lon_index": lon_index[nearest],
            "cell_lat": lats[lat_index[nearest]],
            "cell_lon": lons[lon_index[nearest]],
            "distance_km": distance[np.arange(len(sites)), nearest],
        }
    )
    too_far = lookup[lookup.distance_km > max_distance_km]
    if not too_far.empty:
        row = too_far.iloc[0]
        raise ValueError(
            f"site {row.site_id} is {row.distance_km:.1f} km from the nearest sea cell of the grid "
            f"(limit {max_distance_km} km): is it inside the grid's domain?"
        )
    return lookup


def site_footprints(grid: xr.Dataset, sites: pd.DataFrame, max_distance_km: float, radius_km: float,
                    mask: np.ndarray | None = None) -> SiteFootprints:
    """Sites (site_id, lat, lon in degrees) -> their footprints on the grid (radius in km; 0 = the nearest cell only)."""
    lats, lons = grid.lat.values.astype(float), grid.lon.values.astype(float)
    mask = sea_mask(grid) if mask is None else mask
    lookup = _nearest_sea_cells(lats, lons, mask, sites, max_distance_km)
    lookup["n_radius_cells"] = 0
    n_lat, n_lon = mask.shape
    sea_lat, sea_lon = np.nonzero(mask)
    distance = haversine_km(sites.lat.to_numpy(float)[:, None], sites.lon.to_numpy(float)[:, None],
                            lats[sea_lat][None, :], lons[sea_lon][None, :])
    member = distance <= radius_km
    member[np.arange(len(sites)), distance.argmin(axis=1)] = True  # a radius smaller than the gap: nearest cell
    lookup["n_radius_cells"] = member.sum(axis=1)
    used = member.any(axis=0)
    cells_lat, cells_lon = sea_lat[used], sea_lon[used]
    east, west = np.minimum(cells_lon + 1, n_lon - 1), np.maximum(cells_lon - 1, 0)
    north, south = np.minimum(cells_lat + 1, n_lat - 1), np.maximum(cells_lat - 1, 0)
    cos_lat = np.cos(np.radians(lats[cells_lat]))

    def km(step_degrees: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
        distance = np.abs(step_degrees) * KM_PER_DEGREE * scale
        return np.where(distance > 0, distance, np.nan)

    return SiteFootprints(
        lookup=lookup,
        radius_km=float(radius_km),
        point_flat=(lookup.lat_index * n_lon + lookup.lon_index).to_numpy(np.int64),
        cells=(cells_lat * n_lon + cells_lon).astype(np.int64),
        radius=sparse.csr_matrix(member[:, used].astype(np.float32)),
        east=cells_lat * n_lon + east, west=cells_lat * n_lon + west,
        north=north * n_lon + cells_lon, south=south * n_lon + cells_lon,
        east_km=km(lons[east] - lons[cells_lon], cos_lat), west_km=km(lons[cells_lon] - lons[west], cos_lat),
        north_km=km(lats[north] - lats[cells_lat], 1.0), south_km=km(lats[cells_lat] - lats[south], 1.0),
    )


def footprints_from_lookup(grid: xr.Dataset, lookup: pd.DataFrame) -> SiteFootprints:
    """A nearest-cell lookup -> footprints whose radius is that cell alone (radius signals = point values)."""
    sites = pd.DataFrame({"site_id": lookup.site_id, "lat": lookup.cell_lat, "lon": lookup.cell_lon})
    mask = np.zeros((grid.sizes["lat"], grid.sizes["lon"]), dtype=bool)
    mask[lookup.lat_index.to_numpy(), lookup.lon_index.to_numpy()] = True
    footprints = site_footprints(grid, sites, np.inf, 0.0, mask=mask)
    return SiteFootprints(**{**footprints.__dict__, "lookup": lookup})


def level_indices(depths: np.ndarray) -> dict[str, int]:
    """Stored depths (m) -> nominal level name -> index, for the levels present within DEPTH_TOLERANCE_M."""
    found = {}
    for name, depth_m in LEVELS_M.items():
        index = int(np.abs(depths - depth_m).argmin())
        if abs(depths[index] - depth_m) <= DEPTH_TOLERANCE_M:
            found[name] = index
    return found


def _radius_mean(values: np.ndarray, radius: sparse.csr_matrix) -> np.ndarray:
    """(t, n_cells) values with NaN -> (t, n_sites) mean over each site's cells that have a value."""
    finite = np.isfinite(values)
    total = (radius @ np.where(finite, values, 0.0).T).T
    count = (radius @ finite.T.astype(np.float32)).T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _one_sided_mean(centre: np.ndarray, ahead: np.ndarray, behind: np.ndarray, ahead_km: np.ndarray,
                    behind_km: np.ndarray) -> np.ndarray:
    """Derivative per km: the mean of the forward and backward differences that exist (a land neighbour has none)."""
    forward, backward = (ahead - centre) / ahead_km, (centre - behind) / behind_km
    both = np.isfinite(forward) & np.isfinite(backward)
    return np.where(both, (forward + backward) / 2, np.where(np.isfinite(forward), forward, backward))


def _gradient_magnitude(flat: np.ndarray, footprints: SiteFootprints) -> np.ndarray:
    """(t, n_grid_cells) field -> (t, n_footprint_cells) |grad| per km; NaN where a direction has no sea neighbour."""
    centre = flat[:, footprints.cells]
    gradient_x = _one_sided_mean(centre, flat[:, footprints.east], flat[:, footprints.west],
                                 footprints.east_km, footprints.west_km)
    gradient_y = _one_sided_mean(centre, flat[:, footprints.north], flat[:, footprints.south],
                                 footprints.north_km, footprints.south_km)
    return np.hypot(gradient_x, gradient_y)


def _chunk_signals(*arrays: np.ndarray, variables: tuple[str, ...], levels: dict[str, int],
                   footprints: SiteFootprints, columns: tuple[str, ...]) -> np.ndarray:
    """One time chunk of the grid (one array per variable) -> (t, n_sites, n_columns) float32 base signals."""
    fields = dict(zip(variables, arrays, strict=True))
    n_time = arrays[0].shape[0]
    out = np.full((n_time, len(footprints.point_flat), len(columns)), np.nan, dtype=np.float32)
    for k, column in enumerate(columns):
        variable, level, kind = BASE_SIGNALS[column]
        field = fields.get(variable)
        if field is None or (level is not None and level not in levels):
            continue
        plane = field[:, levels[level]] if level is not None and field.ndim == 4 else field
        if plane.ndim == 4:  # a depth-less variable stored with a depth axis of one
            plane = plane[:, 0]
        flat = plane.reshape(n_time, -1)
        if kind == "point":
            out[:, :, k] = flat[:, footprints.point_flat]
        elif kind == "radius":
            out[:, :, k] = _radius_mean(flat[:, footprints.cells], footprints.radius)
        else:  # front: |grad T| at each footprint cell, then the radius mean
            out[:, :, k] = _radius_mean(_gradient_magnitude(flat, footprints), footprints.radius)
    return out


def site_signal_array(grid: xr.Dataset, footprints: SiteFootprints, columns: list[str] | None = None) -> da.Array:
    """Grid (time, depth, lat, lon) -> LAZY (time, site, column) float32 array of base signals, one task per chunk."""
    columns = tuple(columns or OCEAN_COLUMNS)
    variables = tuple(v for v in GRID_VARIABLES if v in grid.data_vars)
    levels = level_indices(grid.depth.values) if "depth" in grid.dims else {}
    first = grid[variables[0]].data
    first = first if isinstance(first, da.Array) else da.from_array(first, chunks={0: 64})
    time_chunks = first.chunks[0]
    arguments = []
    for variable in variables:
        data = grid[variable].transpose("time", ..., "lat", "lon").data
        data = data if isinstance(data, da.Array) else da.from_array(data)
        data = data.rechunk({0: time_chunks, **{axis: -1 for axis in range(1, data.ndim)}})
        arguments += [data, "tzyx" if data.ndim == 4 else "tyx"]
    return da.blockwise(
        _chunk_signals, "tsk", *arguments,
        new_axes={"s": len(footprints.point_flat), "k": len(columns)}, concatenate=True, dtype=np.float32,
        meta=np.empty((0, 0, 0), dtype=np.float32),
        variables=variables, levels=levels, footprints=footprints, columns=columns,
    )


def _block_days(chunk_days: int, bytes_per_day: int) -> int:
    """Days per read task: whole store chunks adding up to about STORE_BLOCK_BYTES (at least one chunk)."""
    return chunk_days * max(1, STORE_BLOCK_BYTES // max(bytes_per_day * chunk_days, 1))


def _read_block_signals(path: str, variables: tuple[str, ...], start: int, stop: int, levels: dict[str, int],
                        footprints: SiteFootprints, columns: tuple[str, ...], chunk_days: int) -> np.ndarray:
    """Days start:stop of the store at `path` -> (t, site, column) signals; read whole, reduced chunk by chunk."""
    import zarr

    group = zarr.open_group(path, mode="r")
    fields = [group[variable][start:stop] for variable in variables]
    return np.concatenate([
        _chunk_signals(*(f[i:i + chunk_days] for f in fields), variables=variables, levels=levels,
                       footprints=footprints, columns=columns)
        for i in range(0, stop - start, chunk_days)
    ]) if stop > start else np.empty((0, len(footprints.point_flat), len(columns)), dtype=np.float32)


def store_signal_array(path: Path, start: pd.Timestamp | None, end: pd.Timestamp | None, footprints: SiteFootprints,
                       columns: list[str] | None = None) -> tuple[pd.DatetimeIndex, da.Array]:
    """Canonical Zarr store days start..end -> (dates, LAZY (time, site, column) float32 base signals).

    The fast path of `site_signal_array` for a store on disk: one Dask task per block of whole chunks, each reading
    its days with Zarr directly (one large read is much cheaper than many small ones) and reducing them to the nets.
    """
    import zarr

    columns = tuple(columns or OCEAN_COLUMNS)
    group = zarr.open_group(str(path), mode="r")
    stored = set(group.array_keys())
    variables = tuple(v for v in GRID_VARIABLES if v in stored)
    times = pd.DatetimeIndex(open_grid_store(path)[GRID_AXIS].values)
    first = 0 if start is None else int(times.searchsorted(pd.Timestamp(start)))
    stop = len(times) if end is None else int(times.searchsorted(pd.Timestamp(end), side="right"))
    levels = level_indices(group["depth"][:]) if "depth" in stored else {}
    chunk_days = group[variables[0]].chunks[0]
    bytes_per_day = sum(int(np.prod(group[v].shape[1:])) * group[v].dtype.itemsize for v in variables)
    block = _block_days(chunk_days, bytes_per_day)
    shared = dask.delayed(footprints, pure=True)  # one copy in the graph, not one per task
    edges = [first, *range((first // block + 1) * block, stop, block), stop] if stop > first else [first, first]
    token = dask.base.tokenize(str(path), variables, first, stop, levels, footprints.lookup, columns)
    parts = [
        da.from_delayed(
            dask.delayed(_read_block_signals, pure=True)(str(path), variables, lo, hi, levels, shared, columns,
                                                         chunk_days, dask_key_name=f"read-grid-block-{token}-{lo}"),
            shape=(hi - lo, len(footprints.point_flat), len(columns)), dtype=np.float32,
        )
        for lo, hi in itertools.pairwise(edges)
    ]
    return times[first:stop], da.concatenate(parts, axis=0)


def extract_site_ocean(grid: xr.Dataset | Path, footprints: SiteFootprints | pd.DataFrame,
                       start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Grid (a Dataset, or the path of a canonical Zarr store) + footprints (or a nearest-cell lookup) -> daily base
    signals per net: date, site_id, OCEAN_COLUMNS (C, psu, m/s, m, C/km) for days start..end.

    One Dask compute for the whole span; numpy-backed, Dask-backed and on-disk grids give the same values.
    """
    if isinstance(grid, (str, Path)):
        if isinstance(footprints, pd.DataFrame):
            footprints = footprints_from_lookup(open_grid_store(Path(grid)), footprints)
        dates, lazy = store_signal_array(Path(grid), start, end, footprints)
    else:
        grid = grid.sel(time=slice(start, end))
        if isinstance(footprints, pd.DataFrame):
            footprints = footprints_from_lookup(grid, footprints)
        dates, lazy = pd.DatetimeIndex(grid.time.values), site_signal_array(grid, footprints)
    return signals_to_frame(lazy.compute(), dates, footprints.site_ids, OCEAN_COLUMNS)


def signals_to_frame(values: np.ndarray, dates: pd.DatetimeIndex, site_ids: list[str], columns: list[str]) -> pd.DataFrame:
    """(time, site, column) array -> long frame: date, site_id, columns (rows by date, then site)."""
    n_time, n_sites, n_columns = values.shape
    frame = pd.DataFrame(values.reshape(n_time * n_sites, n_columns).astype(np.float64), columns=columns)
    frame.insert(0, "site_id", np.tile(np.asarray(site_ids, dtype=object), n_time))
    frame.insert(0, "date", np.repeat(pd.DatetimeIndex(dates).as_unit("ns").values, n_sites))
    return frame
