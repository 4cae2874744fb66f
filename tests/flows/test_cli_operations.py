"""The operators' commands: the run log and a backfill over a date range."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from ingest.recovery import recover_interrupted_writes
from setnet import operations
from setnet.settings import Settings
from tests.flows.conftest import LAST_DAY, World, flow_runs


def test_runs_lists_each_run_with_what_it_handled_and_why_it_was_degraded(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert CliRunner().invoke(app, ["--data-dir", str(tmp_path), "runs"]).output == "no runs recorded\n"
    with operations.recorded_run(settings, "daily", date(2025, 12, 2),
                                 recover_stores=recover_interrupted_writes) as record:
        record.note(sites=3, forecasts=84, model_versions=["m1"], reasons=["ocean grid of 2025-12-02 has not arrived"])

    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "runs"])

    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()
    assert first.endswith(" daily 2025-12-02 COMPLETED 3 sites, model m1 DEGRADED")
    assert second == "    degraded: ocean grid of 2025-12-02 has not arrived"


@pytest.mark.slow
def test_backfill_issues_every_day_of_the_range(world: World, prefect_harness: None) -> None:
    start = LAST_DAY - timedelta(days=2)
    result = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "backfill", "--start", str(start),
                                      "--end", str(LAST_DAY), "--no-reports"])
    assert result.exit_code == 0, result.output
    assert result.output == f"issued 3 day(s) {start}..{LAST_DAY}\n"
    runs = flow_runs(world.data_dir)
    assert [str(d.date()) for d in runs.issue_date] == [str(start + timedelta(days=n)) for n in range(3)]
    assert not (world.data_dir / "reports").exists()
