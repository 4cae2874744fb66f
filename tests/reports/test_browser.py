"""The report as a person sees it: opened in headless Chromium at a phone's and a desktop's width.

Screenshots are kept in test-artifacts/reports/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from reports import build_reports
from setnet.settings import Settings
from tests.reports.browser import Chromium, chromium_path
from tests.reports.conftest import (
    ISSUE_DATE,
    SCRIPT_NAME,
    SITES,
    grid_dataset,
    nearest_cell,
    ocean_forecast_dataset,
    write_grid_store,
    write_warehouse,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
PHONE, DESKTOP = (375, 812, True), (1280, 900, False)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not installed: `make browser` installs Debian's chromium")
        pytest.skip("chromium not installed (run `make browser`)")
    with Chromium() as chromium:
        yield chromium


def write_reports(root: Path, lang: str) -> Path:
    """The tiny world's HTML reports in a language, with a swift-current warning at himi; returns the date folder."""
    settings = Settings(data_dir=root / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE)
    grid = grid_dataset()
    write_grid_store(settings.grid_store_path, grid)
    himi = SITES.set_index("site_id").loc["himi"]
    ocean_forecast_dataset(swift={(*nearest_cell(grid, himi.lat, himi.lon), 2): (0.6, 0.6)}).to_zarr(
        settings.forecast_store_path, mode="w", zarr_format=3, consolidated=False)
    return build_reports(settings, ISSUE_DATE, lang=lang, formats="html").folder


@pytest.fixture(scope="module")
def reports_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_reports(tmp_path_factory.mktemp("browser-ja"), "ja")


@pytest.fixture(scope="module")
def english_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_reports(tmp_path_factory.mktemp("browser-en"), "en")


PAGES = {
    "coop-himi": ("氷見漁協/index.html", 6, ["定置網 漁獲予想", "氷見漁協", "急潮警報", "ブリ", SCRIPT_NAME]),
    "all-coops": ("index.html", 8, ["氷見漁協", "魚津漁協", "魚津定置", "明日の予想"]),
    "index": ("../index.html", 0, ["定置網 漁獲予想 一覧", "氷見漁協", "魚津漁協"]),
}


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_page_reads_cleanly_at_phone_and_desktop_widths(browser: Chromium, reports_folder: Path, name: str,
                                                            viewport: tuple[int, int, bool]) -> None:
    page, images, texts = PAGES[name]
    width, height, mobile = viewport
    screenshot = ARTIFACTS / f"{name}-{width}px.png"
    seen = browser.check((reports_folder / page).resolve().as_uri(), width, height, mobile, screenshot)
    print(f"screenshot: {screenshot}")
    assert seen.console_errors == []
    assert seen.image_count == images and seen.broken_images == []
    assert seen.inner_width == width and seen.scroll_width <= seen.inner_width, "the page scrolls sideways"
    for text in texts:
        assert text in seen.text  # a name from an input file shows as text, never runs as a script
    assert screenshot.stat().st_size > 10_000


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_english_page_reads_cleanly_too(browser: Chromium, english_folder: Path,
                                            viewport: tuple[int, int, bool]) -> None:
    width, height, mobile = viewport
    screenshot = ARTIFACTS / f"coop-himi-en-{width}px.png"
    seen = browser.check((english_folder / "氷見漁協" / "index.en.html").as_uri(), width, height, mobile, screenshot)
    print(f"screenshot: {screenshot}")
    assert seen.console_errors == [] and seen.broken_images == [] and seen.image_count == 6
    assert seen.scroll_width <= seen.inner_width
    assert "Swift-current WARNING" in seen.text and "Himi Ohshiki" in seen.text and "Tomorrow's forecast" in seen.text


def test_japanese_text_is_drawn_with_a_japanese_font(browser: Chromium, reports_folder: Path) -> None:
    browser.check((reports_folder / "氷見漁協" / "index.html").as_uri(), *PHONE, None)
    fonts = browser.platform_fonts("p.target")
    assert fonts and any(re.search(r"CJK|JP|Gothic|Hiragino|Meiryo", f) for f in fonts), fonts
    assert browser.evaluate("document.querySelectorAll('script').length") == 0


def test_phone_charts_fit_the_screen(browser: Chromium, reports_folder: Path) -> None:
    browser.check((reports_folder / "氷見漁協" / "index.html").as_uri(), *PHONE, None)
    widths = browser.evaluate("[...document.images].map(i => i.getBoundingClientRect().right)")
    assert widths and max(widths) <= PHONE[0]
