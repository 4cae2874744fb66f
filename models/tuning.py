"""An optional tuning run: seeded random search over the booster parameters, each candidate scored on the
rolling-origin folds (time-ordered, never shuffled) by the pinball loss of its q10/q50/q90 and the MAE of its q50.
Every trial is kept, so anyone can see what was tried; the defaults stay until someone chooses to apply a result
(Settings.models.lightgbm_overrides).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from features.table import LABEL_COLUMN
from models.backtest import backtest_origins, fold_rows
from models.evaluate import pinball_loss
from models.lightgbm_model import OBJECTIVES, QUANTILES, SpeciesModel, lightgbm_params, train_booster
from setnet.settings import Settings

# The values a trial may take; the first trial is always the current parameters.
SEARCH_SPACE: dict[str, tuple[float | int, ...]] = {
    "learning_rate": (0.02, 0.05, 0.1),
    "num_leaves": (7, 15, 31),
    "min_data_in_leaf": (100, 300, 1000),
    "feature_fraction": (0.3, 0.5, 0.8),
    "lambda_l2": (0.0, 10.0, 50.0),
    "extra_trees": (True, False),
}


def candidate_params(trials: int, seed: int) -> list[dict]:
    """`trials` parameter sets: {} (the current parameters) first, then distinct random draws from SEARCH_SPACE."""
    rng = np.random.default_rng(seed)
    candidates: list[dict] = [{}]
    seen: set[str] = {"{}"}
    for _ in range(trials * 50):
        if len(candidates) >= trials:
            break
        draw = {name: values[rng.integers(len(values))] for name, values in SEARCH_SPACE.items()}
        draw = {name: value.item() if isinstance(value, np.generic) else value for name, value in draw.items()}
        key = json.dumps(draw, sort_keys=True)
        if key not in seen:
            seen.add(key)
            candidates.append(draw)
    return candidates


def score_candidate(table: pd.DataFrame, species: str, features: list[str], overrides: dict,
                    settings: Settings) -> dict[str, float]:
    """One species and parameter set -> mean q50 MAE (kg) and mean pinball loss (kg) over the rolling-origin folds."""
    labelled = table[(table.species == species) & table[LABEL_COLUMN].notna()]
    origins = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)
    model = SpeciesModel(species, features, sorted(table.site_id.unique()))
    params = lightgbm_params(settings.updated(models={"lightgbm_overrides": overrides}))
    errors, losses = [], []
    for origin in origins:
        train, test = fold_rows(labelled, species, origin, settings)
        if test.empty:
            continue
        train_matrix, test_matrix = model.design_matrix(train), model.design_matrix(test)
        actual = test[LABEL_COLUMN].to_numpy()
        predicted = {name: train_booster({**params, **OBJECTIVES[name]}, train_matrix, train[LABEL_COLUMN].to_numpy(),
                                         settings).predict(test_matrix).clip(min=0.0)
                     for name in QUANTILES}
        errors.append(float(np.mean(np.abs(predicted["q50"] - actual))))
        losses.append(float(np.mean([pinball_loss(actual, predicted[name], alpha) for name, alpha in QUANTILES.items()])))
    return {"mae_kg": float(np.mean(errors)), "pinball_kg": float(np.mean(losses))}


def tuning_trials(table: pd.DataFrame, species: list[str], features: list[str], trials: int,
                  settings: Settings) -> pd.DataFrame:
    """Feature table -> one row per (trial, species): params (JSON of the changes), mae_kg, pinball_kg."""
    rows = []
    for trial, overrides in enumerate(candidate_params(trials, settings.random_seed)):
        for name in species:
            scores = score_candidate(table, name, features, overrides, settings)
            rows.append({"trial": trial, "species": name, "params": json.dumps(overrides, sort_keys=True), **scores})
    return pd.DataFrame(rows)


def best_overrides(trials: pd.DataFrame) -> dict | None:
    """Trials (trial, species, params, pinball_kg) -> the parameter changes with the lowest pinball loss relative to
    the current parameters (trial 0), averaged over species; None when the current parameters are best."""
    current = trials[trials.trial == 0].set_index("species").pinball_kg
    relative = trials.pinball_kg / trials.species.map(current)
    best = relative.groupby(trials.params).mean().idxmin()
    return json.loads(best) or None
