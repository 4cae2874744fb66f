"""How long a retrain with its backtest takes: seconds per fold, per species and per booster, the final fit, the
peak memory, and the backtest's accuracy (so a faster retrain is seen not to be a worse one).

On an ingested world (default: a 5-year, 8-net sample world generated and ingested once under bench/.data/) it
builds the training table, runs the rolling-origin backtest fold by fold and species by species, then the final fit
of every species reusing its latest fold's search, as `setnet train` does, and prints each step's wall and CPU
seconds (the machine may be shared: CPU seconds are this process's, its LightGBM threads included), the rounds
chosen, the load average, the CRPSS against climatology and the MAE of the median per species, and the total
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
from models.backtest import backtest_origins, fold_model, searches_parameters
from models.lightgbm_model import BOOSTER_NAMES, fit_species_model
from models.training import _catches, training_table
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
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}; lightgbm_threads={settings.models.lightgbm_threads}",
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

    steps, predictions = [], []
    for species in sorted(labelled.species.unique()):
        latest = first = None
        for index, origin in enumerate([*origins, None]):
            wall, cpu = time.perf_counter(), time.process_time()
            if origin is None:  # the final fit on all history, reusing the latest fold's search as `setnet train`
                model = fit_species_model(fit_labelled[fit_labelled.species == species], species, features, sites,
                                          settings, latest)
            else:
                searching = searches_parameters(index, len(origins), settings.models.search_folds)
                rows, model = fold_model(table, catches, origin, species, settings, fit_table=fit_table,
                                         earlier=None if searching else first)
                predictions.append(rows)
                if model is not None and model.search is not None:
                    latest = model.search
                    if first is None and settings.models.search_folds != "every":  # as rolling_origin_backtest
                        first = model.search
            step = {"species": species, "fold": "final" if origin is None else str(origin.date()),
                    "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
            if model is not None:
                for name in BOOSTER_NAMES:
                    step[f"{name}_wall_s"] = model.booster_seconds.get(name, 0.0)
                    step[f"{name}_cpu_s"] = model.booster_cpu_seconds.get(name, 0.0)
                chosen = model.trials[model.trials.chosen].iloc[0] if model.trials is not None else None
                step["trials"] = 0 if model.trials is None or origin is None else len(model.trials)
                step["rounds_catch"] = None if chosen is None else int(chosen.rounds_catch)
                step["rounds_positive"] = None if chosen is None else int(chosen.rounds_positive)
            steps.append(step)
            print(pd.DataFrame(steps[-1:]).round(1).to_string(index=False, header=len(steps) == 1), flush=True)

    frame = pd.DataFrame(steps).fillna(0.0)
    folds, finals = frame[frame.fold != "final"], frame[frame.fold == "final"]
    models_s = float(frame.wall_s.sum())
    print("\nseconds per species (wall, CPU):\n"
          + frame.groupby("species")[["wall_s", "cpu_s"]].sum().round(1).to_string())
    print("\nseconds per fold (every species):\n" + frame.groupby("fold")[["wall_s", "cpu_s"]].sum().round(1).to_string())
    booster_columns = [f"{name}_{kind}_s" for name in BOOSTER_NAMES for kind in ("wall", "cpu")]
    per_booster = pd.DataFrame({"backtest": folds[booster_columns].sum(), "final": finals[booster_columns].sum()})
    print("\nseconds per booster (search trials + refits):\n" + per_booster.round(1).to_string())
    other_s = models_s - float(frame[[f"{name}_wall_s" for name in BOOSTER_NAMES]].to_numpy().sum())
    print(f"outside the boosters (datasets, seasonal normals, predicting, scoring): {other_s:.1f} s wall")
    print("\nbacktest accuracy (all folds, leads pooled):\n"
          + accuracy(pd.concat(predictions, ignore_index=True)).round(4).to_string(index=False))
    total_s = models_s + table_s
    print(f"\nbacktest folds {folds.wall_s.sum():.1f} s + final fits {finals.wall_s.sum():.1f} s = {models_s:.1f} s "
          f"+ training table {table_s:.1f} s; CPU {time.process_time() - cpu_started:.1f} s; "
          f"peak memory {peak_memory_mb():.0f} MB; load average at end: {load_average()}")
    verdict = "PASS" if total_s <= args.target_s else "FAIL"
    print(f"{verdict}: retrain with backtest {total_s:.1f} s wall (target <= {args.target_s:.0f} s)")


if __name__ == "__main__":
    main()
