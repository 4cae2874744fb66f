"""Chart functions return PNG bytes, and Japanese text is drawn with real glyphs, not tofu boxes."""

from __future__ import annotations

import io
import logging
import warnings
from datetime import date, timedelta

import matplotlib
import matplotlib.image
import matplotlib.quiver
import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from PIL import Image

from reports import charts
from reports.data import SurfaceField
from reports.labels import LABELS
from tests.reports.conftest import ISSUE_DATE, SITES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JAPANESE_SAMPLE = "ブリ ホタルイカ 氷見 水温（°C）漁獲量 −5"


def assert_png(data: bytes) -> Image.Image:
    """The bytes are a PNG of a sensible size; returns the decoded image."""
    assert isinstance(data, bytes) and data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG" and image.width >= 300 and image.height >= 100
    return image


@pytest.fixture
def glyph_problems(caplog: pytest.LogCaptureFixture):
    """Collects 'Glyph ... missing' warnings and 'findfont' fallbacks raised while the test draws."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
            yield lambda: ([str(w.message) for w in caught if "glyph" in str(w.message).lower()]
                           + [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()])


def outlook_frame(start: date) -> pd.DataFrame:
    """Seven days of forecasts for two species."""
    rows = [{"target_date": pd.Timestamp(start + timedelta(days=lead)), "species": species,
             "mean_kg": 55.0 * lead, "q10_kg": 10.0 * lead, "q50_kg": 40.0 * lead, "q90_kg": 90.0 * lead}
            for species in ("yellowtail", "firefly_squid") for lead in range(1, 8)]
    return pd.DataFrame(rows)


def surface_field() -> SurfaceField:
    """A 10 x 12 surface field whose southern rows are land."""
    lat = np.linspace(36.6, 37.05, 10)
    lon = np.linspace(136.85, 137.4, 12)
    temp_c = 15 + np.add.outer(lat - 36.6, lon - 136.85)
    temp_c[:3] = np.nan
    currents = np.where(np.isfinite(temp_c), 0.3, np.nan)
    return SurfaceField(day=date(2025, 11, 30), depth_m=0.49, lat=lat, lon=lon, temp_c=temp_c,
                        eastward_ms=currents, northward_ms=currents / 2)


def test_the_chart_font_has_japanese_glyphs() -> None:
    with matplotlib.rc_context(charts.STYLE):
        path = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"]))
    charmap = FT2Font(path).get_charmap()
    for character in "ブリホタルイカ氷見魚津水温漁獲量°−〜":
        assert ord(character) in charmap, f"{character!r} missing from {path}"


def test_japanese_text_renders_without_missing_glyph_warnings(glyph_problems) -> None:
    assert_png(charts.text_png([JAPANESE_SAMPLE, "<script>alert(1)</script> $5 and $6"]))
    assert glyph_problems() == []


def test_the_glyph_check_would_catch_tofu(glyph_problems) -> None:
    figure = Figure()
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        figure.text(0.1, 0.5, "ブリ")
        figure.savefig(io.BytesIO(), format="png")
    assert any("missing" in problem for problem in glyph_problems())


def test_outlook_chart_returns_png(glyph_problems) -> None:
    png = charts.outlook_chart(outlook_frame(date(2025, 11, 30)), {"yellowtail": 120.0}, {"yellowtail": "ブリ",
                               "firefly_squid": "ホタルイカ"}, ["yellowtail", "firefly_squid"], "氷見大敷",
                               LABELS["ja"], "ja")
    image = assert_png(png)
    assert image.height > image.width  # one panel per species, stacked for a phone
    assert glyph_problems() == []


def drawn_figures(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """The figures the chart functions draw from now on (each still encoded as PNG, or drawn as pixels)."""
    figures: list[Figure] = []

    def keeping(draw):
        def keep(figure: Figure, *args):
            figures.append(figure)
            return draw(figure, *args)
        return keep

    monkeypatch.setattr(charts, "figure_png", keeping(charts.figure_png))
    monkeypatch.setattr(charts, "figure_pixels", keeping(charts.figure_pixels))
    return figures


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_outlook_line_is_the_expected_catch_over_its_range(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    figures = drawn_figures(monkeypatch)
    outlook = outlook_frame(date(2025, 11, 30))
    charts.outlook_chart(outlook, {}, {"yellowtail": "ブリ"}, ["yellowtail"], "氷見大敷", LABELS[lang], lang)
    (figure,) = figures
    (line,) = figure.axes[0].get_lines()
    np.testing.assert_allclose(line.get_ydata(), outlook[outlook.species == "yellowtail"].mean_kg)  # not q50_kg
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()] == [LABELS[lang]["legend_expected"]]
    assert LABELS["ja"]["legend_expected"] == "見込み（平均）と80%の範囲"
    assert LABELS["en"]["legend_expected"] == "Expected and 80% range"


def test_the_track_record_line_is_the_expected_catch(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = drawn_figures(monkeypatch)
    end = date(2025, 11, 30)
    days = pd.date_range(end - timedelta(days=2), end, freq="D")
    lead1 = pd.DataFrame({"target_date": days, "species": "yellowtail", "mean_kg": [25.0, 30.0, 35.0],
                          "q10_kg": 5.0, "q50_kg": 0.0, "q90_kg": 60.0})
    catches = pd.DataFrame({"date": days[:1], "species": "yellowtail", "catch_kg": [30.0]})
    charts.net_track_chart(lead1, catches, ["yellowtail"], {"yellowtail": "ブリ"}, {}, "氷見大敷", days[0].date(),
                           end, LABELS["ja"])
    expected_line = figures[0].axes[0].get_lines()[0]
    np.testing.assert_allclose(expected_line.get_ydata(), [25.0, 30.0, 35.0])


def test_track_record_chart_returns_png_with_gaps(glyph_problems) -> None:
    end = date(2025, 11, 30)
    days = pd.date_range(end - timedelta(days=29), end, freq="D")
    lead1 = pd.DataFrame({"target_date": days, "site_id": "himi", "mean_kg": 25.0, "q10_kg": 5.0, "q50_kg": 20.0,
                          "q90_kg": 60.0})
    lead1 = lead1.drop(index=[3, 4, 10])  # days without a stored forecast
    catches = pd.DataFrame({"date": days[::3], "site_id": "himi", "catch_kg": 30.0})
    png = charts.track_record_chart(lead1, catches, ["himi", "odd"], {"himi": "氷見大敷", "odd": "<b>$x$</b>"},
                                    {"himi": "幅の内側 8/10日"}, "ブリ", end - timedelta(days=29), end,
                                    charts.PALETTE[0], LABELS["ja"])
    assert_png(png)
    assert glyph_problems() == []


def test_sst_map_returns_png_in_both_languages(glyph_problems) -> None:
    sites = SITES.assign(name_ja=SITES.name_ja)
    names = dict(zip(SITES.site_id, SITES.name_ja, strict=True))
    for lang in ("ja", "en"):
        assert_png(charts.sst_map_chart(surface_field(), sites, names, LABELS[lang]))
    assert glyph_problems() == []


def test_a_map_without_land_still_draws() -> None:
    field = surface_field()
    sea = SurfaceField(field.day, field.depth_m, field.lat, field.lon, np.nan_to_num(field.temp_c, nan=15.0),
                       np.nan_to_num(field.eastward_ms), np.nan_to_num(field.northward_ms))
    assert_png(charts.sst_map_chart(sea, SITES.iloc[:0], {}, LABELS["en"]))


def test_current_arrows_are_subsampled_to_a_readable_number() -> None:
    assert charts.quiver_step(10, 12) == 1
    assert charts.quiver_step(120, 160) == 12
    assert 160 / charts.quiver_step(120, 160) <= 14


def test_text_is_drawn_literally() -> None:
    assert charts.plain("$5 net") == r"\$5 net"
    assert charts.shorten("<script>alert(1)</script>", 10) == "<script>a…"
    assert charts.shorten("氷見", 10) == "氷見"


def test_a_nets_track_record_has_a_panel_per_species(glyph_problems) -> None:
    end = date(2025, 11, 30)
    days = pd.date_range(end - timedelta(days=29), end, freq="D")
    lead1 = pd.concat([pd.DataFrame({"target_date": days, "species": code, "mean_kg": 25.0, "q10_kg": 5.0,
                                     "q50_kg": 20.0, "q90_kg": 60.0}) for code in ("yellowtail", "firefly_squid")])
    catches = pd.DataFrame({"date": days[::3], "species": "yellowtail", "catch_kg": 30.0})
    png = charts.net_track_chart(lead1, catches, ["yellowtail", "firefly_squid"], {"yellowtail": "ブリ",
                                 "firefly_squid": "ホタルイカ"}, {"yellowtail": "幅の内側 8/10日"}, "<b>$x$</b>",
                                 end - timedelta(days=29), end, LABELS["ja"])
    image = assert_png(png)
    assert image.height > image.width
    assert glyph_problems() == []


def test_a_deeper_level_map_keeps_the_coastline_and_marks_warned_nets(glyph_problems) -> None:
    surface = surface_field()
    deep_temp = surface.temp_c - 4.0
    deep_temp[3, :] = np.nan  # shallower than the level: no value there, but not land
    deep = SurfaceField(surface.day, 47.4, surface.lat, surface.lon, deep_temp, surface.eastward_ms,
                        surface.northward_ms)
    names = dict(zip(SITES.site_id, SITES.name_ja, strict=True))
    png = charts.sst_map_chart(deep, SITES, names, LABELS["ja"], title="50m層の水温と流れ", highlight={"himi"},
                               coast=surface)
    assert_png(png)
    assert glyph_problems() == []


def level_field(temp_c: np.ndarray, depth_m: float = 0.49) -> SurfaceField:
    """A field on surface_field's grid with the given temperatures."""
    grid = surface_field()
    return SurfaceField(grid.day, depth_m, grid.lat, grid.lon, temp_c, grid.eastward_ms, grid.northward_ms)


@pytest.mark.parametrize(("surface_c", "deep_c", "expected"), [
    ((14.3, 15.1), (13.9, 14.2), (13, 17, 1)),  # 13.9..15.1 -> 13..16, widened to 4 °C: 13..17
    ((15.0, 15.0), (15.0, 15.0), (13, 17, 1)),  # one temperature: centred in 4 °C
    ((18.2, 27.6), (11.4, 19.0), (11, 29, 2)),  # a summer thermocline: 18 °C in 2 °C bands
    ((10.5, 12.5), (9.2, 11.0), (9, 13, 1)),
])
def test_the_maps_share_a_scale_of_whole_degrees_covering_both_levels_at_least_4_c(surface_c, deep_c,
                                                                                   expected) -> None:
    grid = surface_field()
    land = ~np.isfinite(grid.temp_c)
    sea_lat = grid.lat[~land.all(axis=1)]
    ramp = np.clip((grid.lat[:, None] - sea_lat.min()) / np.ptp(sea_lat), 0, 1) + 0 * grid.lon[None, :]  # 0..1 at sea
    surface = level_field(np.where(land, np.nan, surface_c[0] + ramp * (surface_c[1] - surface_c[0])))
    deep = level_field(np.where(land, np.nan, deep_c[0] + ramp * (deep_c[1] - deep_c[0])), 47.4)
    sites = SITES.iloc[:0]  # the whole grid is the window
    shown = np.concatenate([surface.temp_c[~land], deep.temp_c[~land]])
    scale = charts.temperature_scale([surface, deep], sites)
    assert (scale.lo_c, scale.hi_c, scale.step_c) == expected
    assert scale.hi_c - scale.lo_c >= charts.MAP_MIN_SPAN_C
    assert scale.lo_c <= shown.min() and shown.max() <= scale.hi_c  # both levels inside the one scale
    assert scale.boundaries_c[0] == scale.lo_c and scale.boundaries_c[-1] == scale.hi_c
    assert charts.temperature_scale([level_field(np.full_like(grid.temp_c, np.nan))], sites) == \
        charts.TemperatureScale(10, 14, 1)  # no sea at all: still a scale


def temperature_meshes(figure: Figure) -> list:
    """The temperature layers drawn on a map (coloured with the maps' colour map)."""
    return [c for c in figure.axes[0].collections
            if isinstance(c, matplotlib.collections.QuadMesh) and c.get_cmap().name == charts.MAP_CMAP]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_surface_and_50m_maps_of_a_report_use_one_colour_scale_in_c(monkeypatch: pytest.MonkeyPatch,
                                                                          shared_settings, lang: str) -> None:
    from reports import load_report_data, report_view
    from reports.render import chart_images, map_images

    data = load_report_data(shared_settings, ISSUE_DATE)
    figures = drawn_figures(monkeypatch)
    map_images(data, report_view(data, lang))
    assert len(figures) == 2  # the surface and 50 m
    (surface,), (deep,) = (temperature_meshes(f) for f in figures)
    assert (surface.norm.vmin, surface.norm.vmax) == (deep.norm.vmin, deep.norm.vmax)  # a colour is one temperature
    np.testing.assert_array_equal(surface.norm.boundaries, deep.norm.boundaries)  # in the same 1 °C bands
    assert surface.norm.vmax - surface.norm.vmin >= charts.MAP_MIN_SPAN_C
    assert float(surface.norm.vmin).is_integer() and float(surface.norm.vmax).is_integer()
    for mesh in (surface, deep):  # every temperature drawn, at either depth, lies inside the scale
        drawn = np.ma.compressed(mesh.get_array())
        assert surface.norm.vmin <= drawn.min() and drawn.max() <= surface.norm.vmax
    assert not np.isclose(np.ma.compressed(surface.get_array()).mean(), np.ma.compressed(deep.get_array()).mean(),
                          atol=1.0)  # the levels differ: one scale is what makes their colours comparable
    for figure in figures:
        (colorbar_axis,) = [axis for axis in figure.axes[1:] if axis.get_xlabel()]
        assert colorbar_axis.get_xlabel() == LABELS[lang]["temp_axis"] and "°C" in colorbar_axis.get_xlabel()
    note = chart_images(data, report_view(data, lang)).map_scale_note
    scale = charts.temperature_scale(data.levels, data.sites)
    assert f"{scale.lo_c}" in note and f"{scale.hi_c}" in note and "°C" in note


LONG_NAMES = {"ja": ["氷見 大境 東の大敷網", "<script>alert(1)</script>", "魚津 経田 沖の定置網"],
              "en": ["Himi Ouzakai East Ohshiki", "<script>alert(1)</script>", "Uozu Kyoden Offshore Teichi"]}


def reaches_outside(figure: Figure) -> bool:
    """Whether anything drawn on the figure (text included) reaches past its edges, where saving cuts it off."""
    drawn = figure.get_tightbbox(figure.canvas.get_renderer())  # inches, of what is drawn
    width, height = figure.get_size_inches()
    return bool(drawn.x0 < -0.01 or drawn.y0 < -0.01 or drawn.x1 > width + 0.01 or drawn.y1 > height + 0.01)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("width_in", [charts.WIDTH_IN, 3.2], ids=["screen", "paper"])
def test_map_labels_are_whole_and_inside_the_figure_in_both_languages(lang: str, width_in: float) -> None:
    names = dict(zip(SITES.site_id, LONG_NAMES[lang], strict=True))
    text = LABELS[lang]
    title = text["map_level_title"].format(level=text["level_surface"])
    with charts._style():
        figure = charts.sst_map_figure(surface_field(), SITES, names, text, title=title, width_in=width_in)
        figure.canvas.draw()
        assert not reaches_outside(figure)  # titles, net names, ticks, key and colour bar: none cut at the edge
    labels = [t.get_text().replace("\\$", "$") for t in figure.axes[0].texts]
    # every net named in full (no "…"), perhaps on two lines (broken at a space, or between characters)
    assert sorted(next(name for name in names.values() if label.replace("\n", " ") == name
                       or label.replace("\n", "") == name) for label in labels) == sorted(names.values())
    assert figure.axes[0].get_title(loc="left").replace("\n", " ").replace("  ", " ") == title
    colorbar = next(axis for axis in figure.axes[1:] if axis.get_xlabel())
    assert colorbar.get_xlabel() == text["temp_axis"]


def test_the_edge_check_would_catch_a_cut_label() -> None:
    figure = Figure(figsize=(3, 2))
    FigureCanvasAgg(figure)
    figure.text(0.8, 0.5, "Uozu Kyoden Offshore Teichi", fontsize=13)
    figure.canvas.draw()
    assert reaches_outside(figure)


@pytest.mark.parametrize("width_in", [charts.WIDTH_IN, 3.2], ids=["screen", "paper"])
def test_current_arrows_are_drawn_at_their_real_speed_on_one_scale_with_a_1_kn_key(width_in: float) -> None:
    field = surface_field()
    with charts._style():
        figure = charts.sst_map_figure(field, SITES, {}, LABELS["en"], width_in=width_in)
        figure.canvas.draw()
    (arrows,) = [c for c in figure.axes[0].collections if isinstance(c, matplotlib.quiver.Quiver)]
    assert arrows.scale_units == "inches" and arrows.scale == pytest.approx(1 / charts.ARROW_IN_PER_KN)
    land = np.broadcast_to(np.asarray(arrows.Umask, dtype=bool), np.shape(arrows.U))  # no arrow over land
    speed_kn = np.hypot(arrows.U, arrows.V)[~land]
    assert speed_kn.size > 10
    expected_kn = np.hypot(0.3, 0.15) / charts.KNOT_MS  # the field's current, in knots: not rescaled to fit
    np.testing.assert_allclose(speed_kn, expected_kn, rtol=1e-6)
    (key,) = [a for a in figure.axes[0].get_children() if isinstance(a, matplotlib.quiver.QuiverKey)]
    assert key.U == charts.KEY_KN and key.text.get_text() == LABELS["en"]["knot_key"] == "1 kn"
    # the arrows' length on paper: ARROW_IN_PER_KN inches per knot, whatever the map's size
    assert expected_kn * charts.ARROW_IN_PER_KN > 0.15  # a 0.3 m/s current is a visible arrow (> 0.15 in)


def test_a_map_given_as_pixels_is_its_png_read_back() -> None:
    names = dict(zip(SITES.site_id, SITES.name_ja, strict=True))
    kwargs = {"highlight": {"himi"}, "width_in": 3.2, "dpi": 300, "max_height_in": 3.7}
    pixels = charts.sst_map_pixels(surface_field(), SITES, names, LABELS["ja"], **kwargs)
    png = charts.sst_map_chart(surface_field(), SITES, names, LABELS["ja"], **kwargs)
    read_back = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert pixels.dtype == read_back.dtype and pixels.shape == read_back.shape == (pixels.shape[0], 960, 4)
    assert np.array_equal(pixels, read_back)  # the PDF places the same picture, without a PNG in between
