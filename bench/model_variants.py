"""Which form of the predictive distribution? The hurdle model's variants on the same rows, scored against the truth.

On the last backtest fold of an ingested sample world it fits, per species, the production hurdle model and
variants of it (boosters always, or never, starting from the net's seasonal normal instead of the search
choosing; one spread for every predicted size; no parameter search), and scores lead 1 and lead 7 against the
hidden truth: CRPS, its skill against climatology's distribution, MAE of the median against climatology's median
and the oracle's, r² of the mean with the hidden expected catch, randomised-PIT coverage of q10–q90.

    python -m bench.model_variants --data-dir data [--out docs/model-variants.md]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from features.table import LABEL_COLUMN
from models.backtest import backtest_origins, fold_model
from models.model_card import markdown_table, truth_scores
from models.training import _catches, training_table
from setnet.settings import Settings, load_settings

VARIANTS: dict[str, dict] = {
    "hurdle (production)": {},
    "always from the seasonal normal": {"seasonal_start": "always"},
    "never from the seasonal normal": {"seasonal_start": "never"},
    "one spread for all sizes": {"spread_bins": 1},
    "no parameter search": {"tuning_trials": 1},
}
SCORES = ["crps_kg", "crpss_climatology", "mae_model_kg", "mae_climatology_kg", "mae_oracle_kg", "r2_model",
          "r2_climatology", "coverage_80_pit", "oracle_coverage_80_pit"]


def score_variant(table: pd.DataFrame, catches: pd.DataFrame, truth: pd.DataFrame, origin: pd.Timestamp,
                  settings: Settings) -> list[dict]:
    """One variant's settings -> per species and lead (1, 7) the truth scores of the fold from `origin`."""
    lines = []
    for species in sorted(table.species.unique()):
        started = time.perf_counter()
        rows, _ = fold_model(table, catches, origin, species, settings)
        seconds = time.perf_counter() - started
        for lead in (1, 7):
            scores = truth_scores(rows[rows.lead_days == lead], truth).iloc[0]
            lines.append({"species": species, "lead_days": lead, **{c: scores.get(c) for c in SCORES},
                          "fit_seconds": seconds})
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="data folder of an ingested sample world")
    parser.add_argument("--truth", type=Path, help="the world's truth.csv (default <data-dir>/sample/truth/truth.csv)")
    parser.add_argument("--out", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir)
    truth = pd.read_csv(args.truth or settings.data_dir / "sample" / "truth" / "truth.csv")
    table, catches = training_table(settings), _catches(settings)
    labelled = table[table[LABEL_COLUMN].notna()]
    origin = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)[-1]
    lines = []
    for name, changes in VARIANTS.items():
        variant = settings.updated(models=changes) if changes else settings
        lines += [{"variant": name, **line} for line in score_variant(table, catches, truth, origin, variant)]
        print(pd.DataFrame(lines).round(3).tail(8).to_string(index=False), flush=True)
    frame = pd.DataFrame(lines).round(3)
    footer = f"last fold from {origin.date()}, {len(labelled)} labelled rows"
    print("\n" + frame.to_string(index=False) + "\n\n" + footer)
    if args.out:
        command = f"python -m bench.model_variants --data-dir {args.data_dir} --out {args.out}"
        args.out.write_text(f"# Which form of the predictive distribution?\n\nMeasured by `{command}` (see the "
                            f"script's docstring).\n\n{markdown_table(frame)}\n{footer}.\n", encoding="utf-8")


if __name__ == "__main__":
    main()
