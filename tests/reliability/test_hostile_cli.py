"""The hostile-input corpus, the command line: whatever fails inside a command's flow, a person sees exactly one
line, `setnet: error: <what and where>`, and exit status 1; Prefect's report of the failed run and its traceback
are held back (shown with SETNET_DEBUG=1), and the stores are unchanged.

The flows run in this process, without Prefect as a command typed at a terminal does (no PREFECT_API_URL in the
environment); with SETNET_DEBUG one test runs them as Prefect flow runs (`--prefect`, on the session's temporary
Prefect server, `prefect_harness`) to see Prefect's report let through. What Prefect's engine would print is read
from the log records that pass its run loggers (`caplog`), and one test runs the real `setnet` program to read its
whole standard error.

docs/reliability.md lists every case and what it promises."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from setnet.settings import Settings
from tests.fixtures import HANG_GUARD_S, write_sites_csv

pytestmark = pytest.mark.slow
PREFECT_DIR = str(Path(__import__("prefect").__file__).parent)
SITES_HEADER = "site_id,name_ja,name_en,coop,lat,lon,depth_m,bearing_deg\n"
GOOD_SITE = "himi,氷見,Himi,氷見漁協,36.86,136.99,40,90\n"


def _registry(root: Path, text: str) -> str:
    (root / "in").mkdir(exist_ok=True)
    (root / "in" / "sites.csv").write_text(text, encoding="utf-8")
    return str(root / "in" / "sites.csv")


def _catches(root: Path, text: str) -> str:
    (root / "in").mkdir(exist_ok=True)
    (root / "in" / "catches.csv").write_text(text, encoding="utf-8")
    return str(root / "in" / "catches.csv")


def _corrupt(root: Path) -> None:
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "setnet.duckdb").write_bytes(b"garbage, not a warehouse\n" * 100)


def _registered(root: Path) -> None:
    import ingest

    ingest.ingest_sites(Settings(data_dir=root / "data"), write_sites_csv(root / "sites.csv"))


# name -> (prepare the folder (optional), the arguments after `setnet --data-dir DATA`, a part of the error line)
CASES: dict[str, tuple[Callable[[Path], None] | None, Callable[[Path], list[str]], str]] = {
    "a registry path that does not exist": (None, lambda r: ["ingest", "sites", str(r / "nope.csv")],
                                            "nope.csv: file not found"),
    "a registry with a duplicate site id": (None, lambda r: ["ingest", "sites", _registry(r, SITES_HEADER + GOOD_SITE * 2)],
                                            "site_id himi appears more than once"),
    "a registry position out of range": (None, lambda r: ["ingest", "sites", _registry(
        r, SITES_HEADER + "himi,氷見,Himi,氷見漁協,136.86,36.99,40,90\n")], "has an invalid position (136.86, 36.99)"),
    "a registry missing columns": (None, lambda r: ["ingest", "sites", _registry(r, "site_id,name_ja\nhimi,氷見\n")],
                                   "site registry lacks column(s) name_en"),
    "an empty registry": (None, lambda r: ["ingest", "sites", _registry(r, "")], "not a readable CSV table"),
    "a grid folder with no NetCDF files": (None, lambda r: ["ingest", "grids", str(r)], "no NetCDF files under"),
    "a grid glob matching nothing": (None, lambda r: ["ingest", "grids", str(r / "none-*.nc")],
                                     "no file matches this pattern"),
    "a grid path that does not exist": (None, lambda r: ["ingest", "grids", str(r / "nope.nc")],
                                        "nope.nc: no such file or folder"),
    "catches before any site registry": (None, lambda r: ["ingest", "catches", _catches(
        r, "日付,網名,魚種,漁獲量\n2024-11-28,氷見,ブリ,1\n")], "no sites in the warehouse"),
    "a catch file whose every line is quarantined": (_registered, lambda r: ["ingest", "catches", _catches(
        r, "日付,網名,魚種,漁獲量\n2024-11-28,氷見,マグロ,1\n2024-11-29,氷見,buri,\"1,5\"\n")],
        "every line of 1 catch file(s) quarantined, nothing stored from them (see table ingest_rejects); first: "),
    "a corrupt warehouse": (_corrupt, lambda r: ["ingest", "sites", str(write_sites_csv(r / "sites.csv"))],
                            "is not a DuckDB database (corrupt, or another file)"),
    "training with no data": (None, lambda r: ["train"], ""),
}


def _error_lines(stderr: str) -> list[str]:
    """The `setnet: error:` lines (in this process Prefect's console handler may also write to the captured stream;
    the real program's whole standard error is read by test_the_real_program_prints_exactly_one_line)."""
    return [line for line in stderr.splitlines() if line.startswith("setnet: error: ")]


def _engine_reports(records: list[logging.LogRecord]) -> list[str]:
    """What Prefect's engine logged at ERROR and above, or with a traceback, past the CLI's boundary."""
    return [record.getMessage() for record in records
            if (record.levelno >= logging.ERROR and record.pathname.startswith(PREFECT_DIR)) or record.exc_info]


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_failure_inside_a_command_is_one_line_and_exit_1(case: str, tmp_path: Path, prefect_harness: None,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    prepare, arguments, reason = CASES[case]
    if prepare is not None:
        prepare(tmp_path)
    settings = Settings(data_dir=tmp_path / "data")
    corrupt = case == "a corrupt warehouse"
    before = settings.warehouse_path.read_bytes() if corrupt else _data_rows(settings)
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), *arguments(tmp_path)])
    assert result.exit_code == 1, result.output
    assert _error_lines(result.stderr) == [result.stderr.strip().splitlines()[-1]], result.stderr
    assert reason in _error_lines(result.stderr)[0]
    assert "Encountered exception" not in result.output
    assert _engine_reports(caplog.records) == []
    if corrupt:
        assert settings.warehouse_path.read_bytes() == before
    elif case != "a catch file whose every line is quarantined":  # (that one stores its quarantined lines)
        assert _data_rows(settings) == before  # nothing stored by the failed run


RUN_TABLES = {"flow_runs", "schema_migrations"}  # the run log and the schema: written by every run, failed or not


def _data_rows(settings: Settings) -> dict[str, int]:
    """Rows of every table but the run log and the schema (tables with none left out)."""
    from setnet.warehouse import connect

    if not settings.warehouse_path.exists():
        return {}
    with connect(settings.warehouse_path, read_only=True) as con:
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
        counts = {table: con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]  # catalogue names
                  for table in tables if table not in RUN_TABLES}
    return {table: rows for table, rows in counts.items() if rows}


HOLDER = textwrap.dedent('''
    import sys
    from pathlib import Path
    from setnet import operations
    from setnet.settings import Settings

    with operations.run_lock(Settings(data_dir=Path(sys.argv[1])), "daily"):
        print("held", flush=True)
        sys.stdin.read()
''')


def test_a_data_folder_held_by_another_run_is_one_line(tmp_path: Path, prefect_harness: None,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    data.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = CliRunner().invoke(app, ["--data-dir", str(data), "ingest", "sites", str(write_sites_csv(tmp_path / "s.csv"))],
                                    env={"SETNET_OPERATIONS__RUN_LOCK_WAIT_SECONDS": "0"})
    finally:
        holder.stdin.close()
        holder.wait(timeout=HANG_GUARD_S)
    assert result.exit_code == 1
    errors = _error_lines(result.stderr)
    assert len(errors) == 1 and errors[0].startswith(f"setnet: error: another setnet run (pid {holder.pid}, flow daily")
    assert _engine_reports(caplog.records) == []


def test_setnet_debug_shows_the_traceback(tmp_path: Path, prefect_harness: None,
                                          caplog: pytest.LogCaptureFixture) -> None:
    result = CliRunner().invoke(app, ["--prefect", "--data-dir", str(tmp_path / "data"), "ingest", "sites",
                                      str(tmp_path / "no.csv")], env={"SETNET_DEBUG": "1"})
    assert result.exit_code == 1
    assert _error_lines(result.stderr) == [f"setnet: error: {tmp_path / 'no.csv'}: file not found"]
    assert type(result.exception).__name__ == "IngestError"  # re-raised: Python prints its traceback
    assert any("Encountered exception during execution" in message for message in _engine_reports(caplog.records))


def test_a_bad_argument_is_refused_before_anything_runs(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "forecast", "--date", "2025-13-40"])
    assert result.exit_code == 2 and "not a date like 2025-11-30" in result.output
    assert not (tmp_path / "data").exists()


def test_the_real_program_prints_exactly_one_line(tmp_path: Path) -> None:
    """The whole standard error of `setnet` (no Prefect server configured), without and with SETNET_DEBUG."""
    command = [sys.executable, "-m", "flows.cli", "--data-dir", str(tmp_path / "data"), "ingest", "grids",
               str(tmp_path)]
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    env.pop("SETNET_DEBUG", None)
    quiet = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=HANG_GUARD_S)
    assert quiet.returncode == 1
    assert quiet.stderr == f"setnet: error: no NetCDF files under {tmp_path}\n"
    loud = subprocess.run(command, check=False, capture_output=True, text=True, env={**env, "SETNET_DEBUG": "1"},
                          timeout=HANG_GUARD_S)
    assert loud.returncode == 1
    assert "Traceback (most recent call last)" in loud.stderr and f"no NetCDF files under {tmp_path}" in loud.stderr
