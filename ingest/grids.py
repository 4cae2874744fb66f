"""Ocean grids: provider NetCDF files -> the canonical grid store or ocean forecast store, in batches with provenance.

The "writer" side of grid ingest (pangeo-forge-recipes' writers) and its I/O edge, `ingest_grids`: each file is
opened, recognised (`ingest.cf`: CF names and units), conformed to the store's grid (`ingest.conform`) and checked;
files are then written in batches, each all or nothing, to its store (`ingest.store`: layout, overlay writes, undo
journal) and to the warehouse. Ocean forecast files go to the forecast store, hourly ones to the hourly forecast store
(`ingest.forecasts`). Which product and file gave each stored day and variable: tables `grid_sources`,
`ocean_forecast_sources` and `hourly_forecast_sources`.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ingest.cf import check_grid_values
from ingest.conform import (
    check_covers_sites,
    combine_daily,
    conform_to_grid,
    crop_to_sites,
    drop_repeated_steps,
    grid_of,
    normalise_grid,
    overlay_newest,
)
from ingest.errors import IngestError
from ingest.files import (
    FileOutcome,
    already_ingested,
    expand_paths,
    record_outcome,
    record_outcomes,
    sha256_of,
)
from ingest.forecasts import is_forecast_file, is_hourly_file, normalise_forecast, normalise_hourly_forecast
from ingest.products import Product, ProductTable, load_product_table
from ingest.store import (
    FORECAST_AXIS,
    GRID_AXIS,
    HOURLY_LEAD_AXIS,
    HOURLY_VARIABLES,
    LEAD_AXIS,
    VARIABLES,
    begin_journal,
    end_journal,
    has_store,
    open_forecast_store,
    open_grid_store,
    open_hourly_forecast_store,
    overlay_write,
    recover_store,
    undo_journal,
)
from setnet.settings import Settings
from setnet.warehouse import connect, transaction, upsert

log = logging.getLogger(__name__)

NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf")
FILES_PER_BATCH = 64
DASK_ABOVE_BYTES = 256 * 2**20  # files larger than this are read through Dask, lazily
SAID_IN_SUMMARY = 3  # choices spelled out in the summary line (the rest: counted, and in the log)


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
    hourly_forecast_issues: int = 0
    decisions: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # the choices the summary line states (replaced days, repeated steps)

    def summary(self) -> str:
        """One line for people, with every choice made for them (days replaced, repeated time steps)."""
        span = f" ({self.first_day}..{self.last_day})" if self.first_day else ""
        text = (f"{self.files} grid files ({self.files_unchanged} unchanged, {len(self.files_rejected)} rejected): "
                f"{self.days_added} days added, {self.days_replaced} days updated{span}, "
                f"{self.forecast_issues} forecast issues stored"
                + (f", {self.hourly_forecast_issues} hourly" if self.hourly_forecast_issues else ""))
        shown = self.said[:SAID_IN_SUMMARY]
        more = len(self.said) - len(shown)
        return text + "".join(f"; {choice}" for choice in shown) + (f"; and {more} more (see the log)" if more else "")


# --- reading one file -------------------------------------------------------------------------------------------

def store_grids(settings: Settings) -> dict[bool | str, xr.Dataset | None]:
    """The grid (lat, lon, depth) of the analysis store (False), the forecast store (True) and the hourly forecast
    store ("hourly"); None if not written."""
    analysis, forecast = settings.grid_store_path, settings.forecast_store_path
    hourly = settings.hourly_forecast_store_path
    return {False: grid_of(open_grid_store(analysis)) if has_store(analysis) else None,
            True: grid_of(open_forecast_store(forecast)) if has_store(forecast) else None,
            "hourly": grid_of(open_hourly_forecast_store(hourly)) if has_store(hourly) else None}


@dataclass
class ReadGrid:
    """One file read, checked and put on the store's grid, waiting to be written with its batch."""

    path: Path
    checksum: str
    context: str
    product: Product
    provisional: bool
    age: tuple
    fields: xr.Dataset  # canonical, on the store grid; sub-daily steps kept for analyses; FORECAST_AXIS for forecasts
    regridded: bool
    forecast: bool
    hourly: bool = False  # an hourly forecast (its own store)
    notes: list[str] = field(default_factory=list)  # choices made reading it (a repeated time step: the later kept)

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def kind(self) -> bool | str:
        """The store it goes to: False (analyses), True (daily forecasts) or "hourly"."""
        return "hourly" if self.hourly else self.forecast


def _age(path: Path, attrs: dict, provisional: bool) -> tuple:
    """Sort key: the later a file sorts, the newer it is (final after preliminary, then creation date, mtime, name)."""
    created = str(attrs.get("date_created", attrs.get("creation_date", "")))
    return (not provisional, created, path.stat().st_mtime_ns, path.name)


def read_grid_file(path: Path, *, products: ProductTable, product_name: str | None, forecast: bool | None,
                   issue_date: str | None, sites: pd.DataFrame, grids: dict[bool, xr.Dataset | None],
                   settings: Settings, checksum: str, context: str) -> ReadGrid:
    """Open, recognise, normalise, check and conform one NetCDF file; IngestError with the reason if it is bad.

    `grids` holds the grid of the analysis store (False) and of the forecast store (True), None before the first
    file; a new forecast store takes the analysis grid, a new analysis store the file's grid cropped to the nets, a new
    hourly store ("hourly") the hourly file's grid cropped to the nets.
    """
    try:
        lazy = {} if path.stat().st_size > DASK_ABOVE_BYTES else None  # big files: crop before loading
        ds = xr.open_dataset(path, engine="netcdf4", chunks=lazy, decode_timedelta=False)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise IngestError(f"{path}: not a readable NetCDF grid ({str(error).splitlines()[0]})") from None
    with ds:
        product = products.get(product_name) if product_name else products.identify(path.name, ds.attrs)
        provisional = product.is_provisional(path.name)
        as_forecast = is_forecast_file(ds, product, forecast)
        hourly = as_forecast and is_hourly_file(ds)
        notes: list[str] = []
        try:
            if hourly:
                canonical = normalise_hourly_forecast(ds, str(path), product, issue_date,
                                                      settings.ingest.hourly_forecast_max_lead_hours)
            elif as_forecast:
                canonical = normalise_forecast(ds, str(path), product, issue_date, settings.ingest.ocean_forecast_max_lead_days)
            else:
                canonical = normalise_grid(ds, str(path), product, daily=False)
                canonical, notes = drop_repeated_steps(canonical, str(path))
            check_covers_sites(canonical, sites, str(path))
            grid = grids["hourly"] if hourly else grids[as_forecast] if grids[as_forecast] is not None else grids[False]
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
                        regridded, as_forecast, hourly, notes)


# --- writing a batch ---------------------------------------------------------------------------------------------

def _daily_fields(batch: list[ReadGrid]) -> xr.Dataset:
    """Files of a batch -> daily fields: per product and variable, steps of the newest file win, then day means;
    across products the newest file's values win where it has values."""
    by_product: dict[str, list[ReadGrid]] = {}
    for read in sorted(batch, key=lambda r: r.age):
        by_product.setdefault(read.product.name, []).append(read)
    ranked = sorted(by_product.values(), key=lambda reads: reads[-1].age)
    return combine_daily([[r.fields for r in reads] for reads in ranked])


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
    keep = ~read.fields[GRID_AXIS].dt.floor("D").to_index().isin(final_days)
    if not keep.all():
        log.info("%s: preliminary; kept the final values already stored for %d day(s)", read.name, int((~keep).sum()))
    return read.fields.isel({GRID_AXIS: np.flatnonzero(keep)})


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
    for (new, old), group in previous.groupby(["new_file", "old_file"]):
        days = sorted(set(pd.to_datetime(group.day).dt.date))
        result.said.append(f"{Path(new).name} replaced {len(days)} day(s) ({days[0]}..{days[-1]}) of "
                           f"{Path(old).name} where it has values (the newer file wins)")
    con.execute(f"DELETE FROM {table} t USING _sources s WHERE t.{key} = s.day AND t.variable = s.variable"
                f" AND s.all_depths AND t.product <> s.product")
    con.unregister("_sources")
    out = rows.drop(columns="all_depths").rename(columns={"day": key}).drop_duplicates([key, "variable", "product"],
                                                                                       keep="last")
    upsert(con, table, out.assign(ingested_at=pd.Timestamp.now()))


def _store_of(settings: Settings, forecast: bool, hourly: bool = False) -> tuple[str, Path, str, str]:
    """(daily axis, store path, provenance table, its day column) of the hourly, forecast or analysis store."""
    if hourly:
        return FORECAST_AXIS, settings.hourly_forecast_store_path, "hourly_forecast_sources", "issue_date"
    if forecast:
        return FORECAST_AXIS, settings.forecast_store_path, "ocean_forecast_sources", "issue_date"
    return GRID_AXIS, settings.grid_store_path, "grid_sources", "date"


def _batch_rows(reads: list[ReadGrid], fields: xr.Dataset, axis: str, forecast: bool,
                hourly: bool = False) -> pd.DataFrame:
    """Provenance rows of a batch's files (forecast rows name the leads each file gave instead of depths)."""
    kept = {r.name: r.fields for r in reads}
    rows = _source_rows(reads, grid_of(fields), kept, axis)
    if hourly:
        rows = rows.drop(columns=["provisional", "depths_m"]).assign(
            lead_hours=[_leads_text(kept[f], HOURLY_LEAD_AXIS) for f in rows.file])
    elif forecast:
        rows = rows.drop(columns=["provisional", "depths_m"]).assign(lead_days=[_leads_text(kept[f]) for f in rows.file])
    return rows


def _count_days(result: GridIngestResult, days: pd.DatetimeIndex, prior: set, forecast: bool,
                hourly: bool = False) -> None:
    """Add a written batch's days to the result: forecast issues, or analysis days added and replaced."""
    day_list = [d.date() for d in days]
    if hourly:
        result.hourly_forecast_issues += len(day_list)
        return
    if forecast:
        result.forecast_issues += len(day_list)
        return
    result.days_added += sum(d not in prior for d in day_list)
    result.days_replaced += sum(d in prior for d in day_list)
    result.first_day = min(filter(None, [result.first_day, str(min(day_list))]))
    result.last_day = max(filter(None, [result.last_day, str(max(day_list))]))


def _write_batch(con, settings: Settings, batch: list[ReadGrid], result: GridIngestResult, forecast: bool) -> None:
    """Write one batch of read files to its store and the warehouse, all or nothing."""
    hourly = batch[0].hourly
    axis, path, table, key = _store_of(settings, forecast, hourly)
    kept = {r.name: (r.fields if forecast else _drop_superseded_provisional(con, r)) for r in batch}
    write_id = uuid.uuid4().hex
    outcomes = [FileOutcome(read.name, "ocean_forecasts" if forecast else "grids", read.checksum, read.context,
                            read.product.name, rows_stored=int(kept[read.name].sizes[axis]), write_id=write_id)
                for read in batch]
    live = [ReadGrid(**{**r.__dict__, "fields": kept[r.name]}) for r in batch if kept[r.name].sizes[axis] > 0]
    if not live:  # nothing left to store (preliminary days a final file already gave): only the outcomes
        with transaction(con):
            record_outcomes(con, outcomes)
        return
    fields = overlay_newest([r.fields for r in sorted(live, key=lambda r: r.age)]) if forecast else _daily_fields(live)
    days = fields[axis].to_index()
    rows = _batch_rows(live, fields, axis, forecast, hourly)
    prior = set(pd.to_datetime(con.execute(f"SELECT DISTINCT {key} FROM {table}").df()[key]).dt.date)
    begin_journal(path, write_id, days, axis)
    try:
        overlay_write(path, fields, axis, HOURLY_VARIABLES if hourly else VARIABLES)
        with transaction(con):
            _record_sources(con, table, key, rows, result)
            if not forecast:
                legacy = rows.sort_values("day").drop_duplicates("day", keep="last")
                upsert(con, "grid_days", pd.DataFrame({"date": legacy.day, "source_file": legacy.file}))
            record_outcomes(con, outcomes)
    except BaseException:
        undo_journal(path)
        raise
    end_journal(path)
    _count_days(result, days, prior, forecast, hourly)


def _leads_text(fields: xr.Dataset, lead_axis: str = LEAD_AXIS) -> str:
    """'0..7' for the leads a forecast file gave values for."""
    has = fields.to_array().notnull().any(dim=[d for d in fields.to_array().dims if d != lead_axis])
    leads = fields[lead_axis].values[has.values]
    return f"{leads.min()}..{leads.max()}" if leads.size else ""


# --- the I/O edge ---------------------------------------------------------------------------------------------

def _context(products: ProductTable, product: str | None, forecast: bool | None, issue_date: str | None) -> str:
    """Checksum of what shapes a grid file's result besides its bytes: the product table and the options."""
    return hashlib.sha256(f"{products.checksum}|{product}|{forecast}|{issue_date}".encode()).hexdigest()


def _recover_stores(con, settings: Settings) -> None:
    """Undo the store writes a killed ingest left half-done (journal present, never committed in the warehouse)."""
    def committed(write_id: str) -> bool:
        return con.execute("SELECT 1 FROM ingested_files WHERE write_id = ?", [write_id]).fetchall() != []
    recover_store(settings.grid_store_path, committed)
    recover_store(settings.forecast_store_path, committed)
    recover_store(settings.hourly_forecast_store_path, committed)


def _read_new_file(con, path: Path, result: GridIngestResult, *, force: bool, context: str, product: str | None,
                   **options) -> ReadGrid | None:
    """One file read (`read_grid_file` with `options`), or None: unchanged since its ingest, or refused (recorded)."""
    checksum = sha256_of(path)
    if not force and already_ingested(con, str(path), checksum, context):
        log.info("%s: unchanged since it was ingested, skipped", path)
        result.files_unchanged += 1
        return None
    try:
        return read_grid_file(path, product_name=product, checksum=checksum, context=context, **options)
    except IngestError as error:
        log.warning("%s", error)
        record_outcome(con, FileOutcome(str(path), "grids", checksum, context, product, outcome="rejected",
                                        reason=str(error)))
        result.files_rejected.append(str(error))
        return None


def _enqueue(con, settings: Settings, queue: list[ReadGrid], read: ReadGrid, result: GridIngestResult) -> None:
    """Queue a read file; a full queue is written first when the file begins after every day it holds."""
    if len(queue) >= FILES_PER_BATCH and _first_day(read) > max(_last_day(r) for r in queue):
        _write_batch(con, settings, queue, result, read.forecast)
        queue.clear()
    queue.append(read)


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
        _recover_stores(con, settings)
        sites = con.execute("SELECT site_id, lat, lon FROM sites").df()
        grids = store_grids(settings)
        pending: dict[bool | str, list[ReadGrid]] = {False: [], True: [], "hourly": []}
        for path in files:
            read = _read_new_file(con, path, result, force=force, context=context, product=product,
                                  products=products, forecast=forecast, issue_date=issue_date, sites=sites,
                                  grids=grids, settings=settings)
            if read is None:
                continue
            for note in read.notes:
                log.warning("%s", note)
            result.decisions.extend(read.notes)
            result.said.extend(read.notes)
            if grids[read.kind] is None:
                grids[read.kind] = grid_of(read.fields)
            _enqueue(con, settings, pending[read.kind], read, result)
        for queue in pending.values():
            if queue:
                _write_batch(con, settings, queue, result, queue[0].forecast)
    if result.files_rejected and raise_on_rejected:
        raise IngestError(f"{len(result.files_rejected)} of {len(files)} grid files rejected, the others ingested "
                          f"({result.summary()}); first: {result.files_rejected[0]}")
    return result


def _first_day(read: ReadGrid) -> pd.Timestamp:
    axis = FORECAST_AXIS if read.forecast else GRID_AXIS
    return pd.Timestamp(read.fields[axis].values.min()).floor("D")


def _last_day(read: ReadGrid) -> pd.Timestamp:
    axis = FORECAST_AXIS if read.forecast else GRID_AXIS
    return pd.Timestamp(read.fields[axis].values.max()).floor("D")
