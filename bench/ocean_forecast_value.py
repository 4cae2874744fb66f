"""What is the ocean forecast worth, and what should training rows without one carry? Backtest skill by lead.

On an ingested sample world with its ocean forecast archive (run `make demo` first, or ingest `sample/forecasts`),
one backtest fold per species starts on the archive's first issue day (`models.backtest.fold_model`, the
pipeline's own fold). Its model is fitted on the rows before it, which have no archive, once per
`models.training_ocean` setting (the pipeline's `features.ocean_forecast.training_covariates`):
  analysis   target-day ocean values from the target day's later analysis ("perfect prog");
  persisted  the issue day's analysis persisted to every lead.
Each fitted model scores the archive's days twice, as the backtest always does on rows with a forecast:
  forecast   target-day ocean values from the forecast issued on D for D+L (as issued, never a later run);
  persisted  the same model fed the issue day's analysis persisted (no forecast).
It prints, per lead, CRPSS against climatology and the MAE of the median (kg), pooled over species
(`models.model_card.ocean_value_table`), and which training setting measures no worse by mean CRPSS over leads fed
the forecast, as live rows are when the forecast is ingested daily (PASS when the default `models.training_ocean`
is that one).

    python -m bench.ocean_forecast_value --data-dir data [--out docs/model-forecast-value.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from features.ocean_forecast import SOURCE_FORECAST, TRAINING_OCEAN_CHOICES
from features.table import LABEL_COLUMN
from models.backtest import fold_model
from models.model_card import markdown_table, ocean_value_table
from models.training import _catches, training_table
from setnet.settings import ModelSettings, load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="data folder of an ingested sample world")
    parser.add_argument("--out", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir)
    table = training_table(settings)
    labelled = table[table[LABEL_COLUMN].notna()]
    with_forecast = labelled[labelled.ocean_source == SOURCE_FORECAST]
    if with_forecast.empty:
        raise SystemExit("no feature row uses an ocean forecast: ingest the forecast archive first")
    origin = pd.Timestamp(with_forecast.issue_date.min())
    catches = _catches(settings)
    columns = {}
    for mode in TRAINING_OCEAN_CHOICES:
        fold_settings = settings.updated(models={"training_ocean": mode})
        rows = pd.concat([fold_model(table, catches, origin, species, fold_settings)[0]
                          for species in sorted(labelled.species.unique())], ignore_index=True)
        value = ocean_value_table(rows).set_index("lead_days")
        for metric in ("crpss_forecast", "crpss_persisted", "mae_forecast_kg", "mae_persisted_kg"):
            columns[f"{mode}: {metric}"] = value[metric]
        n_rows = int(value.n_rows.sum())
    result = pd.DataFrame(columns).reset_index().round(4)
    default = ModelSettings.model_fields["training_ocean"].default
    means = {mode: (result[f"{mode}: crpss_forecast"].mean(), result[f"{mode}: crpss_persisted"].mean())
             for mode in TRAINING_OCEAN_CHOICES}
    # the live case: a forecast is ingested every day, so live rows carry it (fed the forecast)
    better = "analysis" if means["analysis"][0] >= means["persisted"][0] else "persisted"
    footer = (f"fold from {origin.date()} (the archive's first issue) to {labelled.target_date.max().date()}: "
              f"{n_rows} labelled rows with forecast covariates scored; fitted on "
              f"{int((labelled.target_date < origin).sum())} rows before it (no archive). Mean CRPSS over leads, "
              + "; ".join(f"trained {mode}: fed the forecast {f:.4f}, fed persisted {p:.4f}"
                          for mode, (f, p) in means.items())
              + f". Measures no worse fed the forecast (as live rows are): {better}; default models.training_ocean = {default!r}: "
              + ("PASS" if better == default else "FAIL"))
    print(result.to_string(index=False) + "\n\n" + footer)
    if args.out:
        args.out.write_text("# What the ocean forecast is worth, by lead\n\n"
                            f"Measured by `python -m bench.ocean_forecast_value --data-dir {args.data_dir} --out "
                            f"{args.out}` (see the script's docstring).\n\n{markdown_table(result, digits=4)}\n"
                            f"{footer}.\n", encoding="utf-8")


if __name__ == "__main__":
    main()
