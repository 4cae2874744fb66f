"""build_report writes the morning report of every cooperative (HTML, PDF, text), self-contained, escaped and
bilingual, and keeps the index of reports by date and cooperative."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from reports import FORMATS, ReportError, build_report, build_reports, summary_text
from reports.build import parse_formats, read_manifest
from setnet.settings import SPECIES, Settings
from setnet.warehouse import connect, upsert
from tests.reports.conftest import (
    ISSUE_DATE,
    SCRIPT_NAME,
    SITES,
    STALE_SITE,
    grid_dataset,
    nearest_cell,
    ocean_forecast_dataset,
    write_grid_store,
    write_warehouse,
)

COOP_FOLDERS = {"氷見漁協": ["himi", "odd"], "魚津漁協": ["uozu"]}

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
    assert len(sources) == 2 * len(SITES) + 2  # per net an outlook and a track record; maps at the surface and 50 m
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
    # the expected catch (mean) 1,334 kg -> 1,300, with the range (q10, q90) = (410, 2870) kg -> 410〜2,900 kg
    assert '<span class="expected">1,300</span>' in tomorrow and "410〜2,900 kg" in tomorrow
    assert "約89箱" in tomorrow  # 1,334 kg of yellowtail at 15 kg a box (ingest/tables/box_weights.csv)
    assert '<span class="expected">47</span>' in tomorrow and "12〜85 kg" in tomorrow
    assert '<span class="expected">13</span>' in tomorrow and "0〜33 kg" in tomorrow
    assert '<span class="expected">410</span>' in tomorrow and "150〜780 kg" in tomorrow
    assert '<span class="expected">26</span>' in tomorrow and "3〜64 kg" in tomorrow
    assert '<span class="expected">9</span>' in tomorrow  # 8.6 kg
    for median in ("1,200", "42", "7", "350", "18", "5"):  # the medians are not the headline
        assert f'<span class="expected">{median}</span>' not in tomorrow
    assert '<th scope="col">見込み（平均）</th>' in tomorrow


def test_the_chance_of_an_empty_net_is_shown_from_ten_percent(report_html: str) -> None:
    tomorrow = section(report_html, "tomorrow")
    assert tomorrow.count('<span class="empty">') == 1  # odd's firefly squid (35 %); 8 % and 4 % are not stated
    assert '<span class="empty">空の確率 35%</span>' in tomorrow


def test_the_change_against_the_last_week_is_stated(report_html: str) -> None:
    tomorrow = section(report_html, "tomorrow")
    assert re.search(r"\d+% (多い|少ない)|ほぼ同じ", tomorrow)
    assert "記録なし" in tomorrow  # the stale net has no catch in the last 7 days


def test_the_big_catch_chance_and_the_reason_are_shown(report_html: str) -> None:
    tomorrow = section(report_html, "tomorrow")
    # the badge: p_big_catch 0.45 reaches the alert level (0.4); its threshold is big_catch_threshold_kg
    assert '<span class="badge">大漁（2,000kg以上）45%</span>' in tomorrow
    assert "20%" in tomorrow and "大漁（2,000kg以上）20%" not in tomorrow  # shown, but no badge
    assert "理由：</span>50m水温 14.2°C（120\u00a0kg 多い）、直近7日の平均漁獲 810\u00a0kg（64\u00a0kg 少ない）" in tomorrow


def test_freshness_and_warnings_are_in_the_headline(report_html: str) -> None:
    header = report_html.split("<main>")[0]
    assert "11月28日(金)" in header  # the ocean day the forecasts used
    assert "2025年11月30日(日)" in header  # issue date
    assert "<dt>最新の海況データ</dt><dd>11月30日(日)</dd>" in header  # the latest grid day
    assert "<dt>最新の水揚げ記録</dt><dd>11月29日(土)</dd>" in header
    assert '<p class="issued">2025年11月30日(日)夕方 発表</p>' in header  # the issue date's evening
    banners = re.findall(r'<div class="warning"[^>]*>(.*?)</div>', header, flags=re.DOTALL)
    assert any("海況データが古い" in b and "2日前" in b and "急潮" in b for b in banners)
    stale_name = SITES.set_index("site_id").name_ja[STALE_SITE]
    assert any(stale_name in b and "14日間" in b for b in banners)
    assert len(banners) == 2
    record = section(report_html, "track-record")
    assert "test-v1" in record and "2025-10-31" in record  # model version and end of its training data


def test_fresh_ocean_data_raises_no_ocean_banner(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE)
    html = build_report(settings, ISSUE_DATE, formats="html").read_text(encoding="utf-8")
    assert "海況データが古い" not in html
    assert "地図は表示できません" in section(html, "map")  # no grid store at all -> a note instead of the map
    assert "海況データがないため、急潮と水温は判断できません" in section(html, "map")


def skill_tables(html: str) -> dict[str, str]:
    """The skill tables of a page by their titles."""
    record = section(html, "track-record")
    return dict(re.findall(r'<h3 class="coop">([^<]*)</h3>\s*<table class="stack skill">(.*?)</table>', record,
                           flags=re.DOTALL))


def skill_cells(table: str) -> list[list[str]]:
    """A skill table's rows as [row header, cell texts...] (the 'no better' line is a row of its own)."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("</thead>", 1)[1], flags=re.DOTALL)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row,
                                                                         flags=re.DOTALL)] for row in rows]


def test_the_bay_skill_is_the_crps_skill_of_lead_one_in_words_and_named_period(report_html: str) -> None:
    record = section(report_html, "track-record")
    bay = skill_cells(skill_tables(report_html)["湾全体（すべての網）"])
    # pooled rows, lead 1: the CRPS skill (23% / -12%), not the MAE skill (2%) nor lead 2's (5%)
    assert bay == [["ブリ", "23% 良い", "12% 悪い", "140 kg", "65%", "91%"],
                   ["ホタルイカ", "23% 良い", "12% 悪い", "140 kg", "65%", "91%"]]
    assert "2025-05-01〜2025-10-31" in record  # the serving version's backtest period, named


def test_the_mean_error_is_the_error_of_the_expected_catch_shown(report_html: str) -> None:
    bay = skill_tables(report_html)["湾全体（すべての網）"]
    assert "平均誤差（見込み）" in bay and "140 kg" in bay  # mae_mean_kg, the expected catch's (the mean's) error
    assert "100 kg" not in bay  # not mae_kg, the median's


def test_coverage_is_stated_on_days_with_a_catch_and_over_every_day(report_html: str) -> None:
    bay = skill_tables(report_html)["湾全体（すべての網）"]
    assert 'data-label="幅に入った割合（漁があった日）"><span>65%</span>' in bay
    assert 'data-label="幅に入った割合（空の日も含む全日）"><span>91%</span>' in bay


def test_skill_is_shown_without_good_or_bad_colours(report_html: str) -> None:
    record = section(report_html, "track-record")
    assert 'class="better"' not in record and 'class="worse"' not in record
    assert ".better" not in report_html and ".worse" not in report_html


def coop_page(settings: Settings, coop: str) -> str:
    return (settings.reports_dir / "2025-11-30" / coop / "index.html").read_text(encoding="utf-8")


def test_a_cooperatives_page_shows_the_skill_of_its_own_nets(shared_settings: Settings, report_html: str) -> None:
    himi, uozu = skill_tables(coop_page(shared_settings, "氷見漁協")), skill_tables(coop_page(shared_settings, "魚津漁協"))
    assert list(himi) == ["氷見漁協の網ごと"] and list(uozu) == ["魚津漁協の網ごと"]  # not the bay's table
    himi_rows = [row for row in skill_cells(himi["氷見漁協の網ごと"]) if len(row) > 1]
    assert himi_rows == [  # per net (the serving version's per-net rows), nets in order, species in order
        ["氷見大敷 ブリ", "31% 良い", "7% 良い", "210 kg", "70%", "91%"],
        ["氷見大敷 ホタルイカ", "4% 悪い", "21% 悪い", "210 kg", "70%", "91%"],
        [f"{SCRIPT_NAME} ブリ".replace("<", "&lt;").replace(">", "&gt;"), "同じくらい", "18% 良い", "320 kg", "70%", "91%"],
        [f"{SCRIPT_NAME} ホタルイカ".replace("<", "&lt;").replace(">", "&gt;"), "16% 良い", "9% 良い", "320 kg", "70%",
         "91%"],
    ]
    uozu_rows = [row for row in skill_cells(uozu["魚津漁協の網ごと"]) if len(row) > 1]
    assert [row[:2] for row in uozu_rows] == [["魚津定置 ブリ", "44% 良い"], ["魚津定置 ホタルイカ", "8% 良い"]]
    assert set(skill_tables(report_html)) == {"湾全体（すべての網）", "氷見漁協の網ごと", "魚津漁協の網ごと"}


def test_a_skill_not_above_zero_is_said_to_be_no_better_than_the_seasonal_normal(shared_settings: Settings,
                                                                              report_settings: Settings) -> None:
    himi = skill_tables(coop_page(shared_settings, "氷見漁協"))["氷見漁協の網ごと"]
    verdicts = [row for row in skill_cells(himi) if len(row) == 1]
    # himi's firefly squid (-4%) and odd's yellowtail (0.4%, "about the same"): each gets the words, in its row
    assert verdicts == [["季節の平年並みの予想より良いとは言えません"]] * 2
    assert "季節の平年並みの予想より良いとは言えません" not in coop_page(shared_settings, "魚津漁協")
    english = build_report(report_settings, ISSUE_DATE, lang="en", coop="氷見漁協", formats="html")
    assert english.read_text(encoding="utf-8").count("no better than the seasonal normal") == 2


def test_the_record_shows_each_nets_forecasts_against_its_catches_and_the_model_behind_them(
        report_html: str) -> None:
    record = section(report_html, "track-record")
    figures = re.findall(r"<figure><img[^>]*alt=\"([^\"]*)\">(.*?)</figure>", record, flags=re.DOTALL)
    assert [alt for alt, _ in figures] == ["氷見大敷の予想と実績", "&lt;script&gt;alert(1)&lt;/script&gt;の予想と実績",
                                           "魚津定置の予想と実績"]
    himi_lines = re.findall(r"<li>(.*?)</li>", figures[0][1])
    assert len(himi_lines) == 2 and all(re.fullmatch(r"\S+：\d+日分の見込みの合計 [\d,]+ kg、実績の合計 [\d,]+ kg"
                                                     r"（幅の内側 \d+/\d+日）", line) for line in himi_lines)
    assert "この成績の予想を出したモデル：test-v1（2025-10-31までのデータで学習）。" in record
    assert "どの日も、モデルの学習に使っていない日の予想です。" in record  # trained to 10-31, issued from 10-31 on


def test_english_mode_uses_english_labels_and_names(report_settings: Settings) -> None:
    path = build_report(report_settings, ISSUE_DATE, lang="en", formats="html")
    assert path == report_settings.reports_dir / "2025-11-30" / "index.en.html"
    html = path.read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "Forecast for Mon 1 Dec 2025 (next day)" in html
    assert "Tomorrow&#39;s forecast" in html
    assert "water temperature at 50 m 14.2°C (120\u00a0kg more)" in html and "about 89 boxes" in html
    assert "Expected (mean)" in html and "Big catch (2,000 kg or more) 45%" in html
    assert "better by 23%" in html and "worse by 12%" in html
    for name in ("Himi Ohshiki", "Uozu Teichi", "Yellowtail", "Firefly squid"):
        assert name in html
    assert "明日の予想" not in html and "ブリ" not in html


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under a folder by its relative path, with its bytes."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_english_is_written_beside_the_japanese_and_leaves_it_byte_identical(report_settings: Settings) -> None:
    reports_dir = report_settings.reports_dir
    build_reports(report_settings, ISSUE_DATE)
    japanese = files_under(reports_dir)
    english = build_reports(report_settings, ISSUE_DATE, lang="en")
    after = files_under(reports_dir)
    assert {name: after[name] for name in japanese} == japanese  # not one Japanese byte changed
    added = sorted(set(after) - set(japanese))
    per_coop = [f"2025-11-30/{coop}/{name}" for coop in COOP_FOLDERS
                for name in ("index.en.html", "report.en.pdf", "summary.en.txt")]
    assert added == sorted(["index.en.html", "2025-11-30/index.en.html", "2025-11-30/report.en.pdf",
                            "2025-11-30/summary.en.txt", "2025-11-30/reports.en.json", *per_coop])
    assert english.main == reports_dir / "2025-11-30" / "index.en.html"
    assert sorted(str(p.relative_to(reports_dir)) for p in english.files) == sorted(
        a for a in added if a.count("/") >= 1 and not a.endswith(".json"))
    # the English pages link to the English files, and say so
    himi = (reports_dir / "2025-11-30" / "氷見漁協" / "index.en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in himi and "Tomorrow&#39;s forecast" in himi
    assert '<a href="report.en.pdf">' in himi and '<a href="summary.en.txt">' in himi
    assert 'href="../../index.en.html"' in himi and 'href="../index.en.html"' in himi
    everyone = (reports_dir / "2025-11-30" / "index.en.html").read_text(encoding="utf-8")
    assert 'href="%E6%B0%B7%E8%A6%8B%E6%BC%81%E5%8D%94/index.en.html"' in everyone
    index = (reports_dir / "index.en.html").read_text(encoding="utf-8")
    assert "Set-net catch forecasts" in index and re.findall(r'<a class="day" href="([^"]+)"', index) == [
        "2025-11-30/index.en.html"]
    assert "%E9%AD%9A%E6%B4%A5%E6%BC%81%E5%8D%94/report.en.pdf" in index
    assert "Uozu Teichi" in (reports_dir / "2025-11-30" / "魚津漁協" / "summary.en.txt").read_text(encoding="utf-8")
    assert read_manifest(reports_dir / "2025-11-30", "en")["lang"] == "en"
    assert read_manifest(reports_dir / "2025-11-30")["lang"] == "ja"


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
    record = section(build_report(settings, ISSUE_DATE, formats="html").read_text(encoding="utf-8"), "track-record")
    assert "検証結果が保存されていない" in record
    assert "良い" not in record and "悪い" not in record


def test_a_grid_without_the_issue_day_shows_the_latest_earlier_day(tmp_path: Path) -> None:
    from tests.reports.conftest import grid_dataset

    settings = Settings(data_dir=tmp_path / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE)
    write_grid_store(settings.grid_store_path, grid_dataset(end=ISSUE_DATE - timedelta(days=3)))
    map_section = section(build_report(settings, ISSUE_DATE, formats="html").read_text(encoding="utf-8"), "map")
    assert "data:image/png;base64," in map_section
    assert "11月27日(木)" in map_section and "3日前" in map_section
    assert map_section.count("data:image/png;base64,") == 2  # surface and 50 m


def test_the_index_lists_every_report_by_date_and_cooperative_newest_first(report_settings: Settings) -> None:
    build_report(report_settings, ISSUE_DATE - timedelta(days=1))  # the day before has lead-1 forecasts
    build_report(report_settings, ISSUE_DATE)
    (report_settings.reports_dir / "not-a-day").mkdir()
    build_report(report_settings, ISSUE_DATE)
    index = (report_settings.reports_dir / "index.html").read_text(encoding="utf-8")
    days = re.findall(r'<a class="day" href="([^"]+)"', index)
    assert days == ["2025-11-30/index.html", "2025-11-29/index.html"]
    assert "2025年11月30日(日)" in index
    links = re.findall(r'href="(2025-11-30/[^"]+)"', index)
    assert links == ["2025-11-30/index.html",
                     "2025-11-30/%E6%B0%B7%E8%A6%8B%E6%BC%81%E5%8D%94/index.html",  # 氷見漁協, west first
                     "2025-11-30/%E6%B0%B7%E8%A6%8B%E6%BC%81%E5%8D%94/report.pdf",
                     "2025-11-30/%E6%B0%B7%E8%A6%8B%E6%BC%81%E5%8D%94/summary.txt",
                     "2025-11-30/%E9%AD%9A%E6%B4%A5%E6%BC%81%E5%8D%94/index.html",  # 魚津漁協
                     "2025-11-30/%E9%AD%9A%E6%B4%A5%E6%BC%81%E5%8D%94/report.pdf",
                     "2025-11-30/%E9%AD%9A%E6%B4%A5%E6%BC%81%E5%8D%94/summary.txt"]
    assert ">氷見漁協</a>" in index and ">魚津漁協</a>" in index


def test_every_cooperative_gets_its_page_pdf_and_summary(shared_settings: Settings, report_html: str) -> None:
    folder = shared_settings.reports_dir / "2025-11-30"
    for coop, site_ids in COOP_FOLDERS.items():
        page = (folder / coop / "index.html").read_text(encoding="utf-8")
        assert f'<span class="coop-name">{coop}</span>' in page
        assert '<a href="report.pdf">' in page and '<a href="summary.txt">' in page
        assert len(re.findall(r"<img ", page)) == 2 * len(site_ids) + 2
        others = [s for s in SITES.site_id if s not in site_ids]
        for other in SITES[SITES.site_id.isin(others)].name_ja:
            assert other.replace("<", "&lt;").replace(">", "&gt;") not in page
        assert (folder / coop / "report.pdf").read_bytes().startswith(b"%PDF")
        assert (folder / coop / "summary.txt").read_text(encoding="utf-8").startswith(f"【定置網 漁獲予想】{coop}")
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    summary = (folder / "summary.txt").read_text(encoding="utf-8")
    assert summary.index("氷見漁協") < summary.index("魚津漁協")
    manifest = read_manifest(folder)
    assert [c["slug"] for c in manifest["coops"]] == list(COOP_FOLDERS)
    assert manifest["all"] == list(FORMATS) and manifest["lang"] == "ja"


def test_one_cooperative_and_some_formats_can_be_asked_for(report_settings: Settings) -> None:
    built = build_reports(report_settings, ISSUE_DATE, coop="魚津漁協", formats="txt,html")
    folder = report_settings.reports_dir / "2025-11-30"
    assert built.files == [folder / "魚津漁協" / "index.html", folder / "魚津漁協" / "summary.txt"]
    assert not (folder / "index.html").exists() and not (folder / "氷見漁協").exists()
    assert build_report(report_settings, ISSUE_DATE, coop="ＵＯＺＵ漁協".replace("ＵＯＺＵ", "魚津"), formats=["pdf"]) \
        == folder / "魚津漁協" / "report.pdf"
    coops = read_manifest(folder)["coops"]
    assert coops == [{"name": "魚津漁協", "slug": "魚津漁協", "formats": ["pdf"]}]
    index = (report_settings.reports_dir / "index.html").read_text(encoding="utf-8")
    assert '<span class="day">' in index and "%E9%AD%9A%E6%B4%A5%E6%BC%81%E5%8D%94/report.pdf" in index


def test_an_unknown_cooperative_or_format_is_refused_before_writing(shared_settings: Settings) -> None:
    with pytest.raises(ReportError, match="no cooperative '射水漁協'.*known: 氷見漁協, 魚津漁協"):
        build_report(shared_settings, ISSUE_DATE, coop="射水漁協")
    with pytest.raises(ValueError, match="unknown report format"):
        build_report(shared_settings, ISSUE_DATE, formats="html,docx")
    assert parse_formats("PDF, html") == ("html", "pdf") and parse_formats(None) == FORMATS


def test_the_summary_states_the_expected_catch_with_its_empty_and_big_catch_chances(shared_settings: Settings,
                                                                                      report_html: str) -> None:
    summary = (shared_settings.reports_dir / "2025-11-30" / "summary.txt").read_text(encoding="utf-8")
    assert ("・ブリ 見込み（平均）1,300 kg・約89箱（410〜2,900 kg）、大漁（2,000kg以上）45%"
            "、直近7日の平均と比べて約2.4倍（最新の水揚げ 11月29日(土) 860\u00a0kg）\n") in summary
    assert ("・ホタルイカ 見込み（平均）9 kg・約3箱（0〜21 kg）、空の確率 35%"
            "、直近7日の平均と比べて67% 少ない（最新の水揚げ 11月29日(土) 32\u00a0kg）\n") in summary
    assert summary.count("空の確率") == 1


def test_the_summary_text_for_the_flows_matches_the_written_summary(shared_settings: Settings,
                                                                    report_html: str) -> None:
    written = (shared_settings.reports_dir / "2025-11-30" / "summary.txt").read_text(encoding="utf-8")
    assert summary_text(shared_settings, ISSUE_DATE) == written
    markdown = summary_text(shared_settings, ISSUE_DATE, "en", markdown=True)
    assert markdown.startswith("## \\[Set\\-net catch forecast\\] Himi Fisheries Cooperative")  # the registry's coop_en
    assert "&lt;script&gt;" in markdown and "<script" not in markdown


def test_swift_currents_in_the_ocean_forecast_raise_warnings_in_every_format(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE)
    grid = grid_dataset()
    write_grid_store(settings.grid_store_path, grid)
    himi, uozu = (nearest_cell(grid, r.lat, r.lon) for r in SITES.set_index("site_id").loc[["himi", "uozu"]].itertuples())
    swift = {(*himi, 2): (0.6, 0.6), (*himi, 3): (0.45, 0.45), (*uozu, 1): (0.0, -0.55)}  # 1.65 kn NE, 1.07 kn S
    ocean_forecast_dataset(swift=swift).to_zarr(settings.forecast_store_path, mode="w", zarr_format=3,
                                                consolidated=False)
    build_report(settings, ISSUE_DATE)
    folder = settings.reports_dir / "2025-11-30"
    himi_page = (folder / "氷見漁協" / "index.html").read_text(encoding="utf-8")
    alerts = section(himi_page, "alerts")
    assert "急潮警報" in alerts and "漁獲物を早めに水揚げし、網の一部を上げてください。" in alerts
    assert "氷見大敷：12月2日(火)〜12月3日(水)（ピーク 12月2日(火)）、表層で北東へ 最大1.6ノット（目安 1.5ノット）" in alerts
    assert "急潮注意報" not in alerts
    uozu_page = (folder / "魚津漁協" / "index.html").read_text(encoding="utf-8")
    assert "急潮注意報" in section(uozu_page, "alerts") and "魚津定置：12月1日(月)、表層で南へ 最大1.1ノット" in uozu_page
    assert "11月30日(日)発表の海況予報（12月1日(月)〜12月7日(日)）で判断しています。" in section(uozu_page, "map")
    assert "<dt>海況予報</dt><dd>11月30日(日)発表</dd>" in uozu_page
    summary = (folder / "氷見漁協" / "summary.txt").read_text(encoding="utf-8")
    assert "【急潮警報】氷見大敷：12月2日(火)" in summary
    english = build_report(settings, ISSUE_DATE, lang="en", coop="氷見漁協", formats="html").read_text(encoding="utf-8")
    assert "Swift-current WARNING" in english and "surface current toward NE, up to 1.6 kn" in english


def test_the_report_of_an_earlier_day_only_uses_what_was_known_then(report_settings: Settings) -> None:
    html = build_report(report_settings, ISSUE_DATE - timedelta(days=1), formats="html").read_text(encoding="utf-8")
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
    tomorrow = section(build_report(settings, ISSUE_DATE, formats="html").read_text(encoding="utf-8"), "tomorrow")
    assert "himi" in tomorrow  # a net missing from the registry is shown by its id
    assert "ブリ類" in tomorrow and "ホタルイカ" in tomorrow  # registry name, then setnet's SPECIES
