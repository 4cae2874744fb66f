"""Baselines every model must beat, computed on the same rows: climatology, persistence, seasonal-naive."""

from __future__ import annotations

import numpy as np
import pandas as pd

CLIMATOLOGY_HALF_WINDOW_DAYS = 15


def climatology_table(catches: pd.DataFrame) -> pd.DataFrame:
    """Catches (operated days) -> mean catch_kg per (site_id, species, day of year 1..366), smoothed over +-15 days."""
    frame = catches.assign(day_of_year=pd.to_datetime(catches.date).dt.day_of_year)
    sums = frame.pivot_table(index="day_of_year", columns=["site_id", "species"], values="catch_kg", aggfunc="sum")
    counts = frame.pivot_table(index="day_of_year", columns=["site_id", "species"], values="catch_kg", aggfunc="count")
    days = pd.RangeIndex(1, 367, name="day_of_year")
    sums, counts = sums.reindex(days).fillna(0.0), counts.reindex(days).fillna(0.0)
    window = 2 * CLIMATOLOGY_HALF_WINDOW_DAYS + 1
    wrap = CLIMATOLOGY_HALF_WINDOW_DAYS  # the year is a circle: pad with its other end
    def circular_sum(values: pd.DataFrame) -> pd.DataFrame:
        padded = pd.concat([values.iloc[-wrap:], values, values.iloc[:wrap]])
        return padded.rolling(window, center=True).sum().iloc[wrap:-wrap]
    mean = circular_sum(sums) / circular_sum(counts).replace(0.0, np.nan)
    long = mean.stack(level=[0, 1], future_stack=True).rename("climatology_kg").reset_index()
    return long


def climatology_members(catches: pd.DataFrame) -> pd.DataFrame:
    """Catches (operated days, empty nets included) -> climatology's ensemble: each catch_kg listed once under every
    day of year (1..366, circular) within +-15 days of its own, with site_id and species.

    The members of (net, species, day of year) are the climatology's predictive distribution: their mean is
    `climatology_table`'s, their median `climatology_median_table`'s."""
    frame = catches.assign(day_of_year=pd.to_datetime(catches.date).dt.day_of_year)[
        ["site_id", "species", "day_of_year", "catch_kg"]]
    offsets = np.arange(-CLIMATOLOGY_HALF_WINDOW_DAYS, CLIMATOLOGY_HALF_WINDOW_DAYS + 1)
    spread = frame.iloc[np.repeat(np.arange(len(frame)), len(offsets))].reset_index(drop=True)
    spread["day_of_year"] = (spread.day_of_year.to_numpy() - 1 + np.tile(offsets, len(frame))) % 366 + 1
    return spread


def climatology_median_table(catches: pd.DataFrame) -> pd.DataFrame:
    """Catches (operated days) -> median catch_kg per (site_id, species, day of year) over days within +-15 days."""
    return (climatology_members(catches).groupby(["site_id", "species", "day_of_year"]).catch_kg.median()
            .rename("climatology_median_kg").reset_index())


def climatology_forecast(climatology: pd.DataFrame, rows: pd.DataFrame, column: str = "climatology_kg") -> pd.Series:
    """Feature rows -> climatology forecast (kg) for each row's site, species and target day of year."""
    keyed = rows[["site_id", "species"]].assign(day_of_year=pd.to_datetime(rows.target_date).dt.day_of_year)
    merged = keyed.merge(climatology, on=["site_id", "species", "day_of_year"], how="left")
    return pd.Series(merged[column].fillna(0.0).to_numpy(), index=rows.index, name=column)


def persistence_forecast(rows: pd.DataFrame, fallback_kg: pd.Series) -> pd.Series:
    """Feature rows -> the last operated day's catch (kg) known at issue time, else `fallback_kg`."""
    return rows.catch_last_kg.fillna(fallback_kg).rename("persistence_kg")


def seasonal_naive_forecast(rows: pd.DataFrame, fallback_kg: pd.Series) -> pd.Series:
    """Feature rows -> the mean catch (kg) of the same week last year at the same net, else `fallback_kg`."""
    return rows.catch_last_year_kg.fillna(fallback_kg).rename("seasonal_naive_kg")
