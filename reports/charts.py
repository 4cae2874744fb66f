"""Pure chart functions: plain data in, PNG bytes out (matplotlib's Agg canvas, Japanese font from matplotlib-fontja)."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

import matplotlib
import matplotlib.dates as mdates
import matplotlib.patheffects as path_effects
import matplotlib_fontja  # noqa: F401  (registers IPAexGothic, a font with Japanese glyphs)
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib_fontja.matplotlib_fontja import FONT_NAME

from reports.content import KNOT_MS
from reports.data import SurfaceField
from reports.labels import short_day
from setnet.settings import SPECIES

__all__ = ["KNOT_MS", "TemperatureScale", "net_track_chart", "outlook_chart", "sst_map_chart", "sst_map_pixels",
           "temperature_scale", "track_record_chart"]
DPI = 130
WIDTH_IN = 4.4  # about 570 px: shown about 355 px wide on a phone, so 13 pt ticks read as about 14 px
JAPANESE_FONT = FONT_NAME
STYLE = {
    "font.family": [FONT_NAME, "DejaVu Sans"],
    "font.size": 15,
    "axes.titlesize": 16,
    "axes.labelsize": 14,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
PALETTE = ("#0b5fa5", "#d1495b", "#2e8540", "#8f5fbf", "#e08e0b", "#00798c", "#6b4226")
ACTUAL_COLOR = "#111111"
RECENT_COLOR = "#8a8a8a"
LAND_COLOR = "#d8cfb4"
HIGHLIGHT_COLOR = "#c0111f"
SHALLOW_COLOR = "#cfd8dc"  # sea shallower than the level drawn
BAY_MARGIN_DEG = 0.25  # sea shown around the nets on the map
MAP_CMAP = "RdYlBu_r"
MAP_MIN_SPAN_C = 4  # the temperature maps' shared colour scale spans at least this many °C (whole degrees)
MAP_MAX_BANDS = 12  # at most this many colour bands of 1 °C; a wider scale gets bands of 2 °C
LEGEND_ROW_UNITS = 36  # legend labels (in half-width characters, a Japanese one counts 2) that fit on one row
# Current arrows are drawn at their real speed on one fixed scale on every map (both depths, screen and paper):
# an arrow ARROW_IN_PER_KN inches long is 1 knot; the key arrow in each map's corner shows that 1 kn.
ARROW_IN_PER_KN = 0.5
ARROW_SPACING_IN = 0.32  # about this far apart on the map, so arrows of up to about half a knot never touch
KEY_KN = 1.0
MAP_MAX_HEIGHT_IN = 9.6  # a map figure's height (the map, its title, key row and colour bar) is at most this
KEY_ROW_PT = 22  # the row between a map's title and its top edge, where the key arrow is drawn
TITLE_Y = 1.0  # an Axes title at its top edge, placed (not moved at every draw clear of tick labels above: none are)


def species_colors(codes: list[str]) -> dict[str, str]:
    """The same colour for a species in every chart and every report: setnet's SPECIES order, then the others'."""
    known = [sp.code for sp in SPECIES]
    others = sorted(set(codes) - set(known))
    return {code: PALETTE[(known.index(code) if code in known else len(known) + others.index(code)) % len(PALETTE)]
            for code in codes}


def shorten(text: str, max_chars: int) -> str:
    """Text cut to max_chars with an ellipsis, so long names do not run off a chart."""
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def plain(text: str) -> str:
    """Text drawn literally: a '$' in a name must not switch matplotlib into math mode."""
    return text.replace("$", r"\$")


@contextmanager
def _style() -> Iterator[None]:
    """The report's chart style (large text, Japanese font) for the duration."""
    with matplotlib.rc_context(STYLE):
        yield


def _new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on its own Agg canvas (no pyplot, no global figure state)."""
    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure: Figure, dpi: int = DPI) -> bytes:
    """A figure encoded as PNG bytes (dpi pixels per inch: the screen's DPI, or more for paper)."""
    buffer = io.BytesIO()
    if isinstance(figure.get_layout_engine(), ConstrainedLayoutEngine):  # laid out once, at the dpi it is drawn at
        figure.set_dpi(dpi)  # (savefig would solve the layout in a measuring pass, then again while drawing)
        figure.draw_without_rendering()
        figure.set_layout_engine("none")
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def figure_pixels(figure: Figure, dpi: int = DPI) -> np.ndarray:
    """A figure drawn at dpi pixels per inch as RGBA floats 0-1 (height x width x 4): the values its PNG reads back
    as with matplotlib.image.imread, without encoding and decoding a PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="rgba", dpi=dpi)
    width_px = int(figure.get_figwidth() * dpi)  # Agg's canvas: the figure's width at dpi, cut to whole pixels
    rgba = np.frombuffer(buffer.getbuffer(), dtype=np.uint8).reshape(-1, width_px, 4)
    return np.divide(rgba, 2**8 - 1, dtype=np.float32)


def _day_ticks(axis, days: list[date], lang: str) -> None:
    """Tick every given day with its weekday; the month is written on the first day and on each 1st."""
    labels = [short_day(d, lang, with_month=(i == 0 or d.day == 1)) for i, d in enumerate(days)]
    axis.set_xticks([np.datetime64(d, "ns") for d in days], labels=labels)


def _week_ticks(axis) -> None:
    """Weekly ticks written as month/day, of the axis' limits (set before): placed once, where a DayLocator would
    place them again at every layout pass and draw."""
    ticks = mdates.DayLocator(interval=7).tick_values(*mdates.num2date(axis.get_xlim()))
    axis.set_xticks(ticks, labels=[f"{day.month}/{day.day}" for day in mdates.num2date(ticks)])


def _kg_axis(axis) -> None:
    """A catch axis from zero (to at least 1 kg) with a few whole-kg ticks and thousands separators."""
    axis.set_ylim(0, max(axis.get_ylim()[1], 1.0))
    axis.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axis.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}"))


def text_png(lines: list[str]) -> bytes:
    """Lines of text drawn in the report's font (used to check that glyphs render)."""
    with _style():
        figure = _new_figure(WIDTH_IN, 0.5 + 0.5 * len(lines))
        for i, line in enumerate(lines):
            figure.text(0.02, 1 - (i + 1) / (len(lines) + 1), plain(line))
        return figure_png(figure)


def outlook_chart(outlook: pd.DataFrame, recent_average_kg: dict[str, float], species_names: dict[str, str],
                  species: list[str], title: str, text: dict[str, str], lang: str) -> bytes:
    """One net's next days: a panel per species with the expected catch (mean_kg) over its q10-q90 band, the last
    7 days' average dashed.

    outlook: target_date (datetime64), species, mean_kg, q10_kg, q90_kg; recent_average_kg: species -> kg.
    """
    colors = species_colors(species)
    days = sorted(pd.to_datetime(outlook.target_date).dt.date.unique())
    with _style():
        figure = _new_figure(WIDTH_IN, 1.2 + 2.0 * len(species))
        axes = figure.subplots(len(species), 1, sharex=True, squeeze=False)[:, 0]
        for axis, code in zip(axes, species, strict=True):
            rows = outlook[outlook.species == code].sort_values("target_date")
            x = rows.target_date.to_numpy()
            axis.fill_between(x, rows.q10_kg, rows.q90_kg, color=colors[code], alpha=0.22, linewidth=0,
                              label=text["legend_expected"])
            axis.plot(x, rows.mean_kg, "-o", color=colors[code], linewidth=2.5, markersize=6,
                      label=text["legend_expected"])
            average = recent_average_kg.get(code)
            if average is not None and np.isfinite(average):
                axis.axhline(average, color=RECENT_COLOR, linestyle="--", linewidth=1.8, label=text["legend_recent"])
            axis.set_title(plain(species_names.get(code, code)), loc="left", color=colors[code], y=TITLE_Y)
            axis.set_ylabel(text["axis_kg"])
            _kg_axis(axis)
        _day_ticks(axes[-1], days, lang)
        axes[-1].set_xlim(np.datetime64(days[0], "ns") - np.timedelta64(12, "h"),
                          np.datetime64(days[-1], "ns") + np.timedelta64(12, "h"))
        _legend_below(figure, axes)
        figure.suptitle(plain(title), fontsize=17)
        return figure_png(figure)


def _legend_below(figure: Figure, axes: np.ndarray) -> None:
    """One legend for all panels, under the figure, listing each kind of mark once (in grey when the panels'
    colours differ: the legend explains the marks, the panel titles the species). Marks of one panel sharing a
    label (the band and the line of the expected catch) are one entry, drawn over each other."""
    seen: dict[str, object] = {}
    colours: set[str] = set()
    for axis in axes:
        marks: dict[str, list] = {}
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            marks.setdefault(label, []).append(handle)
            if isinstance(handle, PolyCollection):
                colours.add(matplotlib.colors.to_hex(handle.get_facecolor()[0], keep_alpha=False))
        for label, handles in marks.items():
            seen.setdefault(label, tuple(handles) if len(handles) > 1 else handles[0])
    if len(colours) > 1:
        seen = {label: _grey(handle) for label, handle in seen.items()}
    units = sum(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label) for label in seen)
    columns = len(seen) if units <= LEGEND_ROW_UNITS else max(1, len(seen) - 1)  # long labels: fewer per row
    figure.legend(list(seen.values()), list(seen.keys()), loc="outside lower center", ncols=columns,
                  frameon=False, fontsize=13, handlelength=1.4, columnspacing=0.8)


def _grey(handle: object) -> object:
    """A legend stand-in for a band or a coloured line (or a tuple of them), in neutral grey (black marks stay as
    they are)."""
    if isinstance(handle, tuple):
        return tuple(_grey(part) for part in handle)
    if isinstance(handle, PolyCollection):
        return Patch(facecolor="#555555", alpha=0.25, linewidth=0)
    if isinstance(handle, Line2D) and handle.get_color() not in (ACTUAL_COLOR, RECENT_COLOR):
        return Line2D([], [], color="#555555", linewidth=handle.get_linewidth(), marker=handle.get_marker(),
                      markersize=handle.get_markersize())
    return handle


def track_record_chart(lead1: pd.DataFrame, catches: pd.DataFrame, site_ids: list[str], site_names: dict[str, str],
                       hit_notes: dict[str, str], title: str, start: date, end: date, color: str,
                       text: dict[str, str]) -> bytes:
    """One species over the last days: per net, the lead-1 expected catch (mean) and q10-q90 band against the
    actual catches.

    lead1: target_date, site_id, mean_kg, q10_kg, q90_kg; catches: date, site_id, catch_kg (both datetime64);
    hit_notes: site_id -> how often the catch fell inside the band, shown at the panel's right.
    """
    calendar = pd.date_range(start, end, freq="D")
    with _style():
        figure = _new_figure(WIDTH_IN, 0.9 + 2.0 * len(site_ids))
        axes = figure.subplots(len(site_ids), 1, sharex=True, squeeze=False)[:, 0]
        for axis, site_id in zip(axes, site_ids, strict=True):
            daily = (lead1[lead1.site_id == site_id].set_index("target_date")[["mean_kg", "q10_kg", "q90_kg"]]
                     .reindex(calendar))
            actual = catches[catches.site_id == site_id]
            x = calendar.to_numpy()
            axis.fill_between(x, daily.q10_kg, daily.q90_kg, color=color, alpha=0.22, linewidth=0,
                              label=text["legend_expected"])
            axis.plot(x, daily.mean_kg, "-", color=color, linewidth=2, label=text["legend_expected"])
            axis.plot(actual.date.to_numpy(), actual.catch_kg, "o", color=ACTUAL_COLOR, markersize=5,
                      label=text["legend_actual"])
            axis.set_title(plain(shorten(site_names.get(site_id, site_id), 12)), loc="left", y=TITLE_Y)
            axis.set_title(hit_notes.get(site_id, ""), loc="right", fontsize=13, y=TITLE_Y)
            axis.set_ylabel(text["axis_kg"])
            _kg_axis(axis)
        axes[-1].set_xlim(np.datetime64(start, "ns") - np.timedelta64(12, "h"),
                          np.datetime64(end, "ns") + np.timedelta64(12, "h"))
        _week_ticks(axes[-1])
        _legend_below(figure, axes)
        figure.suptitle(plain(title), color=color, fontsize=17)
        return figure_png(figure)


def net_track_chart(lead1: pd.DataFrame, catches: pd.DataFrame, species: list[str], species_names: dict[str, str],
                    hit_notes: dict[str, str], title: str, start: date, end: date, text: dict[str, str]) -> bytes:
    """One net over the last days: per species, the lead-1 expected catch (mean) and q10-q90 band against the
    actual catches.

    lead1: target_date, species, mean_kg, q10_kg, q90_kg; catches: date, species, catch_kg (both datetime64);
    hit_notes: species -> how often the catch fell inside the band, shown at the panel's right.
    """
    calendar = pd.date_range(start, end, freq="D")
    colors = species_colors(species)
    with _style():
        figure = _new_figure(WIDTH_IN, 0.9 + 1.9 * len(species))
        axes = figure.subplots(len(species), 1, sharex=True, squeeze=False)[:, 0]
        for axis, code in zip(axes, species, strict=True):
            daily = (lead1[lead1.species == code].set_index("target_date")[["mean_kg", "q10_kg", "q90_kg"]]
                     .reindex(calendar))
            actual = catches[catches.species == code]
            x = calendar.to_numpy()
            axis.fill_between(x, daily.q10_kg, daily.q90_kg, color=colors[code], alpha=0.22, linewidth=0,
                              label=text["legend_expected"])
            axis.plot(x, daily.mean_kg, "-", color=colors[code], linewidth=2, label=text["legend_expected"])
            axis.plot(actual.date.to_numpy(), actual.catch_kg, "o", color=ACTUAL_COLOR, markersize=5,
                      label=text["legend_actual"])
            axis.set_title(plain(shorten(species_names.get(code, code), 12)), loc="left", color=colors[code], y=TITLE_Y)
            axis.set_title(hit_notes.get(code, ""), loc="right", fontsize=13, y=TITLE_Y)
            axis.set_ylabel(text["axis_kg"])
            _kg_axis(axis)
        axes[-1].set_xlim(np.datetime64(start, "ns") - np.timedelta64(12, "h"),
                          np.datetime64(end, "ns") + np.timedelta64(12, "h"))
        _week_ticks(axes[-1])
        _legend_below(figure, axes)
        figure.suptitle(plain(title), fontsize=17)
        return figure_png(figure)


@dataclass(frozen=True)
class TemperatureScale:
    """The colour scale of the temperature maps: lo_c to hi_c (whole °C) in bands of step_c °C, one colour each."""

    lo_c: int
    hi_c: int
    step_c: int

    @property
    def boundaries_c(self) -> np.ndarray:
        return np.arange(self.lo_c, self.hi_c + self.step_c, self.step_c, dtype=float)

    def norm(self) -> matplotlib.colors.BoundaryNorm:
        """A colour per band: the same colour is the same temperature band on every map drawn with this scale."""
        return matplotlib.colors.BoundaryNorm(self.boundaries_c, ncolors=matplotlib.colormaps[MAP_CMAP].N)


def temperature_scale(fields: Iterable[SurfaceField], sites: pd.DataFrame) -> TemperatureScale:
    """One colour scale (°C) for the temperature maps of a day (the surface and 50 m): the lowest and highest
    temperature over every level inside the maps' window (bay_window), rounded out to whole °C, widened evenly to at
    least MAP_MIN_SPAN_C; bands of 1 °C, or 2 °C when that would make more than MAP_MAX_BANDS. No sea: 10-14 °C."""
    values = np.concatenate([np.ravel(bay_window(field, sites).temp_c) for field in fields] or [np.array([])])
    values = values[np.isfinite(values)]
    lo, hi = (int(np.floor(values.min())), int(np.ceil(values.max()))) if values.size else (10, 14)
    if hi - lo < MAP_MIN_SPAN_C:
        lo -= (MAP_MIN_SPAN_C - (hi - lo)) // 2
        hi = lo + MAP_MIN_SPAN_C
    step = 1 if hi - lo <= MAP_MAX_BANDS else 2
    hi = lo + step * int(np.ceil((hi - lo) / step))
    return TemperatureScale(lo_c=lo, hi_c=hi, step_c=step)


def quiver_step(n_lat: int, n_lon: int, arrows_across: int = 14) -> int:
    """Keep about `arrows_across` current arrows along the longer side of the grid."""
    return max(1, int(np.ceil(max(n_lat, n_lon) / arrows_across)))


def sst_map_chart(field: SurfaceField, sites: pd.DataFrame, site_names: dict[str, str], text: dict[str, str],
                  title: str | None = None, highlight: set[str] | None = None,
                  coast: SurfaceField | None = None, scale: TemperatureScale | None = None,
                  width_in: float = WIDTH_IN, dpi: int = DPI, max_height_in: float = MAP_MAX_HEIGHT_IN) -> bytes:
    """sst_map_figure as PNG bytes, width_in inches wide (at most max_height_in tall) at dpi pixels per inch."""
    with _style():
        return figure_png(sst_map_figure(field, sites, site_names, text, title, highlight, coast, scale, width_in,
                                         max_height_in), dpi)


def sst_map_pixels(field: SurfaceField, sites: pd.DataFrame, site_names: dict[str, str], text: dict[str, str],
                   title: str | None = None, highlight: set[str] | None = None,
                   coast: SurfaceField | None = None, scale: TemperatureScale | None = None,
                   width_in: float = WIDTH_IN, dpi: int = DPI, max_height_in: float = MAP_MAX_HEIGHT_IN) -> np.ndarray:
    """sst_map_chart's picture as its RGBA pixels (figure_pixels), for a page that places it (the PDF)."""
    with _style():
        return figure_pixels(sst_map_figure(field, sites, site_names, text, title, highlight, coast, scale, width_in,
                                            max_height_in), dpi)


def sst_map_figure(field: SurfaceField, sites: pd.DataFrame, site_names: dict[str, str], text: dict[str, str],
                   title: str | None = None, highlight: set[str] | None = None,
                   coast: SurfaceField | None = None, scale: TemperatureScale | None = None,
                   width_in: float = WIDTH_IN, max_height_in: float = MAP_MAX_HEIGHT_IN) -> Figure:
    """Temperature (°C) of one level around the nets, with the coast, current arrows at their real speed (one fixed
    scale: ARROW_IN_PER_KN inches per knot, with a 1 kn key arrow under the title) and the nets named in full.

    title: shown at the top left (default: the surface-currents label), wrapped when longer than the map is wide;
    highlight: nets drawn larger, in red (nets under a swift-current alert); coast: the surface field of the same
    grid, whose empty cells are the land (a deeper level is also empty where the sea is shallower than it: those
    cells are shaded as shallow sea); scale: the colour scale, shared by the maps of one report (temperature_scale
    of every level; default: this field's own).
    """
    scale = scale or temperature_scale([field], sites)
    field = bay_window(field, sites)
    land = ~np.isfinite(field.temp_c)
    shallow = np.zeros_like(land)
    if coast is not None:
        coast_window = bay_window(coast, sites)
        if coast_window.temp_c.shape == field.temp_c.shape:
            coast_land = ~np.isfinite(coast_window.temp_c)
            shallow, land = land & ~coast_land, coast_land
    mean_lat = float(np.nanmean(field.lat))
    with _style():
        aspect = 1.0 / np.cos(np.deg2rad(mean_lat))
        height_per_width = aspect * np.ptp(field.lat) / max(np.ptp(field.lon), 1e-6)
        figure = _new_figure(width_in, min(float(np.clip(width_in * 0.82 * height_per_width, 2.0, 8.0)) + 1.6,
                                           max_height_in))  # a tall window: a narrower map
        axis = figure.subplots()
        axis.set_facecolor(LAND_COLOR)
        axis.grid(False)
        mesh = axis.pcolormesh(field.lon, field.lat, np.ma.masked_invalid(field.temp_c), cmap=MAP_CMAP,
                               norm=scale.norm(), shading="nearest")
        colorbar = figure.colorbar(mesh, ax=axis, orientation="horizontal", shrink=0.9, pad=0.02)
        ticks = scale.boundaries_c
        colorbar.set_ticks(ticks if ticks.size <= 8 else ticks[::2], labels=None)
        colorbar.ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}"))
        colorbar.set_label(text["temp_axis"])  # 水温（°C） / Temperature (°C)
        if shallow.any():
            axis.pcolormesh(field.lon, field.lat, np.ma.masked_where(~shallow, np.ones(shallow.shape)),
                            cmap=matplotlib.colors.ListedColormap([SHALLOW_COLOR]), shading="nearest")
        if land.any() and (~land).any():
            axis.contour(field.lon, field.lat, land.astype(float), levels=[0.5], colors="#333333", linewidths=1.2)
        step = quiver_step(field.lat.size, field.lon.size, max(4, int((width_in - 0.9) / ARROW_SPACING_IN)))
        east_kn = np.ma.masked_invalid(field.eastward_ms[::step, ::step] / KNOT_MS)
        north_kn = np.ma.masked_invalid(field.northward_ms[::step, ::step] / KNOT_MS)
        arrows = axis.quiver(field.lon[::step], field.lat[::step], east_kn, north_kn, angles="uv",
                             scale_units="inches", scale=1.0 / ARROW_IN_PER_KN, units="inches", width=0.02,
                             color="#111111")
        heading = axis.set_title(plain(title or text["map_currents"]), loc="left", fontsize=14, pad=KEY_ROW_PT, y=TITLE_Y)
        axis.set_aspect(aspect)
        axis.set_xlim(field.lon.min(), field.lon.max())
        axis.set_ylim(field.lat.min(), field.lat.max())
        axis.xaxis.set_major_locator(MaxNLocator(4 if width_in >= 4 else 3))
        axis.yaxis.set_major_locator(MaxNLocator(5))
        axis.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{_degrees(x)}°E"))
        axis.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{_degrees(y)}°N"))
        axis.tick_params(labelsize=11)
        figure.canvas.draw()  # lay the figure out first, so label boxes are measured where they will be
        if _break_to_fit(heading, figure):
            figure.canvas.draw()  # a title on two lines: lay out again
        figure.set_layout_engine("none")  # and keep it so: the key and the labels are placed on this layout
        box_pt = axis.get_window_extent().size * 72 / figure.dpi  # the map's width and height in points
        axis.quiverkey(arrows, KEY_KN * ARROW_IN_PER_KN * 72 / 2 / box_pt[0], 1 + KEY_ROW_PT / 2 / box_pt[1], KEY_KN, text["knot_key"], labelpos="E",
                       coordinates="axes", labelsep=0.08, fontproperties={"size": 12})
        _draw_nets(figure, axis, sites, site_names, highlight or set())
        return figure


def _degrees(value: float) -> str:
    """A tick in degrees without trailing zeros: 137.05, 137.1, 37."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bay_window(field: SurfaceField, sites: pd.DataFrame, margin_deg: float = BAY_MARGIN_DEG) -> SurfaceField:
    """The part of the field around the nets (their box plus margin_deg), or all of it when there are no nets."""
    placed = sites.dropna(subset=["lat", "lon"])
    if placed.empty:
        return field
    rows = (field.lat >= placed.lat.min() - margin_deg) & (field.lat <= placed.lat.max() + margin_deg)
    columns = (field.lon >= placed.lon.min() - margin_deg) & (field.lon <= placed.lon.max() + margin_deg)
    if rows.sum() < 3 or columns.sum() < 3:
        return field
    return replace(field, lat=field.lat[rows], lon=field.lon[columns], temp_c=field.temp_c[np.ix_(rows, columns)],
                   eastward_ms=field.eastward_ms[np.ix_(rows, columns)],
                   northward_ms=field.northward_ms[np.ix_(rows, columns)])


# Where a net's name may go, in points from its dot: right, left, then above and below.
DOT_WEIGHT = 20.0  # covering a net's dot is this much worse than covering as much of another name
LABEL_OFFSETS = ((6, 4, "left", "bottom"), (6, -4, "left", "top"), (-6, 4, "right", "bottom"),
                 (-6, -4, "right", "top"), (0, 9, "center", "bottom"), (0, -9, "center", "top"))


def _draw_nets(figure: Figure, axis, sites: pd.DataFrame, site_names: dict[str, str], highlight: set[str]) -> None:
    """Mark each net with a dot and its full name (outlined in white), placed where it covers no other name or dot
    and stays inside the map (on one line, else broken onto two), else inside the figure."""
    outline = [path_effects.withStroke(linewidth=3, foreground="white")]
    renderer = figure.canvas.get_renderer()
    inside, whole = axis.get_window_extent(renderer), figure.bbox
    nets = list(sites.dropna(subset=["lat", "lon"]).sort_values("lat", ascending=False).itertuples(index=False))
    placed = []  # the boxes names must keep clear of: every net's dot, then the names placed so far
    for row in nets:
        marked = row.site_id in highlight
        (dot,) = axis.plot(row.lon, row.lat, "o", color=HIGHLIGHT_COLOR if marked else "black",
                           markersize=11 if marked else 8, markeredgecolor="white", markeredgewidth=1.5)
        placed.append((dot.get_window_extent(renderer), DOT_WEIGHT))
    for row in nets:
        name = site_names.get(row.site_id, row.site_id)
        label = axis.annotate(plain(name), (row.lon, row.lat), xytext=LABEL_OFFSETS[0][:2], textcoords="offset points",
                              fontsize=13, path_effects=outline)
        tries = [(text, frame, offset) for frame in (inside, whole) for text in (name, _two_lines(name))
                 for offset in LABEL_OFFSETS]
        # the first place inside the map, else the figure, clear of dots and names; when crowded, the place inside
        # the figure that covers the least of them
        covered = [(_label_cover(label, renderer, *t, placed), index) for index, t in enumerate(tries)]
        clear = [index for cover, index in covered if cover == 0.0]
        crowded = sorted((cover, index) for cover, index in covered if cover is not None)
        chosen = tries[clear[0] if clear else crowded[0][1] if crowded else 0]
        _label_cover(label, renderer, *chosen, [])
        placed.append((label.get_window_extent(renderer), 1.0))


def _break_to_fit(label, figure: Figure) -> bool:
    """Break a one-line text that runs past the figure's right edge onto lines that fit (between words, or between
    Japanese characters); whether it was broken."""
    renderer = figure.canvas.get_renderer()
    whole = label.get_text()
    if "\n" in whole or label.get_window_extent(renderer).x1 <= figure.bbox.x1:
        return False
    tokens = re.findall(r"[^\s\u3000-\u9fff\uff00-\uffef]+\s*|.", whole)
    lines, line = [], ""
    for token in tokens:
        label.set_text(line + token)
        if line and label.get_window_extent(renderer).x1 > figure.bbox.x1:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    label.set_text("\n".join([*lines, line.rstrip()]))
    return True


def _label_cover(label, renderer, text: str, frame, offset: tuple, placed: list) -> float | None:
    """Set the label to text at offset; the area (px², times each box's weight) of the placed (box, weight) it then
    covers, None when it is not inside frame."""
    label.set(text=plain(text), position=offset[:2], ha=offset[2], va=offset[3])
    box = label.get_window_extent(renderer)
    if not _within(box, frame):
        return None
    return float(sum(weight * max(0.0, min(box.x1, o.x1) - max(box.x0, o.x0))
                     * max(0.0, min(box.y1, o.y1) - max(box.y0, o.y0)) for o, weight in placed))


def _within(box, frame) -> bool:
    return box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1


def _two_lines(name: str) -> str:
    """A name broken in two near its middle: at the space closest to it, else (Japanese) between characters."""
    spaces = [i for i, c in enumerate(name) if c in " \u3000"]
    if spaces:
        cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
        return name[:cut] + "\n" + name[cut + 1:]
    return name[: (len(name) + 1) // 2] + "\n" + name[(len(name) + 1) // 2:] if len(name) > 1 else name
