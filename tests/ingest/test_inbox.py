"""Drop folders and downloads: what is read, what is left for later, what a download failure means."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ingest import inbox
from setnet.settings import Settings
from tests.conftest import synthetic_catches


def test_a_drop_folder_lists_its_files_but_not_hidden_or_partial_ones(tmp_path: Path) -> None:
    for name in ("a.nc", "2025/b.nc", ".c.nc", ".d.nc.part", "e.nc.part", "notes.txt", ".hidden/f.nc"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert inbox.inbox_files(tmp_path, (".nc",)) == [tmp_path / "2025" / "b.nc", tmp_path / "a.nc"]
    assert inbox.inbox_files(tmp_path / "absent", (".nc",)) == []


def test_url_templates_are_filled_for_each_day_back_to_the_grid_age_limit() -> None:
    settings = Settings(max_grid_age_days=2, operations={"grid_urls": ["https://x/{date:%Y%m%d}.nc", "https://x/fixed.nc"]})
    assert inbox.grid_urls_for(settings, date(2025, 12, 1)) == [
        "https://x/20251129.nc", "https://x/20251130.nc", "https://x/20251201.nc", "https://x/fixed.nc"]
    assert inbox.grid_urls_for(settings, date(2025, 12, 1), ["file:///g/{date:%d}.nc"]) == [
        "file:///g/29.nc", "file:///g/30.nc", "file:///g/01.nc"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server: /grid.nc answers 503 once then the file, /late.nc 404; records requests."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            if self.path == "/grid.nc" and requests.count("/grid.nc") > 1:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"netcdf bytes")
            else:
                self.send_error(503 if self.path == "/grid.nc" else 404)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_download_lands_whole_or_not_at_all(server: tuple[str, list[str]], tmp_path: Path) -> None:
    url, requests = server
    with pytest.raises(OSError, match="503"):  # a transient failure: worth retrying
        inbox.fetch(f"{url}/grid.nc", tmp_path)
    assert list(tmp_path.iterdir()) == []  # no partial file left
    assert inbox.fetch(f"{url}/grid.nc", tmp_path) == tmp_path / "grid.nc"
    assert (tmp_path / "grid.nc").read_bytes() == b"netcdf bytes"
    inbox.fetch(f"{url}/grid.nc", tmp_path)  # already there: not fetched again
    assert requests == ["/grid.nc", "/grid.nc"]
    with pytest.raises(inbox.RemoteMissing, match="not published yet"):
        inbox.fetch(f"{url}/late.nc", tmp_path)
    with pytest.raises(inbox.RemoteMissing):
        inbox.fetch((tmp_path / "absent.nc").as_uri(), tmp_path)


def test_the_catch_drop_folder_reports_the_dates_it_changed(small_world: Settings) -> None:
    folder = small_world.data_dir / "inbox" / "catches"
    assert inbox.ingest_catch_inbox(small_world).result is None
    folder.mkdir(parents=True)
    synthetic_catches("2024-04-30", 2, ["himi", "iwase", "uozu"], seed=3).to_csv(folder / "late.csv", index=False)

    done = inbox.ingest_catch_inbox(small_world)

    assert done.dates_changed == [date(2024, 4, 30), date(2024, 5, 1)]
    assert "catches of 2 day(s) 2024-04-30..2024-05-01 changed" in done.summary()
    again = inbox.ingest_catch_inbox(small_world)
    assert again.dates_changed == [] and again.result.files_unchanged == 1
