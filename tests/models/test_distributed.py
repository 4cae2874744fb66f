"""Past one machine: both boosters of the hurdle train through lightgbm.dask on a real scheduler and two workers
(separate processes on loopback) and forecast what the same fit on this machine forecasts."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.lightgbm_model import OBJECTIVES, lightgbm_params, train_booster
from setnet.settings import Settings
from tests.fixtures import loopback_dask_cluster

ROUNDS = 60


def small_table(rows: int = 4000, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A design matrix like the hurdle's (a categorical site_id, a lead, ocean-like inputs) -> (matrix, ln(kg) of a
    catch, 0/1 caught): both labels depend on the inputs, so a fit has something to learn."""
    rng = np.random.default_rng(seed)
    matrix = pd.DataFrame({
        "site_id": pd.Categorical(rng.choice(["himi", "iwase", "uozu"], rows), categories=["himi", "iwase", "uozu"]),
        "lead_days": rng.integers(1, 8, rows).astype(float),
        "temp_surface_c": rng.normal(17.0, 3.0, rows),
        "eastward_current_ms": rng.normal(0.0, 0.2, rows),
        "catch_lag1_kg": rng.gamma(1.0, 50.0, rows),
    })
    site_effect = matrix.site_id.map({"himi": 0.5, "iwase": 0.0, "uozu": -0.4}).to_numpy(float)
    signal = (site_effect + 0.15 * (matrix.temp_surface_c - 17.0) - 2.0 * matrix.eastward_current_ms
              + 0.01 * matrix.catch_lag1_kg - 0.05 * matrix.lead_days).to_numpy()
    log_kg = 3.0 + signal + rng.normal(0.0, 0.3, rows)
    caught = (rng.random(rows) < 1 / (1 + np.exp(-(signal - 0.3)))).astype(float)
    return matrix, log_kg, caught


def deterministic_params(settings: Settings) -> dict:
    """The hurdle's starting parameters without row or column sampling: nothing a worker draws on its own part."""
    return {**lightgbm_params(settings), "bagging_fraction": 1.0, "bagging_freq": 0, "feature_fraction": 1.0}


@pytest.mark.slow
@pytest.mark.parametrize("booster", ["positive", "catch"])
def test_a_booster_trained_through_lightgbm_dask_forecasts_what_the_local_fit_forecasts(
        booster: str, tmp_path: Path) -> None:
    matrix, log_kg, caught = small_table()
    label = log_kg if booster == "positive" else caught
    start = np.full(len(label), float(label.mean()) if booster == "positive" else 0.0)  # init scores, as the hurdle's
    local_settings = Settings(data_dir=tmp_path / "data")
    params = {**deterministic_params(local_settings), **OBJECTIVES[booster]}
    dataset = lgb.Dataset(matrix, label=label, init_score=start, categorical_feature=["site_id"],
                          free_raw_data=False, params={"max_bin": 63, "feature_pre_filter": False, "verbosity": -1})
    local = train_booster(params, dataset, local_settings, ROUNDS)

    with loopback_dask_cluster(tmp_path, workers=2) as (address, _):
        cluster_settings = Settings(data_dir=tmp_path / "data", dask_scheduler_address=address)
        clustered = train_booster(params, dataset, cluster_settings, ROUNDS)

    assert clustered.num_trees() == local.num_trees() == ROUNDS
    assert clustered.feature_name() == local.feature_name()
    near = local.predict(matrix, raw_score=True) + start
    far = clustered.predict(matrix, raw_score=True) + start
    # each worker finds the bins of its share of the inputs from its own half of the rows, so splits move a little
    # (a local fit binned on half the rows differs from the local fit by as much): the same forecasts within 0.15
    # of the raw score's spread on average, and in rank
    spread = float(np.std(near))
    assert np.abs(far - near).mean() < 0.15 * spread
    assert np.corrcoef(far, near)[0, 1] > 0.98
    if booster == "positive":  # ln(kg): both fit the label as well as each other (RMSE within 5 %), far better than the label's spread
        rmse = {name: float(np.sqrt(np.mean((raw - label) ** 2))) for name, raw in (("near", near), ("far", far))}
        assert rmse["far"] < 1.05 * rmse["near"] and rmse["near"] < 0.6 * float(np.std(label)), rmse
    else:  # P(catch): the same log loss within 5 %, both better than the base rate's
        def logloss(raw: np.ndarray) -> float:
            p = np.clip(1 / (1 + np.exp(-raw)), 1e-9, 1 - 1e-9)
            return float(-np.mean(label * np.log(p) + (1 - label) * np.log(1 - p)))
        rate = float(label.mean())
        base = -(rate * np.log(rate) + (1 - rate) * np.log(1 - rate))
        assert logloss(far) < 1.05 * logloss(near) and logloss(near) < 0.95 * base
