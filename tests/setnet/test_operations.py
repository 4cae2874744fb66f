"""Operations: one writing run per data folder, a record of every run, honest input checks, refresh decisions."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from ingest.recovery import recover_interrupted_writes
from setnet import operations
from setnet.settings import Settings
from setnet.warehouse import connect, upsert

HOLDER = ("import sys, time; from datetime import date; from setnet import operations; "
          "from setnet.settings import Settings; "
          "lock = operations.run_lock(Settings(data_dir=sys.argv[1]), 'backfill', date(2025, 11, 30)); "
          "lock.__enter__(); print('locked', flush=True); time.sleep(60)")


def hold(data_dir: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_process_is_refused_with_who_holds_the_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    holder = hold(tmp_path)
    try:
        with pytest.raises(operations.SetnetBusy) as refused, operations.run_lock(settings, "daily", wait_seconds=0.3):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert str(refused.value).startswith(f"another setnet run (pid {holder.pid}, flow backfill, started 20")
    assert str(refused.value).endswith(f"issue date 2025-11-30) holds {tmp_path}; try again when it ends")


def test_a_killed_holder_never_leaves_a_stale_lock(tmp_path: Path) -> None:
    holder = hold(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with operations.run_lock(Settings(data_dir=tmp_path), "daily", wait_seconds=0) as outermost:
        assert outermost
        assert operations.lock_holder(Settings(data_dir=tmp_path))["pid"] != holder.pid


def test_the_lock_is_reentrant_in_a_process_and_released_after_an_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(RuntimeError), operations.run_lock(settings, "daily", wait_seconds=0) as outer:
        with operations.run_lock(settings, "ingest", wait_seconds=0) as inner:
            assert outer and not inner
        raise RuntimeError("boom")
    probe = subprocess.run([sys.executable, "-c", HOLDER.replace("time.sleep(60)", "pass"), str(tmp_path)],
                           capture_output=True, text=True, timeout=60, check=False)
    assert probe.stdout.strip() == "locked"


def test_a_run_records_the_swift_current_level_it_issued(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    for run_id, level in (("warned", "warning"), ("calm", "none"), ("blind", "unknown")):
        with operations.recorded_run(settings, "daily", date(2025, 11, 30), run_id=run_id,
                                     recover_stores=recover_interrupted_writes) as record:
            record.note(kyucho_level=level)
    with operations.recorded_run(settings, "train", None, run_id="other", recover_stores=recover_interrupted_writes):
        pass
    levels = operations.list_runs(settings).set_index("run_id").kyucho_level
    assert levels[["warned", "calm", "blind"]].tolist() == ["warning", "none", "unknown"]
    assert pd.isna(levels["other"])  # a flow that issues no forecast records none


def test_a_recorded_run_is_written_running_then_with_how_it_ended(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with operations.recorded_run(settings, "daily", date(2025, 11, 30), run_id="r1",
                                 recover_stores=recover_interrupted_writes) as record:
        with connect(settings.warehouse_path, read_only=True) as con:
            assert con.execute("SELECT state FROM flow_runs WHERE run_id = 'r1'").fetchone() == ("running",)
        record.note(sites=3, forecasts=84, model_versions=["m1"], ocean_date="2025-11-29",
                    reasons=["ocean grid late"], unknown="ignored")
    with pytest.raises(ValueError, match="bad input"), \
            operations.recorded_run(settings, "forecast", date(2025, 12, 1), run_id="r2",
                                    recover_stores=recover_interrupted_writes):
        raise ValueError("bad input\nsecond line")
    runs = operations.list_runs(settings).set_index("run_id")
    assert runs.loc["r1", "state"] == "completed" and runs.loc["r1", "degraded"]
    assert (runs.loc["r1", "sites"], runs.loc["r1", "model_versions"]) == (3, "m1")
    assert json.loads(runs.loc["r1", "reasons"]) == ["ocean grid late"]
    assert runs.loc["r2", "state"] == "failed" and runs.loc["r2", "message"] == "bad input"
    assert pd.notna(runs.loc["r2", "finished_at"])


def test_a_run_a_killed_process_left_running_is_marked_crashed_by_the_next(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with connect(settings.warehouse_path) as con:
        upsert(con, "flow_runs", pd.DataFrame([{"run_id": "dead", "flow": "daily", "state": "running",
                                                "started_at": datetime(2025, 11, 30, 10), "degraded": False}]))
    with operations.recorded_run(settings, "daily", run_id="next",
                                 recover_stores=recover_interrupted_writes) as record:
        assert "run daily started 2025-11-30 10:00 UTC had crashed" in record.message
    runs = operations.list_runs(settings).set_index("run_id")
    assert runs.loc["dead", "state"] == "crashed"


def test_the_store_recovery_passed_in_runs_first_under_the_lock_and_its_notes_are_recorded(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with connect(settings.warehouse_path):
        pass  # an existing warehouse: there may be something to recover
    calls = []

    def recover(given: Settings) -> list[str]:
        calls.append(operations.lock_holder(given).get("flow"))  # the lock is already held by this run
        return ["grids.zarr: undid a write a killed run left half-done"]

    with operations.recorded_run(settings, "daily", run_id="r1", recover_stores=recover) as record, \
            operations.recorded_run(settings, "ingest", run_id="r2", recover_stores=recover):
        assert record.message == "grids.zarr: undid a write a killed run left half-done"
    assert calls == ["daily"]  # the nested run shares the lock and does not recover again


def test_inputs_are_fresh_late_or_missing(small_world: Settings) -> None:
    last = date(2024, 4, 29)  # the small world's last grid and catch day
    assert operations.check_inputs(small_world, last).reasons == []
    late = operations.check_inputs(small_world, date(2024, 5, 2))
    assert late.latest_grid_day == last and late.degraded
    assert late.reasons == [
        "ocean grid of 2024-05-02 has not arrived: forecast from the grid of 2024-04-29 (3 days old, limit 3)",
        "catches after 2024-04-29 have not arrived (3 days before 2024-05-02, limit 2): recent catch history is stale",
    ]
    with pytest.raises(operations.MissingInput, match=r"^ocean grid of 2024-05-03 missing: the latest grid day is "
                                                      r"2024-04-29, 4 days old, past the limit of 3"):
        operations.check_inputs(small_world, date(2024, 5, 3))
    with pytest.raises(operations.MissingInput, match="^ocean grid missing: no grid day on or before 2024-02-01"):
        operations.check_inputs(small_world, date(2024, 2, 1))


def _forecasts(issue_date: date, ocean_date: date) -> pd.DataFrame:
    return pd.DataFrame({"issue_date": [issue_date], "target_date": [issue_date], "lead_days": [1],
                         "site_id": ["himi"], "species": ["sardine"], "mean_kg": [1.0], "q10_kg": [0.0],
                         "q50_kg": [1.0], "q90_kg": [2.0], "model_version": ["m1"], "ocean_date": [ocean_date]})


def test_degradation_reads_the_run_record_or_else_the_forecasts_ocean_day(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    day = date(2025, 11, 30)
    assert operations.degradation(settings, day) == []
    with connect(settings.warehouse_path) as con:
        upsert(con, "forecasts", _forecasts(day, date(2025, 11, 29)))
    assert operations.degradation(settings, day) == [
        "ocean grid of 2025-11-30 had not arrived: forecast from the grid of 2025-11-29 (1 day old)"]
    with operations.recorded_run(settings, "daily", day, recover_stores=recover_interrupted_writes) as record:
        record.note(forecasts=1, reasons=["recorded reason"])
    assert operations.degradation(settings, day) == ["recorded reason"]


def test_the_refresh_reissues_only_after_new_files(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    day = date(2025, 11, 30)

    def store_file(name: str) -> None:
        with connect(settings.warehouse_path) as con:
            upsert(con, "ingested_files", pd.DataFrame([{
                "file": f"/in/{name}", "kind": "catches", "checksum": name, "context_checksum": "c",
                "rows_stored": 1, "rows_updated": 0, "rows_rejected": 0, "outcome": "stored",
                "ingested_at": pd.Timestamp.now()}]))

    store_file("a.csv")
    with connect(settings.warehouse_path) as con:
        upsert(con, "forecasts", _forecasts(day, day))
    with operations.recorded_run(settings, "daily", day, recover_stores=recover_interrupted_writes) as record:
        record.note(forecasts=1, inputs_watermark=operations.inputs_watermark(settings))
    assert operations.refresh_reasons(settings, day) == []
    store_file("b.csv")
    reasons = operations.refresh_reasons(settings, day)
    assert len(reasons) == 1 and reasons[0].startswith("new catches file b.csv stored ")
    assert operations.refresh_reasons(settings, date(2025, 12, 1)) == ["no forecast issued for 2025-12-01 yet"]


def test_changed_catch_dates_are_the_dates_whose_rows_differ() -> None:
    before = {"2025-11-28": "12:100.000000", "2025-11-29": "12:50.000000"}
    after = {"2025-11-28": "12:100.000000", "2025-11-29": "12:60.000000", "2025-11-30": "12:1.000000"}
    assert operations.changed_dates(before, after) == [date(2025, 11, 29), date(2025, 11, 30)]


@pytest.mark.parametrize("utc, expected", [
    (datetime(2025, 11, 30, 17, 0, tzinfo=UTC), date(2025, 11, 30)),  # 02:00 on Dec 1 in Japan: last evening's
    (datetime(2025, 11, 30, 10, 0, tzinfo=UTC), date(2025, 11, 30)),  # 19:00 in Japan: today's
    (datetime(2025, 11, 30, 2, 0, tzinfo=UTC), date(2025, 11, 29)),  # 11:00 in Japan: still last evening's
])
def test_the_current_issue_date_changes_at_noon_in_japan(utc: datetime, expected: date) -> None:
    assert operations.current_issue_date(Settings(), utc) == expected
