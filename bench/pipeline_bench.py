"""Benchmark of the whole pipeline's speed (not a test): `make bench-pipeline`, or

    .venv/bin/python -m bench.pipeline_bench [--only world|demo] [--rounds 1] [--keep-demo DIR]

Each phase runs in its own fresh interpreter, in a temporary folder removed afterwards:

  world     `sample_world.generate_world` with its defaults (3 years, 10 nets, seed 42), timed around the call
  demo      the tiny demo as an operator runs it: `setnet --data-dir DIR demo --years 2 --sites 3` (40 boosting
            rounds, a temporary Prefect home), timed from process start to exit: imports, the temporary Prefect
            server, generation, ingest, training, forecast and report

and prints the figures with PASS/FAIL against the targets (the default world in under 60 s, the tiny demo in under
60 s); exit status 1 when a target is missed. `--rounds N` repeats each phase and keeps the fastest. These are
timings of this machine at this moment (its cores and load are printed with them): the tests check what the
pipeline does, never how fast, so a busy machine can fail this benchmark but never `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_WORLD_S = 60.0
TARGET_DEMO_S = 60.0
DEMO_ARGS = ["demo", "--years", "2", "--sites", "3"]
DEMO_ROUNDS = "40"  # a tiny world needs few boosting rounds


# --- phases, each run in a child process ---------------------------------------------------------------------

def phase_world(folder: Path) -> dict:
    """The default sample world written under folder: seconds for the call, days and nets written."""
    from sample_world import generate_world

    began = time.perf_counter()
    world = generate_world(folder / "default")
    elapsed_s = time.perf_counter() - began
    days = (world.end_date - world.start_date).days + 1
    nets = sum(1 for _ in world.sites_csv.open(encoding="utf-8")) - 1
    return {"world_s": elapsed_s, "days": days, "nets": nets}


def demo_env(folder: Path) -> dict[str, str]:
    """The environment of the demo process: a fresh Prefect home, no telemetry, few boosting rounds."""
    env = {**os.environ, "PREFECT_HOME": str(folder / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_LOGGING_LEVEL": "WARNING", "SETNET_MODELS__LIGHTGBM_ROUNDS": DEMO_ROUNDS}
    env.pop("PREFECT_API_URL", None)
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    return env


def run_demo(folder: Path, data: Path | None = None) -> dict:
    """The tiny demo as a process of its own: seconds from start to exit, and the forecasts it stored."""
    (folder / "prefect-home").mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "flows.cli", "--data-dir", str(data or folder / "data"), *DEMO_ARGS]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=demo_env(folder), capture_output=True, text=True, check=False)
    elapsed_s = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"the demo failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    summary = next((line for line in done.stdout.splitlines() if line.startswith("demo done:")), "")
    return {"demo_s": elapsed_s, "summary": summary}


# --- the driver ----------------------------------------------------------------------------------------------

def run_phase(name: str, folder: Path, data: Path | None = None) -> dict:
    """Run one phase in a fresh interpreter and return what it printed (JSON on the last line)."""
    if name == "demo":
        return run_demo(folder, data)
    command = [sys.executable, "-m", "bench.pipeline_bench", "--phase", name, str(folder)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"phase {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fastest(name: str, rounds: int, key: str, keep: Path | None = None) -> dict:
    """The fastest of `rounds` runs of a phase, each in a fresh temporary folder; `keep`: the data folder the demo
    writes instead (emptied before each run, the last run's kept)."""
    results = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix=f"setnet-bench-{name}-") as folder:
            if keep is not None:  # the run writes there directly (its models are stored by path)
                shutil.rmtree(keep, ignore_errors=True)
                keep.parent.mkdir(parents=True, exist_ok=True)
            results.append(run_phase(name, Path(folder), keep))
    return min(results, key=lambda r: r[key])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["world", "demo"], help="run one phase only")
    parser.add_argument("--rounds", type=int, default=1, help="run each phase this many times; keep the fastest")
    parser.add_argument("--keep-demo", type=Path, help="keep the timed tiny demo's data folder here (replacing it), "
                        "for the benchmarks that read a tiny demo (`make bench` passes bench/.data/demo-quick)")
    options = parser.parse_args()
    if options.phase:
        name, folder = options.phase
        print(json.dumps({"world": phase_world}[name](Path(folder))))
        return 0

    print(f"command: {' '.join(['python -m bench.pipeline_bench', *sys.argv[1:]])}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
          f"best of {options.rounds} round(s) per phase, each in a fresh process and temporary folder")
    checks = []
    if options.only in (None, "world"):
        world = fastest("world", options.rounds, "world_s")
        print(f"default sample world ({world['days']} days x {world['nets']} nets): {world['world_s']:.1f} s")
        checks.append((f"default sample world < {TARGET_WORLD_S:.0f} s", f"{world['world_s']:.1f} s",
                       world["world_s"] < TARGET_WORLD_S))
    if options.only in (None, "demo"):
        demo = fastest("demo", options.rounds, "demo_s", keep=options.keep_demo and options.keep_demo.resolve())
        print(f"tiny demo (`setnet {' '.join(DEMO_ARGS)}`, {DEMO_ROUNDS} rounds): {demo['demo_s']:.1f} s; "
              f"{demo['summary']}")
        checks.append((f"tiny demo < {TARGET_DEMO_S:.0f} s", f"{demo['demo_s']:.1f} s", demo["demo_s"] < TARGET_DEMO_S))
    print()
    for name, value, ok in checks:
        print(f"{verdict(ok)}  {name}: {value}")
    return 0 if all(ok for _, _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
