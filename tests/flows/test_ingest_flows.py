"""The scheduled ingest flows: downloads retry with back-off, drop folders are read again at no cost."""

from __future__ import annotations

import http.server
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from flows import pipeline
from flows.pipeline import grid_ingest_flow
from tests.flows.conftest import LAST_DAY, World, flow_runs

pytestmark = pytest.mark.slow


def test_tasks_that_touch_the_outside_retry_io_errors_with_back_off() -> None:
    for task in (pipeline.fetch_task, pipeline.grid_inbox_task, pipeline.catch_inbox_task,
                 pipeline.ingest_grids_task, pipeline.ingest_catches_task, pipeline.ingest_sites_task):
        assert task.retries == 3, task.name
        assert task.retry_delay_seconds == [5, 10, 20], task.name
        assert task.retry_condition_fn is pipeline._retry_on_io_error


def test_the_grid_flow_downloads_what_is_published_and_ingests_it_once(world: World, prefect_harness: None) -> None:
    template = (world.sample / "grids" / "2025").as_uri() + "/toyama_phy_{date:%Y%m%d}.nc"
    new_day = LAST_DAY + timedelta(days=1)  # not published: noted, not an error

    first = grid_ingest_flow(new_day, str(world.data_dir), urls=[template])
    again = grid_ingest_flow(new_day, str(world.data_dir), urls=[template])

    folder = world.data_dir / "inbox" / "grids"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"toyama_phy_{LAST_DAY - timedelta(days=n):%Y%m%d}.nc" for n in (2, 1, 0)]
    assert first["fetched"] == 3 and first["files"] == 3 and first["days_replaced"] == 3
    assert again["files_unchanged"] == 3 and again["days_replaced"] == 0
    runs = flow_runs(world.data_dir)
    assert list(runs.flow) == ["grid-ingest", "grid-ingest"] and set(runs.state) == {"completed"}
    assert runs.message.iloc[0].startswith("3 of 4 URL(s) fetched; 3 grid files")


def test_a_flaky_download_is_retried_and_a_lasting_failure_fails_the_flow(
        world: World, prefect_harness: None, monkeypatch: pytest.MonkeyPatch) -> None:
    requests: list[str] = []
    grid = (world.sample / "grids" / "2025" / f"toyama_phy_{LAST_DAY:%Y%m%d}.nc").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            if self.path == "/flaky.nc" and requests.count(self.path) > 1:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(grid)
            else:
                self.send_error(503)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setattr(pipeline, "fetch_task", pipeline.fetch_task.with_options(retry_delay_seconds=0,
                                                                                 retry_jitter_factor=None))
    try:
        done = grid_ingest_flow(LAST_DAY, str(world.data_dir), urls=[f"{url}/flaky.nc"])
        assert done["fetched"] == 1 and requests == ["/flaky.nc", "/flaky.nc"]
        with pytest.raises(OSError, match=r"1 of 2 grid download\(s\) failed after retries; first: .*/down.nc"):
            grid_ingest_flow(LAST_DAY, str(world.data_dir), urls=[f"{url}/flaky.nc", f"{url}/down.nc"])
        assert requests.count("/down.nc") == 4  # the first try and three retries
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert Path(world.data_dir / "inbox" / "grids" / "flaky.nc").exists()
    assert list(flow_runs(world.data_dir).state) == ["completed", "failed"]
