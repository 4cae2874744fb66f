"""Scaling curve of the feature build and the retrain (issue 16, target 6; not a test): `make bench-scaling`, or

    .venv/bin/python -m bench.scaling_bench [--quick] [--rounds 20] [--years 1,2,5,10] [--nets 10,50,200]
                                            [--fixed-nets 10] [--fixed-years 2]

Generated worlds (bench/world.py: daily 1/20-degree grids of Toyama Bay, 41 x 51 cells, 3 depths, 4 variables, and
nets along its coast with four species' catches), cached in bench/.data/scaling/, at 1, 2, 5 and 10 years (with
`--fixed-nets` nets) and at 10, 50 and 200 nets (over `--fixed-years` years). At each point, each in a fresh
interpreter so that its peak memory is its own:

  features  `features.write_features` of every issue date x 7 leads x every net x 4 species to Parquet (the bounded-
            memory build a retrain of this size needs; the grid store read once, blocks of 91 issue dates)
  retrain   one species' rows of that table read back, then `models.lightgbm_model.fit_species_model` with a FIXED,
            reduced search so that every point does the same boosting work per row: one parameter set
            (tuning_trials=1), no seasonal start, `--rounds` rounds per booster in the search (early stopping
            patience = rounds, so it never stops early) and the refit's rounds (4/3 of the search's best
            iteration, at least 10: the refit of the near-constant catch classifier may use 10 to 4/3 x rounds; the
            printout shows them). The point is the growth exponent, not the production fit's seconds (those:
            bench/models_bench.py).

Each point prints its wall time, its CPU time (user + system of the child, all threads: the machine may be loaded by
other work, so the load average is printed too) and its peak RSS (the child's ru_maxrss from os.wait4) with the RSS
after imports, before the work. Then per phase and axis the log-log growth exponent k of time ~ size^k (least
squares over the axis' points) for wall time, CPU time and the memory the work adds above the imports, PASS when
k <= 1.1 (linear or better), FAIL otherwise (exit status 1); the wall-time exponent is judged only when the
1-minute load average stayed below the number of cores at every point of the axis (on a busier machine wall time
measures the queue for the CPU, so it is printed as info and the CPU time decides), and the per-unit costs docs/scaling.md extrapolates
from: a linear least-squares split of each phase's CPU seconds and added MB into a constant, a part per million
grid values read and a part per site-year (one net, one year of issue dates, all leads and species for features;
one species for the retrain, per boosting round).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SCALING = ROOT / "bench" / ".data" / "scaling"
MAX_EXPONENT = 1.1
SPECIES = "yellowtail"
QUICK = {"years": [1, 2, 4], "nets": [5, 10, 20], "fixed_nets": 5, "fixed_years": 1, "rounds": 10}
FULL = {"years": [1, 2, 5, 10], "nets": [10, 50, 200], "fixed_nets": 10, "fixed_years": 2, "rounds": 20}


def rss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident memory of this process now, MB (Linux /proc; the peak so far where /proc is missing)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return rss_mb()


def recipe_for(years: int, nets: int):
    """The bench world's recipe for `years` of daily grids from 2015-01-01 and `nets` nets."""
    import pandas as pd

    from bench.world import Recipe

    start = pd.Timestamp(Recipe.start)
    days = (start + pd.DateOffset(years=years) - start).days
    return Recipe(days=days, n_sites=nets)


def world_root(years: int, nets: int) -> Path:
    return SCALING / f"y{years:02d}-n{nets:03d}"


# --- the two phases, each run in a child interpreter -------------------------------------------------------------

def phase_features(years: int, nets: int) -> dict:
    """Every issue date of the world's grid -> the feature table as Parquet; the time and memory of that alone."""
    import pandas as pd
    import pyarrow.parquet as pq

    from bench.world import ensure_world
    from features import write_features
    from ingest.store import open_grid_store

    settings = ensure_world(recipe_for(years, nets), world_root(years, nets))
    out = world_root(years, nets) / "features"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(settings.data_dir / "features", ignore_errors=True)  # no cached ocean reference: build it too
    grid = open_grid_store(settings.grid_store_path)
    values = int(sum(np.prod(grid[v].shape) for v in grid.data_vars))
    store_bytes = sum(f.stat().st_size for f in settings.grid_store_path.rglob("*") if f.is_file())
    issue_dates = pd.DatetimeIndex(grid.time.values)
    before_mb, wall, cpu = current_rss_mb(), time.perf_counter(), time.process_time()
    files = write_features(settings, issue_dates, out)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return {"wall_s": wall, "cpu_s": cpu, "before_mb": before_mb, "peak_mb": rss_mb(), "rows": int(rows),
            "columns": int(pq.ParquetFile(files[0]).metadata.num_columns), "grid_values": values,
            "store_bytes": int(store_bytes), "parquet_bytes": int(sum(f.stat().st_size for f in files))}


def phase_retrain(years: int, nets: int, rounds: int) -> dict:
    """One species' rows of the point's feature table -> a fitted hurdle model with a fixed, reduced search."""
    import pandas as pd
    import pyarrow.dataset as pads

    from features import feature_columns
    from features.ocean_forecast import training_covariates
    from features.table import LABEL_COLUMN
    from models.lightgbm_model import fit_species_model
    from setnet.settings import ModelSettings, Settings

    folder = world_root(years, nets) / "features"
    models = ModelSettings(lightgbm_rounds=rounds, early_stopping_rounds=rounds, tuning_trials=1,
                           seasonal_start="never")
    settings = Settings(data_dir=world_root(years, nets) / "world", models=models)
    before_mb, wall, cpu = current_rss_mb(), time.perf_counter(), time.process_time()
    table = pads.dataset(sorted(folder.glob("*.parquet")), format="parquet").to_table(
        filter=pads.field("species") == SPECIES).to_pandas()
    table["site_id"] = table.site_id.astype(str)
    table["species"] = table.species.astype(str)
    read_s = time.perf_counter() - wall
    fit_table = training_covariates(table, settings.models.training_ocean)
    labelled = fit_table[fit_table[LABEL_COLUMN].notna()]
    fit_began = time.perf_counter()
    model = fit_species_model(labelled, SPECIES, feature_columns(table), sorted(table.site_id.unique()), settings)
    fit_s = time.perf_counter() - fit_began
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    chosen = model.trials[model.trials.chosen].iloc[0]
    return {"wall_s": wall, "cpu_s": cpu, "before_mb": before_mb, "peak_mb": rss_mb(), "rows": len(labelled),
            "read_s": read_s, "fit_s": fit_s, "inputs": len(model.features),
            "search_rounds": [int(chosen.rounds_catch), int(chosen.rounds_positive)],
            "refit_rounds": [int(b.current_iteration()) for b in model.boosters.values()],
            "threads": settings.models.lightgbm_threads, "pandas": pd.__version__}


# --- the driver --------------------------------------------------------------------------------------------------

def run_point(phase: str, years: int, nets: int, rounds: int) -> dict:
    """One phase at one point in a fresh interpreter: its JSON, with the child's wall, CPU and peak RSS (wait4)."""
    log = world_root(years, nets) / f"{phase}.out"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "bench.scaling_bench", "--phase", phase, str(years), str(nets), str(rounds)]
    began = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    if child.returncode != 0:
        raise SystemExit(f"{phase} at {years} years x {nets} nets failed (exit {child.returncode}):\n{text[-3000:]}")
    result = json.loads(text.strip().splitlines()[-1])
    return {**result, "process_wall_s": time.perf_counter() - began, "process_cpu_s": usage.ru_utime + usage.ru_stime,
            "process_peak_mb": usage.ru_maxrss / 1024, "years": years, "nets": nets, "site_years": years * nets}


def exponent(sizes: list[float], values: list[float]) -> float:
    """k of value ~ size^k by least squares in log-log (values floored at 1e-3 so a zero cannot break the log)."""
    return float(np.polyfit(np.log(sizes), np.log(np.maximum(values, 1e-3)), 1)[0])


def unit_costs(points: list[dict], key: str, grid: bool) -> tuple[float, float, float]:
    """Least squares of `key` = constant + a * M grid values (when `grid`) + b * site-years over the points:
    (constant, a, b)."""
    design = np.array([[1.0, p["grid_values"] / 1e6, p["site_years"]] if grid else [1.0, p["site_years"]]
                       for p in points])
    solution, *_ = np.linalg.lstsq(design, np.array([p[key] for p in points]), rcond=None)
    return (float(solution[0]), float(solution[1]), float(solution[2])) if grid else (
        float(solution[0]), 0.0, float(solution[1]))


def verdict(k: float) -> str:
    return "PASS" if k <= MAX_EXPONENT else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help=f"a smaller subset: {QUICK}")
    parser.add_argument("--years", help="years of the years axis, e.g. 1,2,5,10")
    parser.add_argument("--nets", help="nets of the nets axis, e.g. 10,50,200")
    parser.add_argument("--fixed-nets", type=int, help="nets of every point of the years axis")
    parser.add_argument("--fixed-years", type=int, help="years of every point of the nets axis")
    parser.add_argument("--rounds", type=int, help="boosting rounds per booster of the retrain's search (>= 10)")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if options.phase:
        name, years, nets, rounds = options.phase[0], *map(int, options.phase[1:])
        result = phase_features(years, nets) if name == "features" else phase_retrain(years, nets, rounds)
        print(json.dumps(result))
        return 0

    plan = dict(QUICK if options.quick else FULL)
    for key in ("years", "nets"):
        if getattr(options, key):
            plan[key] = [int(v) for v in getattr(options, key).split(",")]
    for key in ("fixed_nets", "fixed_years", "rounds"):
        if getattr(options, key) is not None:
            plan[key] = getattr(options, key)
    axes = {"years": [(y, plan["fixed_nets"]) for y in plan["years"]],
            "nets": [(plan["fixed_years"], n) for n in plan["nets"]]}
    points = sorted({p for axis in axes.values() for p in axis})
    print(f"command: python -m bench.scaling_bench {' '.join(sys.argv[1:])}".rstrip())
    print(f"machine: {os.cpu_count()} cores, load average {' / '.join(f'{v:.1f}' for v in os.getloadavg())} "
          f"(1, 5, 15 min) at start; retrain: {SPECIES}, 1 parameter set, no seasonal start, {plan['rounds']} rounds "
          f"per booster in the search and the refit's proportional rounds, 2 LightGBM threads", flush=True)
    began = time.perf_counter()
    for years, nets in points:  # generated (not timed) before any measurement
        from bench.world import ensure_world

        ensure_world(recipe_for(years, nets), world_root(years, nets))
    print(f"worlds ready in {time.perf_counter() - began:.0f} s (cached in {SCALING.relative_to(ROOT)})\n", flush=True)

    results: dict[str, dict[tuple[int, int], dict]] = {"features": {}, "retrain": {}}
    print(f"{'phase':<9} {'years':>5} {'nets':>5} {'rows':>10} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} "
          f"{'added MB':>8}  detail")
    for years, nets in points:
        for phase in ("features", "retrain"):
            load = os.getloadavg()[0]
            r = run_point(phase, years, nets, plan["rounds"])
            r["load"] = max(load, os.getloadavg()[0])
            r["added_mb"] = max(r["process_peak_mb"] - r["before_mb"], 0.0)
            if phase == "retrain":
                r["grid_values"] = results["features"][(years, nets)]["grid_values"]
                detail = (f"read {r['read_s']:.1f} s + fit {r['fit_s']:.1f} s; {r['inputs']} inputs; rounds search "
                          f"{r['search_rounds']}, refit {r['refit_rounds']}")
            else:
                detail = (f"{r['grid_values'] / 1e6:.0f} M grid values ({r['store_bytes'] / 2**20:.0f} MB stored); "
                          f"{r['columns']} columns, {r['parquet_bytes'] / 2**20:.0f} MB Parquet")
            results[phase][(years, nets)] = r
            print(f"{phase:<9} {years:>5} {nets:>5} {r['rows']:>10,} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} "
                  f"{r['process_peak_mb']:>8.0f} {r['added_mb']:>8.0f}  {detail}; load {r['load']:.1f}",
                  flush=True)

    print("\ngrowth exponents k (time ~ size^k, least squares in log-log); PASS when k <= "
          f"{MAX_EXPONENT} (linear or better)")
    ok = True
    for phase in ("features", "retrain"):
        for axis, chosen in axes.items():
            rows = [results[phase][p] for p in chosen]
            sizes = [r[axis] for r in rows]
            busiest = max(r["load"] for r in rows)
            for label, key in (("wall time", "wall_s"), ("CPU time", "cpu_s"), ("memory above imports", "added_mb")):
                k = exponent(sizes, [r[key] for r in rows])
                span = " -> ".join(f"{r[key]:.1f}" for r in rows)
                if key == "wall_s" and busiest >= (os.cpu_count() or 1):  # the queue for the CPU, not the work
                    print(f"info  {phase} {label} over {axis} {sizes}: k = {k:.2f}  ({span}); not judged: load "
                          f"average up to {busiest:.1f} on {os.cpu_count()} cores during these points, the CPU time "
                          "decides")
                    continue
                ok &= k <= MAX_EXPONENT
                print(f"{verdict(k)}  {phase} {label} over {axis} {sizes}: k = {k:.2f}  ({span})")

    print("\nper-unit costs, least squares over every point: features = constant + per M grid values + per "
          f"site-year (all 4 species, 7 leads); retrain = constant + per site-year ({SPECIES}, {plan['rounds']} "
          "search rounds per booster):")
    for phase in ("features", "retrain"):
        rows = list(results[phase].values())
        for label, key, unit in (("CPU", "cpu_s", "s"), ("wall", "wall_s", "s"), ("memory above imports", "added_mb",
                                                                                 "MB")):
            constant, per_grid, per_site_year = unit_costs(rows, key, grid=phase == "features")
            grid_part = f"{per_grid:.4f} {unit} per M grid values + " if phase == "features" else ""
            print(f"  {phase} {label}: {constant:.2f} {unit} + {grid_part}{per_site_year:.4f} {unit} per site-year")
        largest = max(rows, key=lambda r: r["site_years"])
        print(f"  {phase} at the largest point ({largest['years']} years x {largest['nets']} nets): "
              f"{largest['cpu_s'] / largest['site_years']:.3f} CPU s and {largest['added_mb'] / largest['site_years']:.2f}"
              f" MB per site-year, {largest['rows'] / largest['site_years']:.0f} rows per site-year")
    grid = max(results["features"].values(), key=lambda r: r["grid_values"])
    print(f"  grid store: {grid['store_bytes'] / grid['grid_values']:.3f} bytes per stored value (float32, Zstd, "
          f"{grid['years']} years); feature Parquet: {grid['parquet_bytes'] / grid['rows']:.1f} bytes per row")
    print(f"\ntotal {time.perf_counter() - began:.0f} s; load average at the end "
          f"{' / '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
