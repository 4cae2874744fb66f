"""Fixtures for the operations tests: a tiny trained sample world (made once, copied per test), a real Prefect
server on loopback for flows run in other processes, and a comparison of two data folders' stores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from flows.local_prefect import LocalPrefect, local_prefect
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.fixtures import HANG_GUARD_S

PROJECT_DIR = Path(__file__).resolve().parents[2]
LAST_DAY = date(2025, 11, 30)  # the sample world's last day (seed 42)
VOLATILE_COLUMNS = {"ingested_at", "created_at", "updated_at", "applied_at", "write_id", "actual_ingested_at"}
# The run log differs by nature (one row per run), and so does the record of sends: only the evening's daily run
# sends its summary (a backfill of past days never messages anyone), so a daily run leaves deliveries rows a
# backfill of the same day does not.
UNCOMPARED_TABLES = {"flow_runs", "deliveries"}


@dataclass(frozen=True)
class World:
    """A trained tiny world: its data folder (the stores) and the sample files it was made from."""

    data_dir: Path
    sample: Path

    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir)


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Sample world (2 years, 3 nets) ingested and trained once for the session: never written by a test."""
    import ingest
    import models
    import sample_world

    root = tmp_path_factory.mktemp("world")
    files = sample_world.generate_world(root / "sample", years=2, sites=3, seed=42)
    assert files.end_date == LAST_DAY
    settings = Settings(data_dir=root / "template", models={"lightgbm_rounds": 40})
    ingest.ingest_sites(settings, files.sites_csv)
    ingest.ingest_grids(settings, [files.grids_dir])
    ingest.ingest_catches(settings, [files.catches_dir])
    models.train_models(settings)
    return World(settings.data_dir, files.root)


def copy_world(template: World, target: Path) -> World:
    shutil.copytree(template.data_dir, target)
    return World(target, template.sample)


@pytest.fixture
def world(world_template: World, tmp_path: Path) -> World:
    """A fresh copy of the trained world for one test."""
    return copy_world(world_template, tmp_path / "data")


@pytest.fixture(scope="session")
def live_prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrefect]:
    """A real Prefect server process on 127.0.0.1 (SQLite, no scheduler: nothing runs unless triggered),
    stopped with every process it started at the end of the session."""
    with local_prefect(tmp_path_factory.mktemp("prefect-server"), deploy=False, worker=False, scheduler=False,
                       extra_env={"PREFECT_LOGGING_LEVEL": "WARNING"}) as running:
        yield running
    for process in running.processes:
        assert process.poll() is not None, f"process {process.pid} still running"


# --- flows in another process ------------------------------------------------------------------------------------

RUNNER = textwrap.dedent('''
    import importlib, json, os, signal, sys
    from datetime import date

    spec = json.loads(sys.argv[1])
    for crash in spec.get("crash", []):
        module = importlib.import_module(crash["module"])
        original = getattr(module, crash["attr"])

        def wrapper(*args, __original=original, __crash=crash, **kwargs):
            hit = __crash.get("table") is None or (len(args) > 1 and args[1] == __crash["table"])
            if hit and __crash.get("when", "before") == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = __original(*args, **kwargs)
            if hit:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        setattr(module, crash["attr"], wrapper)

    from flows import pipeline

    flow = getattr(pipeline, spec["flow"])
    kwargs = {k: (date.fromisoformat(v) if k in ("issue_date", "start", "end") else v)
              for k, v in spec["kwargs"].items()}
    result = flow(**kwargs)
    print("RESULT " + json.dumps(result, default=str), flush=True)
''')


def run_flow_process(prefect: LocalPrefect, flow: str, crash: list[dict] | None = None,
                     timeout_s: float = HANG_GUARD_S,
                     env: dict[str, str] | None = None, **kwargs: object) -> subprocess.CompletedProcess:
    """Run `flows.pipeline.<flow>(**kwargs)` in a new Python process against the live server.

    `crash`: [{"module", "attr", "table"?, "when": "before"|"after"}]: the process SIGKILLs itself when that
    function is called (with that table as its second argument), before or after it runs.
    """
    spec = json.dumps({"flow": flow, "kwargs": {k: str(v) for k, v in kwargs.items()}, "crash": crash or []})
    return subprocess.run([sys.executable, "-c", RUNNER, spec], cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=timeout_s, env={**prefect.env, **(env or {})}, check=False)


HOLDER = ("import sys; from datetime import date; from setnet import operations; "
          "from setnet.settings import Settings; "
          "lock = operations.run_lock(Settings(data_dir=sys.argv[1]), sys.argv[2], date.fromisoformat(sys.argv[3])); "
          "lock.__enter__(); print('locked', flush=True); sys.stdin.readline(); "
          "lock.__exit__(None, None, None); print('released', flush=True)")


def hold_lock(data_dir: Path, flow: str, issue_date: date = LAST_DAY) -> subprocess.Popen:
    """Another process holding the data folder's run lock (returns once it holds it) until `release_lock`, or until
    this process ends and closes its stdin."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir), flow, str(issue_date)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=PROJECT_DIR)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def release_lock(holder: subprocess.Popen) -> None:
    """Tell a `hold_lock` process to release the lock; returns once it has released it and ended."""
    holder.stdin.write("release\n")
    holder.stdin.close()
    assert holder.stdout.readline().strip() == "released"
    holder.wait(timeout=HANG_GUARD_S)


def start_flow_process(prefect: LocalPrefect, flow: str, env: dict[str, str] | None = None,
                       **kwargs: object) -> subprocess.Popen:
    spec = json.dumps({"flow": flow, "kwargs": {k: str(v) for k, v in kwargs.items()}})
    return subprocess.Popen([sys.executable, "-c", RUNNER, spec], cwd=PROJECT_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**prefect.env, **(env or {})},
                            start_new_session=True)


# --- comparing stores --------------------------------------------------------------------------------------------

def table_snapshot(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every warehouse table (but the run log), timestamps of writing and write ids left out, the folder's own
    path replaced by '<data>', rows sorted: what two runs must agree on."""
    prefix = str(data_dir.resolve())
    tables: dict[str, pd.DataFrame] = {}
    with connect(data_dir / "setnet.duckdb", read_only=True) as con:
        names = [n for (n,) in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        for name in names:
            if name in UNCOMPARED_TABLES:
                continue
            frame = con.execute(f'SELECT * FROM "{name}"').df()
            frame = frame.drop(columns=[c for c in frame.columns if c in VOLATILE_COLUMNS])
            for column in frame.columns:
                if pd.api.types.is_string_dtype(frame[column]) or pd.api.types.is_object_dtype(frame[column]):
                    frame[column] = frame[column].map(lambda v: v.replace(prefix, "<data>") if isinstance(v, str) else v)
            if len(frame.columns):
                frame = frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True)
            tables[name] = frame
    return tables


def report_files(data_dir: Path) -> list[str]:
    folder = data_dir / "reports"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def assert_same_stores(left: Path, right: Path) -> None:
    """The warehouse tables, the Zarr stores and the report files of two data folders agree."""
    a, b = table_snapshot(left), table_snapshot(right)
    assert sorted(a) == sorted(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=f"table {name}")
    for store in ("grids.zarr", "ocean_forecasts.zarr"):
        assert (left / store).exists() == (right / store).exists(), store
        assert not (left / f"{store}.undo").exists() and not (right / f"{store}.undo").exists(), "journal left"
        if (left / store).exists():
            with xr.open_zarr(left / store, consolidated=False) as x, xr.open_zarr(right / store, consolidated=False) as y:
                xr.testing.assert_identical(x.load(), y.load())
    assert report_files(left) == report_files(right)
    for manifest in (p for p in report_files(left) if p.endswith("reports.json")):
        assert (left / "reports" / manifest).read_text() == (right / "reports" / manifest).read_text()


def shifted_grid_file(source: Path, target: Path, days: int) -> Path:
    """A provider file like `source` for `days` later (same fields): a new day arriving in the drop folder."""
    with xr.open_dataset(source, decode_timedelta=False) as ds:
        moved = ds.load()
    moved = moved.assign_coords(time=moved.time + np.timedelta64(days, "D"))
    target.parent.mkdir(parents=True, exist_ok=True)
    moved.to_netcdf(target)
    return target


def late_catch_file(world: World, days: list[date], target: Path) -> Path:
    """A cooperative CSV with catches of every net and species on `days`."""
    sites = pd.read_csv(world.sample / "sites.csv").site_id
    rows = [{"date": d.isoformat(), "site_id": s, "species": sp, "catch_kg": 100.0 + 10 * i}
            for i, d in enumerate(days) for s in sites for sp in ("ブリ", "ホタルイカ", "マイワシ", "スルメイカ")]
    target.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(target, index=False)
    return target


def flow_runs(data_dir: Path) -> pd.DataFrame:
    with connect(data_dir / "setnet.duckdb", read_only=True) as con:
        return con.execute("SELECT * FROM flow_runs ORDER BY started_at").df()


@pytest.fixture
def no_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETNET_OPERATIONS__RUN_LOCK_WAIT_SECONDS", "0")

