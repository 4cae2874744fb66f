"""How much of the sample world's oracle skill can a forecast issued on day D reach? A measurement, not a test.

On the last backtest fold of an ingested sample world (run `make demo` first) it fits, per species, the model
three times and scores each against the hidden truth (models.model_card.truth_scores):
  model         the production feature set (what the pipeline can know on the issue day);
  + issue day   plus the hidden function's expected catch ON THE ISSUE DAY (perfect knowledge of today's
                school abundance and ocean, which no forecaster has; still nothing from after day D);
  + target day  plus the hidden expected catch ON THE TARGET DAY (the future: a leak, for scale only).
The "+ issue day" line is a generous ceiling for any leakage-safe forecast; the attainable-skill target
(>= 0.6 of the oracle's gain, the oracle knowing the target day) can be judged against it.

    python -m bench.model_ceiling --data-dir data [--out docs/model-ceiling.md] [--with-target-day]

It also prints, per species, the issue's targets at lead 1 (PASS/FAIL), the ceiling being the "+ issue day" CRPSS.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from features import feature_columns
from features.table import LABEL_COLUMN
from models.backtest import backtest_origins, fold_model
from models.model_card import CEILING_COLUMN, CEILING_VARIANT, markdown_table, target_table, truth_scores
from models.training import _catches, training_table
from setnet.settings import load_settings

KEYS = ["site_id", "species"]


def with_hidden_state(table: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Feature rows + truth -> the rows with hidden_issue_day_kg and hidden_target_day_kg (expected catch, kg)."""
    expected = truth.assign(date=pd.to_datetime(truth.date))[["date", *KEYS, "expected_kg"]]
    for day, column in (("issue_date", "hidden_issue_day_kg"), ("target_date", "hidden_target_day_kg")):
        table = table.merge(expected.rename(columns={"date": day, "expected_kg": column}), on=[day, *KEYS], how="left")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="data folder of an ingested sample world")
    parser.add_argument("--out", type=Path, help="also write the table as Markdown here")
    parser.add_argument("--with-target-day", action="store_true", help="also fit the leaky '+ target day' variant")
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir)
    truth = pd.read_csv(settings.data_dir / "sample" / "truth" / "truth.csv")
    table = training_table(settings)
    catches = _catches(settings)
    base = feature_columns(table)
    labelled = with_hidden_state(table[table[LABEL_COLUMN].notna()], truth)
    origin = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)[-1]
    variants = {"model": base, "+ issue day": [*base, "hidden_issue_day_kg"],
                **({"+ target day": [*base, "hidden_target_day_kg"]} if args.with_target_day else {})}
    lines, model_lead1 = [], []
    for species in sorted(labelled.species.unique()):
        for name, features in variants.items():
            started = time.perf_counter()
            scored, _ = fold_model(labelled, catches, origin, species, settings, features)
            if name == "model":
                model_lead1.append(scored[scored.lead_days == 1])
            overall = truth_scores(scored, truth).iloc[0]
            lead1 = truth_scores(scored[scored.lead_days == 1], truth).iloc[0]
            lines.append({"species": species, "variant": name, "crpss_lead1": lead1.crpss_climatology,
                          "crpss_all_leads": overall.crpss_climatology, "attainable_all_leads": overall.attainable_skill,
                          "attainable_lead1": lead1.attainable_skill, "r2_model": overall.r2_model,
                          "r2_climatology": overall.r2_climatology, "coverage_80_pit": overall.coverage_80_pit,
                          "mae_lead1_kg": lead1.mae_model_kg, "mae_climatology_lead1_kg": lead1.mae_climatology_kg,
                          "seconds": time.perf_counter() - started})
            print(pd.DataFrame(lines[-1:]).round(3).to_string(index=False, header=len(lines) == 1), flush=True)
    table_out = pd.DataFrame(lines).round(3)
    footer = (f"last fold from {origin.date()}, {len(labelled)} labelled rows; attainable = (MAE_climatology - MAE) / "
              "(MAE_climatology - MAE_oracle), oracle = hidden target-day median")
    print("\n" + table_out.to_string(index=False) + "\n\n" + footer)
    ceiling = table_out[table_out.variant == CEILING_VARIANT].set_index("species")[CEILING_COLUMN].to_dict()
    targets = target_table(truth_scores(pd.concat(model_lead1), truth, ceiling))
    targets["verdict"] = targets.holds.map({True: "PASS", False: "FAIL"}).fillna("n/a")
    print("\nissue 12 targets, lead 1, last fold:\n" + targets.drop(columns="holds").to_string(index=False))
    if args.out:
        args.out.write_text(f"# How much skill can a forecast issued the evening before reach?\n\n"
                            f"Measured by `python -m bench.model_ceiling --data-dir {args.data_dir} --out {args.out}` "
                            f"(see the script's docstring).\n\n{markdown_table(table_out)}\n{footer}.\n\n"
                            "## The model's targets at lead 1 (ceiling: the \"+ issue day\" CRPSS)\n\n"
                            f"{markdown_table(targets.drop(columns='holds'))}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
