"""How long a retrain with its backtest takes: seconds per fold and species, the final fit, and peak memory.

On an ingested world (default: a 5-year, 8-net sample world generated and ingested once under bench/.data/) it
builds the training table, runs the rolling-origin backtest fold by fold and species by species, then the final fit
of every species, as `setnet train` does, and prints each step's seconds, the search's trials and rounds, and the
total against the target (PASS/FAIL). Timings live here, never in tests.

    python -m bench.models_bench [--data-dir DIR] [--target-s 300]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import pandas as pd

from features import feature_columns
from features.table import LABEL_COLUMN
from models.backtest import backtest_fold, backtest_origins
from models.lightgbm_model import fit_species_model
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="data folder of an ingested world (default: the bench world)")
    parser.add_argument("--target-s", type=float, default=300.0, help="target for backtest + final fit (s)")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir) if args.data_dir else ingested_world(DATA)

    started = time.perf_counter()
    table = training_table(settings)
    table_s = time.perf_counter() - started
    catches = _catches(settings)
    labelled = table[table[LABEL_COLUMN].notna()]
    origins = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)
    features, sites = feature_columns(table), sorted(table.site_id.unique())
    print(f"training table: {len(table)} rows x {len(features)} inputs in {table_s:.1f} s; "
          f"{len(origins)} folds; {settings.models.tuning_trials} trials per fit", flush=True)

    steps = []
    for species in sorted(labelled.species.unique()):
        for origin in [*origins, None]:
            step_started = time.perf_counter()
            if origin is None:  # the final fit on all history, as `setnet train` registers it
                rows = labelled[labelled.species == species]
                trials = fit_species_model(rows, species, features, sites, settings).trials
            else:
                _, trials = backtest_fold(table, catches, origin, species, settings)
            chosen = trials[trials.chosen].iloc[0] if trials is not None else None
            steps.append({"species": species, "fold": "final" if origin is None else str(origin.date()),
                          "seconds": time.perf_counter() - step_started,
                          "rounds_catch": None if chosen is None else int(chosen.rounds_catch),
                          "rounds_positive": None if chosen is None else int(chosen.rounds_positive)})
            print(pd.DataFrame(steps[-1:]).round(1).to_string(index=False, header=len(steps) == 1), flush=True)

    frame = pd.DataFrame(steps)
    models_s = float(frame.seconds.sum())
    print("\nseconds per species:\n" + frame.groupby("species").seconds.sum().round(1).to_string())
    print(f"\nbacktest folds {frame[frame.fold != 'final'].seconds.sum():.1f} s + final fits "
          f"{frame[frame.fold == 'final'].seconds.sum():.1f} s = {models_s:.1f} s (training table {table_s:.1f} s); "
          f"peak memory {peak_memory_mb():.0f} MB")
    verdict = "PASS" if models_s + table_s <= args.target_s else "FAIL"
    print(f"{verdict}: retrain with backtest {models_s + table_s:.1f} s (target <= {args.target_s:.0f} s)")


if __name__ == "__main__":
    main()
