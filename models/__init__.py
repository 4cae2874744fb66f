"""Models: LightGBM training with a time-ordered holdout against baselines, the registry, and daily forecasts.

Public functions: `train_models(settings)` and `forecast_day(settings, issue_date)`; pure pieces in
`models.lightgbm_model`, `models.baselines` and `models.evaluate`.
"""

from models.training import TrainResult, forecast_day, has_trained_models, train_models

__all__ = ["TrainResult", "forecast_day", "has_trained_models", "train_models"]
