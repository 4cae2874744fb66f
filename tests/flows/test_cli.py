"""The command line: lists its commands, runs stages through the flows, and fails with a one-line reason."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

COMMANDS = ("sample", "ingest", "train", "forecast", "report", "daily", "demo")


def test_help_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-m", "flows.cli", "--help"], capture_output=True, text=True, check=True)
    for command in COMMANDS:
        assert command in result.stdout
    ingest_help = CliRunner().invoke(app, ["ingest", "--help"])
    for source in ("sites", "grids", "catches"):
        assert source in ingest_help.output


def test_a_bad_date_is_refused_before_anything_runs(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "forecast", "--date", "30/11/2025"])
    assert result.exit_code != 0
    assert "not a date like 2025-11-30" in result.output


def test_bad_input_exits_non_zero_with_a_one_line_reason(tmp_path: Path, prefect_harness: None) -> None:
    registry = tmp_path / "sites.csv"
    registry.write_text("site_id,name_ja\nhimi,氷見\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "ingest", "sites", str(registry)])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("setnet: error:")]
    assert errors == [f"setnet: error: {registry}: site registry lacks column(s) name_en, coop, lat, lon, depth_m, bearing_deg"]


def test_ingesting_sites_reports_what_it_stored(tmp_path: Path, sites_csv: Path, prefect_harness: None) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "ingest", "sites", str(sites_csv)])
    assert result.exit_code == 0, result.output
    assert "3 sites stored in" in result.stdout
    assert (tmp_path / "data" / "setnet.duckdb").exists()


@pytest.mark.parametrize("command", [["train"], ["forecast", "--date", "2025-11-30"]])
def test_stages_without_their_inputs_say_what_is_missing(tmp_path: Path, command: list[str], prefect_harness: None) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "empty"), *command])
    assert result.exit_code == 1
    assert "setnet: error:" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("setnet: error:")]) == 1
