"""What is the ocean forecast worth? Backtest skill by lead with forecast covariates against persisted analyses.

On an ingested sample world with its ocean forecast archive (run `make demo` first, or ingest `sample/forecasts`),
one fold per species starts on the archive's first issue day: each model is trained on the rows before it (which,
having no archive, carry persisted analyses with `ocean_is_forecast` = 0, as the pipeline trains where no archive
exists) and forecasts the archive's days twice:
  forecast   target-day ocean values from the forecast issued on D for D+L (as issued, never a later run);
  persisted  the same model with the issue day's analysis persisted to every lead (no forecast).
It reports, per lead, CRPSS against climatology and the MAE of the median (kg), pooled over species.

With `--perfect-prog` a second model per species is trained with the target day's own later analysis as its
target-day covariates ("perfect prog": what an archive-less training period can offer instead of persisted values;
never used for the scored rows) and scored the same two ways.

    python -m bench.ocean_forecast_value --data-dir data [--perfect-prog] [--out docs/model-forecast-value.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from features import feature_columns
from features.ocean_forecast import SOURCE_FORECAST, SOURCE_PERSISTED, TARGET_COLUMNS
from features.table import LABEL_COLUMN
from models.backtest import fold_rows
from models.evaluate import add_scores, baseline_columns
from models.lightgbm_model import fit_species_model
from models.model_card import markdown_table
from models.training import _catches, training_table
from setnet.settings import load_settings


def persisted(table: pd.DataFrame) -> pd.DataFrame:
    """The feature rows with every target-day ocean value replaced by the issue day's analysis (no forecast)."""
    replaced = {target: table[source] for target, source in TARGET_COLUMNS.items() if source in table}
    return table.assign(**replaced, ocean_is_forecast=np.float32(0.0), ocean_source=SOURCE_PERSISTED)


def perfect_prog(table: pd.DataFrame) -> pd.DataFrame:
    """Training rows with each target-day ocean value taken from the analysis known on the target day (its own row
    as an issue date), flagged as forecast; rows whose target day has no analysis row keep persisted values."""
    sources = [source for source in TARGET_COLUMNS.values() if source in table]
    known = table[["issue_date", "site_id", *sources]].drop_duplicates(["issue_date", "site_id"])
    later = table[["target_date", "site_id"]].merge(known.rename(columns={"issue_date": "target_date"}),
                                                    on=["target_date", "site_id"], how="left")
    out = table.copy()
    for target, source in TARGET_COLUMNS.items():
        if source in table:
            values = later[source].to_numpy()
            out[target] = np.where(np.isfinite(values), values, table[source].to_numpy())
    return out.assign(ocean_is_forecast=np.float32(1.0))


def scores_by_lead(scored: pd.DataFrame) -> pd.DataFrame:
    """Backtest rows -> per lead: rows, CRPSS against climatology, MAE of the median (kg)."""
    grouped = scored.groupby("lead_days")
    return pd.DataFrame({
        "rows": grouped.size(),
        "crpss_climatology": 1 - grouped.crps_kg.mean() / grouped.crps_climatology_kg.mean(),
        "mae_kg": grouped.apply(lambda g: float(np.mean(np.abs(g.q50_kg - g.actual_kg))), include_groups=False),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="data folder of an ingested sample world")
    parser.add_argument("--out", type=Path, help="also write the table as Markdown here")
    parser.add_argument("--perfect-prog", action="store_true",
                        help="also train on the target day's later analysis (perfect prog) and score it")
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir)
    table = training_table(settings)
    labelled = table[table[LABEL_COLUMN].notna()]
    with_forecast = labelled[labelled.ocean_source == SOURCE_FORECAST]
    if with_forecast.empty:
        raise SystemExit("no feature row uses an ocean forecast: ingest the forecast archive first")
    origin = pd.Timestamp(with_forecast.issue_date.min())
    catches = _catches(settings)
    parts = []
    for species in sorted(labelled.species.unique()):
        train, test = fold_rows(labelled, species, origin, settings)
        if test.empty:
            continue
        trainings = {"": train, **({"pp_": perfect_prog(train)} if args.perfect_prog else {})}
        before = catches[pd.to_datetime(catches.date) < origin]
        for prefix, rows_in in trainings.items():
            model = fit_species_model(rows_in, species, feature_columns(labelled), sorted(labelled.site_id.unique()),
                                      settings)
            for variant, rows in (("forecast", test), ("persisted", persisted(test))):
                scored = rows.assign(actual_kg=rows[LABEL_COLUMN]).join(model.predict(rows))
                parts.append(add_scores(baseline_columns(before, scored)).assign(variant=prefix + variant,
                                                                                 species=species))
    scored = pd.concat(parts, ignore_index=True)
    share = float((test_share := labelled[labelled.issue_date >= origin]).ocean_source.eq(SOURCE_FORECAST).mean())
    table_out = (scored.groupby("variant").apply(scores_by_lead, include_groups=False).reset_index()
                 .pivot(index="lead_days", columns="variant", values=["crpss_climatology", "mae_kg"]))
    table_out.columns = [f"{metric}_{variant}" for metric, variant in table_out.columns]
    table_out = table_out.reset_index().round(4)
    footer = (f"fold from {origin.date()} (the archive's first issue) to {labelled.target_date.max().date()}, "
              f"{len(test_share)} labelled rows after it ({share:.0%} with forecast covariates); trained on "
              f"{int((labelled.target_date < origin).sum())} rows before it, all persisted analyses"
              + ("; pp_: trained on the target day's later analysis (perfect prog)" if args.perfect_prog else ""))
    print(table_out.to_string(index=False) + "\n\n" + footer)
    if args.out:
        args.out.write_text("# What the ocean forecast is worth, by lead\n\n"
                            f"Measured by `python -m bench.ocean_forecast_value --data-dir {args.data_dir} --out "
                            f"{args.out}` (see the script's docstring).\n\n{markdown_table(table_out, digits=4)}\n"
                            f"{footer}.\n", encoding="utf-8")


if __name__ == "__main__":
    main()
