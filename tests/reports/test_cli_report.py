"""`setnet report`: every cooperative in every format by default, or one cooperative and some formats."""

from __future__ import annotations

from typer.testing import CliRunner

from flows.cli import app
from setnet.settings import Settings


def test_one_cooperative_in_some_formats_in_english_beside_the_japanese(report_settings: Settings) -> None:
    base = ["--data-dir", str(report_settings.data_dir), "report", "--date", "2025-11-30", "--coop", "魚津漁協",
            "--format", "html,txt"]
    folder = report_settings.reports_dir / "2025-11-30" / "魚津漁協"
    japanese = CliRunner().invoke(app, base)
    assert japanese.exit_code == 0, japanese.output
    assert f"report: {folder / 'index.html'}" in japanese.output
    assert f"魚津漁協: {folder / 'index.html'}, summary.txt (html, txt)" in japanese.output
    summary_ja = (folder / "summary.txt").read_bytes()
    page_ja = (folder / "index.html").read_bytes()

    result = CliRunner().invoke(app, [*base, "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert f"report: {folder / 'index.en.html'}" in result.output  # the English paths are printed
    assert f"魚津漁協: {folder / 'index.en.html'}, summary.en.txt (html, txt)" in result.output
    assert "summary.txt" not in result.output.replace("summary.en.txt", "")
    assert (folder / "index.en.html").exists() and (folder / "summary.en.txt").exists()
    assert not (folder / "report.pdf").exists() and not (folder / "report.en.pdf").exists()
    assert "Uozu Teichi" in (folder / "summary.en.txt").read_text(encoding="utf-8")
    assert (folder / "summary.txt").read_bytes() == summary_ja and (folder / "index.html").read_bytes() == page_ja


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
