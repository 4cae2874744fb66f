"""Scoring forecasts against what was caught, and against the baselines on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.baselines import (
    climatology_forecast,
    climatology_median_table,
    climatology_table,
    persistence_forecast,
    seasonal_naive_forecast,
)
from models.calibration import interval_coverage, pit_coverage
from models.lightgbm_model import QUANTILES


def skill(model_error: float, baseline_error: float) -> float:
    """1 - model_error / baseline_error: above 0 the model is better, 0 equal, below 0 worse."""
    return float(1.0 - model_error / baseline_error) if baseline_error > 0 else float("nan")


def pinball_loss(actual_kg: np.ndarray, quantile_kg: np.ndarray, alpha: float) -> float:
    """Mean pinball (quantile) loss in kg of a quantile forecast at level alpha."""
    difference = np.asarray(actual_kg) - np.asarray(quantile_kg)
    return float(np.mean(np.maximum(alpha * difference, (alpha - 1.0) * difference)))


def baseline_columns(train_catches: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows -> the same rows with the baselines' forecasts (kg): climatology_kg (mean) and climatology_median_kg
    (from `train_catches` only), persistence_kg and seasonal_naive_kg."""
    climatology = climatology_forecast(climatology_table(train_catches), rows)
    median = climatology_forecast(climatology_median_table(train_catches), rows, "climatology_median_kg")
    return rows.assign(
        climatology_kg=climatology,
        climatology_median_kg=median,
        persistence_kg=persistence_forecast(rows, climatology),
        seasonal_naive_kg=seasonal_naive_forecast(rows, climatology),
    )


# The point forecast each method is judged by under absolute error (the median minimises it; RMSE uses the mean).
MAE_POINT_COLUMNS = {"model": "q50_kg", "climatology": "climatology_median_kg", "persistence": "persistence_kg",
                     "seasonal_naive": "seasonal_naive_kg"}


def score_group(group: pd.DataFrame, alert_probability: float) -> pd.Series:
    """Scored rows of one species and lead -> MAE, RMSE, pinball, coverage, big-catch hits, skill vs baselines.

    MAE judges each method by its median-type point forecast (MAE_POINT_COLUMNS); RMSE judges the mean.
    """
    actual = group.actual_kg.to_numpy()
    mae = float(np.mean(np.abs(group[MAE_POINT_COLUMNS["model"]] - actual)))
    maes = {name: float(np.mean(np.abs(group[MAE_POINT_COLUMNS[name]] - actual)))
            for name in ("climatology", "persistence", "seasonal_naive")}
    pinballs = {name: pinball_loss(actual, group[f"{name}_kg"], alpha) for name, alpha in QUANTILES.items()}
    scores = {
        "n_rows": len(group),
        "mae_kg": mae,
        "rmse_kg": float(np.sqrt(np.mean((group.mean_kg - actual) ** 2))),
        **{f"pinball_{name}_kg": value for name, value in pinballs.items()},
        "pinball_kg": float(np.mean(list(pinballs.values()))),
        "coverage_80": interval_coverage(actual, group.q10_kg, group.q90_kg),
        "coverage_80_pit": (pit_coverage(actual, group.q10_kg, group.q90_kg, group.p_zero)
                            if "p_zero" in group else float("nan")),
        **{f"mae_{name}_kg": value for name, value in maes.items()},
        **{f"skill_vs_{name}": skill(mae, value) for name, value in maes.items()},
    }
    if "p_big_catch" in group:
        big = actual > group.big_catch_threshold_kg.fillna(np.inf).to_numpy()
        alert = group.p_big_catch.to_numpy() >= alert_probability
        scores["big_catch_hit_rate"] = float(alert[big].mean()) if big.any() else float("nan")
        scores["big_catch_false_alarm_rate"] = float(alert[~big].mean()) if (~big).any() else float("nan")
    return pd.Series(scores)


def score_rows(rows: pd.DataFrame, alert_probability: float) -> pd.DataFrame:
    """Rows with actual_kg, forecasts and baseline columns -> one row of metrics per species and lead."""
    grouped = rows.groupby(["species", "lead_days"])[list(rows.columns)]
    return grouped.apply(lambda group: score_group(group, alert_probability)).reset_index()
