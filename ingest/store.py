"""The contract of the canonical Zarr stores (the daily grid store and the ocean forecast store), owned here only.

Axis names (`GRID_AXIS`; `FORECAST_AXIS` and `LEAD_AXIS` for forecasts, `FORECAST_AXIS` and `HOURLY_LEAD_AXIS` for
the hourly forecast store), the variables (`VARIABLES`; `HOURLY_VARIABLES` for the hourly store), chunking
(`CHUNK_DAYS` along the daily axis, the whole grid in space), opening (`open_grid_store`, `open_forecast_store`,
`open_hourly_forecast_store`, `has_store`) and writing (`overlay_write` with an undo journal): every reader and writer uses these and guesses
no name. A store has one regular daily axis (`time`, or `issue_time` for forecasts, which also have `lead_days`)
chunked 32 days, and holds every canonical variable (NaN until a file provides it). A write *overlays*: a new file's values replace the stored
ones wherever the file has a value; where it has none (a variable it lacks, a depth it lacks, land, outside its
domain) the stored values stay. So temperature and currents of one day may arrive in separate files.

Before a write, the files it may change are copied into `<store>.undo/`; the journal is removed once the warehouse
has committed the write. A write that fails, or a process killed part-way, is undone (at once, or by
`recover_store` at the next ingest) so the store is as it was before the file.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

log = logging.getLogger(__name__)

CHUNK_DAYS = 32
# The axes every reader may rely on (nothing else guesses names): the grid store's daily axis, and the forecast
# store's issue axis and lead axis (whole days from the issue date to the valid day; lead 0 = the issue day).
GRID_AXIS = "time"
FORECAST_AXIS = "issue_time"
LEAD_AXIS = "lead_days"
# canonical variable -> (has a depth dimension, units, CF standard name)
VARIABLES: dict[str, tuple[bool, str, str]] = {
    "temp_c": (True, "degrees_C", "sea_water_potential_temperature"),
    "salinity_psu": (True, "1e-3", "sea_water_practical_salinity"),
    "eastward_current_ms": (True, "m s-1", "eastward_sea_water_velocity"),
    "northward_current_ms": (True, "m s-1", "northward_sea_water_velocity"),
    "ssh_m": (False, "m", "sea_surface_height_above_geoid"),
}
SPATIAL = ("depth", "lat", "lon")
# The hourly forecast store (`<data-dir>/ocean_forecasts_hourly.zarr`): surface currents only, dims (FORECAST_AXIS,
# HOURLY_LEAD_AXIS, depth, lat, lon) on its own grid (the first hourly file's, cropped to the nets); lead hour h is
# valid at the issue day's 00:00 UTC + h hours. The daily forecast store keeps the daily means the features use.
HOURLY_LEAD_AXIS = "lead_hours"
HOURLY_VARIABLES = {name: VARIABLES[name] for name in ("eastward_current_ms", "northward_current_ms")}


def open_store(path: Path, what: str = "grid store") -> xr.Dataset:
    """A canonical Zarr store -> lazy Dask-backed Dataset; FileNotFoundError naming the fix when absent."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no {what} at {path}: run `setnet ingest grids PATH` first")
    return xr.open_zarr(path, consolidated=False, chunks={})


def open_grid_store(path: Path) -> xr.Dataset:
    """The grid store -> lazy Dataset (time, depth, lat, lon) of VARIABLES; FileNotFoundError when absent."""
    return open_store(path, "grid store")


def open_forecast_store(path: Path) -> xr.Dataset:
    """The ocean forecast store -> lazy Dataset (issue_time, lead_days, depth, lat, lon); FileNotFoundError when absent."""
    return open_store(path, "ocean forecast store")


def open_hourly_forecast_store(path: Path) -> xr.Dataset:
    """The hourly forecast store -> lazy Dataset (issue_time, lead_hours, depth, lat, lon); FileNotFoundError when absent."""
    return open_store(path, "hourly ocean forecast store")


def has_store(path: Path) -> bool:
    """Whether a canonical store has been written at `path`."""
    return (Path(path) / "zarr.json").exists()


def _chunks(variable: xr.DataArray, axis: str) -> tuple[int, ...]:
    return tuple(CHUNK_DAYS if d == axis else variable.sizes[d] for d in variable.dims)


def empty_fields(template: xr.Dataset, axis: str, days: pd.DatetimeIndex,
                 names: dict[str, tuple[bool, str, str]] = VARIABLES) -> xr.Dataset:
    """Every canonical variable of `names`, all NaN, on `days` and the template's other coordinates."""
    extra = [d for d in template.dims if d not in (axis, *SPATIAL)]  # LEAD_AXIS in the forecast store
    variables = {}
    for name, (has_depth, units, standard_name) in names.items():
        dims = (axis, *extra, *(("depth",) if has_depth else ()), "lat", "lon")
        shape = tuple(len(days) if d == axis else template.sizes[d] for d in dims)
        variables[name] = xr.DataArray(np.full(shape, np.nan, dtype="float32"), dims=dims,
                                       attrs={"units": units, "standard_name": standard_name})
    coords = {axis: days, **{d: template[d].values for d in (*extra, *SPATIAL)}}
    return xr.Dataset(variables, coords=coords, attrs=template.attrs)


def _write_whole(path: Path, ds: xr.Dataset, axis: str) -> None:
    """Write `ds` as a fresh store beside `path` and swap it in, so a crash never leaves half a store."""
    temporary = path.with_name(path.name + ".writing")
    shutil.rmtree(temporary, ignore_errors=True)
    encoding = {name: {"chunks": _chunks(ds[name], axis)} for name in ds.data_vars}
    ds.to_zarr(temporary, mode="w", consolidated=False, zarr_format=3, encoding=encoding)
    if path.exists():
        backup = path.with_name(path.name + ".old")
        shutil.rmtree(backup, ignore_errors=True)
        path.rename(backup)
        temporary.rename(path)
        shutil.rmtree(backup)
    else:
        temporary.rename(path)


def _extend_axis(path: Path, new: xr.Dataset, axis: str, names: dict[str, tuple[bool, str, str]]) -> None:
    """Make the store's daily axis cover the days of `new` (NaN days appended, or the store rebuilt for earlier days)."""
    first, last = pd.Timestamp(new[axis].values.min()), pd.Timestamp(new[axis].values.max())
    if not path.exists():
        _write_whole(path, empty_fields(new, axis, pd.date_range(first, last, freq="D"), names), axis)
        return
    stored = open_store(path)
    days = stored[axis].to_index()
    lacking = [name for name in names if name not in stored.data_vars]
    if lacking:  # a store written before a variable was canonical gets it now, all NaN
        empty = empty_fields(stored, axis, days, names)[lacking]
        empty = empty.drop_vars([c for c in empty.coords])
        empty.to_zarr(path, mode="a", consolidated=False,
                      encoding={name: {"chunks": _chunks(empty[name], axis)} for name in lacking})
        stored = open_store(path)
    if first < days[0]:  # rare backfill before the store begins: rebuild
        earlier = empty_fields(stored, axis, pd.date_range(first, days[0] - pd.Timedelta(days=1), freq="D"), names)
        _write_whole(path, xr.concat([earlier, stored.load().drop_encoding()], dim=axis, data_vars="all"), axis)
        stored = open_store(path)
        days = stored[axis].to_index()
    if last > days[-1]:
        later = empty_fields(stored, axis, pd.date_range(days[-1] + pd.Timedelta(days=1), last, freq="D"), names)
        later.drop_vars([c for c in later.coords if c != axis]).to_zarr(path, append_dim=axis, consolidated=False)


def overlay_write(path: Path, new: xr.Dataset, axis: str,
                  variables: dict[str, tuple[bool, str, str]] = VARIABLES) -> None:
    """Write `new` (on the store's grid) into the store: its non-NaN values replace the stored ones, nothing else
    changes. `variables`: the store's variables (HOURLY_VARIABLES for the hourly store)."""
    new = new.sortby(axis).load()
    _extend_axis(path, new, axis, variables)
    stored = open_store(path)
    days = stored[axis].to_index()
    positions = days.get_indexer(new[axis].to_index())
    start, stop = int(positions.min()), int(positions.max()) + 1
    names = [n for n in new.data_vars if n in variables]
    block = stored[names].isel({axis: slice(start, stop)}).load()
    newer = new[names].reindex({axis: block[axis]})
    merged = xr.Dataset({name: newer[name].where(newer[name].notnull(), block[name]).astype("float32")
                         .transpose(*block[name].dims).assign_attrs(block[name].attrs) for name in names})
    merged = merged.drop_vars([c for c in merged.coords if axis not in merged[c].dims])
    merged.drop_vars(axis).to_zarr(path, region={axis: slice(start, stop)}, consolidated=False, mode="r+")


# --- the undo journal -------------------------------------------------------------------------------------------

def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".undo")


def _is_small_or_touched(relative: Path, touched: set[int] | None, axis: str) -> bool:
    """Whether a store file must be saved: metadata, coordinate chunks, or data chunks of a touched axis chunk."""
    parts = relative.parts
    if relative.name == "zarr.json" or touched is None or len(parts) < 3 or parts[1] != "c":
        return True
    if parts[0] in (axis, *SPATIAL, LEAD_AXIS, HOURLY_LEAD_AXIS):
        return True
    return not parts[2].isdigit() or int(parts[2]) in touched


def begin_journal(path: Path, write_id: str, days: pd.DatetimeIndex, axis: str) -> None:
    """Save what writing `days` into the store may change, under `<store>.undo/`."""
    undo = journal_path(path)
    shutil.rmtree(undo, ignore_errors=True)
    (undo / "files").mkdir(parents=True)
    if not path.exists():
        (undo / "absent").write_text("the store did not exist before this write\n")
    else:
        stored_days = open_store(path)[axis].to_index()
        touched: set[int] | None = None  # None: a rebuild, save everything
        if days.min() >= stored_days[0]:
            positions = stored_days.get_indexer(days)
            touched = {int(p) // CHUNK_DAYS for p in positions if p >= 0}
            if days.max() > stored_days[-1]:  # an append rewrites the last, partly filled chunk
                touched.add((len(stored_days) - 1) // CHUNK_DAYS)
        files = sorted(p.relative_to(path) for p in path.rglob("*") if p.is_file())
        (undo / "manifest.txt").write_text("\n".join(map(str, files)) + "\n", encoding="utf-8")
        for relative in files:
            if _is_small_or_touched(relative, touched, axis):
                target = undo / "files" / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path / relative, target)
    (undo / "write_id").write_text(write_id, encoding="utf-8")


def undo_journal(path: Path) -> None:
    """Put the store back as it was when the journal began, then drop the journal."""
    undo = journal_path(path)
    shutil.rmtree(path.with_name(path.name + ".writing"), ignore_errors=True)
    old = path.with_name(path.name + ".old")
    if old.exists() and not path.exists():
        old.rename(path)
    shutil.rmtree(old, ignore_errors=True)
    if (undo / "absent").exists():
        shutil.rmtree(path, ignore_errors=True)
    else:
        keep = set((undo / "manifest.txt").read_text(encoding="utf-8").split())
        for file in [p for p in path.rglob("*") if p.is_file()]:
            if str(file.relative_to(path)) not in keep:
                file.unlink()
        saved = undo / "files"
        for file in (p for p in saved.rglob("*") if p.is_file()):
            target = path / file.relative_to(saved)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
    shutil.rmtree(undo)


def end_journal(path: Path) -> None:
    """The write is committed: drop the journal."""
    shutil.rmtree(journal_path(path), ignore_errors=True)


def recover_store(path: Path, committed: Callable[[str], bool]) -> bool:
    """Undo a write a killed process left half-done (its journal remains and the warehouse never committed it)."""
    undo = journal_path(path)
    if not undo.exists():
        return False
    write_id = (undo / "write_id").read_text(encoding="utf-8").strip() if (undo / "write_id").exists() else ""
    if write_id and committed(write_id):
        end_journal(path)
        return False
    log.warning("%s: undoing an interrupted write (%s)", path, write_id or "unknown")
    undo_journal(path)
    return True
