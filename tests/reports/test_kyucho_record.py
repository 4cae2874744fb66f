"""The swift-current warnings' verified record on each cooperative's page: the period verified, and per net and tier
how many were issued and came true, the false alarms, the share of swift currents announced ahead and the lead
gained, in plain words in both languages; the same numbers as the model card's (`features.kyucho.kyucho_record`,
stored by the backtest); no record without an archive, and nothing verified after the report's day."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.kyucho import DAY_COLUMNS, warning_record
from models.training import store_kyucho_record
from reports import build_reports, load_report_data, report_view
from reports.kyucho_record import kyucho_record_view
from reports.labels import labels_for
from setnet.settings import Settings
from tests.reports.conftest import ISSUE_DATE, make_world

FIRST_DAY = date(2025, 11, 1)


def days(site_id: str, tiers: list[str], lead_days: int | None, start: date = FIRST_DAY) -> pd.DataFrame:
    """DAY_COLUMNS rows of one net, one a day from `start`: forecast at `lead_days` (None: what the day turned out)."""
    dates = pd.date_range(start, periods=len(tiers), freq="D")
    frame = pd.DataFrame({column: np.nan for column in DAY_COLUMNS}, index=range(len(tiers)))
    issued = dates - pd.Timedelta(days=lead_days) if lead_days is not None else pd.NaT
    return frame.assign(issue_date=issued, site_id=site_id, day=dates, lead_days=lead_days or 0, tier=tiers)


def himi_record() -> pd.DataFrame:
    """Himi over 10 days: 4 warning days and 2 advisory days observed; the lead-1 forecasts warn 4 days, 3 of them
    true (one false alarm, one warning day missed); the lead-3 forecasts warn 2 of the warning days."""
    observed = days("himi", ["warning", "warning", "", "", "warning", "advisory", "", "warning", "", "advisory"], None)
    lead1 = days("himi", ["warning", "warning", "warning", "", "warning", "", "", "", "", "advisory"], 1)
    lead3 = days("himi", ["warning", "", "", "", "warning", "", "", "", "", ""], 3)
    return warning_record(pd.concat([lead1, lead3], ignore_index=True), observed, leads=(1, 3))


def visible_text(page: str) -> str:
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_the_record_says_per_net_and_tier_how_many_came_true_in_plain_words() -> None:
    record = himi_record()
    pooled = record[(record.site_id == "himi") & (record.lead_days == "all")].set_index("tier")
    # the numbers worded: lead 1 and lead 3 pooled, 6 warnings issued (4 + 2), 5 came true, 1 false alarm; the
    # warning days warned ahead: day 1 at 3 days, day 2 at 1, day 5 at 3 (2.3 days on average)
    assert (pooled.loc["warning", ["hits", "misses", "false_alarms"]].tolist()) == [5, 3, 1]
    view = kyucho_record_view(record, ["himi"], {"himi": "氷見大敷"}, labels_for("ja"), "ja", (1.0, 1.5), {})
    assert view.period == ("11月1日(土)〜11月10日(月)の10日について、1〜4日前に出した注意報・警報を、その日の実際の流れ"
                           "（毎日の海況予報の最初の24時間）と比べました。")
    warning, advisory = view.lines
    assert warning == ("氷見大敷 急潮警報：6回のうち 5回 実際に強い流れ（1.5ノット以上）（空振り 1回、空振り率 17%）、"
                       "強い流れを前もって知らせた割合 63%（見逃し 3回）、平均 2.3日前から予告")
    assert advisory.startswith("氷見大敷 急潮注意報：7回のうち 6回 実際に速い流れ（1.0ノット以上）（空振り 1回、空振り率 14%）")
    english = kyucho_record_view(record, ["himi"], {"himi": "Himi"}, labels_for("en"), "en", (1.0, 1.5),
                                 {"himi": (0.8, 1.2)})
    assert english.lines[0] == ("Himi, Swift-current WARNING (急潮警報): 5 of 6 came true, a strong current (1.2 kn or "
                                "more) (1 false alarms, 17% of those issued); 63% of the strong currents were "
                                "announced ahead (3 missed); on average 2.3 days ahead.")
    assert english.period.startswith("Over the 10 days Sat 1 Nov to Mon 10 Nov")


def test_a_quiet_net_and_no_archive_are_said_plainly() -> None:
    quiet = warning_record(days("uozu", ["", ""], 1), days("uozu", ["", ""], None))
    view = kyucho_record_view(quiet, ["uozu"], {"uozu": "魚津定置"}, labels_for("ja"), "ja", (1.0, 1.5), {})
    assert view.lines[0] == "魚津定置 急潮警報：この期間には出ず、強い流れ（1.5ノット以上）もありませんでした"
    for record in (None, quiet.iloc[:0], quiet):  # none stored, or none of these nets
        other = kyucho_record_view(record, ["himi"], {}, labels_for("ja"), "ja", (1.0, 1.5), {})
        assert other.period == "" and other.lines == [labels_for("ja")["kyucho_record_no_archive"]]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The tiny report world with himi's record stored by the backtest's writer as of the day before the report,
    and a later one (verified after the report's day, so never shown on it)."""
    settings = make_world(tmp_path_factory.mktemp("kyucho-record"))
    store_kyucho_record(settings, ISSUE_DATE - timedelta(days=1), record=himi_record())
    later = warning_record(days("himi", ["warning"] * 3, 1, start=ISSUE_DATE), days("himi", ["warning"] * 3, None,
                                                                                    start=ISSUE_DATE))
    store_kyucho_record(settings, ISSUE_DATE + timedelta(days=3), record=later)
    return settings


def test_the_report_reads_the_record_stored_on_or_before_its_day(stored: Settings) -> None:
    data = load_report_data(stored, ISSUE_DATE)
    assert set(pd.to_datetime(data.kyucho_record.through_date).dt.date) == {ISSUE_DATE - timedelta(days=1)}
    expected = himi_record().set_index(["site_id", "tier", "lead_days"])
    read = data.kyucho_record.set_index(["site_id", "tier", "lead_days"])
    for column in ("hits", "misses", "false_alarms", "correct_negatives"):  # the model card's numbers, unchanged
        assert read[column].astype(int).to_dict() == expected[column].astype(int).to_dict()
    view = report_view(data, "ja")
    himi, uozu = view.coops
    assert himi.kyucho_record.lines[0].startswith("氷見大敷 急潮警報：6回のうち 5回 実際に強い流れ")
    assert uozu.kyucho_record.lines == [labels_for("ja")["kyucho_record_no_archive"]]  # its nets have no record


def test_each_page_shows_its_nets_record_in_the_record_part(stored: Settings) -> None:
    folder = build_reports(stored, ISSUE_DATE, formats="html").folder
    himi = (folder / "氷見漁協" / "index.html").read_text(encoding="utf-8")
    record = himi.index('<section id="track-record">')
    assert record < himi.index('id="kyucho-record"') < himi.index("氷見大敷 急潮警報：6回のうち 5回")
    text = visible_text(himi)
    assert "急潮の注意報・警報の成績" in text and "11月1日(土)〜11月10日(月)の10日について" in text
    uozu = visible_text((folder / "魚津漁協" / "index.html").read_text(encoding="utf-8"))
    assert labels_for("ja")["kyucho_record_no_archive"] in uozu and "急潮警報：6回" not in uozu
    english = visible_text(build_reports(stored, ISSUE_DATE, lang="en", formats="html").main.read_text(encoding="utf-8"))
    assert "5 of 6 came true, a strong current (1.5 kn or more)" in english


def test_the_pdf_page_carries_its_nets_record(stored: Settings, tmp_path: Path) -> None:
    from tests.reports.test_pdf import pdf_pages, pdf_text

    built = build_reports(stored, ISSUE_DATE, formats="pdf")
    himi = built.folder / "氷見漁協" / "report.pdf"
    assert pdf_pages(himi) == 1  # the record fits on the cooperative's one sheet
    text = re.sub(r"\s+", "", pdf_text(himi))
    assert "急潮の注意報・警報の成績（11月1日(土)〜11月10日(月)）：氷見大敷警報6回中5回的中（見逃し3回）" in text
    assert "氷見大敷注意報7回中6回的中" in text  # one short paragraph on paper: the charts keep their room
    uozu = re.sub(r"\s+", "", pdf_text(built.folder / "魚津漁協" / "report.pdf"))
    assert "急潮の注意報・警報の成績：海況予報の記録がなく、まだ確かめられません" in uozu


def test_under_an_active_warning_the_text_summary_says_how_often_that_tier_came_true(stored: Settings) -> None:
    from dataclasses import replace

    from reports.summary import coop_summary

    view = report_view(load_report_data(stored, ISSUE_DATE), "ja")
    himi, uozu = view.coops
    record_line = "これまでの警報の成績（11月1日(土)〜11月10日(月)）：氷見大敷 警報 6回中5回的中（見逃し3回）"
    warned = coop_summary(view, replace(himi, kyucho_level="warning")).splitlines()
    assert warned[3] == record_line  # right under the swift-current status line
    advised = coop_summary(view, replace(himi, kyucho_level="advisory"))
    assert "これまでの注意報の成績" in advised and "警報 6回中" not in advised
    assert "これまでの" not in coop_summary(view, replace(himi, kyucho_level="none"))  # no warning, no record line
    assert "これまでの" not in coop_summary(view, replace(uozu, kyucho_level="warning"))  # no archive at its nets
