"""A swift-current day is flagged to operators: the daily and refresh runs record the level they issued
(`flow_runs.kyucho_level`, shown by `setnet runs`) and the daily run's Prefect artifact starts with the nets, tier,
hours (JST) and peak knots; a refresh with nothing new records the level of the forecast that stands; without an
ocean forecast the level is 'unknown', never taken for calm."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from features.kyucho import KNOT_MS
from flows.cli import app
from flows.pipeline import _kyucho_headline, daily_flow, refresh_flow
from ingest.store import FORECAST_AXIS, GRID_AXIS, HOURLY_LEAD_AXIS, open_grid_store
from tests.flows.conftest import LAST_DAY, World, flow_runs

HOURS = 120


def write_hourly_forecast(world: World, peak_kn: float) -> pd.Timestamp:
    """An hourly forecast issued on LAST_DAY over the world's sea: 0.2 kn east, and `peak_kn` from 06:00 to 09:00 JST
    the day after; returns that start (JST)."""
    settings = world.settings()
    grid = open_grid_store(settings.grid_store_path)
    sea = grid["eastward_current_ms"].isel(depth=0).notnull().any(GRID_AXIS).values
    local = (pd.date_range(pd.Timestamp(LAST_DAY), periods=HOURS, freq="h", tz="UTC").tz_convert("Asia/Tokyo")
             .tz_localize(None))
    start = pd.Timestamp(LAST_DAY) + pd.Timedelta(days=1, hours=6)
    speed_kn = np.where((local >= start) & (local < start + pd.Timedelta(hours=3)), peak_kn, 0.2)
    east = (speed_kn * KNOT_MS)[None, :, None, None, None] * np.where(sea, 1.0, np.nan)[None, None, None]
    dims = (FORECAST_AXIS, HOURLY_LEAD_AXIS, "depth", "lat", "lon")
    xr.Dataset({"eastward_current_ms": (dims, east.astype("float32")),
                "northward_current_ms": (dims, np.zeros_like(east, dtype="float32"))},
               coords={FORECAST_AXIS: pd.DatetimeIndex([LAST_DAY]), HOURLY_LEAD_AXIS: np.arange(HOURS),
                       "depth": [float(grid.depth.values[0])], "lat": grid.lat.values, "lon": grid.lon.values}
               ).to_zarr(settings.hourly_forecast_store_path, mode="w", zarr_format=3, consolidated=False)
    return start


def artifact_text(key: str) -> str:
    from prefect.artifacts import Artifact

    artifact = Artifact.get(key)
    assert artifact is not None
    return artifact.data


def test_the_artifact_headline_names_each_net_tier_hours_and_knots() -> None:
    lines = ["氷見大敷 (himi): warning 2025-12-01 06:00–09:00 JST, peak 2.1 kn"]
    assert _kyucho_headline({"kyucho_level": "warning", "kyucho_lines": lines}) == (
        "**⚠ Swift-current WARNING (急潮警報) for the days ahead**: 氷見大敷 (himi): warning 2025-12-01 06:00–09:00 "
        "JST, peak 2.1 kn\n\n")
    assert _kyucho_headline({"kyucho_level": "advisory", "kyucho_lines": lines}).startswith(
        "**⚠ Swift-current advisory (急潮注意報)")
    for level in ("none", "unknown", None):
        assert _kyucho_headline({"kyucho_level": level, "kyucho_lines": []}) == ""


@pytest.mark.slow
def test_a_warning_day_is_flagged_in_the_run_record_the_artifact_and_setnet_runs(
        world: World, prefect_harness: None, tmp_path: Path) -> None:
    calm = daily_flow(LAST_DAY, str(world.data_dir), sweep_inbox=False)  # no ocean forecast: cannot be judged
    assert calm["kyucho_level"] == "unknown" and calm["kyucho_lines"] == []
    text = artifact_text(f"daily-{LAST_DAY:%Y-%m-%d}")
    assert text.startswith("# setnet forecast issued") and "- swift current: unknown\n" in text

    start = write_hourly_forecast(world, peak_kn=2.0)
    warned = daily_flow(LAST_DAY, str(world.data_dir), sweep_inbox=False)
    assert warned["kyucho_level"] == "warning"
    assert warned["kyucho_lines"] and all(
        f"warning {start:%Y-%m-%d} 06:00–09:00 JST, peak 2.0 kn" in line for line in warned["kyucho_lines"])
    text = artifact_text(f"daily-{LAST_DAY:%Y-%m-%d}")
    assert text.startswith("**⚠ Swift-current WARNING (急潮警報) for the days ahead**: ")
    assert text.index("06:00–09:00 JST") < text.index("# setnet forecast issued")

    refreshed = refresh_flow(LAST_DAY + timedelta(days=1), str(world.data_dir))  # nothing issued for that day yet
    assert refreshed["reissued"] and refreshed["kyucho_level"] == "none"  # the hourly forecast is calm after it
    skipped = refresh_flow(LAST_DAY + timedelta(days=1), str(world.data_dir))  # nothing new: the forecast stands
    assert not skipped["reissued"] and skipped["kyucho_level"] == "none"  # and its level is still recorded
    assert list(flow_runs(world.data_dir).kyucho_level) == ["unknown", "warning", "none", "none"]

    listed = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "runs"])
    assert listed.exit_code == 0, listed.output
    daily_lines = [line for line in listed.output.splitlines() if " daily " in line]
    assert daily_lines[0].endswith(" kyucho WARNING") and daily_lines[1].endswith(" kyucho unknown")
