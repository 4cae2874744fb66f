"""A command typed at a terminal runs its flow in-process without Prefect (no server, no prefect import), still
holding the run lock and recording itself in `flow_runs`; `--prefect` (or a configured PREFECT_API_URL) makes it a
Prefect flow run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows import engine
from flows.cli import app
from tests.fixtures import HANG_GUARD_S, write_sites_csv
from tests.flows.conftest import LAST_DAY, PROJECT_DIR, World, flow_runs, hold_lock

HEAVY = ("prefect", "lightgbm", "dask", "xarray", "matplotlib", "models", "reports", "features")

# Runs `setnet <argv>` in this fresh process, then prints which heavy packages it imported and its child processes
# still alive (a temporary Prefect server would be one).
HARNESS = textwrap.dedent('''
    import json, os, sys
    from flows.cli import app

    heavy = json.loads(sys.argv[1])
    sys.argv = ["setnet", *sys.argv[2:]]
    try:
        app()
    except SystemExit as done:
        code = done.code or 0
    kids = [p for p in os.listdir("/proc") if p.isdigit()
            and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1] == str(os.getpid())]
    print("HARNESS " + json.dumps({"code": code, "imported": [m for m in heavy if m in sys.modules],
                                   "children": kids}))
''')


def setnet_process(tmp_path: Path, *argv: str) -> tuple[dict, str]:
    """`setnet argv` in a new Python process with no Prefect server configured (a fresh PREFECT_HOME, no
    PREFECT_API_URL); -> (what the harness saw, the command's output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PYTHONPATH=str(PROJECT_DIR))
    done = subprocess.run([sys.executable, "-c", HARNESS, json.dumps(HEAVY), *argv], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD_S, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("HARNESS ")), None)
    assert line is not None, done.stdout + done.stderr
    return json.loads(line.removeprefix("HARNESS ")), done.stdout + done.stderr


def test_help_and_a_read_command_import_no_prefect_nor_a_stage(tmp_path: Path) -> None:
    helped, output = setnet_process(tmp_path, "--help")
    assert helped["code"] == 0 and "ingest" in output
    assert helped["imported"] == []
    read, output = setnet_process(tmp_path, "--data-dir", str(tmp_path / "data"), "runs")
    assert read == {"code": 0, "imported": [], "children": []}, output
    assert "no runs recorded" in output


def test_ingesting_sites_runs_without_prefect_and_records_the_run(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    seen, output = setnet_process(tmp_path, "--data-dir", str(data_dir), "ingest", "sites",
                                  str(write_sites_csv(tmp_path / "sites.csv")))

    # No prefect, no model or report code, no server process, and no xarray: the ingest package loads its grid code
    # (the store contract) only when a grid name is used, and a fresh folder has no store to recover.
    assert seen == {"code": 0, "imported": [], "children": []}, output
    assert "3 sites stored in" in output
    assert not (tmp_path / "prefect-home").exists()  # no temporary Prefect server made its database there
    runs = flow_runs(data_dir)
    assert list(runs.flow) == ["ingest"] and list(runs.state) == ["completed"]
    assert runs.engine[0] == "local" and runs.run_id[0].startswith("local-")
    assert runs.message[0] == "3 sites"


def test_a_local_command_still_takes_the_run_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    holder = hold_lock(data_dir, "daily")
    monkeypatch.setenv("SETNET_OPERATIONS__RUN_LOCK_WAIT_SECONDS", "0")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    try:
        result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "ingest", "sites",
                                          str(write_sites_csv(tmp_path / "sites.csv"))])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert result.output.startswith(f"setnet: error: another setnet run (pid {holder.pid}, flow daily, started ")
    assert not (data_dir / "setnet.duckdb").exists()  # the refused run wrote nothing, not even its record


def test_a_configured_prefect_server_is_found_in_the_environment_or_the_active_profile(tmp_path: Path) -> None:
    home = tmp_path / "prefect-home"
    assert not engine.prefect_api_configured({"PREFECT_HOME": str(home)})
    assert engine.prefect_api_configured({"PREFECT_HOME": str(home), "PREFECT_API_URL": "http://127.0.0.1:4200/api"})
    home.mkdir()
    (home / "profiles.toml").write_text('active = "work"\n[profiles.work]\n'
                                        'PREFECT_API_URL = "http://127.0.0.1:4200/api"\n[profiles.local]\n')
    assert engine.prefect_api_configured({"PREFECT_HOME": str(home)})
    assert not engine.prefect_api_configured({"PREFECT_HOME": str(home), "PREFECT_PROFILE": "local"})


def test_a_task_returning_its_state_runs_locally_as_completed_or_failed() -> None:
    @engine.task(name="halve")
    def halve(kg: float) -> float:
        if kg < 0:
            raise ValueError(f"negative catch {kg} kg")
        return kg / 2

    with engine.local_runs():
        assert halve(3.0) == 1.5
        done, failed = halve(3.0, return_state=True), halve(-1.0, return_state=True)
    assert done.is_completed() and done.result() == 1.5
    assert not failed.is_completed() and "ValueError: negative catch -1.0 kg" in failed.message
    with pytest.raises(ValueError, match="negative catch"):
        failed.result()


@pytest.mark.slow
def test_the_daily_command_runs_locally_and_reports_its_phases(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(world.data_dir.parent / "prefect-home"))
    result = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "daily", "--date", str(LAST_DAY)])

    assert result.exit_code == 0, result.output
    phase_line = result.output.splitlines()[-1]
    assert phase_line.startswith("phases: ingest ") and " features " in phase_line and " report " in phase_line
    run = flow_runs(world.data_dir).iloc[-1]
    assert (run.flow, run.state, run.engine) == ("daily", "completed", "local")
    phases = json.loads(run.phase_seconds)
    assert {"ingest", "features", "forecast", "report", "deliver"} <= set(phases)
    assert all(isinstance(value, float) for value in phases.values())  # how long each took: bench.cli_bench


@pytest.mark.slow
def test_prefect_flag_runs_the_command_as_a_prefect_flow_run(tmp_path: Path, prefect_harness: None) -> None:
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(app, ["--prefect", "--data-dir", str(data_dir), "ingest", "sites",
                                      str(write_sites_csv(tmp_path / "sites.csv"))])

    assert result.exit_code == 0, result.output
    run = flow_runs(data_dir).iloc[0]
    assert (run.flow, run.state, run.engine) == ("ingest", "completed", "prefect")
    assert not run.run_id.startswith("local-") and len(run.run_id) == 36  # the Prefect flow run's UUID
