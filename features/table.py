"""The feature table: one row per (issue_date, lead_days, site_id, species), built by one code path for
training (all history) and for the daily forecast (one issue date). Leakage-safe by construction: every
feature of a row is computed from days up to and including its issue date; only `catch_kg`, the label,
comes from the target date.
"""

from __future__ import annotations

import pandas as pd

from features.calendar import calendar_features
from features.catch_history import catch_history_features, catch_matrix, same_week_last_year
from features.ocean import ocean_state_features

KEY_COLUMNS = ["issue_date", "lead_days", "target_date", "site_id", "species"]
LABEL_COLUMN = "catch_kg"
# Bookkeeping columns that travel with a row but are not model inputs.
INFO_COLUMNS = ["ocean_date"]


def feature_columns(table: pd.DataFrame) -> list[str]:
    """The model input columns of a feature table (everything but keys, label and bookkeeping), site_id included."""
    return ["site_id"] + [c for c in table.columns if c not in (*KEY_COLUMNS, LABEL_COLUMN, *INFO_COLUMNS)]


def build_feature_table(
    site_ocean: pd.DataFrame,
    catches: pd.DataFrame,
    sites: pd.DataFrame,
    species: list[str],
    issue_dates: pd.DatetimeIndex,
    lead_days: list[int],
    max_ocean_age_days: int,
) -> pd.DataFrame:
    """Daily ocean values at sites + catches (date, site_id, species, catch_kg) -> feature table with label catch_kg.

    The label is NaN where the target day had no operation or lies beyond the catches given.
    """
    issue_dates = pd.DatetimeIndex(issue_dates).normalize()
    first_day = min(pd.to_datetime(site_ocean.date).min() if not site_ocean.empty else issue_dates.min(),
                    pd.to_datetime(catches.date).min() if not catches.empty else issue_dates.min(),
                    issue_dates.min())
    history_days = pd.date_range(first_day, issue_dates.max(), freq="D")
    site_ids = sites.site_id.tolist()

    ocean = ocean_state_features(site_ocean, sites, history_days, max_ocean_age_days)
    history_catches = catches[pd.to_datetime(catches.date) <= issue_dates.max()]
    matrix = catch_matrix(history_catches, history_days, site_ids, species)
    history = catch_history_features(matrix)

    keys = pd.MultiIndex.from_product(
        [issue_dates, lead_days, site_ids, species], names=["issue_date", "lead_days", "site_id", "species"]
    ).to_frame(index=False)
    keys["target_date"] = keys.issue_date + pd.to_timedelta(keys.lead_days, unit="D")
    target_dates = pd.DatetimeIndex(keys.target_date.unique())

    table = (
        keys.merge(history.rename(columns={"date": "issue_date"}), on=["issue_date", "site_id", "species"], how="left")
        .merge(ocean.rename(columns={"date": "issue_date"}), on=["issue_date", "site_id"], how="left")
        .merge(calendar_features(target_dates).rename(columns={"date": "target_date"}), on="target_date", how="left")
        .merge(same_week_last_year(matrix, target_dates), on=["target_date", "site_id", "species"], how="left")
    )
    labels = catches.assign(target_date=pd.to_datetime(catches.date))[["target_date", "site_id", "species", "catch_kg"]]
    table = table.merge(labels, on=["target_date", "site_id", "species"], how="left")
    ordered = KEY_COLUMNS + [c for c in table.columns if c not in KEY_COLUMNS and c != LABEL_COLUMN] + [LABEL_COLUMN]
    return table[ordered].sort_values(KEY_COLUMNS).reset_index(drop=True)
