"""Ocean grids: provider NetCDF files -> one canonical, time-chunked Zarr store (appendable day by day, idempotent).

Canonical layout: dims (time, depth, lat, lon); time daily at 00:00; depth in m positive down; lat ascending;
lon in -180..180 ascending; variables temp_c (degrees C), eastward_current_ms and northward_current_ms (m/s),
ssh_m (m, no depth).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cf_xarray  # noqa: F401  (registers the .cf accessor)
import numpy as np
import pandas as pd
import xarray as xr

from ingest.catches import expand_paths
from ingest.errors import IngestError
from setnet.settings import Settings
from setnet.warehouse import connect, upsert

TIME_CHUNK_DAYS = 32
FILES_PER_BATCH = 64

# Canonical variable -> (CF standard names, known provider names, canonical units, CF standard name to write).
CANONICAL_VARIABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str, str]] = {
    "temp_c": (
        ("sea_water_potential_temperature", "sea_water_temperature", "sea_surface_temperature"),
        ("thetao", "temp", "water_temp", "sst", "temperature"),
        "degrees_C",
        "sea_water_potential_temperature",
    ),
    "eastward_current_ms": (
        ("eastward_sea_water_velocity", "surface_eastward_sea_water_velocity"),
        ("uo", "u", "water_u"),
        "m s-1",
        "eastward_sea_water_velocity",
    ),
    "northward_current_ms": (
        ("northward_sea_water_velocity", "surface_northward_sea_water_velocity"),
        ("vo", "v", "water_v"),
        "m s-1",
        "northward_sea_water_velocity",
    ),
    "ssh_m": (
        ("sea_surface_height_above_geoid", "sea_surface_height_above_sea_level", "sea_surface_height"),
        ("zos", "ssh", "surf_el", "zeta"),
        "m",
        "sea_surface_height_above_geoid",
    ),
}
COORDINATE_NAMES = {
    "lat": ("latitude", "lat", "nav_lat", "y"),
    "lon": ("longitude", "lon", "nav_lon", "x"),
    "depth": ("depth", "zlev", "lev", "deptht"),
}
SURFACE_ONLY = ("ssh_m",)


@dataclass(frozen=True)
class GridIngestResult:
    """What one grid ingest did: files read, days appended and days rewritten in the store."""

    files: int
    days_added: int
    days_replaced: int
    first_day: str | None
    last_day: str | None


def _find_variable(ds: xr.Dataset, standard_names: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    """Name of the data variable carrying one of `standard_names` (first) or one of `names` (second)."""
    for standard_name in standard_names:
        for name, variable in ds.data_vars.items():
            if variable.attrs.get("standard_name") == standard_name:
                return str(name)
    lowered = {str(name).lower(): str(name) for name in ds.data_vars}
    return next((lowered[n] for n in names if n in lowered), None)


def _to_canonical_units(variable: xr.DataArray, canonical: str, source: str) -> xr.DataArray:
    """Convert temperature (K -> C), velocities (cm/s -> m/s) and heights (cm -> m) to canonical units."""
    units = str(variable.attrs.get("units", "")).strip()
    lowered = units.lower().replace(" ", "")
    if canonical == "temp_c":
        if lowered in ("k", "kelvin", "degk", "degrees_k"):
            return variable - 273.15
        if lowered in ("", "c", "celsius", "degc", "degree_c", "degrees_c", "degreec", "degreesc", "°c"):
            return variable
    elif canonical.endswith("_ms"):
        if lowered in ("cm/s", "cms-1", "cm.s-1", "centimeter/second"):
            return variable / 100.0
        if lowered in ("", "m/s", "ms-1", "m.s-1", "meter/second", "meters/second"):
            return variable
    elif canonical == "ssh_m":
        if lowered in ("cm", "centimeter", "centimeters"):
            return variable / 100.0
        if lowered in ("", "m", "meter", "meters", "metre", "metres"):
            return variable
    raise IngestError(f"{source}: variable {variable.name} has units {units!r} that setnet cannot convert")


def normalise_grid(ds: xr.Dataset, source: str = "grid") -> xr.Dataset:
    """Provider dataset -> canonical dataset (time, depth, lat, lon; daily means; degrees C, m/s, m)."""
    rename = {}
    for canonical, names in COORDINATE_NAMES.items():
        present = [n for n in names if n in ds.dims or n in ds.coords]
        if present:
            rename[present[0]] = canonical
        elif canonical != "depth":
            raise IngestError(f"{source}: no {canonical} coordinate (looked for {', '.join(names)})")
    ds = ds.rename(rename)
    if "time" not in ds.dims:
        raise IngestError(f"{source}: no time dimension")

    variables = {}
    for canonical, (standard_names, names, units, standard_name) in CANONICAL_VARIABLES.items():
        found = _find_variable(ds, standard_names, names)
        if found is None:
            continue
        variable = _to_canonical_units(ds[found], canonical, source).astype("float32")
        if canonical in SURFACE_ONLY and "depth" in variable.dims:
            variable = variable.isel(depth=0, drop=True)
        if canonical not in SURFACE_ONLY and "depth" not in variable.dims:
            variable = variable.expand_dims(depth=[0.0])
        variable.attrs = {"units": units, "standard_name": standard_name, "source_variable": found}
        variables[canonical] = variable
    if "temp_c" not in variables:
        raise IngestError(f"{source}: no sea temperature variable (by standard_name or as thetao/sst/water_temp)")
    out = xr.Dataset(variables)
    out = out.drop_vars([c for c in out.coords if c not in ("time", "depth", "lat", "lon")])
    out = out.assign_coords(lon=((out.lon + 180) % 360) - 180).sortby(["lat", "lon"])
    if "depth" not in out.dims:
        out = out.expand_dims(depth=[0.0])
    out = out.sortby("depth")
    days = out.time.dt.floor("D")
    if days.to_index().has_duplicates:  # sub-daily fields -> daily means
        out = out.groupby(days.rename("day")).mean("time").rename(day="time")
    else:
        out = out.assign_coords(time=days.values)
    dims = ("time", "depth", "lat", "lon")
    for name in out.data_vars:
        out[name] = out[name].transpose(*[d for d in dims if d in out[name].dims])
    out.attrs = {"Conventions": "CF-1.8", "title": "setnet canonical ocean grid"}
    return out.drop_encoding()


def open_grid_store(path: Path) -> xr.Dataset:
    """Canonical Zarr store -> lazy Dask-backed Dataset."""
    if not path.exists():
        raise FileNotFoundError(f"no grid store at {path}: run `setnet ingest grids PATH` first")
    return xr.open_zarr(path, consolidated=False, chunks={})


def _check_same_grid(stored: xr.Dataset, new: xr.Dataset, source: str) -> None:
    """Raise IngestError unless `new` lies on the stored grid (same lat, lon, depth and variables)."""
    for coordinate in ("lat", "lon", "depth"):
        if stored.sizes[coordinate] != new.sizes[coordinate] or not np.allclose(stored[coordinate], new[coordinate]):
            raise IngestError(f"{source}: its {coordinate} grid differs from the store's; regridding is not supported")
    missing = set(stored.data_vars) - set(new.data_vars)
    if missing:
        raise IngestError(f"{source}: lacks {', '.join(sorted(missing))} that the store holds")


def _write_new_store(path: Path, ds: xr.Dataset) -> None:
    """Write `ds` as a fresh store beside `path` and swap it in, so a crash never leaves half a store."""
    temporary = path.with_name(path.name + ".writing")
    shutil.rmtree(temporary, ignore_errors=True)
    encoding = {name: {"chunks": _chunks(ds[name])} for name in ds.data_vars}
    ds.chunk({"time": TIME_CHUNK_DAYS}).to_zarr(temporary, mode="w", consolidated=False, zarr_format=3,
                                                  encoding=encoding)
    if path.exists():
        backup = path.with_name(path.name + ".old")
        shutil.rmtree(backup, ignore_errors=True)
        path.rename(backup)
        temporary.rename(path)
        shutil.rmtree(backup)
    else:
        temporary.rename(path)


def _chunks(variable: xr.DataArray) -> tuple[int, ...]:
    return tuple(TIME_CHUNK_DAYS if d == "time" else variable.sizes[d] for d in variable.dims)


def write_days(path: Path, new: xr.Dataset, source: str) -> tuple[int, int]:
    """Write canonical daily fields into the store: overwrite stored days, append later ones; returns (added, replaced)."""
    new = new.sortby("time").load()
    if not path.exists():
        full = new.reindex(time=pd.date_range(new.time.values[0], new.time.values[-1], freq="D"))
        _write_new_store(path, full)
        return new.sizes["time"], 0
    stored = open_grid_store(path)
    _check_same_grid(stored, new, source)
    new = new[list(stored.data_vars)]
    stored_days = stored.time.to_index()
    if new.time.values[0] < stored_days[0]:  # days before the store begins: rebuild it (rare backfill)
        combined = xr.concat([new, stored.drop_sel(time=new.time.values, errors="ignore")], dim="time").sortby("time")
        full = combined.reindex(time=pd.date_range(combined.time.values[0], combined.time.values[-1], freq="D"))
        _write_new_store(path, full.load())
        return int((~new.time.to_index().isin(stored_days)).sum()), int(new.time.to_index().isin(stored_days).sum())
    inside = new.sel(time=new.time.to_index().isin(stored_days))
    after = new.sel(time=~new.time.to_index().isin(stored_days))
    if inside.sizes["time"]:
        positions = stored_days.get_indexer(inside.time.to_index())
        start, stop = int(positions.min()), int(positions.max()) + 1
        block = stored.isel(time=slice(start, stop)).load()
        block = _overlay(block, inside)
        block.drop_vars(["depth", "lat", "lon"]).to_zarr(path, region={"time": slice(start, stop)},
                                                          consolidated=False)
    if after.sizes["time"]:
        days = pd.date_range(stored_days[-1] + pd.Timedelta(days=1), after.time.values[-1], freq="D")
        after.reindex(time=days).to_zarr(path, append_dim="time", consolidated=False)
    return after.sizes["time"], inside.sizes["time"]


def _overlay(block: xr.Dataset, newer: xr.Dataset) -> xr.Dataset:
    """`block` with the days present in `newer` replaced by `newer` (the newer file wins)."""
    updated = block.copy()
    for name in newer.data_vars:
        updated[name].loc[{"time": newer.time.values}] = newer[name].values
    return updated


def ingest_grids(settings: Settings, paths: list[Path]) -> GridIngestResult:
    """Ingest NetCDF files (files or folders) into the canonical Zarr store; rerunning the same files changes nothing."""
    files = expand_paths(paths, (".nc", ".nc4", ".netcdf", ".cdf"))
    if not files:
        raise IngestError(f"no NetCDF files under {', '.join(map(str, paths))}")
    added = replaced = 0
    all_days: list[pd.Timestamp] = []
    with connect(settings.warehouse_path) as con:
        for start in range(0, len(files), FILES_PER_BATCH):
            batch = files[start : start + FILES_PER_BATCH]
            canonical = [(_open_one(f), f) for f in batch]
            frames = [ds for ds, _ in canonical]
            source = f"{batch[0]}..{batch[-1].name}" if len(batch) > 1 else str(batch[0])
            merged = xr.concat(frames, dim="time", data_vars="minimal", coords="minimal", compat="override",
                               join="exact") if len(frames) > 1 else frames[0]
            merged = merged.sortby("time")
            duplicated = merged.time.to_index().duplicated(keep="last")
            merged = merged.isel(time=~duplicated)  # the later file (in name order) wins
            batch_added, batch_replaced = write_days(settings.grid_store_path, merged, source)
            added += batch_added
            replaced += batch_replaced
            day_sources = pd.DataFrame(
                [(pd.Timestamp(t).date(), str(f.resolve())) for ds, f in canonical for t in ds.time.values],
                columns=["date", "source_file"],
            ).drop_duplicates("date", keep="last")
            upsert(con, "grid_days", day_sources)
            all_days.extend(merged.time.to_index())
    return GridIngestResult(
        files=len(files),
        days_added=added,
        days_replaced=replaced,
        first_day=str(min(all_days).date()) if all_days else None,
        last_day=str(max(all_days).date()) if all_days else None,
    )


def _open_one(path: Path) -> xr.Dataset:
    """One provider NetCDF file -> canonical Dataset in memory; IngestError if unreadable."""
    try:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            return normalise_grid(ds, str(path)).load()
    except IngestError:
        raise
    except (OSError, ValueError, KeyError) as error:
        raise IngestError(f"{path}: not a readable NetCDF grid ({str(error).splitlines()[0]})") from None
