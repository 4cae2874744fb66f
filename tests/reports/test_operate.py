"""Will the net go out tomorrow? Each net's chance (p_operate) is said in the report in large plain words, and the
text summary names a net whose chance is below 50 %; a warehouse without the chance shows neither."""

from __future__ import annotations

import pytest

from reports import build_report, summary_text
from reports.labels import LABELS
from reports.view import operate_words
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.reports.conftest import ISSUE_DATE

JA, EN = LABELS["ja"], LABELS["en"]
CHANCES = {"himi": 0.85, "odd": 0.3, "uozu": 0.62}  # tomorrow's chance each net is hauled


def with_chances(settings: Settings) -> Settings:
    with connect(settings.warehouse_path) as con:
        for site_id, p in CHANCES.items():
            con.execute("UPDATE forecasts SET p_operate = ? WHERE site_id = ? AND issue_date = ?", [p, site_id, ISSUE_DATE])
    return settings


@pytest.mark.parametrize(("p", "ja", "en"), [
    (0.95, "出られそうです", "likely"), (0.8, "出られそうです", "likely"), (0.62, "たぶん出られます", "probably"),
    (0.3, "休みになるかもしれません", "it may stay in"), (0.05, "休みになりそうです", "likely to stay in"),
])
def test_the_chance_is_said_in_plain_words(p: float, ja: str, en: str) -> None:
    assert operate_words(p, JA) == ja and operate_words(p, EN) == en


def test_each_net_shows_its_chance_of_going_out(report_settings: Settings) -> None:
    html = build_report(with_chances(report_settings), ISSUE_DATE, formats="html").read_text(encoding="utf-8")
    assert '<p class="operate">出漁の見込み 85%（出られそうです）</p>' in html
    assert '<p class="operate operate-low">出漁の見込み 30%（休みになるかもしれません）</p>' in html
    assert "出漁の見込み 62%（たぶん出られます）" in html
    assert JA["operate_note"] in html  # the catch numbers are for a day the net is hauled, said plainly


def test_the_summary_names_a_net_below_half(report_settings: Settings) -> None:
    text = summary_text(with_chances(report_settings), ISSUE_DATE)
    lines = [line for line in text.splitlines() if "出漁の見込み" in line]
    assert lines == ["▲ <script>alert(1)</script>：出漁の見込み 30%（休みになるかもしれません）"]  # plain text, odd only
    english = summary_text(report_settings, ISSUE_DATE, "en")
    assert "chance the net goes out 30% (it may stay in)" in english
    assert "85%" not in "".join(line for line in english.splitlines() if "goes out" in line)


def test_without_a_chance_nothing_is_said(report_settings: Settings) -> None:
    html = build_report(report_settings, ISSUE_DATE, formats="html").read_text(encoding="utf-8")
    assert "出漁の見込み" not in html and "出漁の見込み" not in summary_text(report_settings, ISSUE_DATE)
