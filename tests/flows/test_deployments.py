"""prefect.yaml declares the operators' day, and a real Prefect server and worker run it.

The integration test starts a Prefect server and a process worker as processes on loopback, deploys
everything from prefect.yaml, triggers the daily deployment for a sample-world date, waits for it, checks the
forecasts landed, and stops every process it started.
"""

from __future__ import annotations

import inspect
import json
import re
import urllib.request
from pathlib import Path

import pytest
import yaml

from flows import pipeline
from flows.local_prefect import POOL, LocalPrefect, create_pool, deploy_all, prefect, start_worker, stop
from setnet.warehouse import connect
from tests.flows.conftest import HANG_GUARD_S, LAST_DAY, PROJECT_DIR, World

DECLARED = yaml.safe_load((PROJECT_DIR / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {d["name"]: d for d in DECLARED["deployments"]}
# deployment -> (flow function, cron schedules in Japan time)
EXPECTED = {
    "grid-ingest": ("grid_ingest_flow", ["0 18 * * *", "30 1 * * *"]),
    "catch-ingest": ("catch_ingest_flow", ["30 7 * * *"]),
    "daily-evening": ("daily_flow", ["0 19 * * *"]),
    "refresh-early": ("refresh_flow", ["0 2 * * *"]),
    "retrain-weekly": ("train_flow", ["0 12 * * 0"]),
    "backfill-manual": ("backfill_flow", []),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_deployment_runs_its_flow_on_schedule_in_japan_time(name: str) -> None:
    deployment = DEPLOYMENTS[name]
    function, crons = EXPECTED[name]
    assert deployment["entrypoint"] == f"flows/pipeline.py:{function}"
    schedules = deployment.get("schedules") or []
    assert [s["cron"] for s in schedules] == crons
    assert all(s["timezone"] == "Asia/Tokyo" and s["active"] for s in schedules)
    assert deployment["work_pool"]["name"] == POOL
    assert "setnet" in deployment["tags"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_deployment_parameters_are_the_flows_own_with_defaults(name: str) -> None:
    flow = getattr(pipeline, EXPECTED[name][0])
    signature = inspect.signature(flow.fn)
    parameters = DEPLOYMENTS[name]["parameters"]
    assert set(parameters) <= set(signature.parameters)
    for parameter in signature.parameters.values():  # every flow parameter has a default somewhere
        assert parameter.name in parameters or parameter.default is not inspect.Parameter.empty


def test_flow_runs_find_the_project_through_setnet_project_dir() -> None:
    step = DECLARED["pull"][0]["prefect.deployments.steps.set_working_directory"]
    assert step["directory"] == "{{ $SETNET_PROJECT_DIR }}"


def _api(prefect: LocalPrefect, path: str) -> dict:
    with urllib.request.urlopen(f"{prefect.api_url}{path}", timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
@pytest.mark.e2e
def test_the_daily_deployment_runs_on_a_real_server_and_worker(
        world: World, live_prefect: LocalPrefect, tmp_path: Path) -> None:
    env = live_prefect.env
    create_pool(env)
    deploy_all(env)
    for name, (function, crons) in EXPECTED.items():
        flow_name = getattr(pipeline, function).name
        deployment = _api(live_prefect, f"/deployments/name/{flow_name}/{name}")
        assert sorted(s["schedule"]["cron"] for s in deployment["schedules"]) == sorted(crons)

    triggered = prefect(["deployment", "run", "daily/daily-evening", "-p", f"issue_date={LAST_DAY}",
                         "-p", f"data_dir={world.data_dir}"], env)
    run_id = re.search(r"UUID: ([0-9a-f-]{36})", triggered).group(1)
    worker = start_worker({**env, "PREFECT_LOGGING_LEVEL": "INFO"}, run_once=True, log_file=tmp_path / "worker.log")
    try:
        worker.wait(timeout=HANG_GUARD_S)
    finally:
        stop(worker)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert worker.returncode == 0, log[-3000:]

    run = _api(live_prefect, f"/flow_runs/{run_id}")
    assert run["state"]["type"] == "COMPLETED", log[-3000:]
    assert run["name"] == f"daily-{LAST_DAY}"
    with connect(world.data_dir / "setnet.duckdb", read_only=True) as con:
        landed = con.execute("SELECT count(*), count(DISTINCT site_id), count(DISTINCT species) FROM forecasts "
                             "WHERE issue_date = ?", [LAST_DAY]).fetchone()
        recorded = con.execute("SELECT flow, issue_date, state, sites FROM flow_runs WHERE run_id = ?",
                               [run_id]).fetchone()
    assert landed == (3 * 4 * 7, 3, 4)
    assert recorded == ("daily", LAST_DAY, "completed", 3)
    assert (world.data_dir / "reports" / str(LAST_DAY) / "index.html").exists()
    assert f"issued {LAST_DAY}: 84 forecasts for 3 sites x 4 species, model m" in log


def _processes_with(marker: str) -> list[int]:
    """Pids of this user's processes whose environment contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.slow
def test_serve_prefect_deploys_everything_prints_the_ui_and_stops_all_it_started(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from flows.local_prefect import free_port

    port, home = free_port(), tmp_path / "prefect-home"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    serving = subprocess.Popen([str(Path(sys.executable).with_name("setnet")), "--data-dir", str(tmp_path / "data"),
                                "serve-prefect", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines = []
        for line in serving.stdout:
            lines.append(line)
            if "Worker '" in line and "started" in line:
                break
        assert f"Prefect UI: http://127.0.0.1:{port}\n" in lines, "".join(lines)
        running = LocalPrefect(port, home, {}, serving)
        for name, (function, _) in EXPECTED.items():
            assert _api(running, f"/deployments/name/{getattr(pipeline, function).name}/{name}")["name"] == name
        assert len(_processes_with(f"PREFECT_HOME={home}")) >= 3  # setnet, the server and the worker
        serving.send_signal(signal.SIGINT)
        serving.wait(timeout=HANG_GUARD_S)
        assert serving.returncode == 0
    finally:
        if serving.poll() is None:
            os.killpg(serving.pid, signal.SIGKILL)
            serving.wait()
    assert "stopped the worker and the server" in serving.stdout.read()
    assert _processes_with(f"PREFECT_HOME={home}") == []
