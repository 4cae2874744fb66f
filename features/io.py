"""The features stage's I/O edge: read the grid store and the warehouse for a span of issue dates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import pandas as pd

from features.catch_history import CATCH_LOOKBACK_DAYS
from features.ocean import extract_site_ocean, site_cell_lookup
from features.table import build_feature_table
from ingest.grids import open_grid_store
from setnet.settings import SPECIES, Settings
from setnet.warehouse import connect

OCEAN_LOOKBACK_DAYS = 14


@contextmanager
def dask_client(settings: Settings) -> Iterator[object]:
    """A distributed Client on the configured scheduler for the duration, or Dask's local threads when none is set."""
    if not settings.dask_scheduler_address:
        with nullcontext() as nothing:
            yield nothing
        return
    from distributed import Client

    with Client(settings.dask_scheduler_address) as client:
        yield client


def load_site_ocean(settings: Settings, sites: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Grid store days start..end -> daily ocean values at each site's nearest sea cell (long table)."""
    grid = open_grid_store(settings.grid_store_path).sel(time=slice(None, end))
    lookup = site_cell_lookup(grid, sites, settings.site_search_radius_km)
    with dask_client(settings):
        return extract_site_ocean(grid.sel(time=slice(start, end)), lookup)


def build_features(settings: Settings, issue_dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Issue dates -> feature table read from the stores, reading only the days the windows need."""
    issue_dates = pd.DatetimeIndex(issue_dates)
    first, last = issue_dates.min(), issue_dates.max()
    with connect(settings.warehouse_path, read_only=True) as con:
        sites = con.execute("SELECT * FROM sites ORDER BY site_id").df()
        catches = con.execute(
            "SELECT date, site_id, species, catch_kg FROM catches WHERE date BETWEEN ? AND ?",
            [(first - pd.Timedelta(days=CATCH_LOOKBACK_DAYS)).date(), (last + pd.Timedelta(days=settings.max_lead_days)).date()],
        ).df()
    if sites.empty:
        raise ValueError(f"no sites in {settings.warehouse_path}: run `setnet ingest sites FILE` first")
    ocean_start = first - pd.Timedelta(days=OCEAN_LOOKBACK_DAYS + settings.max_grid_age_days)
    site_ocean = load_site_ocean(settings, sites, ocean_start, last)
    catches = catches[pd.to_datetime(catches.date) >= first - pd.Timedelta(days=CATCH_LOOKBACK_DAYS)]
    table = build_feature_table(
        site_ocean, catches, sites, [s.code for s in SPECIES], issue_dates, settings.lead_days,
        settings.max_grid_age_days,
    )
    return table
