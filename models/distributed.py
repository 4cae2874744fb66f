"""Training on a Dask cluster with LightGBM's own lightgbm.dask, when a scheduler address is configured."""

from __future__ import annotations

import dask.dataframe as dd
import lightgbm as lgb
import numpy as np
import pandas as pd
from distributed import Client
from lightgbm.dask import DaskLGBMRegressor

from setnet.settings import Settings


def train_on_cluster(params: dict, matrix: pd.DataFrame, label: np.ndarray, settings: Settings,
                     rounds: int, init_score: np.ndarray | None = None) -> lgb.Booster:
    """Fit one booster of `rounds` rounds with the same parameters and starting scores, its rows partitioned over
    the cluster's workers."""
    with Client(settings.dask_scheduler_address) as client:
        workers = max(1, len(client.scheduler_info()["workers"]))
        features = dd.from_pandas(matrix, npartitions=workers)
        target = dd.from_pandas(pd.Series(label, index=matrix.index, name="label"), npartitions=workers)
        cluster_params = {k: v for k, v in params.items()
                          if k not in ("num_threads", "deterministic", "force_col_wise", "feature_pre_filter")}
        estimator = DaskLGBMRegressor(client=client, n_estimators=rounds, **cluster_params)
        start = (None if init_score is None else
                 dd.from_pandas(pd.Series(init_score, index=matrix.index, name="init_score"), npartitions=workers))
        estimator.fit(features, target, init_score=start, categorical_feature=["site_id"])
        return estimator.booster_
