"""Rerunning, overlapping and killed runs leave the stores exactly as one clean run would."""

from __future__ import annotations

import contextvars
import logging
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from flows import engine
from flows.local_prefect import LocalPrefect
from flows.pipeline import backfill_flow, daily_flow, forecast_flow
from setnet import operations
from setnet.warehouse import connect
from tests.flows.conftest import (
    HANG_GUARD_S,
    LAST_DAY,
    World,
    assert_same_stores,
    copy_world,
    flow_runs,
    hold_lock,
    release_lock,
    run_flow_process,
    shifted_grid_file,
    start_flow_process,
)

pytestmark = pytest.mark.slow


def forecast_count(data_dir: Path, issue_date: date) -> int:
    with connect(data_dir / "setnet.duckdb", read_only=True) as con:
        return con.execute("SELECT count(*) FROM forecasts WHERE issue_date = ?", [issue_date]).fetchone()[0]


@pytest.fixture(scope="module")
def clean_run(world_template: World, tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> World:
    """The reference: one daily run of the last day on a fresh copy."""
    clean = copy_world(world_template, tmp_path_factory.mktemp("clean") / "data")
    daily_flow(LAST_DAY, str(clean.data_dir))
    return clean


def test_rerunning_a_day_and_overlapping_backfills_change_nothing(
        world_template: World, tmp_path: Path, prefect_harness: None) -> None:
    day_before = LAST_DAY - timedelta(days=1)
    once = copy_world(world_template, tmp_path / "once")
    backfill_flow(day_before, LAST_DAY, str(once.data_dir))

    again = copy_world(world_template, tmp_path / "again")
    daily_flow(LAST_DAY, str(again.data_dir))
    backfill_flow(day_before, LAST_DAY, str(again.data_dir))  # overlaps (reruns) the day already done

    assert forecast_count(again.data_dir, LAST_DAY) == 3 * 4 * 7
    assert_same_stores(once.data_dir, again.data_dir)
    runs = flow_runs(again.data_dir)
    assert list(runs.flow) == ["daily", "backfill", "backfill"]
    assert set(runs.state) == {"completed"}


@pytest.mark.parametrize("crash, left_behind", [
    ({"module": "setnet.warehouse", "attr": "upsert", "table": "forecasts"}, "forecasts half replaced"),
    ({"module": "reports", "attr": "build_report"}, "forecasts without their report"),
], ids=["inside-the-forecast-transaction", "between-forecast-and-report"])
def test_a_run_killed_midway_leaves_no_half_day_and_the_next_run_completes_it(
        crash: dict, left_behind: str, clean_run: World, world: World, live_prefect: LocalPrefect,
        prefect_harness: None) -> None:
    killed = run_flow_process(live_prefect, "daily_flow", crash=[crash], issue_date=LAST_DAY,
                              data_dir=world.data_dir)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    rows = forecast_count(world.data_dir, LAST_DAY)
    assert rows in (0, 3 * 4 * 7), f"{left_behind}: {rows} rows"  # all of the day or none of it
    assert not (world.data_dir / "reports" / str(LAST_DAY) / "reports.json").exists()
    assert list(flow_runs(world.data_dir).state) == ["running"]

    daily_flow(LAST_DAY, str(world.data_dir))

    assert_same_stores(clean_run.data_dir, world.data_dir)
    runs = flow_runs(world.data_dir)
    assert list(runs.state) == ["crashed", "completed"]
    assert "ended without finishing" in runs.message[0]


def test_a_grid_ingest_killed_before_its_commit_is_undone_and_redone(
        world_template: World, tmp_path: Path, live_prefect: LocalPrefect, prefect_harness: None) -> None:
    new_day = LAST_DAY + timedelta(days=1)
    source = world_template.sample / "grids" / "2025" / f"toyama_phy_{LAST_DAY:%Y%m%d}.nc"
    worlds = []
    for name in ("clean", "killed"):
        copied = copy_world(world_template, tmp_path / name)
        shifted_grid_file(source, copied.data_dir / "inbox" / "grids" / f"toyama_phy_{new_day:%Y%m%d}.nc", days=1)
        worlds.append(copied)
    clean, killed = worlds
    daily_flow(new_day, str(clean.data_dir))

    crash = {"module": "ingest.grids", "attr": "upsert", "table": "grid_sources"}  # store written, not committed
    died = run_flow_process(live_prefect, "daily_flow", crash=[crash], issue_date=new_day,
                            data_dir=killed.data_dir)
    assert died.returncode == -signal.SIGKILL, died.stderr[-2000:]
    assert (killed.data_dir / "grids.zarr.undo").exists()

    summary = daily_flow(new_day, str(killed.data_dir))

    assert summary["ocean_date"] == str(new_day)  # the new grid day, stored once
    assert not [reason for reason in summary["reasons"] if reason.startswith("ocean grid")]
    assert_same_stores(clean.data_dir, killed.data_dir)
    runs = flow_runs(killed.data_dir)
    assert list(runs.state) == ["crashed", "completed"]
    assert "grids.zarr: undid a write a killed run left half-done" in runs.message[1]


@pytest.fixture(params=["prefect", "local"])
def run_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """Flows run as Prefect flow runs (the test harness's server) or in-process without Prefect (the CLI's default)."""
    if request.param == "prefect":
        request.getfixturevalue("prefect_harness")
    with engine.local_runs(request.param == "local"):
        yield request.param


def test_a_second_run_on_the_same_folder_refuses_naming_the_first(
        world: World, run_mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = hold_lock(world.data_dir, "daily")
    try:
        monkeypatch.setenv("SETNET_OPERATIONS__RUN_LOCK_WAIT_SECONDS", "0")
        with pytest.raises(operations.SetnetBusy) as refused:
            forecast_flow(LAST_DAY, str(world.data_dir))
    finally:
        holder.kill()
        holder.wait()
    message = str(refused.value)
    assert message.startswith(f"another setnet run (pid {holder.pid}, flow daily, started ")
    assert message.endswith(f", issue date {LAST_DAY}) holds {world.data_dir}; try again when it ends")
    assert flow_runs(world.data_dir).empty  # the refused run wrote nothing, not even its record


class _Heard(logging.Handler):
    """Sets `event` (keeping the message) when a record starting with `prefix` is logged."""

    def __init__(self, prefix: str) -> None:
        super().__init__(logging.WARNING)
        self.prefix, self.event, self.message = prefix, threading.Event(), ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.prefix):
            self.message = record.getMessage()
            self.event.set()


def test_a_second_run_waits_for_the_first_when_allowed(
        world: World, run_mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = hold_lock(world.data_dir, "train")
    heard = _Heard("waiting up to ")
    operations.log.addHandler(heard)
    monkeypatch.setenv("SETNET_OPERATIONS__RUN_LOCK_WAIT_SECONDS", str(HANG_GUARD_S))
    try:
        with ThreadPoolExecutor(1) as pool:
            waiter = pool.submit(contextvars.copy_context().run, forecast_flow, LAST_DAY, str(world.data_dir))
            while not heard.event.wait(0.2) and not waiter.done():
                pass  # the waiter either says it waits for the holder, or ends without having waited
            assert heard.event.is_set(), f"the second run did not wait: {waiter.result()}"
            # The holder still holds the folder: the waiter is blocked and has written nothing, not even its record.
            assert f"another setnet run (pid {holder.pid}, flow train, started " in heard.message
            assert not waiter.done()
            assert forecast_count(world.data_dir, LAST_DAY) == 0 and flow_runs(world.data_dir).empty
            release_lock(holder)
            done = waiter.result()
    finally:
        operations.log.removeHandler(heard)
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert done["rows"] == 3 * 4 * 7 == forecast_count(world.data_dir, LAST_DAY)
    runs = flow_runs(world.data_dir)
    assert list(runs.flow) == ["forecast"] and list(runs.state) == ["completed"]
    assert list(runs.engine) == [run_mode]


def test_two_daily_runs_started_together_end_as_one_clean_run(
        clean_run: World, world: World, live_prefect: LocalPrefect) -> None:
    processes = [start_flow_process(live_prefect, "daily_flow", env={"SETNET_OPERATIONS__RUN_LOCK_WAIT_SECONDS": str(HANG_GUARD_S)},
                                    issue_date=LAST_DAY, data_dir=world.data_dir) for _ in range(2)]
    for process in processes:
        _, stderr = process.communicate(timeout=2 * HANG_GUARD_S)
        assert process.returncode == 0, stderr[-2000:]
    assert_same_stores(clean_run.data_dir, world.data_dir)
    runs = flow_runs(world.data_dir)
    assert list(runs.flow) == ["daily", "daily"] and set(runs.state) == {"completed"}
    first, second = runs.itertuples()
    assert second.started_at >= first.finished_at  # one after the other, never both at once
