"""The printable report: one A4 page per cooperative, with its text searchable and its pictures drawn."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reports import build_reports, load_report_data, report_view
from reports.pdf import display_width, wrap, write_pdfs
from setnet.settings import Settings
from tests.reports.conftest import ISSUE_DATE, SCRIPT_NAME, SITES

A4_POINTS = (595, 842)


def poppler(tool: str) -> str:
    """A poppler-utils tool (installed by `make browser`); CI fails without it, a bare pytest run skips."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} not installed: `make browser` installs poppler-utils")
        pytest.skip(f"{tool} not installed (run `make browser`)")
    return path


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run([poppler("pdftotext"), "-layout", *pages, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run([poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.fixture(scope="module")
def built(shared_settings: Settings):
    return build_reports(shared_settings, ISSUE_DATE, formats="pdf")


def test_the_pdf_has_one_a4_page_per_cooperative_with_its_own_nets(built, tmp_path: Path) -> None:
    combined = built.folder / "report.pdf"
    assert pdf_pages(combined) == 2
    for number, (coop, nets) in enumerate((("氷見漁協", ["氷見大敷", SCRIPT_NAME]), ("魚津漁協", ["魚津定置"])), start=1):
        text = pdf_text(combined, number)
        assert coop in text and "定置網 漁獲予想" in text and "2025年12月1日(月)の予想" in text
        for net in nets:
            assert net in text  # a name from an input file is drawn as text, literally
        others = set(SITES.name_ja) - set(nets)
        assert not any(other in text for other in others)
        assert "ブリ" in text and "ホタルイカ" in text
        own = built.folder / coop / "report.pdf"
        assert pdf_pages(own) == 1 and coop in pdf_text(own)
    first = pdf_text(combined, 1)
    assert "1,300 kg（約89箱）" in first and "410〜2,900 kg" in first and "45%" in first
    assert "見込み（平均）" in first and "大漁（2,000kg以上）45%" in first and "空の確率 35%" in first
    assert "海況データが古いです" in first and "最近30日の成績" in first


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_changes_on_paper_are_said_in_words_that_survive_a_fax(shared_settings: Settings, tmp_path: Path,
                                                               lang: str) -> None:
    data = load_report_data(shared_settings, ISSUE_DATE)
    (path,) = write_pdfs(report_view(data, lang), data, tmp_path / "all.pdf", {})
    text = " ".join(pdf_text(path).replace("\u00a0", " ").split())
    why = ("50m水温 14.2°C（120 kg 多い）、直近7日の平均漁獲 810 kg（64 kg 少ない）" if lang == "ja" else
           "water temperature at 50 m 14.2°C (120 kg more); average catch over 7 days 810 kg (64 kg less)")
    assert why in text
    assert not re.search(r"[+−±]\s?\d", text)  # no sign for a fax to turn into "ı" or lose ("+68 kg" -> "ı68 kg")


def test_the_pages_render_to_images_of_a4_proportions(built, tmp_path: Path) -> None:
    subprocess.run([poppler("pdftoppm"), "-r", "40", "-png", str(built.folder / "report.pdf"), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"))
        height, width = pixels.shape
        assert abs(height / width - A4_POINTS[1] / A4_POINTS[0]) < 0.01
        assert (pixels < 128).mean() > 0.01  # text and charts, not a blank page


def test_long_text_is_wrapped_by_its_printed_width() -> None:
    assert display_width("ブリ12") == 6
    lines = wrap("漁獲物を早めに水揚げし、網の一部を上げてください。", 20)
    assert all(display_width(line) <= 20 for line in lines) and "".join(lines) == "漁獲物を早めに水揚げし、網の一部を上げてください。"
    assert wrap("Land the catch early and lift part of the net.", 20) == ["Land the catch early", "and lift part of the",
                                                                      "net."]
    assert wrap("氷見 大境：12月2日(火)", 12) == ["氷見 大境：", "12月2日(火)"]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_character_on_the_page_has_a_glyph(shared_settings: Settings, tmp_path: Path, lang: str) -> None:
    data = load_report_data(shared_settings, ISSUE_DATE)
    view = report_view(data, lang)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (path,) = write_pdfs(view, data, tmp_path / "all.pdf", {})
    assert [str(w.message) for w in caught if "glyph" in str(w.message).lower()] == []
    assert pdf_pages(path) == 2
