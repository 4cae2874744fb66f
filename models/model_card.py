"""The model card: backtest skill against baselines and, on the sample world, against its hidden truth and targets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from models.calibration import interval_coverage, pit_coverage
from models.distribution import DISTRIBUTION_COLUMNS, HurdleLogNormal
from models.evaluate import pooled
from setnet.warehouse import POOLED_SITE_ID

ATTAINABLE_SKILL_MIN_ORACLE_GAIN = 0.03
CEILING_CRPSS_FRACTION = 0.5  # target: CRPSS vs climatology at least this share of the model ceiling's
COVERAGE_BAND = (0.75, 0.85)  # target: randomised-PIT q10-q90 coverage
ORACLE_COVERAGE_TOLERANCE = 0.05  # target: PIT coverage this close to the hidden function's own
CEILING_VARIANT = "+ issue day"  # the row of docs/model-ceiling.md that is the ceiling
CEILING_COLUMN = "crpss_lead1"  # its column: CRPSS vs climatology at lead 1


def squared_correlation(forecast: pd.Series, expected: pd.Series) -> float:
    """r^2 between a forecast and the expected value (NaN when either is constant)."""
    if forecast.std() == 0 or expected.std() == 0:
        return float("nan")
    return float(np.corrcoef(forecast, expected)[0, 1] ** 2)


def _crps_column(rows: pd.DataFrame, column: str) -> pd.Series:
    """The stored CRPS column of the rows, the model's computed from its distribution when not stored, else NaN."""
    if column in rows:
        return rows[column].astype(float)
    if column == "crps_kg" and set(DISTRIBUTION_COLUMNS) <= set(rows.columns):
        return pd.Series(HurdleLogNormal.from_frame(rows).crps_kg(rows.actual_kg.to_numpy(dtype=float)), rows.index)
    return pd.Series(np.nan, index=rows.index)


def truth_scores(predictions: pd.DataFrame, truth: pd.DataFrame,
                 ceiling_crpss: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Backtest rows + truth (date, site_id, species, expected_kg, median_kg[, q10_kg, q90_kg, p_zero,
    positive_log_mean, positive_log_sd]) -> per species: signal recovery (r^2 with the expected catch for model,
    climatology, persistence), MAE and CRPS against climatology's and the oracle's, attainable skill, coverage.

    `ceiling_crpss` (species -> the CRPSS vs climatology the model ceiling bench reaches, e.g. read from
    docs/model-ceiling.md by `ceiling_crpss_from_markdown`) gives attainable_crpss = crpss_climatology / ceiling
    (NaN for a species without one)."""
    oracle = {"q10_kg": "oracle_q10_kg", "q90_kg": "oracle_q90_kg", "p_zero": "oracle_p_zero",
              "positive_log_mean": "oracle_positive_log_mean", "positive_log_sd": "oracle_positive_log_sd"}
    columns = ["expected_kg", "median_kg", *(c for c in oracle if c in truth)]
    truth = truth.assign(target_date=pd.to_datetime(truth.date))[["target_date", "site_id", "species", *columns]]
    rows = predictions.assign(target_date=pd.to_datetime(predictions.target_date)).merge(
        truth.rename(columns=oracle), on=["target_date", "site_id", "species"], how="inner")
    rows = rows.assign(crps_kg=_crps_column(rows, "crps_kg"),
                       crps_climatology_kg=_crps_column(rows, "crps_climatology_kg"))
    if {"oracle_p_zero", "oracle_positive_log_mean", "oracle_positive_log_sd"} <= set(rows.columns):
        hidden = HurdleLogNormal.of(rows.oracle_p_zero, rows.oracle_positive_log_mean, rows.oracle_positive_log_sd)
        rows["oracle_crps_kg"] = hidden.crps_kg(rows.actual_kg.to_numpy(dtype=float))
    ceilings = dict(ceiling_crpss or {})

    def scores(group: pd.DataFrame) -> pd.Series:
        actual, species = group.actual_kg, group.species.iloc[0]
        mae_model = (group.q50_kg - actual).abs().mean()
        mae_climatology = (group.climatology_median_kg - actual).abs().mean()
        mae_oracle = (group.median_kg - actual).abs().mean()
        oracle_gain = 1 - mae_oracle / mae_climatology
        attainable = (mae_climatology - mae_model) / (mae_climatology - mae_oracle)
        crps, crps_climatology = group.crps_kg.mean(), group.crps_climatology_kg.mean()
        crpss = 1 - crps / crps_climatology if crps_climatology > 0 else float("nan")
        ceiling = float(ceilings.get(species, float("nan")))
        caught = actual > 0
        return pd.Series({
            "n_rows": len(group),
            "r2_model": squared_correlation(group.mean_kg, group.expected_kg),
            "r2_climatology": squared_correlation(group.climatology_kg, group.expected_kg),
            "r2_persistence": squared_correlation(group.persistence_kg, group.expected_kg),
            "mae_model_kg": mae_model, "mae_climatology_kg": mae_climatology, "mae_oracle_kg": mae_oracle,
            "oracle_gain_vs_climatology": oracle_gain,
            "attainable_skill": attainable if oracle_gain > ATTAINABLE_SKILL_MIN_ORACLE_GAIN else float("nan"),
            "crps_kg": crps, "crps_climatology_kg": crps_climatology, "crpss_climatology": crpss,
            **({"oracle_crpss_climatology": 1 - group.oracle_crps_kg.mean() / crps_climatology
                if crps_climatology > 0 else float("nan")} if "oracle_crps_kg" in group else {}),
            "ceiling_crpss": ceiling,
            "attainable_crpss": crpss / ceiling if ceiling > 0 else float("nan"),
            "coverage_80": interval_coverage(actual, group.q10_kg, group.q90_kg),
            "coverage_80_pit": pit_coverage(actual, group.q10_kg, group.q90_kg, group.p_zero),
            "coverage_80_caught": (interval_coverage(actual[caught], group.q10_kg[caught], group.q90_kg[caught])
                                   if caught.any() else float("nan")),
            **({"oracle_coverage_80": interval_coverage(actual, group.oracle_q10_kg, group.oracle_q90_kg),
                "oracle_coverage_80_pit": pit_coverage(actual, group.oracle_q10_kg, group.oracle_q90_kg,
                                                       group.oracle_p_zero)} if "oracle_q10_kg" in group else {}),
        })

    return rows.groupby("species")[list(rows.columns)].apply(scores).reset_index()


def ceiling_crpss_from_markdown(text: str, variant: str = CEILING_VARIANT, column: str = CEILING_COLUMN) -> dict[str, float]:
    """The model ceiling table (docs/model-ceiling.md, a Markdown table with species and variant columns) ->
    species -> `column` of the `variant` row; {} when the table has no such column."""
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    header = next((row for row in cells if {"species", "variant", column} <= set(row)), None)
    if header is None:
        return {}
    at = {name: header.index(name) for name in ("species", "variant", column)}
    ceilings = {}
    for row in cells:
        if len(row) == len(header) and row[at["variant"]] == variant:
            try:
                ceilings[row[at["species"]]] = float(row[at[column]])
            except ValueError:  # "n/a"
                continue
    return ceilings


def target_table(scores: pd.DataFrame) -> pd.DataFrame:
    """`truth_scores` -> one row per species and target of the issue: the measured value, what is required, and
    whether it holds (True/False, <NA> when it cannot be judged, e.g. no ceiling given)."""
    low, high = COVERAGE_BAND
    oracle_gap = ((scores.coverage_80_pit - scores.oracle_coverage_80_pit).abs() if "oracle_coverage_80_pit" in scores
                  else pd.Series(np.nan, index=scores.index))
    targets = [
        ("crpss_vs_climatology", scores.crpss_climatology, "> 0", scores.crpss_climatology > 0),
        ("crpss_vs_ceiling", scores.attainable_crpss, f">= {CEILING_CRPSS_FRACTION} of the ceiling's CRPSS",
         scores.attainable_crpss >= CEILING_CRPSS_FRACTION),
        ("median_vs_climatology", scores.mae_model_kg / scores.mae_climatology_kg, "MAE ratio <= 1",
         scores.mae_model_kg <= scores.mae_climatology_kg),
        ("r2_vs_climatology", scores.r2_model - scores.r2_climatology, "r² gain > 0",
         scores.r2_model > scores.r2_climatology),
        ("r2_vs_persistence", scores.r2_model - scores.r2_persistence, "r² gain > 0",
         scores.r2_model > scores.r2_persistence),
        ("pit_coverage", scores.coverage_80_pit, f"{low}–{high}", scores.coverage_80_pit.between(low, high)),
        ("pit_coverage_vs_oracle", oracle_gap, f"within {ORACLE_COVERAGE_TOLERANCE} of the oracle's",
         oracle_gap <= ORACLE_COVERAGE_TOLERANCE),
    ]
    parts = [pd.DataFrame({"species": scores.species, "target": name, "value": value.astype(float),
                           "required": required,
                           "holds": passes.astype("boolean").mask(value.isna())})
             for name, value, required, passes in targets]
    return pd.concat(parts, ignore_index=True)


def target_checks(scores: pd.DataFrame) -> pd.DataFrame:
    """`truth_scores` -> per species, whether each target of the issue holds (nullable booleans; <NA> cannot be
    judged): CRPSS vs climatology > 0 and >= half the ceiling's; the median's MAE no worse than climatology's;
    r² of the mean above climatology's and persistence's; PIT coverage 0.75–0.85 and within 0.05 of the oracle's.

    Coverage is judged by `coverage_80_pit`: by plain counting even the oracle's own q10-q90 covers ~0.9 of
    zero-inflated catches (every empty net is inside [0, q90]), so plain counting cannot tell calibration."""
    wide = target_table(scores).pivot(index="species", columns="target", values="holds")
    return pd.DataFrame({
        "species": wide.index,
        "crpss": wide.crpss_vs_climatology & wide.crpss_vs_ceiling,
        "median": wide.median_vs_climatology,
        "signal_recovery": wide.r2_vs_climatology & wide.r2_vs_persistence,
        "calibration": wide.pit_coverage & wide.pit_coverage_vs_oracle,
    }).reset_index(drop=True)


def verdict(value: object) -> str:
    """A check's outcome as the card prints it: PASS, FAIL or n/a."""
    return "n/a" if value is pd.NA or value is None or (isinstance(value, float) and np.isnan(value)) else (
        "PASS" if bool(value) else "FAIL")


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A frame as a Markdown table: numbers to `digits` places (whole numbers of 1000 and more as integers)."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    def cell(value: object) -> str:
        if value is pd.NA or value is None:
            return "n/a"
        if isinstance(value, (bool, np.bool_)):
            return str(bool(value))
        if isinstance(value, (float, np.floating)) and float(value).is_integer() and abs(value) >= 1000:
            return f"{int(value)}"
        if isinstance(value, (float, np.floating)):
            return "n/a" if np.isnan(value) else f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}"
        return str(value)
    return header + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in frame.itertuples(index=False))


def _present(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns of `frame` among `columns`, in that order (a card of an older backtest lacks the newer ones)."""
    return frame[[c for c in columns if c in frame]]


def _by_lead(metrics: pd.DataFrame, value: str) -> pd.DataFrame:
    """Pooled metrics -> species x lead table of one metric."""
    table = metrics.pivot_table(index="species", columns="lead_days", values=value, dropna=False).reset_index()
    table.columns = ["species", *[f"lead {c}" for c in table.columns[1:]]]
    return table


DISTRIBUTION_SCORES = ["species", "n_rows", "crps_kg", "crps_climatology_kg", "crps_persistence_kg",
                       "crpss_climatology", "crpss_persistence", "brier_zero", "coverage_80_pit",
                       "coverage_80_caught", "coverage_80_caught_expected", "coverage_80"]
POINT_SCORES = ["species", "mae_kg", "mae_climatology_kg", "mae_persistence_kg", "skill_vs_climatology",
                "skill_vs_persistence", "skill_vs_seasonal_naive", "rmse_kg", "pinball_kg", "big_catch_hit_rate",
                "big_catch_false_alarm_rate"]
TRUTH_POINT_SCORES = ["species", "n_rows", "r2_model", "r2_climatology", "r2_persistence", "mae_model_kg",
                      "mae_climatology_kg", "mae_oracle_kg", "oracle_gain_vs_climatology", "attainable_skill"]
SITE_SCORES = ["site_id", "species", "n_rows", "crps_kg", "crpss_climatology", "mae_kg", "mae_climatology_kg",
               "skill_vs_climatology", "coverage_80_pit", "coverage_80_caught"]

WHAT_IT_IS = (
    "Per species, one model global over nets (the net as a categorical; every lead's rows pooled, each row's inputs "
    "those known on its issue day) gives every forecast one predictive distribution; tomorrow (lead 1, "
    "`models.own_model_leads`) may have a hurdle of its own, fitted on lead 1's rows only and kept only where it "
    "beats the shared one on lead 1's held-out rows. The distribution is a hurdle (delta) lognormal as in CPUE standardisation: a LightGBM classifier for "
    "P(catch > 0); a LightGBM regression of ln(catch) fitted on the days with a catch, both starting either from a "
    "constant or from the net's seasonal normal (the training history's log-odds of a catch and mean ln kg at that "
    "net within ±15 days of the year), whichever scores better; and a lognormal spread around that regression measured on held-out blocks of the training "
    "history (every fourth four-week block, a week's gap either side; one log-sd per bin of the predicted scale). "
    "The start and the hyperparameters are chosen by a small seeded search "
    "(`models.tuning_trials` parameter sets, the defaults first, each from both starts) scored by the CRPS of the "
    "whole distribution on those held-out blocks, run on a species' earliest and latest backtest folds "
    "(`models.search_folds`): the folds between keep the earliest's choice and rerun only the chosen trial on their "
    "own history's held-out blocks (their own rounds and spread, from data before their origin), and the final fit "
    "on all history reuses the latest fold's search; every trial is kept in `tuning_trials`. Every number shown — the mean, the quantiles (q10/q50/q90, and any other level "
    "on demand), P(empty net) and P(big catch) above the net's threshold — is read off that one distribution, so "
    "they agree with one another (the median is 0 exactly when an empty net is at least as likely as not). "
    "Baselines on the same rows: climatology (the net's operated days within ±15 days of the day of year, empty "
    "nets included: their mean, their median, and for CRPS the whole set as a distribution), persistence (the "
    "last operated day's catch, a point forecast: its CRPS is its absolute error) and seasonal-naive (the same "
    "week last year).\n\n"
    "What was tried, on the same rows (docs/model-variants.md; `python -m bench.model_variants`): this hurdle "
    "against the same boosters always, or never, starting from the seasonal normal (the sample world's catches "
    "follow a lingering school and the ocean-dominated world's the season and the ocean: each wins on one, so "
    "every fit chooses), one spread for every predicted size, and no parameter search; and, before it, seven boosters trained apart (two Tweedie means, "
    "q10/q50/q90 quantile boosters, a zero and a big-catch classifier), whose numbers disagreed with one another "
    "(a median of 87 kg beside a mean of 334 kg and an unshown 32 % chance of an empty net) and whose median lost "
    "to climatology's in absolute error on an unseen world.\n")

SCORES_EXPLAINED = (
    "\nCRPS (continuous ranked probability score, kg, lower is better) compares the whole forecast distribution "
    "with the catch, the chance of an empty net included; for a point forecast it is the absolute error. "
    "CRPSS = 1 − CRPS_model / CRPS_baseline (above 0: better than the baseline). brier_zero is the mean squared "
    "error of P(empty net) (0 is perfect; saying 0.5 every day scores 0.25). coverage_80 counts the catches inside "
    "q10–q90; coverage_80_pit counts an empty net by the chance its randomised PIT falls in [0.1, 0.9] (an honest "
    "q10–q90 of a catch that is often zero starts at 0, so plain counting puts every empty net inside and reads "
    "about 0.9 even for a perfect forecast; the PIT version reads 0.8). coverage_80_caught counts only the days "
    "the net caught something; even a calibrated forecast does not read 0.8 there (when P(empty) ≥ 0.1 its range "
    "holds (0.9 − P(empty)) / (1 − P(empty)) of the catches), so coverage_80_caught_expected shows what a "
    "calibrated forecast with these P(empty) would read.\n")

POINT_EXPLAINED = (
    "\nSkill = 1 − MAE / MAE_baseline, each method judged by its median-type point forecast (the model's q50, "
    "climatology's median); RMSE judges the mean. A big-catch alert is P(big catch) ≥ the configured alert "
    "probability; the false-alarm rate is the share of ordinary days that had an alert.\n")


MISSES_EXPLAINED = (
    "\nWhy a CRPSS can fall short of half the ceiling's: the ceiling is refitted with the hidden expected catch of "
    "the issue day, which carries that day's school abundance and ocean at every net; the model can only infer them "
    "from the catches landed so far and the ocean grids, and where a species' catch follows a lingering school or a "
    "narrow ocean preference much of the gap stays. No forecast issued the evening before has the hidden state. The "
    "ceiling is a single refit and noisy itself (it can score below the model on a species): compare both worlds, "
    "docs/model-ceiling.md and docs/model-ceiling-ocean.md.\n")


def _misses(targets: pd.DataFrame) -> list[str]:
    """The targets that do not hold, said plainly with by how much, and why (nothing when every target holds)."""
    missed = targets[targets.holds == "FAIL"]
    if missed.empty:
        return ["\nEvery target holds on this world.\n"]
    lines = [f"- {row.species}: {row.target} is {row.value:.3f} (required {row.required})\n"
             for row in missed.itertuples()]
    return ["\n## Where the targets are missed, and why\n", "".join(lines),
            *([MISSES_EXPLAINED] if (missed.target == "crpss_vs_ceiling").any() else [])]


KYUCHO_EXPLAINED = (
    "Each issue's hourly ocean forecast at each net's nearest sea cell gives, per net and JST day 1–4 days ahead, "
    "the tier its peak current reaches (注意報 advisory, 警報 warning; thresholds per net in the report settings). "
    "What the day turned out to have is the first 24 hours of every issue joined into one hourly series per net "
    "(the best hourly current available, from the forecast store itself). A warning counts as an advisory too. "
    "hit_rate = hits / (hits + misses); false_alarm_ratio = false alarms / (hits + false alarms); "
    "mean_lead_gained_days: over observed events warned at some lead, the longest such lead. Only the issues in "
    "the hourly forecast archive are scored, so the record is short and each rate is noisy.\n")
KYUCHO_SCORES = ["site_id", "tier", "lead_days", "hits", "misses", "false_alarms", "hit_rate", "false_alarm_ratio",
                 "mean_lead_gained_days"]


def kyucho_section(record: pd.DataFrame | None) -> list[str]:
    """The swift-current warnings' verified record (features.kyucho.RECORD_COLUMNS) as model-card parts."""
    if record is None or record.empty:
        return ["\n## Swift-current (急潮) warnings\n",
                "No hourly ocean forecast is stored: the warnings have no verified record.\n"]
    pooled_rows = record[record.site_id == POOLED_SITE_ID]
    per_net = record[(record.site_id != POOLED_SITE_ID) & (record.lead_days == "all")]
    return ["\n## Swift-current (急潮) warnings: verified record\n", KYUCHO_EXPLAINED,
            markdown_table(_present(pooled_rows, KYUCHO_SCORES)), "\nPer net, leads 1–4 pooled:\n",
            markdown_table(_present(per_net, KYUCHO_SCORES))]


OCEAN_VALUE_TOLERANCE = 0.005  # a CRPSS difference smaller than this, forecast vs persisted, counts as none
OCEAN_SOURCE_NAMES = {"forecast": "forecast as issued", "persisted analysis": "persisted analysis",
                      "later analysis": "target day's later analysis"}


def ocean_value_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Backtest rows (lead_days, ocean_source, actual_kg, q50_kg, crps_kg, crps_climatology_kg, q50_persisted_kg,
    crps_persisted_kg) -> per lead, on the rows scored with a forecast as issued, pooled over species: n_rows,
    CRPSS against climatology and MAE of the median (kg) of the model fed the forecast and fed persisted analyses."""
    scored = rows[(rows.ocean_source == "forecast") & rows.crps_persisted_kg.notna()]
    grouped = scored.assign(error_forecast=(scored.q50_kg - scored.actual_kg).abs(),
                            error_persisted=(scored.q50_persisted_kg - scored.actual_kg).abs()).groupby("lead_days")
    climatology = grouped.crps_climatology_kg.sum()
    table = pd.DataFrame({
        "n_rows": grouped.size(),
        "crpss_forecast": 1 - grouped.crps_kg.sum() / climatology,
        "crpss_persisted": 1 - grouped.crps_persisted_kg.sum() / climatology,
        "mae_forecast_kg": grouped.error_forecast.mean(),
        "mae_persisted_kg": grouped.error_persisted.mean(),
    })
    table["crpss_gain"] = table.crpss_forecast - table.crpss_persisted
    return table.reset_index()


def ocean_value_sentence(value: pd.DataFrame) -> str:
    """`ocean_value_table` -> one plain sentence of what the forecast covariates are worth, lead by lead."""
    def leads(mask: pd.Series) -> str:
        return ", ".join(str(int(lead)) for lead in value.lead_days[mask])
    helps, hurts = value.crpss_gain > OCEAN_VALUE_TOLERANCE, value.crpss_gain < -OCEAN_VALUE_TOLERANCE
    said = []
    if helps.any():
        said.append(f"the ocean forecast makes the model better than the persisted analysis at lead {leads(helps)}")
    if hurts.any():
        said.append(f"worse at lead {leads(hurts)} (its errors there exceed persisting the issue day's ocean)")
    rest = ~(helps | hurts)
    if rest.any():
        said.append(f"changes the CRPSS by less than {OCEAN_VALUE_TOLERANCE} at lead {leads(rest)}")
    return ("On these rows " + "; ".join(said) + ". The same fitted boosters score both columns, so the difference "
            "is the forecast's alone; with few archived days it is noisy.")


def ocean_value_section(rows: pd.DataFrame | None, sources: pd.DataFrame | None) -> list[str]:
    """Model-card parts "Value of the ocean forecast by lead" from the backtest rows (see `ocean_value_table`) and
    the rows each fold fit and scored by ocean source (used_for, ocean_source, n_rows)."""
    parts = ["\n## Value of the ocean forecast by lead\n"]
    if sources is not None and not sources.empty:
        counts = sources.assign(ocean_source=sources.ocean_source.map(lambda s: OCEAN_SOURCE_NAMES.get(s, s)))
        counts = counts.pivot_table(index="used_for", columns="ocean_source", values="n_rows", aggfunc="sum",
                                    fill_value=0).reset_index()
        counts.columns.name = None
        parts += [("Where each backtest row's target-day ocean values came from (summed over folds and species): "
                   "rows a fold's model was fit on (`fit`) and rows it was scored on (`scored`). Scored rows carry "
                   "only what was known on their issue date: the forecast issued that day where the archive has "
                   "it, else the issue day's analysis persisted. Fit rows without an archived forecast carry the "
                   "target day's later analysis or the persisted one, as `models.training_ocean` says.\n"),
                  markdown_table(counts), "\n"]
    has_rows = rows is not None and "crps_persisted_kg" in rows and not rows.empty
    value = ocean_value_table(rows) if has_rows else pd.DataFrame()
    if value.empty:
        parts.append("No scored row of this backtest had an archived ocean forecast (the forecast archive does not "
                     "reach into its period, or the backtest predates this record): what the forecast is worth "
                     "cannot be measured here, and every scored row used the persisted analysis.\n")
        return parts
    parts += [("On the backtest rows that had an archived forecast, the same fitted model scored twice: fed the "
               "forecast issued on the issue date (`forecast`) and fed the issue day's analysis persisted "
               "(`persisted`). CRPSS against climatology and MAE of the median (kg), pooled over species; "
               "crpss_gain = crpss_forecast − crpss_persisted.\n"),
              markdown_table(value), "\n" + ocean_value_sentence(value) + "\n"]
    return parts


OPERATION_EXPLAINED = (
    "\nThe chance that a net is hauled on the target day (`models.operation`: one LightGBM binary classifier pooled "
    "over nets and leads, fed the target day's calendar, the net's and the bay's operation up to the issue day, and "
    "the target-day currents and kyucho signals known on the issue day), scored on the same rolling-origin folds. "
    "Brier score: the mean squared difference between the chance and what happened (1 hauled, 0 not); lower is "
    "better. Climatology: the net's operating rate on that weekday in that month over the training window. BSS "
    "(Brier skill score) = 1 − Brier / Brier of climatology: above 0 beats it. The catch forecasts are the catch "
    "*given that the net operates*.\n")


def operation_by_lead(evaluations: pd.DataFrame) -> pd.DataFrame:
    """operation_evaluations rows -> the pooled record per lead: lead_days, brier, brier_climatology, brier_skill,
    operated_rate, n."""
    rows = evaluations[evaluations.site_id == POOLED_SITE_ID].sort_values("lead_days")
    return rows[["lead_days", "brier", "brier_climatology", "brier_skill", "operated_rate", "n"]].reset_index(drop=True)


def operation_section(evaluations: pd.DataFrame | None, reliability: pd.DataFrame | None) -> list[str]:
    """The model card's "Will the net operate?" section: Brier and BSS by lead, per net at lead 1, reliability."""
    if evaluations is None or evaluations.empty:
        return []
    parts = ["\n## Will the net operate?\n", OPERATION_EXPLAINED, "\nPooled over nets, by lead:\n",
             markdown_table(operation_by_lead(evaluations), digits=4)]
    nets = evaluations[(evaluations.site_id != POOLED_SITE_ID) & (evaluations.lead_days == 1)].sort_values("site_id")
    if not nets.empty:
        parts += ["\nPer net, lead 1:\n",
                  markdown_table(nets[["site_id", "brier", "brier_climatology", "brier_skill", "n"]], digits=4)]
    if reliability is not None and not reliability.empty:
        parts += [("\nReliability (all leads): forecasts grouped by their chance of operating; a reliable forecast's "
                  "observed share of hauled days matches its mean chance in every bin.\n"),
                  markdown_table(reliability[["p_from", "p_to", "mean_forecast", "observed_rate", "n"]])]
    return parts


def render_model_card(version: str, metrics: pd.DataFrame, truth: pd.DataFrame | None, checks: pd.DataFrame | None,
                      period: tuple[date, date], command: str, reliability: pd.DataFrame | None = None,
                      kyucho_record: pd.DataFrame | None = None, ocean_rows: pd.DataFrame | None = None,
                      ocean_sources: pd.DataFrame | None = None, operation: pd.DataFrame | None = None,
                      operation_reliability: pd.DataFrame | None = None) -> str:
    """Markdown model card from backtest metrics (model_evaluations rows: pooled, site_id 'all', and per net), the
    reliability table of P(empty net) (`models.evaluate.reliability_table`), the swift-current warnings' record
    (`features.kyucho.kyucho_record`), the backtest rows and fold sources of `ocean_value_section` and, on the
    sample world, the truth scores and target checks."""
    overall = pooled(metrics)
    lead1 = overall[overall.lead_days == 1]
    parts = [
        f"# Model card: {version}\n",
        (f"Generated by `{command}`. Rolling-origin backtest over {period[0]} .. {period[1]}: each fold is "
        "trained only on catches before its origin and forecasts the days after it (never shuffled).\n"),
        "## What it is\n",
        WHAT_IT_IS,
        "## Backtest, lead 1 (tomorrow): the distribution\n",
        markdown_table(_present(lead1, DISTRIBUTION_SCORES)),
        SCORES_EXPLAINED,
        "## Backtest, lead 1: point forecasts and alerts\n",
        markdown_table(_present(lead1, POINT_SCORES)),
        POINT_EXPLAINED,
    ]
    if "crpss_climatology" in overall:
        parts += ["## CRPSS against climatology by lead\n", markdown_table(_by_lead(overall, "crpss_climatology"))]
    parts += ["\n## MAE skill against climatology by lead\n", markdown_table(_by_lead(overall, "skill_vs_climatology"))]
    nets = (metrics[(metrics.site_id != POOLED_SITE_ID) & (metrics.lead_days == 1)].sort_values(["site_id", "species"])
            if "site_id" in metrics else metrics.iloc[:0])
    if not nets.empty:
        parts += ["\n## Per net, lead 1\n",
                  ("Each net's own record on the same backtest rows: what a cooperative sees for its nets. A net "
                   "with few rows has a noisy record.\n"),
                  markdown_table(_present(nets, SITE_SCORES))]
    if reliability is not None and not reliability.empty:
        parts += ["\n## Reliability of P(empty net), lead 1\n",
                  ("Forecasts grouped by their predicted chance of an empty net: a reliable forecast's observed "
                   "share of empty nets matches its predicted chance in every bin.\n"),
                  markdown_table(reliability)]
    parts += ocean_value_section(ocean_rows, ocean_sources)
    parts += operation_section(operation, operation_reliability)
    parts += kyucho_section(kyucho_record)
    if truth is not None and checks is not None:
        targets = target_table(truth).assign(holds=lambda t: t.holds.map(verdict))
        parts += [
            "\n## Against the sample world's hidden truth (last backtest fold)\n",
            ("The sample world's hidden function gives the expected catch, its median, quantiles and P(empty) for "
            "every net and day; the pipeline never reads it. Signal recovery compares r² with the expected catch; "
            "attainable skill is (MAE_climatology − MAE_model) / (MAE_climatology − MAE_oracle), where the oracle "
            "forecasts the hidden median (shown only where the oracle beats climatology by more than 3 %). "
            "attainable_crpss is the model's CRPSS against climatology over the CRPSS the model ceiling bench "
            "reaches with the issue day's hidden state (ceiling_crpss; n/a when no ceiling was given).\n"),
            markdown_table(_present(truth, TRUTH_POINT_SCORES)),
            "\n",
            markdown_table(truth.drop(columns=[c for c in TRUTH_POINT_SCORES if c not in ("species", "n_rows")])),
            ("\nTargets: CRPSS against climatology > 0 and at least "
            f"{CEILING_CRPSS_FRACTION} of the ceiling's; MAE of the median no worse than climatology's median's; r² "
            "of the mean with the hidden expected catch above climatology's and persistence's; randomised-PIT "
            f"q10–q90 coverage {COVERAGE_BAND[0]}–{COVERAGE_BAND[1]} and within {ORACLE_COVERAGE_TOLERANCE} of the "
            "hidden function's own.\n"),
            markdown_table(checks.assign(**{c: checks[c].map(verdict) for c in checks.columns if c != "species"})),
            "\nEach target, measured (value) against what it requires:\n",
            markdown_table(targets),
            *_misses(targets),
            ("\nHow far attainable skill can go: the oracle knows the target day's hidden school abundance and "
            "ocean, which no forecast issued the evening before can know (the abundance is a week-memory random "
            "process). `python -m bench.model_ceiling --data-dir data` refits the model with the hidden expected "
            "catch of the ISSUE day added as a feature — more than any real forecaster knows, still nothing from "
            "after the issue day — and records what that reaches in docs/model-ceiling.md.\n"),
        ]
    parts += [
        "\n## Limits\n",
        ("- Catches are noisy: even the oracle that knows the hidden function misses by the MAE shown; a single "
        "day's forecast can be far off, so read the q10–q90 range and P(empty net), not only the median.\n"
        "- The catch forecasts assume the net operates; whether it does (weather, holidays, damage) is a separate "
        "chance, scored in \"Will the net operate?\" (p_operate in the forecasts).\n"
        "- Ocean inputs beyond the issue day are the analysis of the issue day unless an ocean forecast is stored; "
        "skill falls with lead time. Where the forecast archive does not reach back, training rows carry the "
        "target day's later analysis (`models.training_ocean` = \"analysis\", perfect prog) or the persisted one "
        "(\"persisted\"), flagged in `ocean_source`; what forecast covariates are worth by lead: the section above "
        "and docs/model-forecast-value.md (`python -m bench.ocean_forecast_value`).\n"
        "- The spread of a catch is a fitted lognormal per bin of the predicted scale: where real catches have a "
        "heavier tail than a lognormal, q90 and P(big catch) read too low.\n"
        "- Rare big catches are the hardest: check the hit and false-alarm rates before acting on an alert.\n"
        "- Numbers on the sample world are not numbers on a real bay; a real deployment must be backtested on its "
        "own catches before anyone relies on it.\n"),
    ]
    return "\n".join(parts)
