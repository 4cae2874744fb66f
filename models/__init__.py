"""Models: one hurdle predictive distribution per species (LightGBM), rolling-origin backtests against baselines,
the registry with guarded promotion, and daily forecasts with explanations.

Public functions: `run_backtest`, `run_tuning`, `train_models`, `forecast_day`, `forecast_days`,
`has_trained_models`, `forecast_quantiles`; the registry's `list_models` and `promote`; pure pieces in `models.distribution`,
`models.lightgbm_model`, `models.baselines`, `models.evaluate`.
"""

import os

# OpenMP threads that busy-wait for work (the default) compete with every other process on a shared machine: LightGBM
# measured about 9x slower on a loaded 2-core machine than with passive waiting (docs/performance.md, "Retrain").
# Set before LightGBM (and its OpenMP runtime) is first imported; a value already in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from models.distribution import HurdleLogNormal, forecast_quantiles
from models.registry import list_models, promote
from models.training import (
    BacktestResult,
    TrainResult,
    forecast_day,
    forecast_days,
    has_trained_models,
    run_backtest,
    run_tuning,
    stored_quantiles,
    train_models,
    write_model_card,
)
from models.tuning import best_overrides

__all__ = [
    "BacktestResult",
    "HurdleLogNormal",
    "TrainResult",
    "best_overrides",
    "forecast_day",
    "forecast_days",
    "forecast_quantiles",
    "has_trained_models",
    "list_models",
    "promote",
    "run_backtest",
    "run_tuning",
    "stored_quantiles",
    "train_models",
    "write_model_card",
]
