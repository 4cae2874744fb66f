"""Benchmark of the interactive command line and the daily run (not a test): `make bench-cli`, or

    .venv/bin/python -m bench.cli_bench [--only commands|daily] [--rounds 3] [--demo-dir DIR]

In a temporary folder (removed afterwards), with no Prefect server configured (a fresh PREFECT_HOME, no
PREFECT_API_URL: the commands run without Prefect, as typed at a terminal), each command in a fresh interpreter:

  help      `setnet --help`
  runs      `setnet runs` (a read command) on the demo data folder
  sites     `setnet ingest sites` of the sample world's 8-net registry into a fresh data folder; its work is the
            `ingest.ingest_sites` call timed inside a warm process (the same file, a fresh folder)
  daily     `setnet daily --date <last day>` on the data of `setnet demo --years 2 --sites 3` (40 boosting rounds),
            with the phase seconds it records in `flow_runs` (ingest, features, forecast, report, deliver, ...);
            `--demo-dir` reuses that demo's data folder (`make bench` shares the pipeline bench's timed demo)

and prints the wall times with PASS/FAIL against the targets: each command under 2 s beyond its work, the daily
run under 20 s. `--rounds N` repeats each command and keeps the fastest. These are timings of this machine at this
moment (cores and load average are printed): the tests check what the commands do, never how fast.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_COMMAND_S = 2.0  # beyond the command's own work
TARGET_DAILY_S = 20.0
DEMO_ROUNDS = "40"
REGISTRY_SITES = 8


def bench_env(folder: Path) -> dict[str, str]:
    """No Prefect server configured (so no Prefect at all), few boosting rounds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(folder / "prefect-home"), SETNET_MODELS__LIGHTGBM_ROUNDS=DEMO_ROUNDS,
               PYTHONPATH=str(ROOT))
    return env


def setnet(folder: Path, *argv: str) -> tuple[float, str]:
    """`setnet argv` in a fresh interpreter: (wall seconds from start to exit, its output)."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.cli", *argv], cwd=ROOT, env=bench_env(folder),
                          capture_output=True, text=True, check=False)
    elapsed_s = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"setnet {' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return elapsed_s, done.stdout


def best(rounds: int, run) -> tuple[float, str]:
    return min((run() for _ in range(rounds)), key=lambda result: result[0])


def registry(folder: Path) -> Path:
    """The sample world's registry of 8 nets as a cooperative's CSV."""
    from sample_world.geography import select_sites
    from sample_world.writers import write_sites

    return write_sites(select_sites(REGISTRY_SITES), folder / "sites8.csv")


def sites_work_s(folder: Path, csv: Path) -> float:
    """Seconds of `ingest.ingest_sites` itself (in a warm process, into fresh folders: the best of three)."""
    code = ("import sys, time; from pathlib import Path; import ingest; from setnet.settings import Settings\n"
            "times = []\n"
            "for n in range(4):\n"
            "    settings = Settings(data_dir=Path(sys.argv[1]) / f'work{n}')\n"
            "    began = time.perf_counter(); ingest.ingest_sites(settings, Path(sys.argv[2]))\n"
            "    times.append(time.perf_counter() - began)\n"
            "print(min(times[1:]))")
    done = subprocess.run([sys.executable, "-c", code, str(folder), str(csv)], cwd=ROOT, env=bench_env(folder),
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def last_daily_phases(data_dir: Path) -> dict[str, float]:
    import duckdb

    with duckdb.connect(str(data_dir / "setnet.duckdb"), read_only=True) as con:
        found = con.execute("SELECT phase_seconds FROM flow_runs WHERE flow = 'daily' ORDER BY started_at DESC "
                            "LIMIT 1").fetchone()
    return json.loads(found[0]) if found and found[0] else {}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1, help="run each command this many times; keep the fastest")
    parser.add_argument("--only", choices=["commands", "daily"], help="the three commands only, or the daily run only")
    parser.add_argument("--demo-dir", type=Path, help="data folder of `setnet demo --years 2 --sites 3` to reuse "
                        "(made there and kept when it holds no warehouse); default: a temporary one")
    options = parser.parse_args()
    print(f"command: {' '.join(['python -m bench.cli_bench', *sys.argv[1:]])}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; best of "
          f"{options.rounds} round(s), each command in a fresh process, no Prefect server configured")
    checks = []
    with tempfile.TemporaryDirectory(prefix="setnet-bench-cli-") as tmp:
        folder = Path(tmp)
        data = options.demo_dir.resolve() if options.demo_dir else folder / "demo"
        if options.only != "commands" and (data / "setnet.duckdb").exists():
            print(f"setup: reusing the demo data in {data} (`setnet demo --years 2 --sites 3`, {DEMO_ROUNDS} rounds)")
        elif options.only != "commands":
            demo_s, demo_out = setnet(folder, "--data-dir", str(data), "demo", "--years", "2", "--sites", "3")
            print(f"setup: `setnet demo --years 2 --sites 3` ({DEMO_ROUNDS} rounds) {demo_s:.1f} s; "
                  f"{demo_out.strip().splitlines()[-1]}")
        if options.only != "daily":
            checks += commands(folder, data, options.rounds)
        if options.only != "commands":
            checks.append(daily_run(folder, data, options.rounds))
    print()
    for name, value, ok in checks:
        print(f"{verdict(ok)}  {name}: {value}")
    return 0 if all(ok for _, _, ok in checks) else 1


def commands(folder: Path, data: Path, rounds: int) -> list[tuple[str, str, bool]]:
    """`setnet --help`, `setnet runs` and `setnet ingest sites`, each against 2 s (+ its work)."""
    checks = []
    help_s, _ = best(rounds, lambda: setnet(folder, "--help"))
    checks.append((f"`setnet --help` < {TARGET_COMMAND_S:.0f} s", f"{help_s:.2f} s", help_s < TARGET_COMMAND_S))
    runs_s, _ = best(rounds, lambda: setnet(folder, "--data-dir", str(data), "runs"))
    checks.append(((f"`setnet runs` ({'the demo data' if data.exists() else 'no runs yet'}) < "
                   f"{TARGET_COMMAND_S:.0f} s"), f"{runs_s:.2f} s", runs_s < TARGET_COMMAND_S))

    csv = registry(folder)
    fresh = iter(range(1000))
    sites_s, _ = best(rounds, lambda: setnet(folder, "--data-dir", str(folder / f"sites{next(fresh)}"),
                                             "ingest", "sites", str(csv)))
    work_s = sites_work_s(folder, csv)
    checks.append(((f"`setnet ingest sites` ({REGISTRY_SITES} rows) < {TARGET_COMMAND_S:.0f} s + its work "
                   f"{work_s:.2f} s"), f"{sites_s:.2f} s", sites_s < TARGET_COMMAND_S + work_s))

    return checks


def daily_run(folder: Path, data: Path, rounds: int) -> tuple[str, str, bool]:
    """`setnet daily` of the demo's last day, by phase, against 20 s."""
    day = _last_forecast_day(data)  # the demo's last day (its daily run issued it)
    daily = []
    for _ in range(rounds):
        daily_s, out = setnet(folder, "--data-dir", str(data), "daily", "--date", day)
        daily.append((daily_s, out, last_daily_phases(data)))
    daily_s, out, phases = min(daily, key=lambda d: d[0])
    line = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
    print(f"daily run of {day} on the demo data: {daily_s:.1f} s wall; phases: {line}")
    return (f"`setnet daily` on the demo data < {TARGET_DAILY_S:.0f} s", f"{daily_s:.1f} s",
            daily_s < TARGET_DAILY_S)


def _last_forecast_day(data_dir: Path) -> str:
    import duckdb

    with duckdb.connect(str(data_dir / "setnet.duckdb"), read_only=True) as con:
        return str(con.execute("SELECT max(issue_date) FROM forecasts").fetchone()[0])


if __name__ == "__main__":
    sys.exit(main())
