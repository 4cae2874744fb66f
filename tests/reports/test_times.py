"""The times a report prints are true: it is issued the evening of its issue date (JST), whenever the run that made
it happened; the run's clock appears only as small print ("作成 2026-12-02 03:55")."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reports import build_reports
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.reports.conftest import ISSUE_DATE, make_world
from tests.reports.test_pdf import poppler

JST = ZoneInfo("Asia/Tokyo")
RUN_CLOCK = datetime(2026, 12, 2, 3, 55, tzinfo=JST)  # a rerun two years after the issue date, before dawn
ISSUED = {"ja": "2025年11月30日(日)夕方 発表", "en": "Issued the evening of Sun 30 Nov 2025"}
SUMMARY_ISSUED = {"ja": "（2025年11月30日(日)夕方 発表）", "en": " (issued the evening of Sun 30 Nov 2025)"}
MADE = {"ja": "作成 2026-12-02 03:55", "en": "Generated 2026-12-02 03:55"}


def made_far_later(settings: Settings) -> None:
    """Stamp the issue date's forecasts as made at RUN_CLOCK (created_at is stored in the machine's local time,
    as DuckDB's current_timestamp writes it)."""
    local = RUN_CLOCK.astimezone(datetime.now().astimezone().tzinfo).replace(tzinfo=None)
    with connect(settings.warehouse_path) as con:
        con.execute("UPDATE forecasts SET created_at = ? WHERE issue_date = ?", [local, ISSUE_DATE])


def pdf_text(path: Path) -> str:
    return subprocess.run([poppler("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def late_world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The tiny world whose 2025-11-30 forecasts a run made on 2026-12-02 at 03:55 JST."""
    settings = make_world(tmp_path_factory.mktemp("late-run"))
    made_far_later(settings)
    return settings


@pytest.fixture(scope="module", params=["ja", "en"])
def built(request: pytest.FixtureRequest, late_world: Settings) -> tuple[str, dict[str, str]]:
    """(lang, {file name relative to the date folder: its text}) of every file one build wrote."""
    lang = request.param
    report = build_reports(late_world, ISSUE_DATE, lang=lang)
    texts = {str(path.relative_to(report.folder)): (pdf_text(path) if path.suffix == ".pdf"
                                                     else path.read_text(encoding="utf-8"))
             for path in report.files}
    return lang, texts


def test_every_page_is_issued_the_evening_of_the_issue_date_not_at_the_run_clock(built) -> None:
    lang, texts = built
    pages = {name: text for name, text in texts.items() if name.endswith(".html")}
    assert len(pages) == 3  # all cooperatives, and each of the two
    for name, html in pages.items():
        header, footer = html.split("<main>")[0], html.split("<footer>")[1]
        assert f'<p class="issued">{ISSUED[lang]}</p>' in header, name
        assert "2026" not in header and "03:55" not in header, name  # the run's clock is not the issue time
        assert f'<p class="made">{MADE[lang]}</p>' in footer, name  # it is small print at the bottom


def test_the_pdf_pages_are_issued_the_evening_and_say_when_made_in_small_print(built) -> None:
    lang, texts = built
    pdfs = {name: text for name, text in texts.items() if name.endswith(".pdf")}
    assert len(pdfs) == 3
    for name, text in pdfs.items():
        assert ISSUED[lang] in text, name
        lines = [line for line in text.splitlines() if "2026" in line or "03:55" in line]
        assert lines and all(MADE[lang] in line and ISSUED[lang] not in line for line in lines), (name, lines)
        assert text.index(ISSUED[lang]) < text.index(MADE[lang])  # the issue time at the top, the run time below


def test_the_summary_is_issued_the_evening_and_never_names_the_run_clock(built) -> None:
    lang, texts = built
    summaries = {name: text for name, text in texts.items() if name.endswith(".txt")}
    assert len(summaries) == 3
    for name, text in summaries.items():
        assert SUMMARY_ISSUED[lang] in text.splitlines()[1], name
        assert "2026" not in text and "03:55" not in text, name
