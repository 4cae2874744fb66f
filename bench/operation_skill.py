"""Will the net operate? Brier skill by lead of the operation model (models.operation) on a small generated world.

Generates a sample world (seeded), ingests its sites, grids and catches, builds the pipeline's feature table and
runs the operation model on the rolling-origin backtest's folds (`models.operation.backtest_operation`, the folds
`setnet backtest` scores). Prints per lead the Brier score of the model and of climatology (the net's operating
rate for the weekday and month in the training window), the Brier skill score, and the reliability table. PASS when
the skill is above 0 at every lead.

    python -m bench.operation_skill --years 2 --sites 4
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from features.table import LABEL_COLUMN
from models.backtest import backtest_origins
from models.model_card import markdown_table, operation_by_lead
from models.operation import backtest_operation, operation_reliability, operation_scores
from models.training import operation_table, training_table
from setnet.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    from ingest import ingest_catches, ingest_grids, ingest_sites
    from sample_world import generate_world

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="setnet-operation-") as folder:
        root = Path(folder)
        world = generate_world(root / "sample", years=args.years, sites=args.sites, seed=args.seed, forecast_days=0)
        settings = Settings(data_dir=root / "data")
        ingest_sites(settings, world.sites_csv)
        ingest_grids(settings, [world.grids_dir])
        ingest_catches(settings, [world.catches_dir])
        table = training_table(settings)
        rows, matrix = operation_table(settings, table)
        labelled = table[table[LABEL_COLUMN].notna()]
        origins = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)
        scored = backtest_operation(rows, matrix, origins, settings.models.backtest_fold_days, settings.random_seed,
                                    settings.models.lightgbm_threads)
    scores = operation_scores(scored)
    pooled = scores[scores.site_id == "all"].sort_values("lead_days")
    print(f"operation model, world of {args.years} years x {args.sites} nets (seed {args.seed}), "
          f"{len(origins)} fold(s) from {origins[0].date()}, {len(scored)} scored rows, "
          f"{time.perf_counter() - started:.0f} s")
    print(markdown_table(operation_by_lead(scores), digits=4))
    reliability = operation_reliability(scored)
    print(markdown_table(reliability[["p_from", "p_to", "mean_forecast", "observed_rate", "n"]]))
    ok = bool(len(pooled)) and bool((pooled.brier_skill > 0).all())
    print(f"{'PASS' if ok else 'FAIL'}: Brier skill above 0 at every lead "
          f"(min {pd.to_numeric(pooled.brier_skill).min():.3f})")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
