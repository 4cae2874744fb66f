"""The features stage's I/O edge: read the grid store, the forecast store and the warehouse for a span of issue dates.

The grid is read lazily from the chunked Zarr store and reduced to the nets in one Dask computation (on the
configured distributed cluster, or Dask's local threads). Only the days the windows need are read; the reference
(climatology and swift-current thresholds of the complete years before each issue date) is cached under
`<data-dir>/features/reference/`, keyed by its period, the nets' footprints and the store's chunk files, so a daily
run reads a few weeks of grid, not years. `ocean_at_nets` gives the report the same ocean at the nets (cell, day,
normal) for one issue date. Stores are opened through `ingest.store`, which owns their axis names.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import xarray as xr

from features.catch_history import CATCH_LOOKBACK_DAYS
from features.kyucho import hourly_at_nets
from features.net_ocean import analysis_at_nets, forecast_at_nets
from features.ocean import SiteFootprints, extract_site_ocean, site_footprints
from features.ocean_forecast import forecast_site_values
from features.ocean_state import (
    OceanReference,
    daily_signals,
    ocean_lookback_days,
    ocean_reference,
    reference_period_end,
    reference_year,
    site_ocean_cube,
)
from features.table import build_feature_table
from ingest.store import (
    FORECAST_AXIS,
    GRID_AXIS,
    has_store,
    open_forecast_store,
    open_grid_store,
    open_hourly_forecast_store,
)
from setnet.settings import SPECIES, Settings
from setnet.warehouse import connect

# Bump when a change alters the reference (climatology, thresholds): cached references of older versions are ignored.
REFERENCE_VERSION = 1


def scheduler_address(settings: Settings) -> str | None:
    """The Dask scheduler to use: Settings.dask_scheduler_address, else Dask's own `scheduler-address` config/env."""
    return settings.dask_scheduler_address or dask.config.get("scheduler-address", None)


@contextmanager
def dask_client(settings: Settings) -> Iterator[object]:
    """A distributed Client on the configured scheduler for the duration, or Dask's local threads when none is set."""
    address = scheduler_address(settings)
    if not address:
        with nullcontext() as nothing:
            yield nothing
        return
    from distributed import Client

    with Client(address, set_as_default=True) as client:
        yield client


def load_site_ocean(settings: Settings, sites: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                    grid: xr.Dataset | None = None, footprints: SiteFootprints | None = None) -> pd.DataFrame:
    """Grid store days start..end -> daily base signals at each site (long table: date, site_id, OCEAN_COLUMNS)."""
    grid = open_grid_store(settings.grid_store_path) if grid is None else grid
    if footprints is None:
        footprints = site_footprints(grid, sites, settings.features.site_search_radius_km, settings.features.ocean_radius_km)
    with dask_client(settings):
        return extract_site_ocean(settings.grid_store_path, footprints, start, end)


def load_site_forecasts(settings: Settings, sites: pd.DataFrame, issue_dates: pd.DatetimeIndex,
                        grid: xr.Dataset, footprints: SiteFootprints) -> pd.DataFrame | None:
    """Forecast store -> point values at each net for the issue dates and leads, or None when there is no store."""
    if not has_store(settings.forecast_store_path):
        return None
    return _forecast_values(settings, open_forecast_store(settings.forecast_store_path), sites, issue_dates,
                            settings.lead_days, grid, footprints)


def _on_same_grid(store: xr.Dataset, grid: xr.Dataset) -> bool:
    """Whether the forecast store lies on the grid store's (lat, lon) grid."""
    return (store.sizes["lat"] == grid.sizes["lat"] and store.sizes["lon"] == grid.sizes["lon"]
            and bool(np.allclose(store.lat, grid.lat)) and bool(np.allclose(store.lon, grid.lon)))


def _forecast_values(settings: Settings, store: xr.Dataset, sites: pd.DataFrame, issue_dates: pd.DatetimeIndex,
                     lead_days: list[int], grid: xr.Dataset, footprints: SiteFootprints) -> pd.DataFrame:
    """Point values of the forecast store at the nets (the grid's footprints when on its grid, else its own)."""
    with dask_client(settings):
        return forecast_site_values(store, sites, issue_dates, lead_days, settings.features.site_search_radius_km,
                                    footprints if _on_same_grid(store, grid) else None)


def _store_fingerprint(path: Path, grid: xr.Dataset, last_day: pd.Timestamp) -> str:
    """Hash of (name, size, mtime) of every data chunk file holding a day up to `last_day`, and of the first day.

    Appending later days leaves it unchanged; rewriting any earlier day (a backfill, a correction) changes it.
    """
    times = pd.DatetimeIndex(grid[GRID_AXIS].values)
    last_index = int(times.searchsorted(last_day, side="right")) - 1
    entries = [str(times[0].date())]
    for variable in sorted(grid.data_vars):
        chunk_days = (grid[variable].encoding.get("chunks") or (None,))[0]
        last_chunk = last_index // chunk_days if chunk_days else None
        folder = path / str(variable)
        for root, _dirs, files in os.walk(folder):
            for name in files:
                relative = os.path.relpath(os.path.join(root, name), folder)
                parts = relative.replace(".", "/").split("/")
                parts = parts[1:] if parts[0] == "c" else parts  # Zarr v3 keys c/<t>/..., v2 keys <t>.<z>...
                if not parts[0].isdigit() or (last_chunk is not None and int(parts[0]) > last_chunk):
                    continue
                stat = os.stat(os.path.join(root, name))
                entries.append(f"{variable}/{relative}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()[:16]


class ReferenceCache:
    """Cached OceanReference of one year per file, keyed by period, footprints, percentile and store fingerprint."""

    def __init__(self, settings: Settings, grid: xr.Dataset, footprints: SiteFootprints,
                 start: pd.Timestamp, end: pd.Timestamp | None) -> None:
        self.folder = (settings.features.feature_cache_dir or settings.data_dir / "features") / "reference"
        self.settings, self.grid, self.footprints, self.start, self.end = settings, grid, footprints, start, end
        self.footprint_key = hashlib.sha256(
            footprints.lookup[["site_id", "lat_index", "lon_index"]].to_csv(index=False).encode()
            + footprints.cells.tobytes() + footprints.radius.indices.tobytes() + footprints.radius.indptr.tobytes()
        ).hexdigest()[:16]

    def _path(self, year: int) -> Path:
        period_end = reference_period_end(year, self.end)
        recipe = json.dumps({
            "version": REFERENCE_VERSION, "start": str(self.start.date()), "end": str(period_end.date()),
            "footprints": self.footprint_key, "percentile": self.settings.features.swift_current_percentile,
            "store": _store_fingerprint(self.settings.grid_store_path, self.grid, period_end),
        }, sort_keys=True)
        return self.folder / f"{year}-{hashlib.sha256(recipe.encode()).hexdigest()[:20]}.npz"

    def load(self, year: int) -> OceanReference | None:
        path = self._path(year)
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as saved:
            return OceanReference(saved["years"], [str(s) for s in saved["site_ids"]], saved["climatology"],
                                  saved["threshold"])

    def save(self, reference: OceanReference) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for year in reference.years:
            part = reference.select(np.array([year]))
            path = self._path(int(year))
            temporary = path.with_name(path.name + ".writing.npz")
            np.savez(temporary, years=part.years, site_ids=np.array(reference.site_ids), climatology=part.climatology,
                     threshold=part.threshold)
            temporary.replace(path)


@dataclass
class FeatureInputs:
    """Everything the table builder needs for a span of issue dates, read once from the stores."""

    settings: Settings
    sites: pd.DataFrame
    catches: pd.DataFrame
    site_ocean: pd.DataFrame
    site_forecasts: pd.DataFrame | None
    reference: OceanReference | None
    climatology_start: pd.Timestamp
    climatology_end: pd.Timestamp | None

    def table(self, issue_dates: pd.DatetimeIndex, trim: bool = False) -> pd.DataFrame:
        """The feature table of `issue_dates` (a subset of the span); `trim` first cuts the inputs to their windows."""
        settings, site_ocean, catches, forecasts = self.settings, self.site_ocean, self.catches, self.site_forecasts
        if trim:
            first, last = issue_dates.min(), issue_dates.max()
            ocean_days = pd.to_datetime(site_ocean.date)
            site_ocean = site_ocean[(ocean_days >= first - pd.Timedelta(days=ocean_lookback_days(
                settings.max_grid_age_days))) & (ocean_days <= last)]
            catch_days = pd.to_datetime(catches.date)
            catches = catches[(catch_days >= first - pd.Timedelta(days=CATCH_LOOKBACK_DAYS))
                              & (catch_days <= last + pd.Timedelta(days=settings.max_lead_days))]
            if forecasts is not None:
                forecasts = forecasts[pd.to_datetime(forecasts.issue_date).between(first, last)]
        return build_feature_table(
            site_ocean, catches, self.sites, [s.code for s in SPECIES], issue_dates, settings.lead_days,
            settings.max_grid_age_days, site_forecasts=forecasts, reference=self.reference,
            climatology_start=self.climatology_start, climatology_end=self.climatology_end,
            swift_percentile=settings.features.swift_current_percentile, neighbour_count=settings.features.catch_neighbour_count,
        )


def read_feature_inputs(settings: Settings, issue_dates: pd.DatetimeIndex, *,
                        climatology_start: pd.Timestamp | None = None,
                        climatology_end: pd.Timestamp | None = None) -> FeatureInputs:
    """Issue dates -> the sites, catches, ocean signals at the nets, forecasts and reference their rows need."""
    issue_dates = pd.DatetimeIndex(issue_dates)
    first, last = issue_dates.min(), issue_dates.max()
    with connect(settings.warehouse_path, read_only=True) as con:
        sites = con.execute("SELECT * FROM sites ORDER BY site_id").df()
        catches = con.execute(
            "SELECT date, site_id, species, catch_kg FROM catches WHERE date BETWEEN ? AND ?",
            [(first - pd.Timedelta(days=CATCH_LOOKBACK_DAYS)).date(), (last + pd.Timedelta(days=settings.max_lead_days)).date()],
        ).df()
    if sites.empty:
        raise ValueError(f"no sites in {settings.warehouse_path}: run `setnet ingest sites FILE` first")
    grid = open_grid_store(settings.grid_store_path)
    footprints = site_footprints(grid, sites, settings.features.site_search_radius_km, settings.features.ocean_radius_km)
    start = _first(climatology_start, settings.features.climatology_start, grid[GRID_AXIS].values[0])
    end = _first(climatology_end, settings.features.climatology_end, None)
    ocean_start = first - pd.Timedelta(days=ocean_lookback_days(settings.max_grid_age_days))
    site_ocean, reference = _site_ocean_and_reference(settings, sites, grid, footprints, ocean_start, last, start, end)
    return FeatureInputs(
        settings=settings, sites=sites, catches=catches, site_ocean=site_ocean,
        site_forecasts=load_site_forecasts(settings, sites, issue_dates, grid, footprints),
        reference=reference, climatology_start=start, climatology_end=end,
    )


def _site_ocean_and_reference(settings: Settings, sites: pd.DataFrame, grid: xr.Dataset, footprints: SiteFootprints,
                              ocean_start: pd.Timestamp, last: pd.Timestamp, start: pd.Timestamp,
                              end: pd.Timestamp | None) -> tuple[pd.DataFrame, OceanReference | None]:
    """Grid days ocean_start..last at the nets (long frame), and the reference of those days' reference years.

    References come from the cache; a missing year is computed from the grid (read from `start` on) and cached.
    None when no reference year reaches into [start, end].
    """
    years = np.unique(reference_year(pd.date_range(ocean_start, last, freq="D"), end))
    cache = ReferenceCache(settings, grid, footprints, start, end)
    cached = {int(y): cache.load(int(y)) for y in years}
    missing = np.array([y for y, ref in cached.items() if ref is None and reference_period_end(y, end) >= start])
    read_start = min(ocean_start, start) if len(missing) else ocean_start
    site_ocean = load_site_ocean(settings, sites, read_start, last, grid, footprints)
    parts = [ref for ref in cached.values() if ref is not None]
    if len(missing):
        ordered = sites.sort_values("site_id")
        days = pd.date_range(read_start, last, freq="D")
        signals = daily_signals(site_ocean_cube(site_ocean, days, ordered.site_id.tolist()), days, ordered)
        computed = ocean_reference(signals, missing, start, end, settings.features.swift_current_percentile)
        cache.save(computed)
        parts.append(computed)
    site_ocean = site_ocean[pd.to_datetime(site_ocean.date) >= ocean_start].reset_index(drop=True)
    return site_ocean, OceanReference.combine(parts) if parts else None


def ocean_at_nets(settings: Settings, sites: pd.DataFrame, issue_date: date | pd.Timestamp) -> pd.DataFrame:
    """Sites (site_id, lat, lon in degrees) + issue date -> the ocean at each net (features.net_ocean.NET_OCEAN_COLUMNS).

    Rows per net and level (surface, 50 m): the analysis day the features use on the issue date (within
    max_grid_age_days; source 'analysis'), and the days after it up to max_lead_days of the newest ocean forecast
    issued on it or up to max_grid_age_days before (source 'forecast'), and the hourly surface currents of the newest
    hourly forecast for the local days after the issue date (source 'hourly forecast', date = the valid hour in
    UTC; for the swift-current warnings, `features.kyucho`). Temperature, its normal and its anomaly in C
    (against the features' reference, as their `*_anom_c`), currents in m/s, depths in m, cells in degrees.
    """
    issue = pd.Timestamp(issue_date).normalize()
    sites = sites.sort_values("site_id").reset_index(drop=True)
    grid = open_grid_store(settings.grid_store_path)
    footprints = site_footprints(grid, sites, settings.features.site_search_radius_km, settings.features.ocean_radius_km)
    start = _first(settings.features.climatology_start, grid[GRID_AXIS].values[0])
    end = _first(settings.features.climatology_end)
    first = issue - pd.Timedelta(days=settings.max_grid_age_days)
    site_ocean, reference = _site_ocean_and_reference(settings, sites, grid, footprints, first, issue, start, end)
    days = pd.date_range(first, issue, freq="D")
    signals = daily_signals(site_ocean_cube(site_ocean, days, sites.site_id.tolist()), days, sites)
    if reference is None:  # no reference year reaches the period: no normals, as in the feature table
        reference = ocean_reference(signals, np.unique(reference_year(days, end)), start, end,
                                    settings.features.swift_current_percentile)
    rows = [analysis_at_nets(signals, reference, end, settings.max_grid_age_days, footprints.lookup,
                             grid.depth.values)]
    if has_store(settings.forecast_store_path):
        store = open_forecast_store(settings.forecast_store_path)
        leads = list(range(1, settings.max_grid_age_days + settings.max_lead_days + 1))
        values = _forecast_values(settings, store, sites, days, leads, grid, footprints)
        rows.append(forecast_at_nets(values, reference, end, issue, settings.max_lead_days, store.depth.values,
                                     footprints.lookup if _on_same_grid(store, grid) else None))
    rows.append(hourly_ocean_at_nets(settings, sites, issue))
    return pd.concat([r for r in rows if not r.empty] or rows[:1], ignore_index=True)


SOURCE_HOURLY = "hourly forecast"


def hourly_currents_at_nets(settings: Settings, sites: pd.DataFrame,
                            issue_dates: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Hourly forecast store -> features.kyucho.HOURLY_COLUMNS at each net (sites: site_id, lat, lon, bearing_deg)
    for the issues in `issue_dates` (None: every issue stored); empty without a store."""
    if not has_store(settings.hourly_forecast_store_path):
        return pd.DataFrame(columns=["issue_date", "lead_hours", "valid_time", "site_id", "east_ms", "north_ms",
                                     "along_ms", "across_ms"])
    store = open_hourly_forecast_store(settings.hourly_forecast_store_path)
    issued = pd.DatetimeIndex(store[FORECAST_AXIS].values) if issue_dates is None else pd.DatetimeIndex(issue_dates)
    sites = sites.assign(bearing_deg=sites.get("bearing_deg", 0.0))
    return hourly_at_nets(store, sites, issued, settings.features.site_search_radius_km)


def hourly_ocean_at_nets(settings: Settings, sites: pd.DataFrame, issue: pd.Timestamp) -> pd.DataFrame:
    """NET_OCEAN_COLUMNS rows (source 'hourly forecast', date = valid hour in UTC, surface) of the newest hourly
    forecast issued on `issue` or up to max_grid_age_days before, for the local days after it up to max_lead_days."""
    days = pd.date_range(issue - pd.Timedelta(days=settings.max_grid_age_days), issue, freq="D")
    hourly = hourly_currents_at_nets(settings, sites, days)
    if hourly.empty:
        return hourly
    hourly = hourly[hourly.issue_date == hourly.issue_date.max()]
    local_day = (pd.to_datetime(hourly.valid_time).dt.tz_localize("UTC").dt.tz_convert(settings.timezone)
                 .dt.tz_localize(None).dt.normalize())
    hourly = hourly[(local_day > issue) & (local_day <= issue + pd.Timedelta(days=settings.max_lead_days))]
    return pd.DataFrame({"site_id": hourly.site_id, "date": pd.to_datetime(hourly.valid_time),
                         "source": SOURCE_HOURLY, "level": "surface", "depth_m": np.nan,
                         "east_ms": hourly.east_ms, "north_ms": hourly.north_ms, "temp_c": np.nan,
                         "normal_c": np.nan, "anomaly_c": np.nan, "cell_lat": np.nan, "cell_lon": np.nan,
                         "forecast_issue_date": pd.to_datetime(hourly.issue_date)})


def build_features(settings: Settings, issue_dates: pd.DatetimeIndex, *,
                   climatology_start: pd.Timestamp | None = None,
                   climatology_end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Issue dates -> feature table read from the stores, reading only the days the windows need.

    The reference period is [climatology_start, climatology_end] (defaults: Settings, else the grid store's first
    day and no end); each row uses the complete years of it before its issue year (see features.ocean_state).
    """
    issue_dates = pd.DatetimeIndex(issue_dates).normalize().unique().sort_values()
    inputs = read_feature_inputs(settings, issue_dates, climatology_start=climatology_start,
                                 climatology_end=climatology_end)
    return inputs.table(issue_dates)


def write_features(settings: Settings, issue_dates: pd.DatetimeIndex, folder: Path, *, block_days: int = 91,
                   climatology_start: pd.Timestamp | None = None,
                   climatology_end: pd.Timestamp | None = None) -> list[Path]:
    """Issue dates -> the feature table as Parquet files under `folder`, one per block of `block_days` issue dates.

    The grid is read once; each block is built like a daily run (its inputs cut to its windows), so memory stays
    bounded by one block however many years there are. Returns the files written, in date order.
    """
    issue_dates = pd.DatetimeIndex(issue_dates).normalize().unique().sort_values()
    inputs = read_feature_inputs(settings, issue_dates, climatology_start=climatology_start,
                                 climatology_end=climatology_end)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for start in range(0, len(issue_dates), block_days):
        block = issue_dates[start:start + block_days]
        path = folder / f"features-{block[0]:%Y%m%d}-{block[-1]:%Y%m%d}.parquet"
        table = inputs.table(block, trim=True)
        strings = {c: table[c].astype("category") for c in ("site_id", "species", "ocean_source")}
        table.assign(**strings).to_parquet(path, index=False)
        written.append(path)
    return written


def _first(*values: object) -> pd.Timestamp | None:
    for value in values:
        if value is not None:
            return pd.Timestamp(value).normalize()
    return None
