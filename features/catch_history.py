"""Catch history known on each date, per site and species: lags and trailing means over OPERATED days only."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Days of catch history a feature row reaches back to (30-day mean; the same week last year for lead 7).
CATCH_LOOKBACK_DAYS = 372
# The last catch and days since operation are carried at most this long (a rebuild from any start agrees).
CARRY_LIMIT_DAYS = 60


def catch_matrix(catches: pd.DataFrame, dates: pd.DatetimeIndex, sites: list[str], species: list[str]) -> pd.DataFrame:
    """Long catches -> wide daily matrix (date x (site_id, species)) of catch_kg, NaN where the net did not operate."""
    columns = pd.MultiIndex.from_product([sites, species], names=["site_id", "species"])
    if catches.empty:
        return pd.DataFrame(np.nan, index=dates, columns=columns)
    wide = catches.assign(date=pd.to_datetime(catches.date)).pivot_table(
        index="date", columns=["site_id", "species"], values="catch_kg", aggfunc="sum"
    )
    return wide.reindex(index=dates, columns=columns)


def catch_history_features(matrix: pd.DataFrame) -> pd.DataFrame:
    """Wide catch matrix -> per (date, site_id, species) features using only days up to and including that date."""
    operated_site = matrix.T.groupby(level="site_id").apply(lambda block: block.notna().any()).T
    dates = pd.Series(matrix.index, index=matrix.index)
    last_operated = operated_site.apply(lambda column: dates.where(column).ffill(limit=CARRY_LIMIT_DAYS))
    days_since_operation = last_operated.rsub(dates, axis=0).apply(lambda column: column.dt.days)
    bay_mean_3d = matrix.T.groupby(level="species").mean().T.rolling(3, min_periods=1).mean()
    features = {
        "catch_last_kg": matrix.ffill(limit=CARRY_LIMIT_DAYS),
        "catch_mean_7d_kg": matrix.rolling(7, min_periods=1).mean(),
        "catch_mean_30d_kg": matrix.rolling(30, min_periods=1).mean(),
        "catch_max_30d_kg": matrix.rolling(30, min_periods=1).max(),
        "operated_days_7d": matrix.notna().rolling(7, min_periods=1).sum(),
        "days_since_operation": days_since_operation.reindex(columns=matrix.columns, level="site_id"),
        "catch_bay_mean_3d_kg": bay_mean_3d.reindex(columns=matrix.columns, level="species"),
    }
    combined = pd.concat(features, axis=1)
    return combined.stack(level=[1, 2], future_stack=True).rename_axis(["date", "site_id", "species"]).reset_index()


def same_week_last_year(matrix: pd.DataFrame, target_dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Mean catch (kg) of the 7 days centred on each target date minus 365 days: per (target_date, site_id, species)."""
    centred = matrix.rolling(7, center=True, min_periods=1).mean()
    past = centred.reindex(target_dates - pd.Timedelta(days=365))
    past.index = target_dates
    long = past.stack(level=[0, 1], future_stack=True).rename("catch_last_year_kg")
    return long.rename_axis(["target_date", "site_id", "species"]).reset_index()
