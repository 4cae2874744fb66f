"""What the tests share beyond fixtures: how long a wait may last before it is a hang, and the one tiny site
registry of the small worlds: three set nets in Toyama Bay (Himi, Iwase, Uozu) in three cooperatives, placed so that
every tiny grid of the tests covers them (Iwase's nearest cell on the 0.05-degree feature grid is land, so the search
for the nearest sea cell is exercised)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

# How long a test waits for a process or server before calling it hung: a bound only a hang reaches on the busiest
# machine, never a statement about speed (timings belong in bench/; tests/test_no_wall_clock.py).
HANG_GUARD_S = 1800
SITE_COLUMNS = ["site_id", "name_ja", "name_en", "coop", "lat", "lon", "depth_m", "bearing_deg"]
TINY_SITES = pd.DataFrame(
    {
        "site_id": ["himi", "iwase", "uozu"],
        "name_ja": ["氷見", "岩瀬", "魚津"],
        "name_en": ["Himi", "Iwase", "Uozu"],
        "coop": ["氷見漁協", "富山県漁協", "魚津漁協"],
        "lat": [36.86, 36.77, 36.84],
        "lon": [136.99, 137.23, 137.40],
        "depth_m": [40.0, 50.0, 60.0],
        "bearing_deg": [90.0, 0.0, 20.0],
    },
    columns=SITE_COLUMNS,
)


def tiny_sites(**columns: list) -> pd.DataFrame:
    """TINY_SITES (a copy) with the given columns replaced, e.g. tiny_sites(lat=[...]) for another grid."""
    return TINY_SITES.assign(**columns)


def write_sites_csv(path: Path, sites: pd.DataFrame = TINY_SITES) -> Path:
    """A registry CSV as a cooperative delivers it (SITE_COLUMNS, UTF-8); returns path."""
    sites[SITE_COLUMNS].to_csv(path, index=False, encoding="utf-8")
    return path


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `condition` every 0.2 s until it holds; TimeoutError naming `what` after `seconds` (a hang guard)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {seconds} s")
        time.sleep(0.2)


@contextmanager
def loopback_dask_cluster(folder: Path, workers: int = 2) -> Iterator[tuple[str, set[int]]]:
    """A real Dask cluster: a scheduler and `workers` one-thread workers, each a separate process on 127.0.0.1
    (their files in `folder`) -> (the scheduler's address, the PIDs started), once every worker has connected.
    On exit every process it started is stopped by its PID (terminate, then kill after 20 s)."""
    from distributed import Client

    dask_cli = str(Path(sys.executable).with_name("dask"))
    scheduler_file = folder / "scheduler.json"
    processes: list[subprocess.Popen] = []
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": folder}
    try:
        processes.append(subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                           "--no-dashboard", "--scheduler-file", str(scheduler_file)], **common))
        wait_for(scheduler_file.exists, HANG_GUARD_S, "the scheduler did not write its file")
        for _ in range(workers):
            processes.append(subprocess.Popen([dask_cli, "worker", "--scheduler-file", str(scheduler_file),
                                               "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"], **common))
        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address) as client:
            wait_for(lambda: len(client.scheduler_info()["workers"]) == workers, HANG_GUARD_S,
                     f"{workers} workers did not connect")
        yield address, {process.pid for process in processes[1:]}
    finally:
        for process in reversed(processes):  # stop every process started here, by its PID
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
