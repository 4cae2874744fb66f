"""Daily base signals at the nets -> the ocean state KNOWN on each date: composites, anomalies, windows, swift currents.

Everything here is a function of days up to and including the date of the row:
- a date without a grid carries the latest earlier day within `max_age_days` (`ocean_age_days` says how old);
- windows, changes and trends are trailing;
- anomalies and the swift-current threshold compare with a REFERENCE built only from days that were known:
  for a row on day t, the complete calendar years before t's year, within [climatology_start, climatology_end]
  (`reference_year`). The daily run and the full build therefore agree, and a backtest whose climatology_end
  is its training cutoff never sees its own period.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.ocean import OCEAN_COLUMNS

DAYS_OF_YEAR = 366
CLIMATOLOGY_HALF_WINDOW_DAYS = 15   # the day-of-year climatology averages days within +-15 days of the calendar day
CLIMATOLOGY_MIN_DAYS = 15           # ... and is missing when fewer days than this had a value
THRESHOLD_MIN_DAYS = 60             # the swift-current threshold needs at least this many days of speed
OCEAN_WINDOWS_DAYS = (3, 7, 14, 30)
OCEAN_CHANGE_DAYS = (1, 7)
OCEAN_TREND_DAYS = (7, 30)
SWIFT_COUNT_DAYS = 7

# Signal -> its anomaly column (signal minus the day-of-year climatology of the reference years).
ANOMALY_SIGNALS = {
    "temp_surface_c": "temp_surface_anom_c",
    "temp_50m_c": "temp_50m_anom_c",
    "temp_100m_c": "temp_100m_anom_c",
    "salinity_psu": "salinity_anom_psu",
    "ssh_m": "ssh_anom_m",
}
# Current speed -> (its percentile threshold, swift flag, day-to-day jump, count of swift days in 7) columns.
SWIFT_SIGNALS = {
    "current_speed_ms": ("current_speed_threshold_ms", "swift_current", "current_speed_jump_ms", "swift_current_days_7d"),
    "current_speed_50m_ms": ("current_speed_50m_threshold_ms", "swift_current_50m", "current_speed_50m_jump_ms",
                             "swift_current_50m_days_7d"),
}
ROLLING_SIGNALS = (
    "temp_surface_c", "temp_50m_c", "temp_100m_c", "temp_surface_anom_c", "temp_50m_anom_c", "salinity_psu",
    "current_speed_ms", "current_along_ms", "current_across_ms", "current_speed_50m_ms", "current_along_50m_ms",
    "front_surface_c_per_km", "stratification_50m_c", "ssh_m",
)
CHANGE_SIGNALS = ("temp_surface_c", "temp_50m_c", "temp_100m_c", "salinity_psu", "ssh_m", "front_surface_c_per_km")
TREND_SIGNALS = ("temp_surface_c", "temp_50m_c", "temp_100m_c")
MAX_SIGNALS = ("current_speed_ms", "current_speed_50m_ms")


def ocean_lookback_days(max_age_days: int) -> int:
    """Days before an issue date that its ocean windows read (longest window + carried grid age + margin)."""
    longest = max(*OCEAN_WINDOWS_DAYS, *OCEAN_TREND_DAYS, *(d + 1 for d in OCEAN_CHANGE_DAYS), SWIFT_COUNT_DAYS + 1)
    return longest + max_age_days + 1


def reference_year(dates: pd.DatetimeIndex, climatology_end: pd.Timestamp | None) -> np.ndarray:
    """Dates -> the last calendar year whose days their reference may use: the year before, capped at climatology_end's."""
    years = dates.year.to_numpy() - 1
    return np.minimum(years, climatology_end.year) if climatology_end is not None else years


def reference_period_end(year: int, climatology_end: pd.Timestamp | None) -> pd.Timestamp:
    """The last day a reference year covers: Dec 31 of `year`, or climatology_end when earlier."""
    end = pd.Timestamp(year=int(year), month=12, day=31)
    return min(end, climatology_end) if climatology_end is not None else end


@dataclass
class OceanReference:
    """Per reference year: day-of-year climatology (year, doy, site, ANOMALY_SIGNALS) and speed thresholds (year, site, SWIFT_SIGNALS)."""

    years: np.ndarray
    site_ids: list[str]
    climatology: np.ndarray
    threshold: np.ndarray

    def select(self, years: np.ndarray) -> OceanReference:
        """The reference of `years` only (missing years give NaN)."""
        position = {int(y): i for i, y in enumerate(self.years)}
        index = np.array([position.get(int(y), -1) for y in years], dtype=int)
        climatology = np.where((index >= 0)[:, None, None, None], self.climatology[index], np.nan)
        threshold = np.where((index >= 0)[:, None, None], self.threshold[index], np.nan)
        return OceanReference(np.asarray(years), self.site_ids, climatology, threshold)

    @staticmethod
    def combine(parts: list[OceanReference]) -> OceanReference:
        """Stack references of distinct years (same sites)."""
        return OceanReference(np.concatenate([p.years for p in parts]), parts[0].site_ids,
                              np.concatenate([p.climatology for p in parts]), np.concatenate([p.threshold for p in parts]))


def composite_signals(base: dict[str, np.ndarray], bearing_rad: np.ndarray) -> dict[str, np.ndarray]:
    """Daily base signals (date x site arrays) -> speed, along/across-net currents (m/s) and stratification (C).

    Along = component towards the net's bearing (degrees clockwise from north); across = 90 degrees clockwise of it.
    """
    out: dict[str, np.ndarray] = {}
    sin_b, cos_b = np.sin(bearing_rad), np.cos(bearing_rad)
    for suffix in ("", "_50m"):
        east, north = base[f"current_east{suffix}_ms"], base[f"current_north{suffix}_ms"]
        out[f"current_speed{suffix}_ms"] = np.hypot(east, north)
        out[f"current_along{suffix}_ms"] = east * sin_b + north * cos_b
        out[f"current_across{suffix}_ms"] = east * cos_b - north * sin_b
    out["stratification_50m_c"] = base["temp_surface_c"] - base["temp_50m_c"]
    out["stratification_100m_c"] = base["temp_surface_c"] - base["temp_100m_c"]
    return out


def site_ocean_cube(site_ocean: pd.DataFrame, dates: pd.DatetimeIndex, site_ids: list[str]) -> np.ndarray:
    """Long daily signals (date, site_id, any OCEAN_COLUMNS) -> (date, site, OCEAN_COLUMNS) array, NaN where absent."""
    cube = np.full((len(dates), len(site_ids), len(OCEAN_COLUMNS)), np.nan)
    day = dates.get_indexer(pd.to_datetime(site_ocean.date))
    site = pd.Index(site_ids).get_indexer(site_ocean.site_id)
    keep = (day >= 0) & (site >= 0)
    for k, column in enumerate(OCEAN_COLUMNS):
        if column in site_ocean:
            cube[day[keep], site[keep], k] = site_ocean[column].to_numpy(float)[keep]
    return cube


@dataclass
class DailySignals:
    """Raw daily signals at the nets: `values[name]` is a (date, site) array; days without a grid are NaN."""

    dates: pd.DatetimeIndex
    site_ids: list[str]
    values: dict[str, np.ndarray]


def daily_signals(cube: np.ndarray, dates: pd.DatetimeIndex, sites: pd.DataFrame) -> DailySignals:
    """(date, site, OCEAN_COLUMNS) base signals of `sites` (in that order) -> the base signals and their composites."""
    base = {column: np.ascontiguousarray(cube[:, :, k], dtype=np.float32) for k, column in enumerate(OCEAN_COLUMNS)}
    bearing = (np.radians(sites.bearing_deg.fillna(0.0).to_numpy(float)) if "bearing_deg" in sites
               else np.zeros(len(sites)))
    return DailySignals(pd.DatetimeIndex(dates), sites.site_id.tolist(), {**base, **composite_signals(base, bearing)})


def ocean_reference(signals: DailySignals, years: np.ndarray, climatology_start: pd.Timestamp,
                    climatology_end: pd.Timestamp | None, swift_percentile: float) -> OceanReference:
    """Raw daily signals -> the reference of each year in `years`.

    Year y uses the days in [climatology_start, reference_period_end(y)]: the climatology is the mean over those
    days within +-15 days of each calendar day (missing below CLIMATOLOGY_MIN_DAYS values); the threshold is the
    `swift_percentile` of current speed over them (missing below THRESHOLD_MIN_DAYS values).
    """
    dates = signals.dates
    years = np.asarray(years, dtype=int)
    last = climatology_end if climatology_end is not None else dates.max()
    inside = (dates >= climatology_start) & (dates <= last)
    values = np.stack([signals.values[s] for s in ANOMALY_SIGNALS], axis=-1)[inside]  # (day, site, k)
    day_years, doy = dates.year.to_numpy()[inside], dates.day_of_year.to_numpy()[inside] - 1
    first_year = int(min(day_years.min(), years.min())) if inside.any() else int(years.min())
    n_years = int(max(years.max(), day_years.max() if inside.any() else years.max())) - first_year + 1
    total = np.zeros((n_years, DAYS_OF_YEAR, *values.shape[1:]))
    count = np.zeros_like(total)
    finite = np.isfinite(values)
    total[day_years - first_year, doy] = np.where(finite, values, 0.0)
    count[day_years - first_year, doy] = finite
    total, count = total.cumsum(axis=0), count.cumsum(axis=0)  # year y: every day of years <= y
    total, count = _circular_window_sum(total), _circular_window_sum(count)
    at = years - first_year
    with np.errstate(invalid="ignore", divide="ignore"):
        climatology = np.where(count >= CLIMATOLOGY_MIN_DAYS, total / count, np.nan)
    climatology = np.where((at >= 0)[:, None, None, None], climatology[np.maximum(at, 0)], np.nan)

    speeds = np.stack([signals.values[s] for s in SWIFT_SIGNALS], axis=-1)
    threshold = np.full((len(years), len(signals.site_ids), len(SWIFT_SIGNALS)), np.nan)
    for i, year in enumerate(years):  # one percentile per reference year (a loop over years, not days)
        window = speeds[(dates >= climatology_start) & (dates <= reference_period_end(year, climatology_end))]
        threshold[i] = _percentile_of_finite(window, swift_percentile, THRESHOLD_MIN_DAYS)
    return OceanReference(years, list(signals.site_ids), climatology, threshold)


def _percentile_of_finite(values: np.ndarray, percentile: float, min_count: int) -> np.ndarray:
    """Percentile along axis 0 over the finite values (linear interpolation, as numpy's default); NaN below min_count."""
    ordered = np.sort(values.astype(np.float64), axis=0)  # NaN sort last
    count = np.isfinite(ordered).sum(axis=0)
    position = np.maximum(count - 1, 0) * percentile / 100.0
    lower = np.floor(position).astype(int)
    upper = np.minimum(lower + 1, np.maximum(count - 1, 0))
    low = np.take_along_axis(ordered, lower[None], axis=0)[0] if len(ordered) else np.full(count.shape, np.nan)
    high = np.take_along_axis(ordered, upper[None], axis=0)[0] if len(ordered) else np.full(count.shape, np.nan)
    value = low + (high - low) * (position - lower)
    return np.where(count >= min_count, value, np.nan)


def _circular_window_sum(values: np.ndarray) -> np.ndarray:
    """Sum over the day-of-year axis (1) within +-CLIMATOLOGY_HALF_WINDOW_DAYS, wrapping Dec 31 to Jan 1."""
    h = CLIMATOLOGY_HALF_WINDOW_DAYS
    padded = np.concatenate([values[:, -h:], values, values[:, :h]], axis=1)
    cumulative = np.concatenate([np.zeros_like(values[:, :1]), padded.cumsum(axis=1)], axis=1)
    return cumulative[:, 2 * h + 1:] - cumulative[:, : DAYS_OF_YEAR]


# --- trailing operators on (date, ...) arrays: each value uses its own day and earlier days only ----------------

def forward_fill(values: np.ndarray, limit: int) -> np.ndarray:
    """Carry the last finite value forward at most `limit` days along axis 0 (a new array)."""
    if limit <= 0:
        return values.copy()
    if limit <= 16:  # short limits: one masked copy per day of carry
        out = values.copy()
        for lag in range(1, min(limit, len(values) - 1) + 1):
            np.copyto(out[lag:], values[:-lag], where=np.isnan(out[lag:]))
        return out
    days = np.arange(len(values), dtype=np.int32).reshape(-1, *([1] * (values.ndim - 1)))
    source = np.where(np.isfinite(values), days, np.int32(-1))
    np.maximum.accumulate(source, axis=0, out=source)
    usable = (source >= 0) & (days - source <= limit)
    filled = np.take_along_axis(values, np.maximum(source, 0), axis=0)
    filled[~usable] = np.nan
    return filled


def _cumulative(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative sum (float64) and count of the finite values along axis 0, with a leading row of zeros."""
    finite = np.isfinite(values)
    total = np.zeros((len(values) + 1, *values.shape[1:]))
    count = np.zeros((len(values) + 1, *values.shape[1:]), dtype=np.int32)
    np.cumsum(np.where(finite, values, 0), axis=0, dtype=np.float64, out=total[1:])
    np.cumsum(finite, axis=0, dtype=np.int32, out=count[1:])
    return total, count


def _window(cumulative: np.ndarray, window: int) -> np.ndarray:
    """Trailing-window totals from a cumulative array (leading zero row): C[t+1] - C[max(t+1-window, 0)]."""
    out = cumulative[1:].copy()
    if window < len(cumulative):
        out[window - 1:] -= cumulative[: len(cumulative) - window]
    return out


def trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the finite values over the trailing `window` days (the day itself included); NaN when there is none."""
    total, count = _cumulative(values)
    return _mean_of(_window(total, window), _window(count, window))


def _mean_of(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def trailing_max(values: np.ndarray, window: int) -> np.ndarray:
    """Maximum of the finite values over the trailing `window` days."""
    out = values.copy()
    for lag in range(1, window):
        out[lag:] = np.fmax(out[lag:], values[:-lag])
    return out


def lagged(values: np.ndarray, lag: int) -> np.ndarray:
    """The value `lag` days earlier (NaN before the first day)."""
    out = np.full_like(values, np.nan)
    out[lag:] = values[: len(values) - lag]
    return out


def trailing_trend(values: np.ndarray, windows: int | tuple[int, ...]) -> np.ndarray | list[np.ndarray]:
    """Least-squares slope per day over the trailing window (units per day); NaN if any day is missing.

    From cumulative sums: slope = (sum j*x - mean(j) * sum x) / sum (j - mean j)^2 over the window's day numbers j.
    Several windows share the cumulative sums (a list comes back when `windows` is a tuple).
    """
    days = np.arange(len(values), dtype=np.float64).reshape(-1, *([1] * (values.ndim - 1)))
    total, count = _cumulative(values)
    weighted, _ = _cumulative(values * days)
    slopes = []
    for window in (windows,) if isinstance(windows, int) else windows:
        centre = days - (window - 1) / 2
        spread = window * (window ** 2 - 1) / 12.0
        slope = (_window(weighted, window) - centre * _window(total, window)) / spread
        slopes.append(np.where(_window(count, window) == window, slope, np.nan))
    return slopes[0] if isinstance(windows, int) else slopes


def ocean_state_columns() -> list[str]:
    """The columns ocean_state_arrays returns, in order."""
    names = [*OCEAN_COLUMNS, *_COMPOSITES, *ANOMALY_SIGNALS.values()]
    swift = [c for columns in SWIFT_SIGNALS.values() for c in columns]
    means = [f"{s}_mean_{w}d" for w in OCEAN_WINDOWS_DAYS for s in ROLLING_SIGNALS]
    changes = [f"{s}_change_{lag}d" for s in CHANGE_SIGNALS for lag in OCEAN_CHANGE_DAYS]
    trends = [f"{s}_trend_{w}d" for s in TREND_SIGNALS for w in OCEAN_TREND_DAYS]
    maxima = [f"{s}_max_3d" for s in MAX_SIGNALS]
    return [*names, *swift, *means, *changes, *trends, *maxima]


_COMPOSITES = list(composite_signals({c: np.zeros(1) for c in OCEAN_COLUMNS}, np.zeros(1)))


def ocean_state_arrays(signals: DailySignals, max_age_days: int, reference: OceanReference,
                       climatology_end: pd.Timestamp | None) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Raw daily signals -> (columns, (date, site, column) float32 values known on each date, ocean_date, ocean_age_days).

    ocean_date (datetime64) and ocean_age_days (float) are per date: the grid day the values come from, NaT/NaN
    when no grid lies within `max_age_days`. `reference` must hold reference_year(dates) for the signals' sites.
    Nets are independent: groups of nets are computed on parallel threads (numpy releases the GIL).
    """
    dates, n_days, n_sites = signals.dates, len(signals.dates), len(signals.site_ids)
    columns = ocean_state_columns()
    out = np.empty((n_days, n_sites, len(columns)), dtype=np.float32)

    day_numbers = np.arange(n_days, dtype=float)
    valid = np.isfinite(signals.values["temp_surface_c"]).any(axis=1)
    last_valid = forward_fill(np.where(valid, day_numbers, np.nan), max(n_days, 1))
    age_days = day_numbers - last_valid
    age_days[~(age_days <= max_age_days)] = np.nan
    ocean_date = np.where(np.isfinite(age_days), dates.values[np.nan_to_num(last_valid).astype(int)],
                          np.datetime64("NaT", "ns"))

    years, year_of_day = np.unique(reference_year(dates, climatology_end), return_inverse=True)
    ref = reference.select(years)
    order = [reference.site_ids.index(s) for s in signals.site_ids]
    climatology = ref.climatology[year_of_day, dates.day_of_year.to_numpy() - 1][:, order]  # (date, site, k)
    threshold = ref.threshold[year_of_day][:, order]  # (date, site, k)

    groups = np.array_split(np.arange(n_sites), max(1, min(os.cpu_count() or 1, n_sites, 8)))
    def state_of(group: np.ndarray) -> None:
        part = slice(int(group[0]), int(group[-1]) + 1)
        _site_group_state({n: v[:, part] for n, v in signals.values.items()}, climatology[:, part],
                          threshold[:, part], max_age_days, columns, out[:, part])

    groups = [g for g in groups if len(g)]
    if len(groups) > 1:
        with ThreadPoolExecutor(len(groups)) as pool:
            list(pool.map(state_of, groups))
    elif groups:
        state_of(groups[0])
    return columns, out, ocean_date, age_days


def _site_group_state(values: dict[str, np.ndarray], climatology: np.ndarray, threshold: np.ndarray,
                      max_age_days: int, columns: list[str], out: np.ndarray) -> None:
    """The state of a group of nets, written into `out` (date, net, column): anomalies, carry, swift, windows."""
    where = {name: k for k, name in enumerate(columns)}
    # raw signals and their anomalies (each day against the reference known on that day), then carried forward
    n_raw = len(OCEAN_COLUMNS) + len(_COMPOSITES) + len(ANOMALY_SIGNALS)
    raw = np.empty((*out.shape[:2], n_raw), dtype=np.float32)
    for name in [*OCEAN_COLUMNS, *_COMPOSITES]:
        raw[:, :, where[name]] = values[name]
    for k, (signal, anomaly) in enumerate(ANOMALY_SIGNALS.items()):
        raw[:, :, where[anomaly]] = values[signal] - climatology[:, :, k]
    raw = forward_fill(raw, max_age_days)
    out[:, :, :n_raw] = raw
    known = {name: raw[:, :, where[name]] for name in columns[:n_raw]}

    for k, (speed, (threshold_col, swift_col, jump_col, count_col)) in enumerate(SWIFT_SIGNALS.items()):
        limit, value = threshold[:, :, k], known[speed]
        swift = np.where(np.isfinite(value) & np.isfinite(limit), (value > limit).astype(np.float32), np.nan)
        total, count = _cumulative(swift)
        out[:, :, where[threshold_col]] = limit
        out[:, :, where[swift_col]] = swift
        out[:, :, where[jump_col]] = value - lagged(value, 1)
        out[:, :, where[count_col]] = np.where(_window(count, SWIFT_COUNT_DAYS) > 0,
                                               _window(total, SWIFT_COUNT_DAYS), np.nan)
    rolling = np.stack([known[s] for s in ROLLING_SIGNALS], axis=-1)
    total, count = _cumulative(rolling)  # one cumulative sum serves every window
    for window in OCEAN_WINDOWS_DAYS:
        first = where[f"{ROLLING_SIGNALS[0]}_mean_{window}d"]
        out[:, :, first:first + len(ROLLING_SIGNALS)] = _mean_of(_window(total, window), _window(count, window))
    for signal in CHANGE_SIGNALS:
        for lag in OCEAN_CHANGE_DAYS:
            out[:, :, where[f"{signal}_change_{lag}d"]] = known[signal] - lagged(known[signal], lag)
    trending = np.stack([known[s] for s in TREND_SIGNALS], axis=-1)
    for window, slopes in zip(OCEAN_TREND_DAYS, trailing_trend(trending, OCEAN_TREND_DAYS), strict=True):
        for k, signal in enumerate(TREND_SIGNALS):
            out[:, :, where[f"{signal}_trend_{window}d"]] = slopes[:, :, k]
    for signal in MAX_SIGNALS:
        out[:, :, where[f"{signal}_max_3d"]] = trailing_max(known[signal], 3)
