"""The headline a crew plans with, on a hard day: a swift-current warning, ocean data two days old, a net without
recent catches, and a net named like an attack. Each shows as intended on the page and in the text summary, with
the swift-current status at the top of both."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from reports import build_reports
from setnet.settings import Settings
from setnet.warehouse import connect, upsert
from tests.reports.conftest import (
    ISSUE_DATE,
    SITES,
    STALE_SITE,
    TOMORROW_MEAN_KG,
    grid_dataset,
    nearest_cell,
    ocean_forecast_dataset,
    write_grid_store,
    write_warehouse,
)

HOSTILE_NAME = "<script>alert(1)</script>'; DROP TABLE catches; --"
# himi's yellowtail by size class over the last days: kg shares ブリ 50 %, ガンド 30 %, フクラギ 20 %.
SIZE_KG = {"ブリ": 500.0, "ガンド": 300.0, "フクラギ": 200.0}
CLOSED_DAY = ISSUE_DATE - timedelta(days=3)  # the stale net's latest record: a day it did not haul (休漁)


def hard_day(root: Path, forecast: bool = True) -> Settings:
    """The tiny world with old ocean data, a hostile net name, himi's size classes, uozu closed lately and (with
    `forecast`) an ocean forecast whose current at himi reaches the warning level the day after tomorrow."""
    settings = Settings(data_dir=root / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE - timedelta(days=2))
    with connect(settings.warehouse_path) as con:
        upsert(con, "sites", SITES.assign(name_ja=SITES.name_ja.where(SITES.site_id != "odd", HOSTILE_NAME)))
        day = ISSUE_DATE - timedelta(days=1)
        upsert(con, "catch_size_classes", pd.DataFrame({
            "date": [day] * 3, "site_id": "himi", "species": "yellowtail", "size_class": list(SIZE_KG),
            "catch_kg": list(SIZE_KG.values()), "fish_count": [None] * 3, "source_file": "himi.csv"}))
        upsert(con, "no_operation_days", pd.DataFrame({"date": [CLOSED_DAY], "site_id": [STALE_SITE],
                                                       "marker": ["休漁"], "source_file": ["uozu.csv"]}))
    grid = grid_dataset()
    write_grid_store(settings.grid_store_path, grid)
    if forecast:
        himi = SITES.set_index("site_id").loc["himi"]
        ocean_forecast_dataset(swift={(*nearest_cell(grid, himi.lat, himi.lon), 2): (0.6, 0.6)}).to_zarr(
            settings.forecast_store_path, mode="w", zarr_format=3, consolidated=False)
    return settings


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_reports(hard_day(tmp_path_factory.mktemp("hard-day")), ISSUE_DATE, formats="html,txt").folder


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def visible_text(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_the_swift_current_status_tops_each_cooperatives_page_and_summary(folder: Path) -> None:
    himi, uozu = read(folder / "氷見漁協" / "index.html"), read(folder / "魚津漁協" / "index.html")
    status = '<p class="kyucho kyucho-warning" role="status"><span class="kyucho-label">急潮：</span>' \
             '<strong>警報（氷見大敷）</strong> <a href="#alerts">くわしく</a></p>'
    assert status in himi
    assert himi.index(status) < himi.index("</header>") < himi.index('<section id="tomorrow">')
    assert himi.index(status) < himi.index('<div class="warning"')  # above even the banners
    assert '<div class="alert warning" role="alert">' in himi  # the detailed box stays, linked from the status
    assert '<section id="alerts">' in himi
    assert "<strong>なし</strong>" in uozu and "kyucho-none" in uozu  # each cooperative its own nets
    everyone = read(folder / "index.html")
    assert "急潮 氷見漁協：" in everyone and "急潮 魚津漁協：" in everyone
    summary = read(folder / "氷見漁協" / "summary.txt").splitlines()
    assert summary[2] == "【急潮】警報（氷見大敷）"  # right under the title and the day
    assert read(folder / "魚津漁協" / "summary.txt").splitlines()[2] == "【急潮】なし"


def test_no_ocean_forecast_is_said_at_the_top_not_taken_for_calm(tmp_path: Path) -> None:
    folder = build_reports(hard_day(tmp_path, forecast=False), ISSUE_DATE, formats="html,txt").folder
    page = read(folder / "魚津漁協" / "index.html")
    assert "<strong>予想できません：海況予報がありません</strong>" in page and "kyucho-unknown" in page
    assert read(folder / "魚津漁協" / "summary.txt").splitlines()[2] == "【急潮】予想できません：海況予報がありません"


def test_old_ocean_data_and_a_net_without_recent_catches_are_stated(folder: Path) -> None:
    page = visible_text(read(folder / "魚津漁協" / "index.html"))
    assert "海況データが古いです：11月28日(金)のデータを使っています（発表日の2日前）" in page
    assert "魚津定置：直近14日間に水揚げの記録がありません" in page
    assert "11月27日(木) 休漁" in page  # its latest record beside the headline: a day it did not haul
    summary = read(folder / "魚津漁協" / "summary.txt")
    assert "▲ 海況データが古いです" in summary and "（最新の水揚げ 11月27日(木) 休漁）" in summary


def test_a_hostile_net_name_is_shown_as_text_and_harms_nothing(folder: Path) -> None:
    page = read(folder / "氷見漁協" / "index.html")
    assert "<script>" not in page and "DROP TABLE" in page
    assert html_lib.escape(HOSTILE_NAME, quote=False).replace("'", "&#39;") in page \
        or html_lib.escape(HOSTILE_NAME) in page
    assert f"■ {HOSTILE_NAME}\n" in read(folder / "氷見漁協" / "summary.txt")  # plain text keeps it as written
    with connect(Settings(data_dir=folder.parents[1]).warehouse_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM catches").fetchone()[0] > 0


def test_the_headline_carries_the_latest_landing_and_fish_by_size_class(folder: Path) -> None:
    page = visible_text(read(folder / "氷見漁協" / "index.html"))
    mean = TOMORROW_MEAN_KG[("himi", "yellowtail")]  # 1,334 kg: 667 ブリ kg, 400 ガンド kg, 267 フクラギ kg
    assert round(mean * 0.5 / 9.0) == 74 and round(mean * 0.3 / 4.5) == 89 and round(mean * 0.2 / 1.5, -1) == 180
    assert "ブリ約74本・ガンド約89本・フクラギ約180本" in page  # by ingest/tables/fish_weights.csv
    assert page.count("本・") == 2  # only the net whose catches come by size class
    latest = re.search(r"最新の水揚げ.*?(\d+月\d+日\(.\) [\d,]+ kg)", page)
    assert latest is not None


def test_every_number_in_the_summary_is_on_the_page(folder: Path) -> None:
    for coop in ("氷見漁協", "魚津漁協"):
        page = visible_text(read(folder / coop / "index.html"))
        for line in read(folder / coop / "summary.txt").splitlines():
            if line.startswith("・") and "見込み" in line:
                for number in re.findall(r"\d[\d,.]*", line):
                    assert number in page, (coop, number, line)


PHONE_WIDTH, PHONE_HEIGHT = 375, 812  # the first screen of a phone, CSS pixels
FIRST_SCREEN_JS = """(() => {
  const box = (el) => el ? el.getBoundingClientRect().bottom : null;
  return {status: box(document.querySelector('.kyucho')),
          net: box(document.querySelector('#tomorrow .card h4')),
          headline: box(document.querySelector('#tomorrow .card .expected')),
          height: window.innerHeight};
})()"""
CARDS_FIT_JS = "[...document.querySelectorAll('.card')].every(c => c.scrollWidth <= c.clientWidth)"


@pytest.mark.slow
def test_on_a_phone_the_status_and_the_first_nets_headline_are_on_the_first_screen(folder: Path,
                                                                                    tmp_path: Path) -> None:
    from tests.reports.browser import Chromium, chromium_path

    if chromium_path() is None:
        pytest.skip("chromium not installed (run `make browser`)")
    with Chromium() as browser:
        for coop in ("氷見漁協", "魚津漁協"):
            page = folder / coop / "index.html"
            result = browser.check(page.as_uri(), PHONE_WIDTH, PHONE_HEIGHT, mobile=True,
                                   screenshot=tmp_path / f"first-screen-{coop}.png")
            assert result.scroll_width <= result.inner_width and not result.console_errors
            spots = browser.evaluate(FIRST_SCREEN_JS)
            assert spots["height"] == PHONE_HEIGHT
            for name in ("status", "net", "headline"):
                assert spots[name] is not None and spots[name] <= PHONE_HEIGHT, (coop, name, spots)
            browser.check(page.as_uri(), 1280, 900, mobile=False, screenshot=tmp_path / f"desktop-{coop}.png")
            assert browser.evaluate(CARDS_FIT_JS), coop  # on a desktop every column stays inside its card
