"""Catch history known on each date, per site and species: lags and trailing means over OPERATED days only.

A day on which a net did not operate has no catch row: it is missing (NaN), never zero, so a mean over 7 days
with 3 operated days divides by 3.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from features.ocean import haversine_km

# The seasonal climatology of a target day: operated-day catches within +-15 days of the same day in each of
# up to three previous years (365-day steps).
CLIMATOLOGY_YEARS = 3
CLIMATOLOGY_HALF_WINDOW_DAYS = 15
# Days of catch history a feature row reaches back to (the climatology's oldest window).
CATCH_LOOKBACK_DAYS = CLIMATOLOGY_YEARS * 365 + CLIMATOLOGY_HALF_WINDOW_DAYS
# The last catch and days since operation are carried at most this long (a rebuild from any start agrees).
CARRY_LIMIT_DAYS = 60
CATCH_LAG_DAYS = (0, 1, 2, 7)
CATCH_WINDOWS_DAYS = (3, 7, 14, 30)
NEIGHBOUR_WINDOW_DAYS = 3


def catch_matrix(catches: pd.DataFrame, dates: pd.DatetimeIndex, sites: list[str], species: list[str]) -> pd.DataFrame:
    """Long catches -> wide daily matrix (date x (site_id, species)) of catch_kg, NaN where the net did not operate."""
    columns = pd.MultiIndex.from_product([sites, species], names=["site_id", "species"])
    if catches.empty:
        return pd.DataFrame(np.nan, index=dates, columns=columns)
    wide = catches.assign(date=pd.to_datetime(catches.date)).pivot_table(
        index="date", columns=["site_id", "species"], values="catch_kg", aggfunc="sum"
    )
    return wide.reindex(index=dates, columns=columns).astype(float)


def neighbour_matrix(sites: pd.DataFrame, count: int) -> np.ndarray | None:
    """Sites (site_id, lat, lon) -> (site x site) 0/1 matrix marking each net's `count` nearest OTHER nets; None without positions."""
    if count <= 0 or len(sites) < 2 or not {"lat", "lon"} <= set(sites.columns) or sites[["lat", "lon"]].isna().any().any():
        return None
    lat, lon = sites.lat.to_numpy(float), sites.lon.to_numpy(float)
    distance = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.fill_diagonal(distance, np.inf)
    nearest = np.argsort(distance, axis=1, kind="stable")[:, : min(count, len(sites) - 1)]
    matrix = np.zeros(distance.shape)
    matrix[np.arange(len(sites))[:, None], nearest] = 1.0
    return matrix


def catch_history_arrays(matrix: pd.DataFrame, neighbours: np.ndarray | None) -> tuple[list[str], np.ndarray]:
    """Wide catch matrix (date x (site, species), sites and species in product order) -> (columns, (date, site, species, column) float32).

    Every value uses days up to and including its date only.
    """
    sites = matrix.columns.get_level_values("site_id").unique()
    species = matrix.columns.get_level_values("species").unique()
    n_days, n_sites, n_species = len(matrix), len(sites), len(species)
    dates = pd.Series(matrix.index, index=matrix.index)
    operated = matrix.notna()

    operated_site = operated.T.groupby(level="site_id", sort=False).any().T.reindex(columns=sites)
    last_operated = operated_site.apply(lambda column: dates.where(column).ffill(limit=CARRY_LIMIT_DAYS))
    since = last_operated.rsub(dates, axis=0).apply(lambda column: column.dt.days).to_numpy(float)

    features: dict[str, np.ndarray] = {}
    for lag in CATCH_LAG_DAYS:
        features[f"catch_lag_{lag}d_kg"] = matrix.shift(lag).to_numpy(float)
    features["catch_last_kg"] = matrix.ffill(limit=CARRY_LIMIT_DAYS).to_numpy(float)
    for window in CATCH_WINDOWS_DAYS:
        features[f"catch_mean_{window}d_kg"] = matrix.rolling(window, min_periods=1).mean().to_numpy(float)
    features["catch_max_30d_kg"] = matrix.rolling(30, min_periods=1).max().to_numpy(float)
    features["catch_trend_kg"] = features["catch_mean_7d_kg"] - features["catch_mean_30d_kg"]
    features["operated_days_7d"] = operated.rolling(7, min_periods=1).sum().to_numpy(float)
    features["operated_days_30d"] = operated.rolling(30, min_periods=1).sum().to_numpy(float)
    features["days_since_operation"] = np.repeat(since, n_species, axis=1)

    cube = matrix.to_numpy(float).reshape(n_days, n_sites, n_species)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # days when no net operated: NaN
        bay = pd.DataFrame(np.nanmean(cube, axis=1) if n_sites else np.full((n_days, n_species), np.nan))
    bay_3d = bay.rolling(3, min_periods=1).mean().to_numpy(float)  # (date, species)
    features["catch_bay_mean_3d_kg"] = np.broadcast_to(bay_3d[:, None, :], cube.shape).reshape(n_days, -1)

    if neighbours is not None:
        finite = np.isfinite(cube)
        window_total = pd.DataFrame(np.where(finite, cube, 0.0).reshape(n_days, -1)).rolling(
            NEIGHBOUR_WINDOW_DAYS, min_periods=1).sum().to_numpy().reshape(cube.shape)
        window_count = pd.DataFrame(finite.reshape(n_days, -1).astype(float)).rolling(
            NEIGHBOUR_WINDOW_DAYS, min_periods=1).sum().to_numpy().reshape(cube.shape)
        total = np.einsum("ij,djp->dip", neighbours, window_total)
        count = np.einsum("ij,djp->dip", neighbours, window_count)
        with np.errstate(invalid="ignore", divide="ignore"):
            features["catch_neighbours_mean_3d_kg"] = np.where(count > 0, total / count, np.nan).reshape(n_days, -1)
    else:
        features["catch_neighbours_mean_3d_kg"] = np.full((n_days, n_sites * n_species), np.nan)

    columns = list(features)
    array = np.empty((n_days, n_sites, n_species, len(columns)), dtype=np.float32)
    for k, name in enumerate(columns):
        array[..., k] = features[name].reshape(n_days, n_sites, n_species)
    return columns, array


def same_week_last_year(matrix: pd.DataFrame, target_dates: pd.DatetimeIndex) -> np.ndarray:
    """Mean catch (kg) of the 7 days centred on each target date minus 365 days -> (target, site, species) array.

    The window ends at target - 362 days, long before any issue date of a lead of 7 days or less.
    """
    centred = matrix.rolling(7, center=True, min_periods=1).mean()
    past = centred.reindex(target_dates - pd.Timedelta(days=365))
    n_sites = matrix.columns.get_level_values("site_id").nunique()
    return past.to_numpy(float).reshape(len(target_dates), n_sites, -1)


def seasonal_climatology(matrix: pd.DataFrame, target_dates: pd.DatetimeIndex) -> tuple[list[str], np.ndarray]:
    """Wide catch matrix -> (columns, (target, site, species, column)) seasonal catch climatology of each target day.

    catch_climatology_kg: mean operated-day catch of the net within +-CLIMATOLOGY_HALF_WINDOW_DAYS of the target
    day in each of the CLIMATOLOGY_YEARS previous years; catch_bay_climatology_kg: the same over every net. Every
    window ends at least 350 days before the target, so long before any issue date. NaN without such history.
    """
    window = 2 * CLIMATOLOGY_HALF_WINDOW_DAYS + 1
    values = matrix.to_numpy(float)
    sums = pd.DataFrame(np.nan_to_num(values)).rolling(window, center=True, min_periods=1).sum().to_numpy()
    counts = pd.DataFrame(np.isfinite(values).astype(float)).rolling(window, center=True, min_periods=1).sum().to_numpy()
    position = pd.Series(np.arange(len(matrix)), index=matrix.index)
    total = np.zeros((len(target_dates), values.shape[1]))
    count = np.zeros_like(total)
    for years_back in range(1, CLIMATOLOGY_YEARS + 1):  # three lookups, each vectorised over targets x nets
        rows = position.reindex(target_dates - pd.Timedelta(days=365 * years_back)).to_numpy()
        known = np.isfinite(rows)
        total[known] += sums[rows[known].astype(int)]
        count[known] += counts[rows[known].astype(int)]
    n_sites = matrix.columns.get_level_values("site_id").nunique()
    shape = (len(target_dates), n_sites, -1)
    total, count = total.reshape(shape), count.reshape(shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        net = np.where(count > 0, total / count, np.nan)
        bay = np.where(count.sum(axis=1) > 0, total.sum(axis=1) / count.sum(axis=1), np.nan)
    bay = np.broadcast_to(bay[:, None, :], net.shape)
    return ["catch_climatology_kg", "catch_bay_climatology_kg"], np.stack([net, bay], axis=-1)
