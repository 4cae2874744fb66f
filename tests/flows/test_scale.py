"""The same flows run their heavy work on a Dask cluster when a scheduler address is set, with the same result."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import Client, LocalCluster, get_task_stream

from flows.pipeline import daily_flow
from setnet.warehouse import connect
from tests.flows.conftest import LAST_DAY, World, copy_world

pytestmark = pytest.mark.slow


def forecasts(world: World) -> pd.DataFrame:
    with connect(world.data_dir / "setnet.duckdb", read_only=True) as con:
        return con.execute("SELECT * EXCLUDE (created_at) FROM forecasts ORDER BY ALL").df()


def test_the_daily_flow_on_a_dask_cluster_issues_the_same_forecasts(
        world: World, world_template: World, tmp_path_factory: pytest.TempPathFactory, prefect_harness: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    local = copy_world(world_template, tmp_path_factory.mktemp("local") / "data")
    daily_flow(LAST_DAY, str(local.data_dir))

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", scheduler_port=0,
                      dashboard_address=None) as cluster, Client(cluster, set_as_default=False) as client:
        monkeypatch.setenv("SETNET_DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
        with get_task_stream(client) as stream:  # every task the cluster ran meanwhile, and on which worker
            daily_flow(LAST_DAY, str(world.data_dir))
        worker_addresses = set(cluster.scheduler_info["workers"])

    reads = [task for task in stream.data if "read-grid-block" in str(task["key"])]  # fused or not
    assert reads, sorted({str(task["key"]) for task in stream.data})  # the cluster did the ocean reads ...
    assert {task["worker"] for task in reads} == worker_addresses  # ... on its worker
    pd.testing.assert_frame_equal(forecasts(local), forecasts(world))
