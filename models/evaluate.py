"""Time-ordered holdout evaluation: model against climatology and persistence on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.table import LABEL_COLUMN
from models.baselines import climatology_forecast, climatology_table, persistence_forecast


def holdout_split(table: pd.DataFrame, holdout_days: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Feature table -> (train rows whose target lies before the cutoff, test rows issued on or after it, cutoff)."""
    labelled = table[table[LABEL_COLUMN].notna()]
    cutoff = pd.Timestamp(labelled.target_date.max()) - pd.Timedelta(days=holdout_days)
    train = labelled[labelled.target_date < cutoff]
    test = labelled[labelled.issue_date >= cutoff]
    return train, test, cutoff


def skill(model_error: float, baseline_error: float) -> float:
    """1 - model_error / baseline_error: above 0 the model is better, 0 equal, below 0 worse."""
    return float(1.0 - model_error / baseline_error) if baseline_error > 0 else float("nan")


def score_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with actual_kg, mean_kg, q10_kg, q90_kg, climatology_kg, persistence_kg -> metrics per species and lead."""
    def metrics(group: pd.DataFrame) -> pd.Series:
        actual = group.actual_kg
        mae = (group.mean_kg - actual).abs().mean()
        mae_climatology = (group.climatology_kg - actual).abs().mean()
        mae_persistence = (group.persistence_kg - actual).abs().mean()
        return pd.Series(
            {
                "n_rows": len(group),
                "mae_kg": mae,
                "rmse_kg": float(np.sqrt(((group.mean_kg - actual) ** 2).mean())),
                "coverage_80": float(((actual >= group.q10_kg) & (actual <= group.q90_kg)).mean()),
                "mae_climatology_kg": mae_climatology,
                "mae_persistence_kg": mae_persistence,
                "skill_vs_climatology": skill(mae, mae_climatology),
                "skill_vs_persistence": skill(mae, mae_persistence),
            }
        )
    grouped = rows.groupby(["species", "lead_days"])[list(rows.columns)]
    return grouped.apply(metrics).reset_index()


def baseline_columns(train_catches: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows -> the same rows with climatology_kg (from `train_catches` only) and persistence_kg added."""
    climatology = climatology_forecast(climatology_table(train_catches), rows)
    return rows.assign(climatology_kg=climatology, persistence_kg=persistence_forecast(rows, climatology))
