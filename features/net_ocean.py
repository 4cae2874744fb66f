"""The ocean at each net for one issue date, as the features see it: pure functions behind `features.io.ocean_at_nets`.

The same footprints (nearest SEA cell of the grid store), the same carried analysis day and the same reference
(day-of-year climatology of the complete years before) as the model's features, so a report's "unusual
temperature" is the feature table's temperature anomaly, at the same cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.ocean import BASE_SIGNALS, level_indices
from features.ocean_forecast import SOURCE_FORECAST
from features.ocean_state import (
    ANOMALY_SIGNALS,
    DailySignals,
    OceanReference,
    ocean_state_arrays,
    reference_year,
)

SOURCE_ANALYSIS = "analysis"
NET_LEVELS = ("surface", "50m")  # the levels the rows cover (where the store has them)
NET_OCEAN_COLUMNS = ["site_id", "date", "source", "level", "depth_m", "east_ms", "north_ms", "temp_c", "normal_c",
                     "anomaly_c", "cell_lat", "cell_lon", "forecast_issue_date"]


def _point_column(variable: str, level: str) -> str:
    """The point base signal of a grid variable at a nominal level (e.g. temp_c, 50m -> temp_50m_c)."""
    return next(column for column, (name, at, kind) in BASE_SIGNALS.items()
                if name == variable and at == level and kind == "point")


# level -> (temperature, eastward current, northward current) point columns
LEVEL_COLUMNS = {level: tuple(_point_column(v, level) for v in ("temp_c", "eastward_current_ms", "northward_current_ms"))
                 for level in NET_LEVELS}


def empty_net_ocean() -> pd.DataFrame:
    """A frame with NET_OCEAN_COLUMNS and no rows."""
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("date", "forecast_issue_date") else
                                      object if c in ("site_id", "source", "level") else float)
                         for c in NET_OCEAN_COLUMNS})


def _cells(site_ids: pd.Series, lookup: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """cell_lat / cell_lon (degrees) of each row's net from a footprint lookup; NaN without one."""
    if lookup is None:
        return {"cell_lat": np.full(len(site_ids), np.nan), "cell_lon": np.full(len(site_ids), np.nan)}
    cells = lookup.set_index("site_id")
    return {name: cells[name].reindex(site_ids).to_numpy(float) for name in ("cell_lat", "cell_lon")}


def analysis_at_nets(signals: DailySignals, reference: OceanReference, climatology_end: pd.Timestamp | None,
                     max_age_days: int, lookup: pd.DataFrame, depths_m: np.ndarray) -> pd.DataFrame:
    """Daily base signals ending on the issue date -> NET_OCEAN_COLUMNS rows (source 'analysis') of the ocean known on it.

    The values, their day (the features' `ocean_date`, within `max_age_days`) and the anomaly against the reference
    are those of the feature table's row on that issue date (`ocean_state_arrays`); normal_c = temp_c - anomaly_c.
    No rows when no grid day lies within `max_age_days`.
    """
    columns, values, ocean_date, _ = ocean_state_arrays(signals, max_age_days, reference, climatology_end)
    if not len(ocean_date) or np.isnat(ocean_date[-1]):
        return empty_net_ocean()
    known = values[-1].astype(np.float64)  # (site, column) known on the issue date
    where = {name: k for k, name in enumerate(columns)}
    site_ids = pd.Series(signals.site_ids, dtype=object)
    present = level_indices(np.asarray(depths_m, dtype=float))
    parts = []
    for level in (name for name in NET_LEVELS if name in present):
        temp, east, north = LEVEL_COLUMNS[level]
        temp_c, anomaly_c = known[:, where[temp]], known[:, where[ANOMALY_SIGNALS[temp]]]
        parts.append(pd.DataFrame({
            "site_id": site_ids, "date": pd.Timestamp(ocean_date[-1]), "source": SOURCE_ANALYSIS, "level": level,
            "depth_m": float(depths_m[present[level]]), "east_ms": known[:, where[east]],
            "north_ms": known[:, where[north]], "temp_c": temp_c, "normal_c": temp_c - anomaly_c,
            "anomaly_c": anomaly_c, **_cells(site_ids, lookup), "forecast_issue_date": pd.NaT,
        }))
    return pd.concat(parts, ignore_index=True)[NET_OCEAN_COLUMNS] if parts else empty_net_ocean()


def forecast_at_nets(site_forecasts: pd.DataFrame | None, reference: OceanReference,
                     climatology_end: pd.Timestamp | None, issue_date: pd.Timestamp, outlook_days: int,
                     depths_m: np.ndarray, lookup: pd.DataFrame | None) -> pd.DataFrame:
    """Forecast point values (issue_date, lead_days, site_id, POINT_COLUMNS) -> NET_OCEAN_COLUMNS rows (source 'forecast').

    Of the forecasts given, the newest whose days after `issue_date` (up to `outlook_days`) have a current at
    some net; the normal is the reference climatology known on `issue_date` (its reference year) at each valid
    day's day of year. `lookup` gives the cells read (None: the forecast lies on another grid).
    """
    if site_forecasts is None or site_forecasts.empty:
        return empty_net_ocean()
    issue = pd.Timestamp(issue_date).normalize()
    frame = site_forecasts.assign(issue_date=pd.to_datetime(site_forecasts.issue_date).dt.normalize())
    frame = frame.assign(date=frame.issue_date + pd.to_timedelta(frame.lead_days, unit="D"))
    frame = frame[(frame.date > issue) & (frame.date <= issue + pd.Timedelta(days=outlook_days))]
    present = [level for level in NET_LEVELS if level in level_indices(np.asarray(depths_m, dtype=float))]
    has_current = np.zeros(len(frame), dtype=bool)
    for level in present:
        has_current |= frame[list(LEVEL_COLUMNS[level][1:])].notna().all(axis=1).to_numpy()
    if not has_current.any():
        return empty_net_ocean()
    newest = frame.issue_date[has_current].max()
    frame = frame[frame.issue_date == newest].reset_index(drop=True)

    climatology = reference.select(reference_year(pd.DatetimeIndex([issue]), climatology_end)).climatology[0]
    site_index = pd.Index(reference.site_ids).get_indexer(frame.site_id)
    day_index = frame.date.dt.day_of_year.to_numpy() - 1
    levels = level_indices(np.asarray(depths_m, dtype=float))
    parts = []
    for level in present:
        temp, east, north = LEVEL_COLUMNS[level]
        normal_c = np.where(site_index >= 0, climatology[day_index, site_index, list(ANOMALY_SIGNALS).index(temp)],
                            np.nan)
        temp_c = frame[temp].to_numpy(float)
        parts.append(pd.DataFrame({
            "site_id": frame.site_id.astype(object), "date": frame.date, "source": SOURCE_FORECAST, "level": level,
            "depth_m": float(depths_m[levels[level]]), "east_ms": frame[east].to_numpy(float),
            "north_ms": frame[north].to_numpy(float), "temp_c": temp_c, "normal_c": normal_c,
            "anomaly_c": temp_c - normal_c, **_cells(frame.site_id, lookup), "forecast_issue_date": newest,
        }))
    return pd.concat(parts, ignore_index=True)[NET_OCEAN_COLUMNS]
