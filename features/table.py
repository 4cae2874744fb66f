"""The feature table: one row per (issue_date, lead_days, site_id, species), built by one code path for
training (all history) and for the daily forecast (one issue date). Leakage-safe by construction: every
feature of a row is computed from days up to and including its issue date (the ocean forecast for the target
day is the one issued ON the issue date); only `catch_kg`, the label, comes from the target date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.calendar import calendar_features
from features.catch_history import (
    catch_history_arrays,
    catch_matrix,
    neighbour_matrix,
    same_week_last_year,
    seasonal_climatology,
)
from features.ocean_forecast import (
    SOURCE_FORECAST,
    SOURCE_PERSISTED,
    TARGET_COLUMNS,
    forecast_cube,
    target_values,
)
from features.ocean_state import (
    OceanReference,
    daily_signals,
    ocean_reference,
    ocean_state_arrays,
    ocean_state_columns,
    reference_year,
    site_ocean_cube,
)

KEY_COLUMNS = ["issue_date", "lead_days", "target_date", "site_id", "species"]
LABEL_COLUMN = "catch_kg"
# Bookkeeping columns that travel with a row but are not model inputs.
INFO_COLUMNS = ["ocean_date", "ocean_source"]


# The ocean columns `feature_columns(table, compact=True)` keeps (catch, calendar and target-day columns are always
# kept): one of each family of near-duplicates (7- and 30-day windows, not 3 and 14; speed, along and across, not
# east and north; the point value, not every radius mean). Training time grows with the number of inputs.
COMPACT_OCEAN_COLUMNS = (
    "temp_surface_c", "temp_50m_c", "temp_100m_c", "salinity_psu", "ssh_m", "temp_surface_radius_c",
    "front_surface_c_per_km", "current_speed_ms", "current_along_ms", "current_across_ms", "current_speed_50m_ms",
    "current_along_50m_ms", "current_across_50m_ms", "stratification_50m_c", "stratification_100m_c",
    "temp_surface_anom_c", "temp_50m_anom_c", "temp_100m_anom_c", "salinity_anom_psu", "ssh_anom_m",
    "swift_current", "current_speed_jump_ms", "swift_current_days_7d", "swift_current_50m",
    "current_speed_50m_jump_ms", "swift_current_50m_days_7d",
    *(f"{s}_mean_{w}d" for s in ("temp_surface_c", "temp_50m_c", "temp_surface_anom_c", "temp_50m_anom_c",
                                  "current_speed_ms", "current_along_ms") for w in (7, 30)),
    "temp_surface_c_change_7d", "temp_50m_c_change_7d", "temp_100m_c_change_7d", "temp_surface_c_trend_7d",
    "temp_50m_c_trend_7d", "current_speed_ms_max_3d", "ocean_age_days",
)


def feature_columns(table: pd.DataFrame, compact: bool = False) -> list[str]:
    """The model input columns of a feature table (everything but keys, label and bookkeeping), site_id included.

    compact=True keeps only COMPACT_OCEAN_COLUMNS of the ocean columns (about half the inputs, faster training).
    """
    columns = [c for c in table.columns if c not in (*KEY_COLUMNS, LABEL_COLUMN, *INFO_COLUMNS)]
    if compact:
        ocean = set(ocean_state_columns())
        columns = [c for c in columns if c not in ocean or c in COMPACT_OCEAN_COLUMNS]
    return ["site_id"] + columns


def build_feature_table(
    site_ocean: pd.DataFrame,
    catches: pd.DataFrame,
    sites: pd.DataFrame,
    species: list[str],
    issue_dates: pd.DatetimeIndex,
    lead_days: list[int],
    max_ocean_age_days: int,
    *,
    site_forecasts: pd.DataFrame | None = None,
    reference: OceanReference | None = None,
    climatology_start: pd.Timestamp | None = None,
    climatology_end: pd.Timestamp | None = None,
    swift_percentile: float,
    neighbour_count: int,
) -> pd.DataFrame:
    """Daily ocean signals at sites + catches (date, site_id, species, catch_kg) -> feature table with label catch_kg.

    site_ocean: date, site_id and any of features.ocean.OCEAN_COLUMNS (C, psu, m/s, m, C/km). site_forecasts:
    issue_date, lead_days, site_id and point columns of the ocean forecast issued on issue_date for issue + lead.
    reference: the climatology/threshold of each reference year; computed from `site_ocean` over
    [climatology_start (default: its first day), climatology_end (default: no end)] when not given.
    Rows are sorted by KEY_COLUMNS. The label is NaN where the target day had no operation or lies beyond the catches.
    """
    issue_dates = pd.DatetimeIndex(issue_dates).normalize().unique().sort_values()
    lead_days = sorted(int(lead) for lead in lead_days)
    sites = sites.sort_values("site_id").reset_index(drop=True)
    site_ids, species = sites.site_id.tolist(), sorted(species)
    ocean_days = pd.to_datetime(site_ocean.date)
    catch_days = pd.to_datetime(catches.date)
    first_day = min(ocean_days.min() if len(site_ocean) else issue_dates.min(),
                    catch_days.min() if len(catches) else issue_dates.min(), issue_dates.min())
    history_days = pd.date_range(first_day, issue_dates.max(), freq="D")
    climatology_end = pd.Timestamp(climatology_end) if climatology_end is not None else None

    # ocean state known on each history day
    signals = daily_signals(site_ocean_cube(site_ocean, history_days, site_ids), history_days, sites)
    if reference is None:
        start = pd.Timestamp(climatology_start) if climatology_start is not None else first_day
        years = np.unique(reference_year(history_days, climatology_end))
        reference = ocean_reference(signals, years, start, climatology_end, swift_percentile)
    ocean_names, ocean, ocean_date, ocean_age = ocean_state_arrays(signals, max_ocean_age_days, reference,
                                                                   climatology_end)

    # catch history known on each history day, per site and species
    matrix = catch_matrix(catches[catch_days <= issue_dates.max()], history_days, site_ids, species)
    catch_names, catch = catch_history_arrays(matrix, neighbour_matrix(sites, neighbour_count))

    # the rows: issue (outer), lead, site, species (inner) = sorted by KEY_COLUMNS. Every value depends on a subset
    # of those four keys, so each block is broadcast into a (issue, lead, site, species, column) view of the output.
    n_issue, n_lead, n_site, n_species = len(issue_dates), len(lead_days), len(site_ids), len(species)
    shape = (n_issue, n_lead, n_site, n_species)
    issue_day = history_days.get_indexer(issue_dates)
    target_of = issue_dates.values[:, None] + pd.to_timedelta(lead_days, unit="D").values[None, :]
    targets, target_index = np.unique(target_of, return_inverse=True)
    targets = pd.DatetimeIndex(targets)
    target_index = target_index.reshape(n_issue, n_lead)

    calendar = calendar_features(targets).set_index("date").reindex(targets)
    last_year = same_week_last_year(matrix, targets)
    climatology_names, climatology = seasonal_climatology(matrix, targets)  # (target, site, species, 2)
    anomaly_names, anomaly = catch_anomalies(catch[issue_day], catch_names, climatology[target_index])
    bearing = np.radians(sites.bearing_deg.fillna(0.0).to_numpy(float)) if "bearing_deg" in sites else np.zeros(n_site)
    target_names, forecast, has_forecast = target_values(
        forecast_cube(site_forecasts, issue_dates, lead_days, site_ids), bearing)
    ocean_on_issue = ocean[issue_day]  # (issue, site, column)
    persisted = ocean_on_issue[:, :, [ocean_names.index(source) for source in TARGET_COLUMNS.values()]]
    at_target = np.where(has_forecast[..., None], forecast, persisted[:, None])  # (issue, lead, site, column)

    # ocean, calendar and forecast values in float32 blocks; catches (kg, used by baselines too) in float64
    ocean_block = _fill_block(shape, [*ocean_names, "ocean_age_days"], np.float32, [
        ocean_on_issue[:, None, :, None], ocean_age[issue_day][:, None, None, None, None]])
    catch_block = _fill_block(shape, [*catch_names, "catch_last_year_kg", *climatology_names, *anomaly_names],
                              np.float64, [catch[issue_day][:, None], last_year[target_index][..., None],
                                           climatology[target_index], anomaly])
    later_block = _fill_block(shape, [*calendar.columns, *target_names, "ocean_is_forecast"], np.float32, [
        calendar.to_numpy(float)[target_index][:, :, None, None], at_target[:, :, :, None],
        has_forecast[:, :, :, None, None]])
    table = pd.concat([ocean_block, catch_block, later_block], axis=1)

    def expand(values: np.ndarray) -> np.ndarray:
        """A (issue|1, lead|1, site|1, species|1) array -> one value per row."""
        return np.broadcast_to(values, shape).reshape(-1)

    labels = catch_matrix(catches, targets, site_ids, species).to_numpy(float).reshape(len(targets), n_site, n_species)
    table.insert(0, "species", expand(np.asarray(species, dtype=object)[None, None, None, :]))
    table.insert(0, "site_id", expand(np.asarray(site_ids, dtype=object)[None, None, :, None]))
    table.insert(0, "target_date", expand(targets.values[target_index][:, :, None, None]))
    table.insert(0, "lead_days", expand(np.asarray(lead_days, dtype=np.int64)[None, :, None, None]))
    table.insert(0, "issue_date", expand(issue_dates.values[:, None, None, None]))
    table.insert(len(KEY_COLUMNS), "ocean_date", expand(ocean_date[issue_day][:, None, None, None]))
    table.insert(len(KEY_COLUMNS) + 1, "ocean_source", expand(
        np.where(has_forecast, SOURCE_FORECAST, SOURCE_PERSISTED)[:, :, :, None]))
    table[LABEL_COLUMN] = expand(labels[target_index])
    return table


def catch_anomalies(catch_on_issue: np.ndarray, catch_names: list[str],
                    climatology_at_target: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Recent catches against the target day's seasonal climatology, log1p(recent kg) - log1p(climatology kg):
    above 0, the fish are running above the season's usual (a school in the bay); (issue, lead, site, species, 2)."""
    recent = catch_on_issue[:, None][..., [catch_names.index("catch_mean_7d_kg"), catch_names.index("catch_bay_mean_3d_kg")]]
    with np.errstate(invalid="ignore"):
        return ["catch_anomaly_7d", "catch_bay_anomaly_3d"], np.log1p(recent) - np.log1p(climatology_at_target)


def _fill_block(shape: tuple[int, ...], names: list[str], dtype: type, parts: list[np.ndarray]) -> pd.DataFrame:
    """Blocks broadcastable to (*shape, k) -> one DataFrame of prod(shape) rows backed by a single `dtype` array."""
    values = np.empty((int(np.prod(shape)), len(names)), dtype=dtype)
    view = values.reshape(*shape, len(names))
    k = 0
    for part in parts:
        width = part.shape[-1]
        view[..., k:k + width] = part
        k += width
    return pd.DataFrame(values, columns=names, copy=False)
