"""setnet against a peer: Nixtla's mlforecast with LightGBM over the same rolling-origin windows, in one run.

On a generated sample world (default 3 years x 4 nets x 4 species, generated and ingested once under bench/.data/)
it runs setnet's rolling-origin backtest (`models.backtest.rolling_origin_backtest`, as `setnet backtest` does) and
mlforecast's `cross_validation` over the same windows: one cutoff per issue date of setnet's folds (step 1 day,
horizon 7 days), refitted at each of setnet's fold origins, so both train on the same history before each origin
and forecast the same issue dates and leads. To keep the run short the peer forecasts every `--step` th issue date
(default 73, a divisor of the 365-day fold: cutoffs fall on each origin) and both are scored on those.

mlforecast gets what a practitioner would give it:
- the catch histories, one series per net x species on the daily calendar; days the net was not hauled carry the
  last hauled catch (lags need a value) with weight 0, so no fit learns from them and none is scored;
- lags 1, 2, 3, 7, 14 and 364 days, rolling means of 3, 7, 14 and 30 days (`lag_transforms`), day of year, day of
  week and month, the net and species as static categoricals; one global LightGBM over every series;
- the ocean signals at the nets from setnet's own feature table (its issue-day ocean columns, 117 of them), as
  dynamic exogenous features. cross_validation reads a day's exogenous values from the frame for every lead, so the
  signals are shifted by one day: on target day T the peer sees the ocean known on T - 1. At lead 1 that is exactly
  what setnet knows (the issue day's ocean); at longer leads the peer knows more than setnet (at lead 7, six days
  fresher ocean), an advantage to the peer;
- quantile LightGBMs at 0.1, 0.3, 0.5, 0.7 and 0.9 (the median for MAE, all five for a quantile score) and an L2
  LightGBM for the mean (r² with the hidden expected catch), 200 rounds each; forecasts clipped at 0 kg.
It is run a second time without the ocean signals: what the ocean data is worth to it.

Scored on the rows both forecast (operated target days of the common issue dates), per species at leads 1 and 7:
MAE of the median (kg), the quantile score QS5 = 2 x the mean pinball loss at the five levels (a coarse
approximation of CRPS computed the same way for both; setnet's quantiles are read off its distribution), setnet's exact CRPS, and r² of
the mean with the sample world's hidden expected catch (truth/truth.csv). Wall time: setnet's backtest against
mlforecast's cross_validation with the ocean signals (each without the shared table build), and the CPU
seconds of each (this process's, all threads: the fairer figure on a loaded machine).

Paired per cell (species x lead): the mean of setnet - mlforecast+ocean of the per-row absolute error of the
median and of the per-row QS5, with a 95 % paired bootstrap interval (the cell's rows resampled with replacement,
fixed seed); a verdict per cell: better (interval below 0), worse (above 0) or not distinguishable, and a line
counting the cells where setnet is significantly worse. Rows of one issue date share its ocean, so the row
bootstrap is somewhat optimistic (intervals a little narrow).

PASS when setnet's MAE and QS5 are at most mlforecast's (with ocean) at leads 1 and 7 for every species, and its
backtest is not slower. mlforecast is a benchmark-only extra (`make bench-peer` installs it).

    python -m bench.peer_bench [--years 3] [--sites 4] [--seed 7] [--step 73] [--out docs/model-peer.md]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from features import feature_columns
from features.table import LABEL_COLUMN
from models.backtest import backtest_origins, rolling_origin_backtest
from models.distribution import HurdleLogNormal
from models.model_card import markdown_table, squared_correlation
from models.training import _catches, training_table
from setnet.settings import Settings

DATA = Path(__file__).resolve().parent / ".data"
LEVELS = [0.1, 0.3, 0.5, 0.7, 0.9]
LEADS = (1, 7)
HORIZON_DAYS = 7
PEER_LGBM = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 20,
             "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.7, "random_state": 7, "verbosity": -1}
# setnet's feature columns that are not the ocean at the net on the issue day: catch history, calendar, target day
NOT_OCEAN_PREFIXES = ("catch_", "operated_", "days_since", "doy_", "target_", "site_id")
CONFIDENCE = 0.95  # of the paired bootstrap intervals
BOOTSTRAP_DRAWS = 4000
BOOTSTRAP_SEED = 16
NOT_OCEAN = {"weekday", "is_holiday", "lunar_age_days", "moon_illumination", "ocean_is_forecast", "ocean_age_days"}


def ingested_world(years: int, sites: int, seed: int) -> tuple[Settings, Path]:
    """(settings, truth.csv) of the bench world, generating and ingesting it first when bench/.data holds none."""
    folder = DATA / f"peer-world-y{years}-s{sites}-seed{seed}"
    settings = Settings(data_dir=folder / "data")
    if not settings.warehouse_path.exists():
        from ingest import ingest_catches, ingest_grids, ingest_sites
        from sample_world import generate_world

        world = generate_world(folder / "sample", years=years, sites=sites, seed=seed)
        ingest_sites(settings, world.sites_csv)
        ingest_grids(settings, [world.grids_dir])
        ingest_catches(settings, [world.catches_dir])
    return settings, folder / "sample" / "truth" / "truth.csv"


def ocean_columns(table: pd.DataFrame) -> list[str]:
    """setnet's issue-day ocean columns at the nets (every feature column but catch history, calendar and target day)."""
    return [c for c in feature_columns(table) if not c.startswith(NOT_OCEAN_PREFIXES) and c not in NOT_OCEAN]


def peer_frame(table: pd.DataFrame, catches: pd.DataFrame, with_ocean: bool) -> pd.DataFrame:
    """mlforecast's long frame: unique_id ("net|species"), ds (daily calendar), y (kg; the last hauled catch on days
    not hauled), weight (1 hauled, 0 not), site_id and species (static), and the ocean known on ds - 1 day."""
    hauled = catches.assign(ds=pd.to_datetime(catches.date).astype("datetime64[ns]"))
    days = pd.date_range(hauled.ds.min(), hauled.ds.max(), freq="D")
    keys = hauled[["site_id", "species"]].drop_duplicates()
    calendar = keys.merge(pd.DataFrame({"ds": days}), how="cross")
    frame = calendar.merge(hauled[["site_id", "species", "ds", "catch_kg"]], how="left", on=["site_id", "species", "ds"])
    frame = frame.sort_values(["site_id", "species", "ds"], ignore_index=True)
    frame["weight"] = frame.catch_kg.notna().astype(float)
    series = frame.groupby(["site_id", "species"], sort=False).catch_kg
    frame["y"] = series.ffill().fillna(series.bfill()).fillna(0.0).astype(float)
    frame["unique_id"] = frame.site_id + "|" + frame.species
    frame = frame.drop(columns="catch_kg")
    if with_ocean:
        columns = ocean_columns(table)
        ocean = (table.drop_duplicates(["issue_date", "site_id"])
                 .assign(ds=lambda rows: pd.to_datetime(rows.issue_date).astype("datetime64[ns]") + pd.Timedelta(days=1))
                 [["site_id", "ds", *columns]])
        frame = frame.merge(ocean.astype({"site_id": str}), how="left", on=["site_id", "ds"])
    frame = frame.astype({"site_id": "category", "species": "category"})
    return frame[["unique_id", "ds", "y", "weight", "site_id", "species",
                  *[c for c in frame.columns if c not in ("unique_id", "ds", "y", "weight", "site_id", "species")]]]


def run_peer(frame: pd.DataFrame, first_cutoff: pd.Timestamp, refit_days: int, step_days: int,
             threads: int) -> tuple[pd.DataFrame, tuple[float, float]]:
    """mlforecast cross_validation, one cutoff every `step_days` from `first_cutoff` (the frame's end trimmed so
    that they fall there), horizon 7 days, refitted every `refit_days` -> (forecasts: site_id, species, issue_date,
    target_date, lead_days, mean_kg, q10..q90_kg; (wall, CPU) seconds)."""
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean

    models = {"mean": LGBMRegressor(**PEER_LGBM, n_jobs=threads)}
    models |= {f"q{int(level * 100)}": LGBMRegressor(**PEER_LGBM, n_jobs=threads, objective="quantile", alpha=level)
               for level in LEVELS}
    forecast = MLForecast(models=models, freq="D", lags=[1, 2, 3, 7, 14, 364],
                          lag_transforms={1: [RollingMean(3), RollingMean(7), RollingMean(14), RollingMean(30)]},
                          date_features=["dayofyear", "dayofweek", "month"], num_threads=threads)
    if refit_days % step_days:
        raise ValueError(f"--step {step_days} does not divide the {refit_days}-day fold")
    windows = ((frame.ds.max() - pd.Timedelta(days=HORIZON_DAYS)) - first_cutoff).days // step_days + 1
    frame = frame[frame.ds <= first_cutoff + pd.Timedelta(days=(windows - 1) * step_days + HORIZON_DAYS)]
    started, cpu = time.perf_counter(), time.process_time()
    result = forecast.cross_validation(frame, n_windows=windows, h=HORIZON_DAYS, step_size=step_days,
                                       refit=refit_days // step_days,
                                       static_features=["site_id", "species"], dropna=False, weight_col="weight")
    seconds = (time.perf_counter() - started, time.process_time() - cpu)
    site_species = result.unique_id.str.split("|", n=1, expand=True)
    out = pd.DataFrame({"site_id": site_species[0], "species": site_species[1],
                        "issue_date": pd.to_datetime(result.cutoff), "target_date": pd.to_datetime(result.ds)})
    out["lead_days"] = (out.target_date - out.issue_date).dt.days
    out["mean_kg"] = result["mean"].clip(lower=0).to_numpy()
    for level in LEVELS:
        out[f"q{int(level * 100)}_kg"] = result[f"q{int(level * 100)}"].clip(lower=0).to_numpy()
    return out, seconds


def quantile_score(quantiles: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """(rows, len(LEVELS)) quantiles + actuals (kg) -> 2 x the mean pinball loss over LEVELS per row (kg, ~CRPS)."""
    levels = np.asarray(LEVELS)[None, :]
    error = actual[:, None] - quantiles
    return 2 * np.mean(np.maximum(levels * error, (levels - 1) * error), axis=1)


def setnet_quantiles(rows: pd.DataFrame) -> np.ndarray:
    """Backtest rows -> their distributions' quantiles at LEVELS (kg), (rows, len(LEVELS))."""
    distribution = HurdleLogNormal.from_frame(rows)
    return np.column_stack([distribution.quantile_kg(level) for level in LEVELS])


def scores(joined: pd.DataFrame, peers: list[str]) -> pd.DataFrame:
    """Rows both forecast (setnet columns, peer columns prefixed '<peer>:') -> per species and lead (LEADS): MAE of
    the median, QS5, setnet's CRPS, r² of the mean with the hidden expected catch."""
    frames = []
    for (species, lead), group in joined[joined.lead_days.isin(LEADS)].groupby(["species", "lead_days"]):
        actual = group.actual_kg.to_numpy(float)
        row = {"species": species, "lead_days": lead, "n_rows": len(group),
               "setnet MAE": np.mean(np.abs(group.q50_kg - actual)),
               "setnet QS5": quantile_score(setnet_quantiles(group), actual).mean(),
               "setnet CRPS": group.crps_kg.mean(),
               "setnet r2": squared_correlation(group.mean_kg, group.expected_kg)}
        for peer in peers:
            quantiles = group[[f"{peer}:q{int(level * 100)}_kg" for level in LEVELS]].to_numpy(float)
            row[f"{peer} MAE"] = np.mean(np.abs(group[f"{peer}:q50_kg"] - actual))
            row[f"{peer} QS5"] = quantile_score(quantiles, actual).mean()
            row[f"{peer} r2"] = squared_correlation(group[f"{peer}:mean_kg"], group.expected_kg)
        frames.append(row)
    return pd.DataFrame(frames)


def bootstrap_interval(differences: np.ndarray, draws: int = BOOTSTRAP_DRAWS,
                       seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Per-row paired differences (kg) -> the (low, high) percentile bootstrap interval of their mean at CONFIDENCE."""
    rng = np.random.default_rng(seed)
    means = differences[rng.integers(0, len(differences), size=(draws, len(differences)))].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def paired_comparison(joined: pd.DataFrame, peer: str = "mlf+ocean") -> pd.DataFrame:
    """Rows both forecast -> per species and lead (LEADS) the mean of setnet - peer per-row absolute error of the
    median and per-row QS5 (kg), its paired bootstrap interval and a verdict (better / not distinguishable / worse)."""
    frames = []
    for (species, lead), group in joined[joined.lead_days.isin(LEADS)].groupby(["species", "lead_days"]):
        actual = group.actual_kg.to_numpy(float)
        peer_quantiles = group[[f"{peer}:q{int(level * 100)}_kg" for level in LEVELS]].to_numpy(float)
        per_row = {"MAE": np.abs(group.q50_kg.to_numpy(float) - actual)
                          - np.abs(group[f"{peer}:q50_kg"].to_numpy(float) - actual),
                   "QS5": quantile_score(setnet_quantiles(group), actual) - quantile_score(peer_quantiles, actual)}
        row = {"species": species, "lead_days": lead, "n_rows": len(group)}
        for metric, differences in per_row.items():
            low, high = bootstrap_interval(differences)
            row |= {f"{metric} diff": differences.mean(), f"{metric} low": low, f"{metric} high": high,
                    f"{metric} verdict": "better" if high < 0 else "worse" if low > 0 else "not distinguishable"}
        frames.append(row)
    return pd.DataFrame(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--step", type=int, default=73,
                        help="days between the peer's cutoffs (divides the fold; 73: 5 a fold, minutes; 5: over an hour)")
    parser.add_argument("--out", type=Path, help="also write the table and verdicts as Markdown here (the model "
                                                 "card's peer section: `setnet model-card --peer FILE`)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=pd.errors.PerformanceWarning)  # mlforecast's column inserts
    warnings.filterwarnings("ignore", message="Found null values in", category=UserWarning)  # once per window:
    # the ocean columns a net has no value for (salinity where the product has none) are NaN by design
    load = os.getloadavg()[0]
    settings, truth_csv = ingested_world(args.years, args.sites, args.seed)
    threads = settings.models.lightgbm_threads
    print(f"world: sample world {args.years} years x {args.sites} nets x 4 species (seed {args.seed}); "
          f"{os.cpu_count()} cores, load average {load:.1f} at start; LightGBM threads {threads}", flush=True)

    started = time.perf_counter()
    table = training_table(settings)
    table_s = time.perf_counter() - started
    catches = _catches(settings)
    labelled = table[table[LABEL_COLUMN].notna()]
    origins = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)
    print(f"feature table {len(table)} rows in {table_s:.1f} s; folds from {', '.join(str(o.date()) for o in origins)}"
          f" ({settings.models.backtest_fold_days} days each); {len(ocean_columns(table))} ocean signals", flush=True)

    started, cpu = time.perf_counter(), time.process_time()
    setnet_rows = rolling_origin_backtest(table, catches, settings).predictions
    setnet_s, setnet_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"setnet backtest: {setnet_s:.1f} s wall, {setnet_cpu:.1f} s CPU", flush=True)

    peers, seconds = {}, {}
    for name, with_ocean in (("mlf+ocean", True), ("mlf", False)):
        frame = peer_frame(table, catches, with_ocean)
        peers[name], seconds[name] = run_peer(frame, origins[0], settings.models.backtest_fold_days, args.step,
                                                     threads)
        print(f"mlforecast cross_validation {'with' if with_ocean else 'without'} the ocean signals "
              f"({frame.shape[1] - 6} exogenous columns): {seconds[name][0]:.1f} s wall, {seconds[name][1]:.1f} s CPU",
              flush=True)

    keys = ["site_id", "species", "issue_date", "target_date", "lead_days"]
    joined = setnet_rows.assign(issue_date=pd.to_datetime(setnet_rows.issue_date).astype("datetime64[ns]"),
                                target_date=pd.to_datetime(setnet_rows.target_date).astype("datetime64[ns]"))
    for name, rows in peers.items():
        prefixed = rows.rename(columns={c: f"{name}:{c}" for c in rows.columns if c not in keys})
        joined = joined.merge(prefixed.astype({"site_id": str, "species": str}), on=keys, how="inner")
    truth = pd.read_csv(truth_csv, usecols=["date", "site_id", "species", "expected_kg"])
    truth = truth.assign(target_date=pd.to_datetime(truth.date).astype("datetime64[ns]")).drop(columns="date")
    joined = joined.merge(truth, on=["target_date", "site_id", "species"], how="left")
    result = scores(joined, list(peers))

    pd.set_option("display.width", 200)
    print(f"\nscored on {len(joined)} rows both forecast (operated target days); leads {LEADS}; kg\n")
    print(result.round(3).to_string(index=False))
    lines: list[str] = []
    verdicts = []
    for metric in ("MAE", "QS5"):
        margin = result[f"mlf+ocean {metric}"] - result[f"setnet {metric}"]
        worst = result.loc[margin.idxmin()]
        ok = bool((margin >= 0).all())
        verdicts.append(ok)
        lines.append(f"{'PASS' if ok else 'FAIL'}: setnet {metric} <= mlforecast+ocean at leads 1 and 7 on every species "
              f"(worst: {worst.species} lead {worst.lead_days}: setnet {worst[f'setnet {metric}']:.3f} vs "
              f"{worst[f'mlf+ocean {metric}']:.3f} kg; setnet behind in {int((margin < 0).sum())} of {len(margin)})")
        print(lines[-1])
    (peer_s, peer_cpu), ok = seconds["mlf+ocean"], setnet_s <= seconds["mlf+ocean"][0]
    verdicts.append(ok)
    lines.append(f"{'PASS' if ok else 'FAIL'}: setnet backtest {setnet_s:.1f} s wall ({setnet_cpu:.1f} s CPU) vs "
          f"mlforecast+ocean cross_validation {peer_s:.1f} s wall ({peer_cpu:.1f} s CPU): {setnet_s / peer_s:.2f}x "
          f"wall, {setnet_cpu / peer_cpu:.2f}x CPU; without the ocean {seconds['mlf'][0]:.1f} s wall "
          f"({seconds['mlf'][1]:.1f} s CPU); feature table (setnet's, shared) {table_s:.1f} s")
    print(lines[-1])
    paired = paired_comparison(joined)
    print(f"\npaired, setnet - mlforecast+ocean per row (kg; negative: setnet better), {CONFIDENCE:.0%} paired "
          f"bootstrap interval ({BOOTSTRAP_DRAWS} draws of the rows, seed {BOOTSTRAP_SEED})\n")
    print(paired.round(3).to_string(index=False))
    worse = {metric: paired.loc[paired[f"{metric} verdict"] == "worse"] for metric in ("MAE", "QS5")}
    lines.append(f"info: setnet significantly worse ({CONFIDENCE:.0%} paired bootstrap interval above 0) than "
                 f"mlforecast+ocean in {len(worse['MAE'])} of {len(paired)} cells on MAE and {len(worse['QS5'])} of "
                 f"{len(paired)} on QS5" + "".join(
                     f"; {metric} worse: " + ", ".join(f"{r.species} lead {r.lead_days}" for r in rows.itertuples())
                     for metric, rows in worse.items() if len(rows)) +
                 f"; significantly better in {int((paired['MAE verdict'] == 'better').sum())} (MAE) and "
                 f"{int((paired['QS5 verdict'] == 'better').sum())} (QS5)")
    print(lines[-1])
    ocean_gain = (result["mlf MAE"] - result["mlf+ocean MAE"]).mean()
    lines.append(f"info: the ocean signals change mlforecast's MAE by {-ocean_gain:+.3f} kg on average over species "
                 f"and leads (QS5 {(result['mlf+ocean QS5'] - result['mlf QS5']).mean():+.3f} kg, r2 "
                 f"{(result['mlf+ocean r2'] - result['mlf r2']).mean():+.3f})")
    print(lines[-1])
    if args.out is not None:
        command = "python -m bench.peer_bench " + " ".join(
            f"--{k} {v}" for k, v in vars(args).items() if k != "out" and v is not None)
        args.out.write_text(
            f"# setnet against mlforecast\n\nGenerated by `{command} --out {args.out}` on {os.cpu_count()} cores "
            f"(load average {load:.1f} at start): sample world {args.years} years x {args.sites} nets (seed "
            f"{args.seed}), the same rolling-origin folds, {len(joined)} rows both forecast, kg. QS5: 2 x the mean "
            "pinball loss at 0.1/0.3/0.5/0.7/0.9; r2: of the mean with the hidden expected catch.\n\n"
            + markdown_table(result.round(3).astype(str)) + "\n"
            f"Paired per row, setnet - mlforecast+ocean (kg; negative: setnet better), with the {CONFIDENCE:.0%} "
            f"paired bootstrap interval of the mean ({BOOTSTRAP_DRAWS} resamples of the cell's rows, seed "
            f"{BOOTSTRAP_SEED}); 'not distinguishable' when the interval holds 0:\n\n"
            + markdown_table(paired.round(3).astype(str)) + "\n" + "".join(f"- {line}\n" for line in lines), encoding="utf-8")
    raise SystemExit(0 if all(verdicts) else 1)


if __name__ == "__main__":
    main()
