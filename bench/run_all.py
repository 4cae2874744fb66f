"""Every benchmark of bench/ in sequence (not a test): `make bench`, or

    .venv/bin/python -m bench.run_all [--quick] [--only ingest,cli] [--skip models] [--data-dir DIR | --full-demo] [--list]

Each benchmark runs in its own interpreter, its output streamed as it comes; then the runner prints, per benchmark,
its verdict lines (those that say PASS or FAIL), its exit status and wall time, and a summary. A benchmark fails
when it exits non-zero or prints a FAIL; the runner exits 1 when any failed. A benchmark whose file is not (yet) in
bench/ is listed as absent, not failed. `--quick` passes the smaller sizes a benchmark offers (fewer rows, rounds,
nets), so its verdicts answer for those sizes only.

The tiny demo (`setnet demo --years 2 --sites 3`, 40 boosting rounds) is made once per run: the pipeline benchmark
times it and keeps its data in `bench/.data/demo-quick`, where the cli benchmark's daily run and the benchmarks that
score a model against a sample world's hidden truth (`model_ceiling`, `ocean_forecast_value`) read it (made there
when the pipeline benchmark is not run). `--full-demo` scores those two on the default sample world instead
(`bench/.data/demo`, 3 years x 10 nets, made once by `setnet demo`: about 7 minutes more, and their own runs take
about 4x longer), as their documented results were; `--data-dir` names another ingested world.
Timings of this machine at this moment: cores and load average are printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "bench" / ".data" / "demo"
DEMO_QUICK = ROOT / "bench" / ".data" / "demo-quick"
VERDICT = re.compile(r"\b(PASS|FAIL)\b")
TINY_DEMO_ROUNDS = "40"  # as bench.pipeline_bench and bench.cli_bench make the tiny demo


@dataclass(frozen=True)
class Bench:
    """One benchmark: its name, its module in bench/, its arguments (full and --quick), whether it needs a demo."""

    name: str
    module: str
    args: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)
    needs_demo: bool = False

    @property
    def path(self) -> Path:
        return ROOT / (self.module.replace(".", "/") + ".py")


BENCHES = [
    Bench("features", "bench.features_bench", quick=["--rounds", "1", "--no-table"]),
    Bench("ingest", "bench.ingest_bench", quick=["--rows", "100000"]),
    Bench("pipeline", "bench.pipeline_bench", args=["--keep-demo", str(DEMO_QUICK)]),  # its timed tiny demo, kept
    Bench("cli", "bench.cli_bench", args=["--demo-dir", str(DEMO_QUICK)]),  # the daily run on that demo's data
    Bench("models", "bench.models_bench"),
    Bench("kyucho_record", "bench.kyucho_record_bench", quick=["--sites", "3", "--rounds", "1"]),
    Bench("peer", "bench.peer_bench", quick=["--quick"]),
    Bench("scaling", "bench.scaling_bench", quick=["--quick"]),
    Bench("operation_skill", "bench.operation_skill", quick=["--quick"]),
    Bench("model_ceiling", "bench.model_ceiling", needs_demo=True),
    Bench("ocean_forecast_value", "bench.ocean_forecast_value", needs_demo=True),
]


@dataclass
class Outcome:
    """What one benchmark did: exit status, wall seconds, its verdict lines."""

    bench: Bench
    status: str  # PASS, FAIL, absent
    returncode: int | None = None
    seconds: float = 0.0
    verdicts: list[str] = field(default_factory=list)


def bench_env() -> dict[str, str]:
    """The repository on the path, no Prefect telemetry."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def run_streamed(command: list[str], env: dict[str, str] | None = None) -> tuple[int, list[str], float]:
    """Run `command` from the repository root (`env` added to the environment), echoing its output line by line:
    (exit status, lines, seconds)."""
    started = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(command, cwd=ROOT, env=bench_env() | (env or {}), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(f"  {line}", end="", flush=True)
            lines.append(line.rstrip("\n"))
    return process.returncode, lines, time.perf_counter() - started


def ensure_demo(folder: Path, quick: bool) -> Path:
    """A data folder holding an ingested sample world with its forecast archive (`setnet demo`, made once)."""
    from setnet.settings import Settings

    if Settings(data_dir=folder).warehouse_path.exists():
        return folder
    extra = ["--years", "2", "--sites", "3"] if quick else []
    command = [sys.executable, "-m", "flows.cli", "--data-dir", str(folder), "demo", *extra]
    print(f"== preparing the sample world for the truth-scored benchmarks: {' '.join(command[1:])}", flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    returncode, _, seconds = run_streamed(command, {"SETNET_MODELS__LIGHTGBM_ROUNDS": TINY_DEMO_ROUNDS} if quick else {})
    if returncode != 0:
        raise SystemExit(f"the demo for the truth-scored benchmarks failed (exit {returncode}) after {seconds:.0f} s")
    print(f"== sample world ready in {seconds:.0f} s", flush=True)
    return folder


def run_bench(bench: Bench, quick: bool, data_dir: Path | None) -> Outcome:
    """One benchmark in its own interpreter; absent when its file is not in bench/."""
    if not bench.path.exists():
        print(f"== {bench.name}: {bench.path.relative_to(ROOT)} not in this checkout (absent, not run)", flush=True)
        return Outcome(bench, "absent")
    source = bench.path.read_text(encoding="utf-8")  # a bench written since may not offer its quick options yet
    offered = quick and all(f'"{a}"' in source for a in bench.quick if a.startswith("--"))
    args = [*bench.args, *(bench.quick if offered else [])]
    if bench.needs_demo and data_dir is not None:
        args = ["--data-dir", str(data_dir), *args]
    print(f"== {bench.name}: python -m {bench.module} {' '.join(args)}".rstrip(), flush=True)
    returncode, lines, seconds = run_streamed([sys.executable, "-m", bench.module, *args])
    verdicts = [line.strip() for line in lines if VERDICT.search(line)]
    failed = returncode != 0 or any("FAIL" in VERDICT.findall(line) for line in verdicts)
    return Outcome(bench, "FAIL" if failed else "PASS", returncode, seconds, verdicts)


def select(names: str | None, skip: str | None) -> list[Bench]:
    """The benchmarks named by --only (all by default), without those named by --skip."""
    known = {b.name for b in BENCHES}
    wanted = [n.strip() for n in (names or "").split(",") if n.strip()]
    unwanted = [n.strip() for n in (skip or "").split(",") if n.strip()]
    unknown = sorted(set(wanted + unwanted) - known)
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return [b for b in BENCHES if (not wanted or b.name in wanted) and b.name not in unwanted]


def load_text() -> str:
    """The load average, for the record."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)"


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks in sequence, print each one's verdicts and time and a summary; 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smaller sizes each benchmark offers")
    parser.add_argument("--only", help="comma-separated benchmarks to run (see --list)")
    parser.add_argument("--skip", help="comma-separated benchmarks not to run")
    parser.add_argument("--data-dir", type=Path, help="an ingested sample world for the truth-scored benchmarks")
    parser.add_argument("--full-demo", action="store_true",
                        help="score the truth-scored benchmarks on the default sample world (bench/.data/demo)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    chosen = select(args.only, args.skip)
    if args.list:
        for bench in BENCHES:
            present = "" if bench.path.exists() else "  (absent)"
            print(f"{bench.name:22s} python -m {bench.module}{present}")
        return 0
    print(f"benchmarks: {', '.join(b.name for b in chosen)}{' (--quick)' if args.quick else ''}; "
          f"{os.cpu_count()} cores, {load_text()}", flush=True)
    started = time.perf_counter()
    outcomes = []
    for bench in chosen:  # the demo is made (if no benchmark before made it) when the first one needs it
        data_dir = args.data_dir
        if data_dir is None and bench.needs_demo:
            data_dir = ensure_demo(DEMO, quick=False) if args.full_demo else ensure_demo(DEMO_QUICK, quick=True)
        outcomes.append(run_bench(bench, args.quick, data_dir))
    total = time.perf_counter() - started
    print(f"\n== summary ({'--quick, ' if args.quick else ''}{total / 60:.1f} min in all; {load_text()} at the end)")
    for outcome in outcomes:
        timing = "" if outcome.status == "absent" else f" in {outcome.seconds:7.1f} s (exit {outcome.returncode})"
        print(f"{outcome.status:6s} {outcome.bench.name}{timing}")
        for line in outcome.verdicts:
            print(f"         {line}")
    failed = [o.bench.name for o in outcomes if o.status == "FAIL"]
    absent = [o.bench.name for o in outcomes if o.status == "absent"]
    print(f"{'FAIL' if failed else 'PASS'}: {len(outcomes) - len(failed) - len(absent)} passed, {len(failed)} failed"
          f"{' (' + ', '.join(failed) + ')' if failed else ''}, {len(absent)} absent"
          f"{' (' + ', '.join(absent) + ')' if absent else ''}; {total / 60:.1f} min")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
