"""Features read from the stores: leakage-safe, the daily rows equal to the full build, incremental, on a cluster."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import features.io
from features import build_features, site_cell_lookup, write_features
from features.ocean_state import ocean_lookback_days
from features.table import LABEL_COLUMN
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.features.conftest import SITES
from tests.fixtures import loopback_dask_cluster

ALL_DAYS = pd.date_range("2023-01-01", "2024-05-07", freq="D")


def rewrite_after(path: Path, axis: str, day: pd.Timestamp) -> None:
    """Replace every value of the store after `day` (on `axis`) by value * 5 + 100, in place (region write)."""
    stored = xr.open_zarr(path, consolidated=False).load()
    first = int(np.searchsorted(stored[axis].values, np.datetime64(day), side="right"))
    later = stored.isel({axis: slice(first, None)})
    later = later.assign({name: later[name] * 5 + 100 for name in later.data_vars})
    later.drop_vars([c for c in later.coords if c != axis]).drop_vars(axis).to_zarr(
        path, region={axis: slice(first, first + later.sizes[axis])}, consolidated=False)


def test_features_of_day_d_do_not_change_when_every_store_changes_after_d(world: Settings) -> None:
    cutoff = pd.Timestamp("2024-03-20")
    original = build_features(world, ALL_DAYS)
    rewrite_after(world.grid_store_path, "time", cutoff)
    rewrite_after(world.forecast_store_path, "issue_time", cutoff)
    with connect(world.warehouse_path) as con:
        con.execute("UPDATE catches SET catch_kg = catch_kg * 7 + 999 WHERE date > ?", [cutoff.date()])
    changed = build_features(world, ALL_DAYS)
    features_only = [c for c in original.columns if c != LABEL_COLUMN]
    known = original.issue_date <= cutoff
    pd.testing.assert_frame_equal(original.loc[known, features_only], changed.loc[known, features_only])
    assert not original.loc[~known, features_only].equals(changed.loc[~known, features_only])


@pytest.mark.parametrize("issue_date", ["2023-06-10", "2024-01-02", "2024-03-09", "2024-03-10"])
def test_the_daily_rows_equal_the_rows_of_the_full_build(world: Settings, issue_date: str) -> None:
    full = build_features(world, ALL_DAYS)
    daily = build_features(world, pd.DatetimeIndex([issue_date]))
    expected = full[full.issue_date == pd.Timestamp(issue_date)].reset_index(drop=True)
    assert len(daily) == 3 * 4 * world.max_lead_days
    pd.testing.assert_frame_equal(daily, expected, check_dtype=False, rtol=1e-6)
    if issue_date.startswith("2024"):  # a 2024 row compares with 2023: the anomalies are there
        assert daily.temp_surface_anom_c.notna().all() and daily.swift_current.notna().all()


def test_a_cold_daily_run_builds_the_same_reference_as_the_full_build(world: Settings, tmp_path: Path) -> None:
    full = build_features(world, ALL_DAYS)
    cold = Settings(data_dir=world.data_dir, features={"feature_cache_dir": tmp_path / "cold-cache"})
    daily = build_features(cold, pd.DatetimeIndex(["2024-04-01"]))
    expected = full[full.issue_date == pd.Timestamp("2024-04-01")].reset_index(drop=True)
    pd.testing.assert_frame_equal(daily, expected, check_dtype=False, rtol=1e-6)


def test_the_daily_run_reads_only_the_days_its_windows_need(world: Settings, monkeypatch) -> None:
    reads: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    extract = features.io.extract_site_ocean

    def spy(grid, footprints, start=None, end=None):
        reads.append((pd.Timestamp(start), pd.Timestamp(end)))
        return extract(grid, footprints, start, end)

    monkeypatch.setattr(features.io, "extract_site_ocean", spy)
    day = pd.Timestamp("2024-04-20")
    build_features(world, pd.DatetimeIndex([day]))  # first run of the year: builds and caches the 2023 reference
    assert reads[-1] == (pd.Timestamp("2023-01-01"), day)
    build_features(world, pd.DatetimeIndex([day + pd.Timedelta(days=1)]))  # the next evening
    assert reads[-1] == (day + pd.Timedelta(days=1) - pd.Timedelta(days=ocean_lookback_days(world.max_grid_age_days)),
                         day + pd.Timedelta(days=1))


def test_a_backfill_of_the_reference_years_invalidates_the_cached_reference(world: Settings) -> None:
    day = pd.DatetimeIndex(["2024-04-20"])
    before = build_features(world, day)
    rewrite_after(world.grid_store_path, "time", pd.Timestamp("2023-06-30"))  # rewrites 2023 (and later) days
    after = build_features(world, day)
    assert not np.allclose(before.current_speed_threshold_ms, after.current_speed_threshold_ms)


def test_without_a_forecast_store_the_value_on_d_is_persisted_and_flagged(world: Settings) -> None:
    import shutil

    shutil.rmtree(world.forecast_store_path)
    rows = build_features(world, pd.DatetimeIndex(["2024-04-02"]))
    assert (rows.ocean_source == "persisted analysis").all() and (rows.ocean_is_forecast == 0).all()
    np.testing.assert_allclose(rows.target_temp_50m_c, rows.temp_50m_c)


def test_with_a_forecast_store_the_forecast_issued_on_d_is_used(world: Settings) -> None:
    rows = build_features(world, pd.DatetimeIndex(["2024-04-02", "2024-04-03"]))  # issued on the 2nd, not the 3rd
    by_issue = rows.groupby("issue_date").ocean_source.unique()
    assert list(by_issue.loc[pd.Timestamp("2024-04-02")]) == ["forecast"]
    assert list(by_issue.loc[pd.Timestamp("2024-04-03")]) == ["persisted analysis"]
    forecast = xr.open_zarr(world.forecast_store_path, consolidated=False)
    grid = xr.open_zarr(world.grid_store_path, consolidated=False)
    cell = site_cell_lookup(grid, SITES[SITES.site_id == "uozu"], 15).iloc[0]
    issued = rows[(rows.issue_date == "2024-04-02") & (rows.lead_days == 2) & (rows.site_id == "uozu")].iloc[0]
    expected = forecast.temp_c.sel(issue_time="2024-04-02", lead_days=2).isel(depth=1, lat=cell.lat_index,
                                                                              lon=cell.lon_index)
    assert issued.target_temp_50m_c == pytest.approx(float(expected), rel=1e-6)
    assert issued.target_temp_50m_c != pytest.approx(issued.temp_50m_c)  # not the persisted analysis


def test_write_features_streams_blocks_that_equal_the_in_memory_table(world: Settings, tmp_path: Path) -> None:
    days = pd.date_range("2023-11-01", "2024-02-10", freq="D")
    files = write_features(world, days, tmp_path / "table", block_days=30)
    assert len(files) == 4
    streamed = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    streamed = streamed.astype({c: str for c in ("site_id", "species", "ocean_source")})  # stored as categories
    pd.testing.assert_frame_equal(streamed, build_features(world, days), check_dtype=False, rtol=1e-6)


# --- a real Dask cluster: a scheduler and two workers as separate processes on loopback ---------------------------

@pytest.mark.slow
def test_features_build_through_a_separate_process_dask_cluster(world: Settings, tmp_path: Path) -> None:
    from distributed import Client, get_task_stream

    with loopback_dask_cluster(tmp_path, workers=2) as (address, started), Client(address) as client:
        # worker address -> (pid, parent pid): each is a worker process this test started, or its nanny's child
        workers = client.run(lambda: (__import__("os").getpid(), __import__("os").getppid()))
        assert len(workers) == 2 and all(pid in started or parent in started for pid, parent in workers.values())
        assert os.getpid() not in {pid for pid, _ in workers.values()}
        days = pd.date_range("2024-02-01", "2024-03-15", freq="D")
        with get_task_stream(client) as stream:  # every task the scheduler ran meanwhile, and on which worker
            clustered = build_features(Settings(data_dir=world.data_dir, dask_scheduler_address=address), days)
    reads = [task for task in stream.data if "read-grid-block" in str(task["key"])]  # fused or not
    assert reads, sorted({str(task["key"]) for task in stream.data})  # the grid was read by cluster tasks ...
    assert {task["worker"] for task in reads} <= set(workers)  # ... on the workers this test started
    local = build_features(Settings(data_dir=world.data_dir), days)
    pd.testing.assert_frame_equal(clustered, local)


def test_a_forecast_issued_after_d_never_reaches_ds_rows(world: Settings) -> None:
    # no forecast was issued on 2024-04-03; the one issued on 04-04 holds 04-04 (D+1) at lead 0, and must not leak
    rows = build_features(world, pd.DatetimeIndex(["2024-04-03"]))
    assert (rows.ocean_source == "persisted analysis").all() and (rows.ocean_is_forecast == 0).all()
    forecast = xr.open_zarr(world.forecast_store_path, consolidated=False)
    grid = xr.open_zarr(world.grid_store_path, consolidated=False)
    cell = site_cell_lookup(grid, SITES[SITES.site_id == "uozu"], 15).iloc[0]
    later = float(forecast.temp_c.sel(issue_time="2024-04-04", lead_days=0).isel(depth=1, lat=cell.lat_index,
                                                                                 lon=cell.lon_index))
    row = rows[(rows.lead_days == 1) & (rows.site_id == "uozu")].iloc[0]
    assert row.target_temp_50m_c == pytest.approx(row.temp_50m_c) and row.target_temp_50m_c != pytest.approx(later)
