"""The hyperparameter search every fit runs: a small seeded random draw from SEARCH_SPACE, trial 0 the defaults.

A search (a species' earliest and latest backtest folds', as models.search_folds says) scores its
candidates on its own time-ordered held-out blocks (never shuffled) and keeps the best, so the same code adapts to
a bay whose catches follow the ocean closely and to one dominated by noise; later folds and the final fit keep it. How many candidates: the setting
`models.tuning_trials`. Every trial is kept in `tuning_trials`.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

# The values a trial may take (LightGBM training parameters only: the binned datasets are built once per fit and
# shared by every trial, so nothing here may change how features are binned).
SEARCH_SPACE: dict[str, tuple[float | int | bool, ...]] = {
    "num_leaves": (7, 15, 31, 63),
    "min_data_in_leaf": (20, 50, 100, 300),
    "feature_fraction": (0.5, 0.7, 0.9),
    "lambda_l2": (0.0, 1.0, 10.0),
    "extra_trees": (True, False),
}


def candidate_params(trials: int, seed: int) -> list[dict]:
    """`trials` parameter sets: {} (the defaults) first, then distinct seeded random draws from SEARCH_SPACE."""
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


def best_overrides(trials: pd.DataFrame) -> tuple[dict | None, bool]:
    """Trials (trial, species, params, seasonal_start, crps_kg) -> (the parameter changes with the lowest CRPS
    relative to the defaults' (trial 0), averaged over species, None when the defaults are best; and whether that
    trial started from the seasonal normal)."""
    defaults = trials[trials.trial == 0].set_index("species").crps_kg
    relative = trials.crps_kg / trials.species.map(defaults)
    params, start = relative.groupby([trials.params, trials.seasonal_start]).mean().idxmin()
    return json.loads(params) or None, bool(start)
