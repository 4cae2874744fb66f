"""`setnet report`: every cooperative in every format by default, or one cooperative and some formats."""

from __future__ import annotations

from typer.testing import CliRunner

from flows.cli import app
from setnet.settings import Settings


def test_one_cooperative_in_some_formats_in_english(report_settings: Settings) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(report_settings.data_dir), "report", "--date", "2025-11-30",
                                      "--coop", "魚津漁協", "--lang", "en", "--format", "html,txt"])
    assert result.exit_code == 0, result.output
    folder = report_settings.reports_dir / "2025-11-30" / "魚津漁協"
    assert f"report: {folder / 'index.html'}" in result.output
    assert "魚津漁協: " in result.output and "(html, txt)" in result.output
    assert (folder / "index.html").exists() and (folder / "summary.txt").exists()
    assert not (folder / "report.pdf").exists()
    assert "Uozu Teichi" in (folder / "summary.txt").read_text(encoding="utf-8")


def test_bad_options_are_refused_with_a_reason(report_settings: Settings) -> None:
    base = ["--data-dir", str(report_settings.data_dir), "report", "--date", "2025-11-30"]
    bad_format = CliRunner().invoke(app, [*base, "--format", "html,docx"])
    assert bad_format.exit_code == 2 and "unknown report format(s) docx" in bad_format.output
    bad_lang = CliRunner().invoke(app, [*base, "--lang", "fr", "--coop", "魚津漁協"])
    assert bad_lang.exit_code == 2 and "'fr' is not ja or en" in bad_lang.output
    bad_coop = CliRunner().invoke(app, [*base, "--coop", "射水漁協"])
    assert bad_coop.exit_code == 1
    assert "setnet: error: no cooperative '射水漁協' among the forecasts of 2025-11-30" in bad_coop.stderr
    assert not report_settings.reports_dir.exists()


def test_the_report_help_lists_cooperative_language_and_format() -> None:
    result = CliRunner().invoke(app, ["report", "--help"])
    for option in ("--date", "--coop", "--lang", "--format"):
        assert option in result.output
