"""build_report writes one self-contained, escaped, bilingual morning report and keeps the index of reports."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from reports import ReportError, build_report
from setnet.settings import SPECIES, Settings
from setnet.warehouse import connect, upsert
from tests.reports.conftest import (
    ISSUE_DATE,
    SCRIPT_NAME,
    SITES,
    STALE_SITE,
    write_grid_store,
    write_warehouse,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def section(html: str, section_id: str) -> str:
    """The HTML of one <section id=...> of the page."""
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, flags=re.DOTALL)
    assert match, f"no section {section_id}"
    return match.group(1)


@pytest.fixture(scope="module")
def report_html(shared_settings: Settings) -> str:
    """The Japanese report of ISSUE_DATE in the tiny world (built once for the module)."""
    return build_report(shared_settings, ISSUE_DATE).read_text(encoding="utf-8")


def test_the_report_is_written_where_the_flows_expect_it(shared_settings: Settings, report_html: str) -> None:
    path = shared_settings.reports_dir / "2025-11-30" / "index.html"
    assert path.read_text(encoding="utf-8") == report_html


def test_the_page_is_self_contained(report_html: str) -> None:
    assert not re.search(r'(?:src|href)\s*=\s*["\']?\s*(?:https?:)?//', report_html, flags=re.IGNORECASE)
    assert "<link" not in report_html.lower() and "@import" not in report_html
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', report_html)
    assert len(sources) == len(SITES) + 2 + 1  # one outlook per net, one track record per species, the map
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1], validate=True).startswith(PNG_SIGNATURE)
    assert "<style>" in report_html and "@media print" in report_html and "max-width: 640px" in report_html


def test_every_site_cooperative_and_species_name_appears(report_html: str) -> None:
    for row in SITES.itertuples():
        if row.name_ja != SCRIPT_NAME:
            assert row.name_ja in report_html
        assert row.coop in report_html
    for species in SPECIES:
        if species.code in ("yellowtail", "firefly_squid"):
            assert species.name_ja in section(report_html, "tomorrow")


def test_names_from_input_files_are_escaped(report_html: str) -> None:
    assert "<script" not in report_html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section(report_html, "tomorrow")


def test_tomorrows_numbers_are_rounded_and_shown(report_html: str) -> None:
    tomorrow = section(report_html, "tomorrow")
    assert "12月1日(月)" in tomorrow
    # (q10, q50, q90) = (410, 1234, 2870) kg -> 1,200 with a range of 410〜2,900 kg
    assert '<span class="median">1,200</span>' in tomorrow and "410〜2,900 kg" in tomorrow
    assert '<span class="median">42</span>' in tomorrow and "12〜85 kg" in tomorrow
    assert '<span class="median">7</span>' in tomorrow and "0〜33 kg" in tomorrow
    assert '<span class="median">350</span>' in tomorrow and "150〜780 kg" in tomorrow
    assert '<span class="median">18</span>' in tomorrow and "3〜64 kg" in tomorrow


def test_the_change_against_the_last_week_is_stated(report_html: str) -> None:
    tomorrow = section(report_html, "tomorrow")
    assert re.search(r"\d+% (多い|少ない)|ほぼ同じ", tomorrow)
    assert "記録なし" in tomorrow  # the stale net has no catch in the last 7 days


def test_freshness_and_warnings_are_in_the_headline(report_html: str) -> None:
    header = report_html.split("<main>")[0]
    assert "11月28日(金)" in header  # the ocean day the forecasts used
    assert "2025年11月30日(日)" in header  # issue date
    assert "test-v1" in header and "2025-10-31" in header  # model version and end of its training data
    banners = re.findall(r'<div class="warning"[^>]*>(.*?)</div>', header, flags=re.DOTALL)
    assert any("海況データが古い" in b and "2日前" in b for b in banners)
    stale_name = SITES.set_index("site_id").name_ja[STALE_SITE]
    assert any(stale_name in b and "14日間" in b for b in banners)
    assert len(banners) == 2


def test_fresh_ocean_data_raises_no_ocean_banner(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE)
    html = build_report(settings, ISSUE_DATE).read_text(encoding="utf-8")
    assert "海況データが古い" not in html
    assert "地図は表示できません" in section(html, "map")  # no grid store at all -> a note instead of the map


def test_the_skill_table_says_better_or_worse_in_words(report_html: str) -> None:
    record = section(report_html, "track-record")
    assert record.count("23% 良い") == 2  # lead 1 only: lead 2's 5% is not shown
    assert record.count("12% 悪い") == 2
    assert "5% 良い" not in record
    assert "78%（目標 80%）" in record
    assert "2025-05-01〜2025-10-31" in record


def test_english_mode_uses_english_labels_and_names(report_settings: Settings) -> None:
    path = build_report(report_settings, ISSUE_DATE, lang="en")
    assert path == report_settings.reports_dir / "2025-11-30" / "index.html"
    html = path.read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "Forecast for Mon 1 Dec 2025 (D+1)" in html
    assert "Tomorrow&#39;s forecast" in html
    assert "better by 23%" in html and "worse by 12%" in html
    for name in ("Himi Ohshiki", "Uozu Teichi", "Yellowtail", "Firefly squid"):
        assert name in html
    assert "明日の予想" not in html and "ブリ" not in html


def test_unknown_language_is_refused(shared_settings: Settings) -> None:
    with pytest.raises(ValueError, match="language"):
        build_report(shared_settings, ISSUE_DATE, lang="fr")


def test_missing_forecasts_raise_report_error_naming_the_date(shared_settings: Settings) -> None:
    with pytest.raises(ReportError, match="2026-01-15") as raised:
        build_report(shared_settings, date(2026, 1, 15))
    assert "setnet forecast" in str(raised.value)
    assert str(shared_settings.warehouse_path) in str(raised.value)
    assert not (shared_settings.reports_dir / "2026-01-15").exists()


def test_a_missing_warehouse_is_a_report_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="2025-11-30"):
        build_report(Settings(data_dir=tmp_path / "nothing"), ISSUE_DATE)


def test_missing_evaluations_leave_a_note(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE, evaluations=False)
    record = section(build_report(settings, ISSUE_DATE).read_text(encoding="utf-8"), "track-record")
    assert "検証結果が保存されていない" in record
    assert "良い" not in record and "悪い" not in record


def test_a_grid_without_the_issue_day_shows_the_latest_earlier_day(tmp_path: Path) -> None:
    from tests.reports.conftest import grid_dataset

    settings = Settings(data_dir=tmp_path / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE)
    write_grid_store(settings.grid_store_path, grid_dataset(end=ISSUE_DATE - timedelta(days=3)))
    map_section = section(build_report(settings, ISSUE_DATE).read_text(encoding="utf-8"), "map")
    assert "data:image/png;base64," in map_section
    assert "11月27日(木)" in map_section and "3日前" in map_section


def test_the_index_lists_every_report_newest_first(report_settings: Settings) -> None:
    build_report(report_settings, ISSUE_DATE - timedelta(days=1))  # the day before has lead-1 forecasts
    build_report(report_settings, ISSUE_DATE)
    (report_settings.reports_dir / "not-a-day").mkdir()
    build_report(report_settings, ISSUE_DATE)
    index = (report_settings.reports_dir / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert links == ["2025-11-30/index.html", "2025-11-29/index.html"]
    assert "2025年11月30日(日)" in index


def test_the_report_of_an_earlier_day_only_uses_what_was_known_then(report_settings: Settings) -> None:
    html = build_report(report_settings, ISSUE_DATE - timedelta(days=1)).read_text(encoding="utf-8")
    assert "11月30日(日)の予想" in html
    assert "<dt>最新の水揚げ記録</dt><dd>11月29日(土)</dd>" in html  # not the catches landed after that day


def test_rebuilding_gives_the_same_page(shared_settings: Settings, report_html: str) -> None:
    again = build_report(shared_settings, ISSUE_DATE).read_text(encoding="utf-8")
    assert again == report_html
    assert not list(shared_settings.reports_dir.rglob("*.tmp"))


def test_registry_names_win_and_unregistered_nets_still_show(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE)
    with connect(settings.warehouse_path) as con:
        con.execute("DELETE FROM sites WHERE site_id = 'himi'")
        upsert(con, "species", pd.DataFrame({"species": ["yellowtail"], "name_ja": ["ブリ類"], "name_en": ["Amberjack"]}))
    tomorrow = section(build_report(settings, ISSUE_DATE).read_text(encoding="utf-8"), "tomorrow")
    assert "himi" in tomorrow  # a net missing from the registry is shown by its id
    assert "ブリ類" in tomorrow and "ホタルイカ" in tomorrow  # registry name, then setnet's SPECIES
