"""Secrets stay secret: a provider token planted in a grid URL (from the environment, as it must come) is never in
a log record, a message, a Prefect task or flow run name or parameter, or any table of the warehouse.

The provider is a tiny HTTP server on 127.0.0.1 started and stopped by the test."""

from __future__ import annotations

import http.server
import logging
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ingest import inbox
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.ingest import product_files as pf

PLANTED = "PLANTED-secret-7f3a"


@pytest.mark.parametrize(("url", "shown"), [
    (f"https://example.org/cmems_20241128.nc?token={PLANTED}&date=20241128",
     "https://example.org/cmems_20241128.nc?token=***&date=20241128"),
    (f"https://user:{PLANTED}@example.org/x.nc", "https://user:***@example.org/x.nc"),
    (f"https://example.org/x.nc?apikey={PLANTED}", "https://example.org/x.nc?apikey=***"),
    (f"https://example.org/x.nc?X-Amz-Signature={PLANTED}&X-Amz-Date=20241128",
     "https://example.org/x.nc?X-Amz-Signature=***&X-Amz-Date=20241128"),
    ("https://example.org/x.nc", "https://example.org/x.nc"),
])
def test_a_url_is_shown_without_its_secrets(url: str, shown: str) -> None:
    assert inbox.shown_url(url) == shown


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[str]:
    """http://127.0.0.1:PORT/ serving one NetCDF file (cmems_20240102.nc); anything else is 404."""
    folder = tmp_path / "provider"
    folder.mkdir()
    pf.write_copernicus(pf.truth(days=1, start="2024-01-02"), folder / "cmems_20240102.nc")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args) -> None:  # the server's own access log is not setnet's
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.slow
def test_a_planted_provider_token_is_in_no_log_run_or_table(provider: str, registered: Settings,
                                                            monkeypatch: pytest.MonkeyPatch, prefect_harness: None,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    from prefect.client.orchestration import get_client

    from flows.pipeline import grid_ingest_flow

    monkeypatch.setenv("SETNET_OPERATIONS__GRID_URLS",
                       f'["{provider}/cmems_{{date:%Y%m%d}}.nc?token={PLANTED}"]')
    caplog.set_level(logging.DEBUG)
    done = grid_ingest_flow(issue_date=date(2024, 1, 2), data_dir=str(registered.data_dir))
    assert done["fetched"] == 1  # the token reached the provider: the day was downloaded and stored
    assert done["days_added"] == 1
    assert PLANTED not in caplog.text
    assert PLANTED not in repr(done)
    with connect(registered.warehouse_path, read_only=True) as con:
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
        for table in tables:  # names from the catalogue
            assert PLANTED not in con.execute(f'SELECT * FROM "{table}"').df().to_csv(), table
    with get_client(sync_client=True) as client:
        names = [run.name for run in client.read_task_runs()]
        flows = [(run.name, run.parameters) for run in client.read_flow_runs()]
    assert any(name.startswith("fetch-") for name in names)
    assert PLANTED not in repr(names) and PLANTED not in repr(flows)
