"""`setnet serve`: the reports folder over HTTP on this machine only."""

from __future__ import annotations

import threading
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from reports.serve import is_loopback, make_server


@pytest.fixture
def served(tmp_path: Path):
    """A server on a free loopback port for a folder holding an index and one report, stopped afterwards."""
    (tmp_path / "2025-11-30" / "氷見漁協").mkdir(parents=True)
    (tmp_path / "index.html").write_text("<h1>定置網 漁獲予想 一覧</h1>", encoding="utf-8")
    (tmp_path / "2025-11-30" / "氷見漁協" / "summary.txt").write_text("【定置網 漁獲予想】氷見漁協\n", encoding="utf-8")
    server = make_server(tmp_path, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_the_index_and_reports_are_served_on_loopback(served: str) -> None:
    with urllib.request.urlopen(f"{served}/", timeout=10) as response:
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "定置網 漁獲予想 一覧" in response.read().decode("utf-8")
    url = f"{served}/2025-11-30/{urllib.request.quote('氷見漁協')}/summary.txt"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.read().decode("utf-8").startswith("【定置網 漁獲予想】氷見漁協")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org", ""])
def test_anything_but_loopback_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(ValueError, match="only loopback"):
        make_server(tmp_path, port=0, host=host)


def test_loopback_addresses_are_recognised() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1")


def test_the_serve_command_has_a_port_and_no_host_option() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "127.0.0.1" in result.output
    assert "--host" not in result.output and "--bind" not in result.output

