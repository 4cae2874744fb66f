"""The model card: backtest skill against baselines and, on the sample world, against its hidden truth."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from models.calibration import interval_coverage, pit_coverage

ATTAINABLE_SKILL_MIN_ORACLE_GAIN = 0.03


def squared_correlation(forecast: pd.Series, expected: pd.Series) -> float:
    """r^2 between a forecast and the expected value (NaN when either is constant)."""
    if forecast.std() == 0 or expected.std() == 0:
        return float("nan")
    return float(np.corrcoef(forecast, expected)[0, 1] ** 2)


def truth_scores(predictions: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Backtest rows + truth (date, site_id, species, expected_kg, median_kg) -> per species: signal recovery
    (r^2 with the expected catch for model, climatology, persistence), attainable skill and coverage."""
    columns = ["expected_kg", "median_kg", *(c for c in ("q10_kg", "q90_kg", "p_zero") if c in truth)]
    truth = truth.assign(target_date=pd.to_datetime(truth.date))[["target_date", "site_id", "species", *columns]]
    truth = truth.rename(columns={"q10_kg": "oracle_q10_kg", "q90_kg": "oracle_q90_kg", "p_zero": "oracle_p_zero"})
    rows = predictions.assign(target_date=pd.to_datetime(predictions.target_date)).merge(
        truth, on=["target_date", "site_id", "species"], how="inner")

    def scores(group: pd.DataFrame) -> pd.Series:
        actual = group.actual_kg
        mae_model = (group.q50_kg - actual).abs().mean()
        mae_climatology = (group.climatology_median_kg - actual).abs().mean()
        mae_oracle = (group.median_kg - actual).abs().mean()
        oracle_gain = 1 - mae_oracle / mae_climatology
        attainable = (mae_climatology - mae_model) / (mae_climatology - mae_oracle)
        return pd.Series({
            "n_rows": len(group),
            "r2_model": squared_correlation(group.mean_kg, group.expected_kg),
            "r2_climatology": squared_correlation(group.climatology_kg, group.expected_kg),
            "r2_persistence": squared_correlation(group.persistence_kg, group.expected_kg),
            "mae_model_kg": mae_model, "mae_climatology_kg": mae_climatology, "mae_oracle_kg": mae_oracle,
            "oracle_gain_vs_climatology": oracle_gain,
            "attainable_skill": attainable if oracle_gain > ATTAINABLE_SKILL_MIN_ORACLE_GAIN else float("nan"),
            "coverage_80": interval_coverage(actual, group.q10_kg, group.q90_kg),
            "coverage_80_pit": pit_coverage(actual, group.q10_kg, group.q90_kg, group.p_zero),
            **({"oracle_coverage_80": interval_coverage(actual, group.oracle_q10_kg, group.oracle_q90_kg),
                "oracle_coverage_80_pit": pit_coverage(actual, group.oracle_q10_kg, group.oracle_q90_kg,
                                                       group.oracle_p_zero)} if "oracle_q10_kg" in group else {}),
        })

    return rows.groupby("species")[list(rows.columns)].apply(scores).reset_index()


def target_checks(scores: pd.DataFrame) -> pd.DataFrame:
    """Per species: does each sample-world target hold (r^2 above both baselines, attainable skill >= 0.6, coverage 0.75-0.85)?

    Coverage is judged by `coverage_80_pit`: by plain counting even the oracle's own q10-q90 covers ~0.9 of
    zero-inflated catches (every empty net is inside [0, q90]), so plain counting cannot tell calibration."""
    return pd.DataFrame({
        "species": scores.species,
        "signal_recovery": (scores.r2_model > scores.r2_climatology) & (scores.r2_model > scores.r2_persistence),
        "attainable_skill": scores.attainable_skill.isna() | (scores.attainable_skill >= 0.6),
        "calibration": scores.coverage_80_pit.between(0.75, 0.85),
    })


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A frame as a Markdown table: numbers to `digits` places (whole numbers of 1000 and more as integers)."""
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)) and float(value).is_integer() and abs(value) >= 1000:
            return f"{int(value)}"
        if isinstance(value, (float, np.floating)):
            return "n/a" if np.isnan(value) else f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}"
        return str(value)
    return header + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in frame.itertuples(index=False))


def render_model_card(version: str, metrics: pd.DataFrame, truth: pd.DataFrame | None, checks: pd.DataFrame | None,
                      period: tuple[date, date], command: str) -> str:
    """Markdown model card from backtest metrics (and, on the sample world, the truth scores)."""
    lead1 = metrics[metrics.lead_days == 1][["species", "n_rows", "mae_kg", "mae_climatology_kg", "mae_persistence_kg",
                                            "skill_vs_climatology", "skill_vs_persistence", "skill_vs_seasonal_naive",
                                            "coverage_80", "coverage_80_pit", "big_catch_hit_rate", "big_catch_false_alarm_rate"]]
    by_lead = metrics.pivot_table(index="species", columns="lead_days", values="skill_vs_climatology").reset_index()
    by_lead.columns = ["species", *[f"lead {c}" for c in by_lead.columns[1:]]]
    parts = [
        f"# Model card: {version}\n",
        (f"Generated by `{command}`. Rolling-origin backtest over {period[0]} .. {period[1]}: each fold is "
        "trained only on catches before its origin and forecasts the days after it (never shuffled).\n"),
        "## What it is\n",
        ("One LightGBM model set per species, global over nets (net as a categorical, lead as a feature): a Tweedie "
        "mean catch averaged over two boosters (one starting from the net's seasonal normal, one from scratch), "
        "quantile models for q10/q50/q90 whose q10–q90 range is widened or narrowed until it holds 80 % of catches "
        "in held-out blocks of the training history (blocked cross-validation; the range starts at 0 wherever an "
        "empty net has at least a 10 % chance), and classifiers for the probability of a zero catch and of a big "
        "catch (above the net's 90th percentile of operated days). Baselines on the same rows: climatology (net, "
        "species, day of year ±15 days), persistence (last operated day), seasonal-naive (same week last year).\n"),
        "## Backtest, lead 1 (tomorrow)\n",
        markdown_table(lead1),
        ("\nSkill = 1 − MAE_model / MAE_baseline (above 0: better than the baseline). coverage_80 counts the "
        "catches inside q10–q90; coverage_80_pit counts an empty net by the chance its randomised PIT falls in "
        "[0.1, 0.9] (an honest q10–q90 of a catch that is often zero starts at 0, so plain counting puts every empty "
        "net inside and reads about 0.9 even for a perfect forecast; the PIT version reads 0.8). A big-catch alert is "
        "p_big_catch ≥ the configured alert probability; the false-alarm rate is the share of ordinary days "
        "that had an alert.\n"),
        "## Skill against climatology by lead\n",
        markdown_table(by_lead),
    ]
    if truth is not None and checks is not None:
        parts += [
            "\n## Against the sample world's hidden truth (last backtest fold)\n",
            ("The sample world's hidden function gives the expected catch and its median for every net and day; "
            "the pipeline never reads it. Signal recovery compares r² with the expected catch; attainable skill is "
            "(MAE_climatology − MAE_model) / (MAE_climatology − MAE_oracle), where the oracle forecasts the hidden "
            "median (shown only where the oracle beats climatology by more than 3 %). Under absolute error each method "
            "is judged by its median-type point forecast: the model's q50, climatology's smoothed median.\n"),
            markdown_table(truth),
            ("\nTargets: r² above climatology and persistence; attainable skill ≥ 0.6; q10–q90 coverage 0.75–0.85 "
            "(coverage_80_pit; the oracle's own intervals score oracle_coverage_80 by plain counting).\n"),
            markdown_table(checks),
            ("\nHow far attainable skill can go: the oracle knows the target day's hidden school abundance and "
            "ocean, which no forecast issued the evening before can know (the abundance is a week-memory random "
            "process). `python -m bench.model_ceiling --data-dir data` refits the model with the hidden expected "
            "catch of the ISSUE day added as a feature — more than any real forecaster knows, still nothing from "
            "after the issue day — and records the attainable skill that reaches in docs/model-ceiling.md.\n"),
        ]
    parts += [
        "\n## Limits\n",
        ("- Catches are noisy: even the oracle that knows the hidden function misses by the MAE shown; a single "
        "day's forecast can be far off, so read the q10–q90 range, not only the median.\n"
        "- Forecasts assume the net operates; no-operation days (weather, holidays, damage) are not predicted.\n"
        "- Ocean inputs beyond the issue day are the analysis of the issue day unless an ocean forecast is stored; "
        "skill falls with lead time.\n"
        "- Rare big catches are the hardest: check the hit and false-alarm rates before acting on an alert.\n"
        "- Numbers on the sample world are not numbers on a real bay; a real deployment must be backtested on its "
        "own catches before anyone relies on it.\n"),
    ]
    return "\n".join(parts)
