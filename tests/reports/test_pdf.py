"""The printable report: one A4 page per cooperative, with its text searchable and its pictures drawn."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import matplotlib
import matplotlib.text
import numpy as np
import pytest
from PIL import Image

from reports import build_reports, load_report_data, report_view
from reports import pdf as pdf_module
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


# --- what a printed or faxed page must keep -------------------------------------------------------------------------

FAX_DPI = 200  # a fine-mode fax: 200 dpi, 1 bit
OVERLAP_PT = 0.5  # two words' boxes may touch (kerning, a shared edge) but not overlap by more than this


@pytest.fixture(scope="module")
def both_pdfs(shared_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The all-cooperatives PDF of the tiny world in each language."""
    data = load_report_data(shared_settings, ISSUE_DATE)
    folder = tmp_path_factory.mktemp("pdfs")
    return {lang: write_pdfs(report_view(data, lang), data, folder / f"report.{lang}.pdf", {})[0]
            for lang in ("ja", "en")}


def overlapping_words(page) -> list[tuple[str, str]]:
    """Pairs of words on a pdfplumber page whose boxes overlap by more than OVERLAP_PT both ways."""
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"])
    pairs = []
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            across = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            down = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if across > OVERLAP_PT and down > OVERLAP_PT:
                pairs.append((a["text"], b["text"]))
    return pairs


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_two_words_on_a_page_overlap(both_pdfs: dict[str, Path], lang: str) -> None:
    import pdfplumber

    with pdfplumber.open(both_pdfs[lang]) as pdf:
        assert len(pdf.pages) == 2
        for page in pdf.pages:
            assert len(page.extract_words()) > 80  # the page's text, table and chart labels are there to check
            assert overlapping_words(page) == []


def test_the_overlap_check_would_catch_columns_drawn_over_each_other(tmp_path: Path) -> None:
    import pdfplumber
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.27, 11.69))
    figure.text(0.1, 0.5, "1,300 kg (about 89 boxes)", fontsize=11)
    figure.text(0.25, 0.5, "410–2,900 kg", fontsize=11)  # the English columns of issue 13
    with PdfPages(tmp_path / "bad.pdf") as pdf:
        pdf.savefig(figure)
    with pdfplumber.open(tmp_path / "bad.pdf") as pdf:
        assert overlapping_words(pdf.pages[0]) != []


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_all_text_is_at_least_10_pt(both_pdfs: dict[str, Path], lang: str) -> None:
    import pdfplumber

    with pdfplumber.open(both_pdfs[lang]) as pdf:
        sizes = [char["size"] for page in pdf.pages for char in page.chars if char["text"].strip()]
    assert len(sizes) > 500 and min(sizes) >= pdf_module.MIN_PT - 0.01


def test_the_maps_text_is_at_least_10_pt_at_the_size_it_is_printed(shared_settings: Settings) -> None:
    """The map is a picture on the page, drawn at its printed width: its own text sizes are its printed sizes."""
    from reports import charts

    data = load_report_data(shared_settings, ISSUE_DATE)
    view = report_view(data, "en")
    with charts._style():
        figure = charts.sst_map_figure(data.levels[0], data.sites, view.site_names, view.t,
                                       width_in=pdf_module.MAP_WIDTH_IN, max_height_in=pdf_module.MAP_HEIGHT_IN)
    texts = [t for t in figure.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()]
    assert len(texts) > 10 and min(t.get_fontsize() for t in texts) >= pdf_module.MIN_PT
    assert figure.get_size_inches()[1] <= pdf_module.MAP_HEIGHT_IN + 1e-9


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_each_page_carries_the_surface_map_on_the_reports_shared_scale(shared_settings: Settings, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      lang: str) -> None:
    import pdfplumber

    from reports import charts
    from tests.reports.test_charts import drawn_figures, temperature_meshes

    data = load_report_data(shared_settings, ISSUE_DATE)
    view = report_view(data, lang)
    figures = drawn_figures(monkeypatch)
    (path,) = write_pdfs(view, data, tmp_path / "all.pdf", {})
    assert len(figures) == len(view.coops)  # one map per cooperative's page
    scale = charts.temperature_scale(data.levels, data.sites)  # the scale of the HTML's two maps
    for figure in figures:
        (mesh,) = temperature_meshes(figure)
        np.testing.assert_array_equal(mesh.norm.boundaries, scale.boundaries_c)
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            (image,) = page.images
            width_in = (image["x1"] - image["x0"]) / 72
            assert 2.5 <= width_in <= pdf_module.MAP_WIDTH_IN + 0.01
            assert image["srcsize"][0] / width_in >= FAX_DPI  # as sharp as a fine fax, or sharper
    text = " ".join(pdf_text(path).split())
    assert ("11月30日(日)の表層の水温" if lang == "ja" else "surface temperature (colour, °C) and currents") in text


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_7_day_charts_have_dates_and_kg_on_their_axes(both_pdfs: dict[str, Path], lang: str) -> None:
    import pdfplumber

    with pdfplumber.open(both_pdfs[lang]) as pdf:
        words = [w["text"] for w in pdf.pages[0].extract_words()]
    charts_drawn = 4  # two nets with two species each on the first cooperative's page
    assert words.count("kg") >= charts_drawn  # the y axis' unit, once per chart
    for day in ("12/1", "12/3", "12/5", "12/7"):
        assert words.count(day) >= charts_drawn  # the dates of the days forecast


def test_the_english_pdf_names_cooperatives_in_english_from_the_registry(both_pdfs: dict[str, Path],
                                                                          shared_settings: Settings) -> None:
    assert "Set-net catch forecast — Himi Fisheries Cooperative" in pdf_text(both_pdfs["en"], 1)
    assert "魚津漁協" in pdf_text(both_pdfs["en"], 2)  # no coop_en in the registry: its Japanese name
    assert "Himi Fisheries Cooperative" not in pdf_text(both_pdfs["ja"])
    data = load_report_data(shared_settings, ISSUE_DATE)
    # one folder per cooperative whatever the language: the English files sit beside the Japanese ones
    assert [c.slug for c in report_view(data, "en").coops] == [c.slug for c in report_view(data, "ja").coops] == \
        ["氷見漁協", "魚津漁協"]


def fax_pages(path: Path, folder: Path) -> list[Image.Image]:
    """The PDF as a fine-mode fax sends it: FAX_DPI, thresholded to 1 bit (poppler's -mono)."""
    subprocess.run([poppler("pdftoppm"), "-r", str(FAX_DPI), "-mono", str(path), str(folder / "fax")], check=True)
    return [Image.open(page) for page in sorted(folder.glob("fax-*.pbm"))]


def tesseract() -> str:
    """Debian's tesseract-ocr (installed by `make browser`); CI fails without it, a bare pytest run skips."""
    path = shutil.which("tesseract")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("tesseract not installed: `make browser` installs tesseract-ocr")
        pytest.skip("tesseract not installed (run `make browser`)")
    return path


def test_decimals_and_words_survive_a_fax_of_the_english_page(both_pdfs: dict[str, Path], tmp_path: Path) -> None:
    first = fax_pages(both_pdfs["en"], tmp_path)[0]
    assert first.mode == "1"  # black and white only, as the fax machine sends it
    first.save(tmp_path / "fax.png")
    # read as one block of text and as sparse text: tesseract's page segmentation can skip a line of a mixed
    # text-and-picture page in one mode, never the printed characters in both
    reads = [" ".join(subprocess.run([tesseract(), str(tmp_path / "fax.png"), "-", "--psm", mode, "-l", "eng"],
                                     capture_output=True, text=True, check=True).stdout.split())
             for mode in ("6", "11")]
    # the decimals and the words that carry a change's sign, read back (a unit's letter may be misread at 10 pt)
    for seen in (r"14\.2", r"0\.9 kn", r"1\.0 kn", r"about 2\.4 times", r"120 k. more", r"64 k. less", r"95% less",
                 r"1,300 kg \(about 89 boxes\)", r"2,900"):
        assert any(re.search(seen, read) for read in reads), f"{seen!r} lost in the fax: {reads}"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_decimal_point_is_still_ink_after_a_fax(both_pdfs: dict[str, Path], tmp_path: Path,
                                                      lang: str) -> None:
    """Each '.' between two digits keeps black pixels in its own box at 200 dpi, 1 bit (a pixel test: a lost point
    turns 14.2 °C into 142 °C). The Japanese page's key numbers are there as text too."""
    import pdfplumber

    pages = fax_pages(both_pdfs[lang], tmp_path)
    points = 0
    with pdfplumber.open(both_pdfs[lang]) as pdf:
        for page, image in zip(pdf.pages, pages, strict=True):
            ink = np.asarray(image.convert("L")) < 128
            chars = page.chars
            for before, char, after in zip(chars, chars[1:], chars[2:], strict=False):
                if char["text"] == "." and before["text"].isdigit() and after["text"].isdigit():
                    scale = FAX_DPI / 72
                    box = ink[int(char["top"] * scale):int(np.ceil(char["bottom"] * scale)),
                              int(char["x0"] * scale):int(np.ceil(char["x1"] * scale))]
                    assert box.sum() >= 2, f"a decimal point vanished near {before['text']}.{after['text']}"
                    points += 1
    assert points >= 4
    text = " ".join(pdf_text(both_pdfs[lang]).replace("\u00a0", " ").split())
    for number in ("14.2°C", "2.4", "0.9"):
        assert number in text


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_cooperative_too_long_for_one_sheet_goes_on_over_more_in_full_size(report_settings: Settings,
                                                                            tmp_path: Path, lang: str) -> None:
    import pdfplumber

    from setnet.warehouse import connect, upsert

    extra = [f"extra{i}" for i in range(8)]
    with connect(report_settings.warehouse_path) as con:
        sites = con.execute("SELECT * FROM sites WHERE site_id = 'himi'").df()
        forecasts = con.execute("SELECT * FROM forecasts WHERE site_id = 'himi'").df()
        for i, site_id in enumerate(extra):
            upsert(con, "sites", sites.assign(site_id=site_id, name_ja=f"追加の網{i}", name_en=f"Extra net {i}",
                                              lat=36.9 - 0.01 * i).drop(columns="updated_at"))
            upsert(con, "forecasts", forecasts.assign(site_id=site_id))
    data = load_report_data(report_settings, ISSUE_DATE)
    view = report_view(data, lang)
    (path,) = write_pdfs(view, data, tmp_path / "all.pdf", {})
    himi = view.coops[0]
    assert len(himi.nets) == 10
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) >= 3  # the long cooperative on two sheets or more, Uozu on its own
        assert min(c["size"] for p in pdf.pages for c in p.chars if c["text"].strip()) >= pdf_module.MIN_PT - 0.01
        assert [overlapping_words(page) for page in pdf.pages] == [[]] * len(pdf.pages)
    text = pdf_text(path)
    for net in himi.nets:
        assert net.name in text  # nothing cut off at the bottom
    assert view.t["track"].format(days=30) in text


@pytest.mark.slow
def test_printing_the_html_page_from_chromium_gives_a4_sheets_with_10_pt_text(shared_settings: Settings,
                                                                              tmp_path: Path) -> None:
    import base64

    import pdfplumber

    from tests.reports.browser import Chromium, chromium_path

    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not installed: `make browser` installs Debian's chromium")
        pytest.skip("chromium not installed (run `make browser`)")
    folder = build_reports(shared_settings, ISSUE_DATE, formats="html").folder
    with Chromium() as chromium:
        chromium.check((folder / "氷見漁協" / "index.html").as_uri(), 1280, 900, False, None)
        printed = chromium.send("Page.printToPDF", preferCSSPageSize=True)  # the page's own @page size
    (tmp_path / "printed.pdf").write_bytes(base64.b64decode(printed["data"]))
    with pdfplumber.open(tmp_path / "printed.pdf") as pdf:
        assert len(pdf.pages) >= 1
        for page in pdf.pages:
            assert (round(float(page.width)), round(float(page.height))) == A4_POINTS  # not Letter (612 x 792)
        sizes = [c["size"] for page in pdf.pages for c in page.chars if c["text"].strip()]
    assert "氷見漁協" in pdf_text(tmp_path / "printed.pdf")
    assert min(sizes) >= pdf_module.MIN_PT - 0.01


def test_the_files_of_one_build_share_each_font_subset_and_look_like_the_combined_pages(
        shared_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.backends import _backend_pdf_ps
    from matplotlib.backends.backend_pdf import PdfFile

    made, compressed = [], []
    subset, write_png = _backend_pdf_ps.get_glyphs_subset, PdfFile._writePng
    monkeypatch.setattr(_backend_pdf_ps, "get_glyphs_subset", lambda font, glyphs: made.append(font) or
                        subset(font, glyphs))
    monkeypatch.setattr(PdfFile, "_writePng", lambda file, image: compressed.append(image.size) or
                        write_png(file, image))
    data = load_report_data(shared_settings, ISSUE_DATE)
    view = report_view(data, "ja")
    own = {coop.slug: tmp_path / coop.slug / "report.pdf" for coop in view.coops}
    combined = tmp_path / "report.pdf"
    assert sorted(write_pdfs(view, data, combined, own)) == sorted([combined, *own.values()])
    assert _backend_pdf_ps.get_glyphs_subset is not subset  # the counting one is back in place after the build
    fonts = subprocess.run([poppler("pdffonts"), str(combined)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert len(made) == len(fonts)  # each subset of the combined file made once, not again for each cooperative's
    images = subprocess.run([poppler("pdfimages"), "-list", str(combined)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert len(compressed) == len(images) == len(view.coops)  # each map compressed once, for both files it is in
    for number, coop in enumerate(view.coops, start=1):
        assert pdf_text(own[coop.slug]) == pdf_text(combined, number)  # searchable, the same words
        pictures = []
        for name, path, page in (("own", own[coop.slug], 1), ("all", combined, number)):
            subprocess.run([poppler("pdftoppm"), "-r", "60", "-png", "-f", str(page), "-l", str(page), "-singlefile",
                            str(path), str(tmp_path / f"{coop.slug}-{name}")], check=True)
            pictures.append(np.asarray(Image.open(tmp_path / f"{coop.slug}-{name}.png")))
        assert np.array_equal(*pictures)  # its own file looks exactly like its page of the combined one
