"""Late or missing data: degraded forecasts say why (and the report shows it), missing inputs fail loudly, late
catches rescore the forecasts they concern, and the early refresh re-issues only when something arrived."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.pipeline import catch_ingest_flow, daily_flow, refresh_flow
from reports.labels import labels_for
from setnet import operations
from setnet.warehouse import connect
from tests.flows.conftest import LAST_DAY, World, flow_runs, late_catch_file

pytestmark = pytest.mark.slow


def test_a_late_grid_gives_a_degraded_forecast_that_says_why(world: World, prefect_harness: None) -> None:
    issue_date = LAST_DAY + timedelta(days=2)  # the grid of the last two days has not arrived

    summary = daily_flow(issue_date, str(world.data_dir))

    assert summary["degraded"] and summary["ocean_date"] == str(LAST_DAY)
    grid_reason = (f"ocean grid of {issue_date} has not arrived: forecast from the grid of {LAST_DAY} "
                   f"(2 days old, limit 3)")
    assert grid_reason in summary["reasons"]
    run = flow_runs(world.data_dir).iloc[-1]
    assert run.flow == "daily" and run.state == "completed" and run.degraded
    assert grid_reason in json.loads(run.reasons)
    assert operations.degradation(world.settings(), issue_date) == summary["reasons"]
    html = (world.data_dir / "reports" / str(issue_date) / "index.html").read_text(encoding="utf-8")
    assert labels_for("ja")["warn_ocean_old"].split("{")[0] in html  # the report's degraded banner


def test_past_the_limit_the_daily_run_fails_naming_the_missing_input(world: World, prefect_harness: None) -> None:
    issue_date = LAST_DAY + timedelta(days=5)

    result = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "daily", "--date", str(issue_date)])

    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("setnet: error:")]
    assert errors == [(f"setnet: error: ocean grid of {issue_date} missing: the latest grid day is {LAST_DAY}, "
                      f"5 days old, past the limit of 3 (max_grid_age_days); put the provider files in "
                      f"{world.data_dir / 'inbox' / 'grids'} or run `setnet ingest grids PATH`")]
    with connect(world.data_dir / "setnet.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM forecasts WHERE issue_date = ?", [issue_date]).fetchone()[0] == 0
    run = flow_runs(world.data_dir).iloc[-1]
    assert run.state == "failed" and run.message == errors[0].removeprefix("setnet: error: ")


def test_late_catches_are_picked_up_by_the_next_run_and_rescore_the_forecasts(
        world: World, prefect_harness: None) -> None:
    daily_flow(LAST_DAY, str(world.data_dir))
    settings = world.settings()
    before = operations.track_record(settings, [LAST_DAY])
    assert before.scored.sum() == 0  # nothing landed yet after the issue date
    late_days = [LAST_DAY + timedelta(days=1), LAST_DAY + timedelta(days=2)]
    late_catch_file(world, late_days, world.data_dir / "inbox" / "catches" / "late.csv")

    daily_flow(LAST_DAY + timedelta(days=2), str(world.data_dir))  # the next run sweeps the drop folder

    after = operations.track_record(settings, [LAST_DAY]).set_index("lead_days")
    assert after.loc[1, "scored"] == after.loc[1, "forecasts"] == 12
    assert after.loc[2, "scored"] == 12 and after.loc[3, "scored"] == 0
    with connect(settings.warehouse_path, read_only=True) as con:
        issued = con.execute("SELECT lead_days, q50_kg FROM forecasts WHERE issue_date = ? AND lead_days <= 2",
                             [LAST_DAY]).df()
    caught_kg = issued.lead_days.map({1: 100.0, 2: 110.0})  # what late_catch_file wrote for every net and species
    expected_mae_kg = (issued.q50_kg - caught_kg).abs().groupby(issued.lead_days).mean()
    assert after.loc[[1, 2], "mae_kg"].tolist() == pytest.approx(expected_mae_kg.loc[[1, 2]].tolist(), rel=1e-9)
    message = flow_runs(world.data_dir).iloc[-1].message
    assert f"catches of 2 day(s) {late_days[0]}..{late_days[1]} changed" in message
    assert f"forecasts issued {LAST_DAY}..{LAST_DAY}" in message

    again = catch_ingest_flow(data_dir=str(world.data_dir))  # the same drop folder again: nothing new
    assert again["dates_changed"] == [] and "1 unchanged" in again["summary"]


def test_the_early_refresh_reissues_only_when_something_arrived(world: World, prefect_harness: None) -> None:
    settings = world.settings()
    first = refresh_flow(LAST_DAY, str(world.data_dir))  # nothing issued yet: issue
    assert first["reissued"] and first["arrived"] == [f"no forecast issued for {LAST_DAY} yet"]

    quiet = refresh_flow(LAST_DAY, str(world.data_dir))
    assert not quiet["reissued"]
    with connect(settings.warehouse_path, read_only=True) as con:
        made = con.execute("SELECT max(created_at) FROM forecasts WHERE issue_date = ?", [LAST_DAY]).fetchone()[0]

    late_catch_file(world, [LAST_DAY - timedelta(days=1)], world.data_dir / "inbox" / "catches" / "saturday.csv")
    woken = refresh_flow(LAST_DAY, str(world.data_dir))

    assert woken["reissued"] and woken["arrived"][0].startswith("new catches file saturday.csv stored ")
    with connect(settings.warehouse_path, read_only=True) as con:
        remade = con.execute("SELECT min(created_at) FROM forecasts WHERE issue_date = ?", [LAST_DAY]).fetchone()[0]
    assert remade > made
    runs = flow_runs(world.data_dir)
    assert list(runs.state) == ["completed", "skipped", "completed"]
    assert runs.message.iloc[-1].startswith("re-issued: new catches file saturday.csv")
