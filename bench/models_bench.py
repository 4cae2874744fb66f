"""How long a retrain with its backtest takes: seconds per fold, per species and per booster, the final fit, the
peak memory, and the backtest's accuracy (so a faster retrain is seen not to be a worse one).

On an ingested world (default: a 5-year, 8-net sample world generated and ingested once under bench/.data/) it
builds the training table, runs the rolling-origin backtest (`models.backtest.rolling_origin_backtest`, its folds
`models.fit_workers` at a time), then the final fit of every species reusing its latest fold's search
(`models.training.final_fits`), as `setnet train` does, and prints each fold's wall seconds and its boosters' wall
and CPU seconds (the machine may be shared), the rounds chosen, the load average, the CRPSS against climatology and the MAE of the median per species, and the total
against the target (PASS/FAIL). Timings live here, never in tests.

    python -m bench.models_bench [--data-dir DIR] [--target-s 300]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import pandas as pd

from features import feature_columns
from features.ocean_forecast import training_covariates
from features.table import LABEL_COLUMN
from models.backtest import backtest_origins, rolling_origin_backtest
from models.lightgbm_model import BOOSTER_NAMES
from models.training import _catches, final_fits, training_table
from setnet.settings import Settings

DATA = Path(__file__).resolve().parent / ".data" / "models-world"
WORLD = {"years": 5, "sites": 8, "seed": 7}


def ingested_world(folder: Path) -> Settings:
    """The bench world's settings, generating and ingesting it first when `folder` holds none."""
    settings = Settings(data_dir=folder / "data")
    if not settings.warehouse_path.exists():
        from ingest import ingest_catches, ingest_grids, ingest_sites
        from sample_world import generate_world

        world = generate_world(folder / "sample", **WORLD)
        ingest_sites(settings, world.sites_csv)
        ingest_grids(settings, [world.grids_dir])
        ingest_catches(settings, [world.catches_dir])
    return settings


def peak_memory_mb() -> float:
    """This process's peak resident memory (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as the machine's other work loads it."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def accuracy(predictions: pd.DataFrame) -> pd.DataFrame:
    """Backtest rows -> per species and over all: CRPSS vs climatology (1 - mean CRPS / mean climatology CRPS, all
    leads pooled), MAE of the median (kg), rows."""
    frame = predictions.assign(abs_error_kg=(predictions.q50_kg - predictions.actual_kg).abs())
    groups = [*frame.groupby("species"), ("all", frame)]
    return pd.DataFrame([{"species": name, "crpss": 1 - rows.crps_kg.mean() / rows.crps_climatology_kg.mean(),
                          "mae_kg": rows.abs_error_kg.mean(), "rows": len(rows)} for name, rows in groups])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="data folder of an ingested world (default: the bench world)")
    parser.add_argument("--target-s", type=float, default=300.0, help="target for backtest + final fit (s)")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir) if args.data_dir else ingested_world(DATA)
    print(f"load average at start: {load_average()} on {os.cpu_count()} cores; "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}; lightgbm_threads={settings.models.lightgbm_threads}; "
          f"fit_workers={settings.models.fit_workers}",
          flush=True)

    started, cpu_started = time.perf_counter(), time.process_time()
    table = training_table(settings)
    fit_table = training_covariates(table, settings.models.training_ocean)
    table_s, table_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    catches = _catches(settings)
    labelled = table[table[LABEL_COLUMN].notna()]
    fit_labelled = fit_table[fit_table[LABEL_COLUMN].notna()]
    origins = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)
    features, sites = feature_columns(table), sorted(table.site_id.unique())
    print(f"training table: {len(table)} rows x {len(features)} inputs in {table_s:.1f} s ({table_cpu_s:.1f} s CPU); "
          f"{len(origins)} folds; {settings.models.tuning_trials} parameter sets per search; "
          f"search_folds={settings.models.search_folds}", flush=True)

    wall, cpu = time.perf_counter(), time.process_time()
    run = rolling_origin_backtest(table, catches, settings, fit_table=fit_table)
    backtest_s, backtest_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    wall = time.perf_counter()
    models = final_fits(fit_labelled, features, sites, settings, run.searches)  # as `setnet train`
    final_s = time.perf_counter() - wall
    finals = pd.DataFrame([{"species": name, "fold_origin": "final", "wall_s": float("nan"),
                            **model.booster_timings(),
                            "trials": 0, "rounds_catch": model.boosters["catch"].current_iteration(),
                            "rounds_positive": model.boosters["positive"].current_iteration()}
                           for name, model in models.items()])
    folds = run.folds.assign(fold_origin=run.folds.fold_origin.dt.date.astype(str))
    print(f"\nper fold ({settings.models.fit_workers} fits at once, each timing its own wall s; "
          "trials 1: the earliest search's chosen trial rerun):\n"
          + pd.concat([folds, finals], ignore_index=True).round(1).to_string(index=False))
    print("\nwall seconds per species (its folds' own wall s, summed):\n"
          + folds.groupby("species")[["wall_s"]].sum().round(1).to_string())
    print("\nwall seconds per fold (every species, summed):\n"
          + folds.groupby("fold_origin")[["wall_s"]].sum().round(1).to_string())
    booster_columns = [f"{name}_{kind}_s" for name in BOOSTER_NAMES for kind in ("wall", "cpu")]
    per_booster = pd.DataFrame({"backtest": folds[booster_columns].sum(), "final": finals[booster_columns].sum()})
    print("\nseconds per booster (search trials + refits, summed over fits run at once):\n"
          + per_booster.round(1).to_string())
    print("\nbacktest accuracy (all folds, leads pooled):\n"
          + accuracy(run.predictions).round(4).to_string(index=False))
    for lead in (1, settings.max_lead_days):
        print(f"\nbacktest accuracy at lead {lead} (all folds):\n"
              + accuracy(run.predictions[run.predictions.lead_days == lead]).round(4).to_string(index=False))
    lead_scores = [search.lead_scores.assign(species=name) for name, search in run.searches.items()
                   if search.lead_scores is not None]
    if lead_scores:
        print("\nown-lead hurdles, latest fold (held-out CRPS kg of the lead's own hurdle and of the species' one; "
              "kept: the final fit forecasts that lead with its own):\n"
              + pd.concat(lead_scores).round(3).to_string(index=False))
    models_s = backtest_s + final_s
    total_s = models_s + table_s
    print(f"\nbacktest {backtest_s:.1f} s ({backtest_cpu_s:.1f} s CPU) + final fits {final_s:.1f} s = {models_s:.1f} s "
          f"+ training table {table_s:.1f} s; CPU {time.process_time() - cpu_started:.1f} s; "
          f"peak memory {peak_memory_mb():.0f} MB; load average at end: {load_average()}")
    verdict = "PASS" if total_s <= args.target_s else "FAIL"
    print(f"{verdict}: retrain with backtest {total_s:.1f} s wall (target <= {args.target_s:.0f} s)")


if __name__ == "__main__":
    main()
