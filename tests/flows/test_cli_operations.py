"""The operators' commands: the run log and a backfill over a date range."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import models
from flows.cli import app
from ingest.recovery import recover_interrupted_writes
from setnet import operations
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.flows.conftest import LAST_DAY, World, copy_world, flow_runs


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


def test_runs_shows_the_swift_current_level_a_daily_run_issued(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    for level in ("warning", "advisory"):
        with operations.recorded_run(settings, "daily", date(2025, 12, 2),
                                     recover_stores=recover_interrupted_writes) as record:
            record.note(sites=3, model_versions=["m1"], kyucho_level=level)
    with operations.recorded_run(settings, "train", None, recover_stores=recover_interrupted_writes):
        pass
    lines = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "runs"]).output.splitlines()
    assert lines[0].endswith(" train COMPLETED")  # no level where none was issued
    assert lines[1].endswith(" daily 2025-12-02 COMPLETED 3 sites, model m1 kyucho advisory")
    assert lines[2].endswith(" daily 2025-12-02 COMPLETED 3 sites, model m1 kyucho WARNING")


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


def stored_forecasts(world: World) -> pd.DataFrame:
    with connect(world.data_dir / "setnet.duckdb", read_only=True) as con:
        return con.execute("SELECT * EXCLUDE (created_at) FROM forecasts ORDER BY ALL").df()


@pytest.mark.slow
def test_a_batched_backfill_forecasts_every_day_in_one_batch_as_the_daily_runs_would(
        world: World, tmp_path: Path, prefect_harness: None, monkeypatch: pytest.MonkeyPatch) -> None:
    start = LAST_DAY - timedelta(days=3)
    one_by_one = copy_world(world, tmp_path / "one-by-one")
    assert CliRunner().invoke(app, ["--data-dir", str(one_by_one.data_dir), "backfill", "--start", str(start),
                                    "--end", str(LAST_DAY), "--no-reports"]).exit_code == 0
    batches = []
    original = models.forecast_days
    monkeypatch.setattr(models, "forecast_day", None)  # a day at a time would fail
    monkeypatch.setattr(models, "forecast_days", lambda settings, days: batches.append(days) or original(settings, days))

    result = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "backfill", "--start", str(start),
                                      "--end", str(LAST_DAY), "--no-reports", "--batched"])

    assert result.exit_code == 0, result.output
    assert result.output == f"issued 4 day(s) {start}..{LAST_DAY}\n"
    assert batches == [[start + timedelta(days=n) for n in range(4)]]  # one batch of every day
    pd.testing.assert_frame_equal(stored_forecasts(world), stored_forecasts(one_by_one))
    runs = flow_runs(world.data_dir)  # still one run row per issue date, with what it issued
    assert [str(d.date()) for d in runs.issue_date] == [str(start + timedelta(days=n)) for n in range(4)]
    assert set(runs.state) == {"completed"} and set(runs.flow) == {"backfill"} and runs.forecasts.min() > 0
    assert runs.run_id.str.rsplit("/", n=1).str[0].nunique() == 1  # all in one flow run
