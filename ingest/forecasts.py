"""Ocean forecast files (one issue time, several days ahead) -> the forecast store, apart from the analyses.

Store layout (`<data-dir>/ocean_forecasts.zarr`, axis names in `ingest.store`): dims (FORECAST_AXIS, LEAD_AXIS,
depth, lat, lon); the forecast axis is the issue date at 00:00 (a regular daily axis); the lead axis,
0..ocean_forecast_max_lead_days, counts days from the issue date to the valid day (lead 0 = the issue day). Same
variables, units and grid as the grid store; read it with `ingest.store.open_forecast_store`.
Hourly forecast files (time steps shorter than a day, e.g. Copernicus' PT1H surface currents) go, kept hourly,
to the hourly forecast store (`<data-dir>/ocean_forecasts_hourly.zarr`): dims (FORECAST_AXIS, HOURLY_LEAD_AXIS,
depth, lat, lon), lead hour h valid at the issue day's 00:00 UTC + h; only HOURLY_VARIABLES (surface currents).
A re-issued file replaces the stored run of its own issue time only, never another issue's.
A forecast issued on D may be used for forecasts issued on D or later, never earlier: nothing leaks backwards.

A file is a forecast when `--forecast` says so, when its product is marked `forecast = true`, or when it carries
a CF `forecast_reference_time` (or HYCOM's `time_run`); its issue time comes from that coordinate, a global
attribute `forecast_reference_time`, or `--issue-date`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ingest.conform import normalise_grid
from ingest.errors import IngestError
from ingest.products import Product
from ingest.store import FORECAST_AXIS, GRID_AXIS, HOURLY_LEAD_AXIS, HOURLY_VARIABLES, LEAD_AXIS

REFERENCE_TIME_NAMES = ("forecast_reference_time", "time_run", "reftime", "reference_time")
LEAD_NAMES = ("forecast_period", "tau", "leadtime", "lead_time")
ISSUE_TIME_ATTRIBUTES = ("forecast_reference_time", "reference_time", "issue_time")  # providers' global attributes


def _reference_time_variable(ds: xr.Dataset) -> str | None:
    """Name of the variable or coordinate holding the forecast's issue (reference) time."""
    for name in [*ds.coords, *ds.data_vars]:
        if ds[name].attrs.get("standard_name") == "forecast_reference_time":
            return str(name)
    lowered = {str(n).lower(): str(n) for n in [*ds.coords, *ds.data_vars]}
    return next((lowered[n] for n in REFERENCE_TIME_NAMES if n in lowered), None)


def is_forecast_file(ds: xr.Dataset, product: Product, flag: bool | None) -> bool:
    """Whether a file is an ocean forecast: the `--forecast` flag, else the product table, else its reference time."""
    if flag is not None:
        return flag
    return product.forecast or _reference_time_variable(ds) is not None


def issue_time_of(ds: xr.Dataset, source: str, issue_date: str | None = None) -> pd.Timestamp:
    """The forecast's issue day: reference-time coordinate, global attribute, or `issue_date`; IngestError if none."""
    name = _reference_time_variable(ds)
    values = []
    if name is not None:
        reference = ds[name]
        if not np.issubdtype(reference.dtype, np.datetime64):
            reference = xr.decode_cf(reference.to_dataset(name="r"))["r"]
        values = pd.DatetimeIndex(np.atleast_1d(reference.values)).dropna().unique()
        if len(values) > 1:
            raise IngestError(f"{source}: holds {len(values)} forecast issue times; setnet takes one issue per file")
    if len(values) == 1:
        return pd.Timestamp(values[0]).floor("D")
    for key in ISSUE_TIME_ATTRIBUTES:
        if key in ds.attrs:
            try:
                return pd.Timestamp(str(ds.attrs[key])).tz_localize(None).floor("D")
            except ValueError:
                raise IngestError(f"{source}: global attribute {key}={ds.attrs[key]!r} is not a time") from None
    if issue_date:
        return pd.Timestamp(issue_date).floor("D")
    raise IngestError(f"{source}: a forecast file without an issue time (no forecast_reference_time): "
                      "pass --issue-date YYYY-MM-DD")


def is_hourly_file(ds: xr.Dataset) -> bool:
    """Whether a forecast file holds sub-daily steps (hourly surface currents) rather than daily means."""
    time = next((n for n in ds.coords if ds[n].attrs.get("standard_name") == "time" or str(n) == "time"), None)
    if time is None or ds[time].size < 2 or not np.issubdtype(ds[time].dtype, np.datetime64):
        return False
    steps = np.diff(np.sort(ds[time].values)).astype("timedelta64[s]").astype(float)
    return bool(np.median(steps) < 86400)


def _reference_names(ds: xr.Dataset) -> list:
    return [n for n in [*ds.coords, *ds.data_vars] if str(n).lower() in (*REFERENCE_TIME_NAMES, *LEAD_NAMES)
            or ds[n].attrs.get("standard_name") in ("forecast_reference_time", "forecast_period")]


def normalise_hourly_forecast(ds: xr.Dataset, source: str, product: Product, issue_date: str | None,
                              max_lead_hours: int) -> xr.Dataset:
    """Provider hourly file -> canonical (FORECAST_AXIS[1], HOURLY_LEAD_AXIS 0..max_lead_hours, depth, lat, lon)."""
    issued = issue_time_of(ds, source, issue_date)
    canonical = normalise_grid(ds.drop_vars(_reference_names(ds)), source, product, daily=False)
    names = [n for n in canonical.data_vars if n in HOURLY_VARIABLES]
    if not names:
        raise IngestError(f"{source}: an hourly forecast without surface currents; setnet keeps only "
                          f"{', '.join(HOURLY_VARIABLES)} hourly")
    canonical = canonical[names].isel(depth=[0])
    hours = ((canonical[GRID_AXIS].to_index() - issued) / pd.Timedelta(hours=1)).to_numpy()
    keep = (hours >= 0) & (hours <= max_lead_hours) & (np.round(hours) == hours)
    if not keep.any():
        raise IngestError(f"{source}: no whole hour within leads 0..{max_lead_hours} h of its issue date {issued.date()}")
    out = canonical.isel({GRID_AXIS: np.flatnonzero(keep)})
    out = out.assign_coords({HOURLY_LEAD_AXIS: (GRID_AXIS, hours[keep].astype(int))})
    out = out.swap_dims({GRID_AXIS: HOURLY_LEAD_AXIS}).drop_vars(GRID_AXIS)
    out = out.reindex({HOURLY_LEAD_AXIS: np.arange(max_lead_hours + 1)}).expand_dims({FORECAST_AXIS: [issued]})
    for name in out.data_vars:
        out[name] = out[name].transpose(FORECAST_AXIS, HOURLY_LEAD_AXIS, "depth", "lat", "lon")
    out.attrs[FORECAST_AXIS] = str(issued.date())
    return out


def normalise_forecast(ds: xr.Dataset, source: str, product: Product, issue_date: str | None,
                       max_lead_days: int) -> xr.Dataset:
    """Provider forecast file -> canonical forecast (FORECAST_AXIS[1], LEAD_AXIS, depth, lat, lon), daily means per valid day."""
    issued = issue_time_of(ds, source, issue_date)
    canonical = normalise_grid(ds.drop_vars(_reference_names(ds)), source, product, daily=True)
    leads = ((canonical[GRID_AXIS].to_index() - issued) / pd.Timedelta(days=1)).to_numpy().astype(int)
    keep = (leads >= 0) & (leads <= max_lead_days)
    if not keep.any():
        raise IngestError(f"{source}: no valid day within leads 0..{max_lead_days} of its issue date {issued.date()}")
    out = canonical.isel({GRID_AXIS: np.flatnonzero(keep)}).assign_coords({LEAD_AXIS: (GRID_AXIS, leads[keep])})
    out = out.swap_dims({GRID_AXIS: LEAD_AXIS}).drop_vars(GRID_AXIS)
    out = out.reindex({LEAD_AXIS: np.arange(max_lead_days + 1)}).expand_dims({FORECAST_AXIS: [issued]})
    dims = (FORECAST_AXIS, LEAD_AXIS, "depth", "lat", "lon")
    for name in out.data_vars:
        out[name] = out[name].transpose(*[d for d in dims if d in out[name].dims])
    out.attrs[FORECAST_AXIS] = str(issued.date())  # the issue date, as an attribute named like the axis
    return out
