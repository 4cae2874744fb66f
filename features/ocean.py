"""Ocean signals at each net: nearest-sea-cell lookup, vectorised point extraction, derived daily indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

EARTH_RADIUS_KM = 6371.0
# Output column -> depth (m) of the level it reads; a level counts only within DEPTH_TOLERANCE_M.
TEMPERATURE_LEVELS = {"temp_surface_c": 0.0, "temp_50m_c": 50.0, "temp_100m_c": 100.0}
DEPTH_TOLERANCE_M = 15.0
OCEAN_COLUMNS = [
    "temp_surface_c", "temp_50m_c", "temp_100m_c", "current_east_ms", "current_north_ms", "ssh_m",
]


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def sea_mask(grid: xr.Dataset) -> xr.DataArray:
    """Cells (lat, lon) with a surface temperature on any of the last 30 stored days: True on sea."""
    surface = grid["temp_c"].isel(depth=0, time=slice(-30, None))
    return surface.notnull().any("time").compute()


def site_cell_lookup(grid: xr.Dataset, sites: pd.DataFrame, max_distance_km: float) -> pd.DataFrame:
    """Sites -> their nearest SEA cell: site_id, lat_index, lon_index, cell_lat, cell_lon, distance_km."""
    mask = sea_mask(grid).values
    lat_index, lon_index = np.nonzero(mask)
    if lat_index.size == 0:
        raise ValueError("the grid store has no sea cells in its last 30 days")
    cell_lat = grid.lat.values[lat_index]
    cell_lon = grid.lon.values[lon_index]
    distance = haversine_km(sites.lat.values[:, None], sites.lon.values[:, None], cell_lat[None, :], cell_lon[None, :])
    nearest = distance.argmin(axis=1)
    lookup = pd.DataFrame(
        {
            "site_id": sites.site_id.values,
            "lat_index": lat_index[nearest],
            "lon_index": lon_index[nearest],
            "cell_lat": cell_lat[nearest],
            "cell_lon": cell_lon[nearest],
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


def extract_site_ocean(grid: xr.Dataset, lookup: pd.DataFrame) -> pd.DataFrame:
    """Grid (time, depth, lat, lon) + lookup -> daily values at each site: date, site_id, OCEAN_COLUMNS (C, m/s, m)."""
    site = xr.DataArray(lookup.site_id.values, dims="site")
    points = grid.isel(
        lat=xr.DataArray(lookup.lat_index.values, dims="site", coords={"site": site}),
        lon=xr.DataArray(lookup.lon_index.values, dims="site", coords={"site": site}),
    )
    depths = points.depth.values
    columns: dict[str, xr.DataArray] = {}
    for column, depth_m in TEMPERATURE_LEVELS.items():
        level = int(np.abs(depths - depth_m).argmin())
        if abs(depths[level] - depth_m) <= DEPTH_TOLERANCE_M:
            columns[column] = points["temp_c"].isel(depth=level, drop=True)
    surface = int(np.abs(depths).argmin())
    for column, variable in (("current_east_ms", "eastward_current_ms"), ("current_north_ms", "northward_current_ms")):
        if variable in points:
            columns[column] = points[variable].isel(depth=surface, drop=True)
    if "ssh_m" in points:
        columns["ssh_m"] = points["ssh_m"]
    table = xr.Dataset(columns).drop_vars(["lat", "lon", "depth"], errors="ignore").compute()
    frame = table.to_dataframe().reset_index().rename(columns={"time": "date", "site": "site_id"})
    for column in OCEAN_COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    return frame[["date", "site_id", *OCEAN_COLUMNS]]


def ocean_state_features(site_ocean: pd.DataFrame, sites: pd.DataFrame, dates: pd.DatetimeIndex,
                         max_age_days: int) -> pd.DataFrame:
    """Daily site values -> per (date, site_id) ocean state known on that date, with trailing windows only.

    A date without a grid takes the latest earlier day within `max_age_days` (ocean_age_days says how old).
    """
    wide = (
        site_ocean.assign(date=pd.to_datetime(site_ocean.date))
        .pivot(index="date", columns="site_id")
        .reindex(dates)
    )
    valid_day = pd.Series(dates, index=dates).where(wide["temp_surface_c"].notna().any(axis=1))
    last_valid = valid_day.ffill()
    age_days = (pd.Series(dates, index=dates) - last_valid).dt.days
    filled = wide.ffill(limit=max_age_days) if max_age_days > 0 else wide
    bearing = np.radians(sites.set_index("site_id").bearing_deg.reindex(filled["current_east_ms"].columns).fillna(0))
    east, north = filled["current_east_ms"], filled["current_north_ms"]
    derived = {
        "current_speed_ms": np.hypot(east, north),
        "current_along_ms": east * np.sin(bearing.values) + north * np.cos(bearing.values),
        "current_across_ms": east * np.cos(bearing.values) - north * np.sin(bearing.values),
        "stratification_c": filled["temp_surface_c"] - filled["temp_100m_c"].fillna(filled["temp_50m_c"]),
        "temp_surface_c_mean_7d": filled["temp_surface_c"].rolling(7, min_periods=1).mean(),
        "temp_50m_c_mean_7d": filled["temp_50m_c"].rolling(7, min_periods=1).mean(),
        "temp_surface_c_change_7d": filled["temp_surface_c"] - filled["temp_surface_c"].shift(7),
        "temp_50m_c_change_7d": filled["temp_50m_c"] - filled["temp_50m_c"].shift(7),
        "ssh_m_change_1d": filled["ssh_m"] - filled["ssh_m"].shift(1),
    }
    derived["current_speed_ms_max_3d"] = derived["current_speed_ms"].rolling(3, min_periods=1).max()
    derived["current_speed_ms_change_1d"] = derived["current_speed_ms"] - derived["current_speed_ms"].shift(1)
    combined = pd.concat({**{c: filled[c] for c in OCEAN_COLUMNS}, **derived}, axis=1)
    long = combined.stack(level=1, future_stack=True).rename_axis(["date", "site_id"]).reset_index()
    long["ocean_age_days"] = long.date.map(age_days).astype("float64")
    long["ocean_date"] = long.date.map(last_valid)
    stale = long.ocean_age_days.isna() | (long.ocean_age_days > max_age_days)
    long.loc[stale, "ocean_date"] = pd.NaT
    return long
