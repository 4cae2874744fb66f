"""Forecast-time ocean values: for lead L, the ocean forecast issued on D for D+L where the forecast store has
one, else the ocean state known on D ("persisted analysis"), with `ocean_source` saying which.

Rows used only to FIT a model may instead carry the target day's own later analysis where no forecast was archived
(`training_covariates`, setting `models.training_ocean`): "perfect prog", so the trees learn what the target-day
ocean does. Rows that are scored or forecast never do: they keep what was known on their issue date.

The forecast store (written by ingest, `<data-dir>/ocean_forecasts.zarr`, opened by `ingest.store`) has dims
(FORECAST_AXIS, LEAD_AXIS, depth, lat, lon) and the grid store's variables. A forecast issued on D is known on D:
nothing leaks backwards. No store, a lead missing or a day missing -> persisted values.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from features.ocean import BASE_SIGNALS, SiteFootprints, site_footprints, site_signal_array
from ingest.store import FORECAST_AXIS, LEAD_AXIS

POINT_COLUMNS = [column for column, (_, _, kind) in BASE_SIGNALS.items() if kind == "point"]
# Target column -> the known-on-D ocean column it persists when there is no forecast.
TARGET_COLUMNS = {
    "target_temp_surface_c": "temp_surface_c",
    "target_temp_50m_c": "temp_50m_c",
    "target_temp_100m_c": "temp_100m_c",
    "target_salinity_psu": "salinity_psu",
    "target_current_speed_ms": "current_speed_ms",
    "target_current_along_ms": "current_along_ms",
    "target_current_across_ms": "current_across_ms",
    "target_ssh_m": "ssh_m",
}
# `ocean_source` of a feature row: where its target-day ocean columns come from.
SOURCE_FORECAST = "forecast"  # the forecast issued on the issue date for the target day, as issued
SOURCE_PERSISTED = "persisted analysis"  # the ocean state known on the issue date, persisted to the target day
SOURCE_LATER_ANALYSIS = "later analysis"  # the ocean state known on the target day itself (fitting rows only)
TRAINING_OCEAN_CHOICES = ("analysis", "persisted")  # models.training_ocean: what fitting rows without a forecast carry


def forecast_site_values(store: xr.Dataset, sites: pd.DataFrame, issue_dates: pd.DatetimeIndex, lead_days: list[int],
                         max_distance_km: float, footprints: SiteFootprints | None = None) -> pd.DataFrame:
    """Forecast store -> point values at each net's nearest sea cell: issue_date, lead_days, site_id, POINT_COLUMNS.

    Only (issue date, lead) pairs the store holds are returned. `footprints` must lie on the store's grid (the
    caller checks); without them the nearest sea cells are looked up on the store itself.
    """
    issued = pd.DatetimeIndex(store[FORECAST_AXIS].values).normalize()
    leads = np.asarray(store[LEAD_AXIS].values).astype(int)  # whole days, by the store contract
    issue_index = issued.get_indexer(pd.DatetimeIndex(issue_dates))
    lead_index = pd.Index(leads).get_indexer(lead_days)
    issue_index, lead_index = issue_index[issue_index >= 0], lead_index[lead_index >= 0]
    empty = pd.DataFrame(columns=["issue_date", "lead_days", "site_id", *POINT_COLUMNS])
    if not len(issue_index) or not len(lead_index):
        return empty
    picked = store.isel({FORECAST_AXIS: issue_index, LEAD_AXIS: lead_index})
    n_issue, n_lead = len(issue_index), len(lead_index)
    variables = {}
    for name in store.data_vars:
        variable = picked[name].transpose(FORECAST_AXIS, LEAD_AXIS, ...)
        data = variable.data if isinstance(variable.data, da.Array) else da.from_array(variable.data)
        data = data.rechunk({1: -1}).reshape((n_issue * n_lead, *data.shape[2:]))
        variables[name] = (("time", *variable.dims[2:]), data)
    flat = xr.Dataset(variables, coords={"time": np.arange(n_issue * n_lead), "lat": store.lat.values,
                                         "lon": store.lon.values, **({"depth": store.depth.values} if "depth" in store.dims else {})})
    if footprints is None:
        footprints = site_footprints(flat, sites, max_distance_km, 0.0)
    values = site_signal_array(flat, footprints, POINT_COLUMNS).compute()
    n_sites = len(footprints.site_ids)
    frame = pd.DataFrame(values.reshape(-1, len(POINT_COLUMNS)).astype(np.float64), columns=POINT_COLUMNS)
    frame.insert(0, "site_id", np.tile(np.asarray(footprints.site_ids, dtype=object), n_issue * n_lead))
    frame.insert(0, "lead_days", np.repeat(np.tile(leads[lead_index], n_issue), n_sites))
    frame.insert(0, "issue_date", np.repeat(issued[issue_index].values, n_lead * n_sites))
    return frame.dropna(subset=POINT_COLUMNS, how="all").reset_index(drop=True)


def forecast_cube(site_forecasts: pd.DataFrame | None, issue_dates: pd.DatetimeIndex, lead_days: list[int],
                  site_ids: list[str]) -> np.ndarray:
    """Long forecast point values -> (issue, lead, site, POINT_COLUMNS) float array, NaN where no forecast."""
    cube = np.full((len(issue_dates), len(lead_days), len(site_ids), len(POINT_COLUMNS)), np.nan)
    if site_forecasts is None or site_forecasts.empty:
        return cube
    frame = site_forecasts.assign(issue_date=pd.to_datetime(site_forecasts.issue_date).dt.normalize())
    i = pd.DatetimeIndex(issue_dates).get_indexer(frame.issue_date)
    lead = pd.Index(lead_days).get_indexer(frame.lead_days)
    s = pd.Index(site_ids).get_indexer(frame.site_id)
    keep = (i >= 0) & (lead >= 0) & (s >= 0)
    for k, column in enumerate(POINT_COLUMNS):
        if column in frame:
            cube[i[keep], lead[keep], s[keep], k] = frame[column].to_numpy(float)[keep]
    return cube


def along_across_ms(east_ms: np.ndarray, north_ms: np.ndarray,
                    bearing_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Current components (m/s) along a net's bearing and 90 degrees clockwise of it (across the net)."""
    along = east_ms * np.sin(bearing_rad) + north_ms * np.cos(bearing_rad)
    across = east_ms * np.cos(bearing_rad) - north_ms * np.sin(bearing_rad)
    return along, across


def target_values(cube: np.ndarray, bearing_rad: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Forecast cube -> (TARGET_COLUMNS, (issue, lead, site, column) values, (issue, lead, site) bool has_forecast)."""
    point = {column: cube[..., k] for k, column in enumerate(POINT_COLUMNS)}
    east, north = point["current_east_ms"], point["current_north_ms"]
    along, across = along_across_ms(east, north, bearing_rad)
    derived = {
        "temp_surface_c": point["temp_surface_c"], "temp_50m_c": point["temp_50m_c"],
        "temp_100m_c": point["temp_100m_c"], "salinity_psu": point["salinity_psu"],
        "current_speed_ms": np.hypot(east, north),
        "current_along_ms": along,
        "current_across_ms": across,
        "ssh_m": point["ssh_m"],
    }
    values = np.stack([derived[source] for source in TARGET_COLUMNS.values()], axis=-1)
    return list(TARGET_COLUMNS), values, np.isfinite(cube).any(axis=-1)


def persisted_covariates(table: pd.DataFrame) -> pd.DataFrame:
    """Feature rows -> the same rows with every target-day ocean column the issue day's analysis (no forecast used),
    `ocean_is_forecast` 0 and `ocean_source` SOURCE_PERSISTED."""
    replaced = {target: table[source] for target, source in TARGET_COLUMNS.items() if source in table and target in table}
    return table.assign(**replaced, ocean_is_forecast=np.float32(0.0), ocean_source=SOURCE_PERSISTED)


def later_analysis_covariates(table: pd.DataFrame) -> pd.DataFrame:
    """Feature rows -> the same rows where each persisted row (no forecast archived) carries, as its target-day ocean
    columns, the analysis known on its target day (the table's own issue-day columns of that day and net), with
    `ocean_is_forecast` 1 and `ocean_source` SOURCE_LATER_ANALYSIS. Rows with a forecast, and rows whose target day
    is not an issue date of the table, are unchanged. For fitting only: the values are known on the target day."""
    targets = [target for target, source in TARGET_COLUMNS.items() if source in table and target in table]
    sources = [TARGET_COLUMNS[target] for target in targets]
    if not targets or table.empty:
        return table
    known = table.drop_duplicates(["issue_date", "site_id"]).set_index(["issue_date", "site_id"])[sources]
    at = known.index.get_indexer(pd.MultiIndex.from_arrays([table.target_date, table.site_id]))
    later = np.where((at >= 0)[:, None], known.to_numpy(np.float64)[np.maximum(at, 0)], np.nan)
    use = (table.ocean_source == SOURCE_PERSISTED).to_numpy() & np.isfinite(later).any(axis=1)
    current = table[targets].to_numpy(np.float64)
    values = np.where(use[:, None] & np.isfinite(later), later, current)
    replaced = {target: values[:, k].astype(table[target].dtype) for k, target in enumerate(targets)}
    return table.assign(  # copy-on-write: the other columns are shared with `table`, not copied
        **replaced,
        ocean_is_forecast=np.where(use, 1.0, table.ocean_is_forecast.to_numpy()).astype(table.ocean_is_forecast.dtype),
        ocean_source=np.where(use, SOURCE_LATER_ANALYSIS, table.ocean_source.to_numpy(object)))


def training_covariates(table: pd.DataFrame, training_ocean: str) -> pd.DataFrame:
    """Feature rows -> the rows a model is FIT on: a forecast as issued where one was archived; elsewhere the
    target day's later analysis (training_ocean "analysis", perfect prog) or the persisted analysis ("persisted")."""
    if training_ocean not in TRAINING_OCEAN_CHOICES:
        raise ValueError(f"models.training_ocean must be one of {', '.join(TRAINING_OCEAN_CHOICES)}, not {training_ocean!r}")
    return later_analysis_covariates(table) if training_ocean == "analysis" else table
