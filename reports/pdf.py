"""The printable report: one A4 page per cooperative, drawn with matplotlib (no browser), Japanese text embedded
as TrueType (so it prints, faxes and can be searched or copied).

A page holds, top to bottom: the headline and data freshness, the degraded-forecast notes, the swift-current and
temperature warnings, tomorrow's table per net (the expected catch with boxes, range, big-catch chance, change;
the chance of an empty net, the big-catch badge with its threshold, why), the surface map of the cooperative's nets
(on the report's shared colour scale) with small 7-day charts per net beside it (the expected catch over its
q10-q90 band, dates and kg on the axes), and the track record in one line per net. Nothing is printed under MIN_PT.
When a cooperative has many nets the charts are left out first; if it still does not fit, it goes on over more
A4 sheets (never cut, never shrunk).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends import _backend_pdf_ps
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_pdf import FigureCanvasPdf, PdfFile, PdfPages, RendererPdf
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font, LoadFlags
from matplotlib.patches import FancyBboxPatch

from reports.charts import FONT_NAME, TITLE_Y, plain, species_colors, sst_map_pixels, temperature_scale
from reports.data import MAP_LOOKBACK_DAYS, TRACK_RECORD_DAYS, ReportData
from reports.labels import medium_day, short_day
from reports.view import NEGLIGIBLE_KG, CoopView, ReportView

A4_IN = (8.27, 11.69)
MARGIN_IN = 0.4
BASE_PT = 11.0  # body text: large enough for older eyes on paper and after a fax
MIN_PT = 10.0  # nothing on the page is printed smaller (small print, chart ticks and the map's text included)
LINE_SPACING = 1.28
CELL_GAP_IN = 0.18  # between the columns of tomorrow's table
MAP_WIDTH_IN = 3.2  # the surface map, at the left of the 7-day charts; drawn at this size, so its text keeps its pt
MAP_HEIGHT_IN = 3.7  # at most; a tall window is drawn narrower
MAP_DPI = 300  # the map is a picture: sharp on a printer and at a fax's 200 dpi
GAP_IN = 0.2  # between the map and the charts beside it
CHART_HEIGHT_IN = 1.35  # one 7-day chart, its title, dates and kg ticks included
INK, MUTED = "#111111", "#4a4a4a"
ALERT_COLORS = {"warning": "#b91c1c", "advisory": "#b45309", "temperature": "#1d4ed8", "banner": "#111111"}
PDF_STYLE = {"font.family": [FONT_NAME, "DejaVu Sans"], "pdf.fonttype": 42, "axes.spines.top": False,
             "axes.spines.right": False}


def display_width(text: str) -> int:
    """Width of text in half-width units: a Japanese (wide) character counts 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, fits: Callable[[str], bool] | int) -> list[str]:
    """Text broken into lines that fit (a width test, or a number of half-width units): Latin words kept whole,
    Japanese broken anywhere."""
    if isinstance(fits, int):
        units = fits
        fits = lambda candidate: display_width(candidate) <= units
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        whole = paragraph.lstrip(" ")  # leading spaces are dropped below too
        if fits(whole):  # the common case, one measure: a paragraph that fits is one line (its prefixes fit too)
            lines.append(whole.rstrip())
            continue
        line = ""
        for token in re.findall(r"[^\s\u3000-\u9fff\uff00-\uffef]+| |.", paragraph):
            if fits(line + token):
                line = line + token if line or token != " " else line
                continue
            while not fits(token):  # a word longer than a line: cut it
                cut = next((i for i in range(len(token) - 1, 0, -1) if fits(line + token[:i])), 1)
                lines.append(line + token[:cut])
                line, token = "", token[cut:]
            if line.strip():
                lines.append(line.rstrip())
            line = "" if token == " " else token
        lines.append(line.rstrip())
    return lines


@lru_cache(maxsize=1)
def _font() -> FT2Font:
    return FT2Font(font_manager.findfont(FONT_NAME))


@lru_cache(maxsize=65536)
def text_width_in(text: str, size_pt: float) -> float:
    """The printed width of text in inches at a font size (measured with the report's font; each text and size
    measured once: a sheet's layout measures the same strings again)."""
    font = _font()
    font.set_size(size_pt, 72)
    font.set_text(text, 0.0, flags=LoadFlags.NO_HINTING)
    return font.get_width_height()[0] / 64 / 72


class Page:
    """A cursor down a cooperative's A4 sheets, in inches from the top of the current one; a line or block that would
    run past the bottom margin starts a new sheet. A picture placed at the left (`float_left`) has what follows flow
    beside it, then under it. With draw=False it only measures (sheets counted, nothing drawn)."""

    def __init__(self, draw: bool):
        self.draw = draw
        self.figures: list[Figure] = [Figure(figsize=A4_IN)] if draw else []
        self.sheets = 1
        self.y = MARGIN_IN
        self.width = A4_IN[0] - 2 * MARGIN_IN
        self.floating: tuple[int, float, float] | None = None  # (sheet, x where the column beside starts, bottom)

    @property
    def figure(self) -> Figure:
        return self.figures[-1]

    @staticmethod
    def line_in(size: float) -> float:
        return size / 72 * LINE_SPACING

    def room(self, height_in: float) -> None:
        """Start a new sheet unless height_in more inches fit above the bottom margin of this one."""
        if self.y + height_in > A4_IN[1] - MARGIN_IN and self.y > MARGIN_IN:
            self.sheets += 1
            self.y = MARGIN_IN
            if self.draw:
                self.figures.append(Figure(figsize=A4_IN))

    def float_left(self, width_in: float, height_in: float) -> None:
        """Keep the left width_in inches of the next height_in inches for a picture (see region)."""
        self.floating = (self.sheets, width_in + GAP_IN, self.y + height_in)

    def region(self, height_in: float) -> tuple[float, float]:
        """(x, width) in inches of the next block of height_in: beside the floating picture while it fits there,
        else under it (on a new sheet when this one is full), full width."""
        if self.floating is not None and self.floating[0] == self.sheets:
            _, x_in, bottom = self.floating
            if self.y + height_in <= bottom:
                return x_in, self.width - x_in
        self.clear()
        self.room(height_in)
        return 0.0, self.width

    def clear(self) -> None:
        """Move the cursor under the floating picture (if it is on this sheet): what follows is full width."""
        if self.floating is not None and self.floating[0] == self.sheets:
            self.y = max(self.y, self.floating[2])
        self.floating = None

    def text(self, text: str, size: float = BASE_PT, color: str = INK, x_in: float = 0.0,
             width_in: float | None = None) -> None:
        """Wrapped text from the cursor (x_in and width_in within the region it falls in); the cursor moves below."""
        left, room = self.region(self.line_in(size))
        width_in = room - x_in if width_in is None else min(width_in, room - x_in)
        for line in wrap(text, lambda candidate: text_width_in(candidate, size) <= width_in):
            left, _ = self.region(self.line_in(size))
            self._put(left + x_in, line, size, color)
            self.y += self.line_in(size)

    def cells(self, cells: list[tuple[float, float, str]], size: float = BASE_PT, color: str = INK) -> None:
        """One table row: each (x, width, text) in inches from the left margin, wrapped inside its width; the row is
        as tall as its tallest cell."""
        wrapped = [(x_in, wrap(text, lambda c, w=width_in: text_width_in(c, size) <= w))
                   for x_in, width_in, text in cells]
        lines = max((len(w) for _, w in wrapped), default=1)
        self.clear()  # a table is never beside a picture
        self.room(lines * self.line_in(size))
        for x_in, cell in wrapped:
            for index, line in enumerate(cell):
                self._put(x_in, line, size, color, dy_in=index * self.line_in(size))
        self.y += lines * self.line_in(size)

    def _put(self, x_in: float, text: str, size: float, color: str, dy_in: float = 0.0) -> None:
        if self.draw and text:
            self.figure.text((MARGIN_IN + x_in) / A4_IN[0], 1 - (self.y + dy_in + size / 72) / A4_IN[1],
                             plain(text), fontsize=size, color=color, va="baseline", ha="left")

    def space(self, inches: float) -> None:
        self.y += inches

    def rule(self, color: str = "#999999", width: float = 0.8) -> None:
        left, _ = self.region(0.05)
        if self.draw:
            y = 1 - self.y / A4_IN[1]
            self.figure.add_artist(matplotlib.lines.Line2D([(MARGIN_IN + left) / A4_IN[0], 1 - MARGIN_IN / A4_IN[0]], [y, y],
                                                           color=color, linewidth=width))
        self.y += 0.05

    def axes(self, x_in: float, top_in: float, width_in: float, height_in: float):
        """New axes at a place of this sheet, in inches from the left margin and from the top (drawing only)."""
        return self.figure.add_axes(((MARGIN_IN + x_in) / A4_IN[0], 1 - (top_in + height_in) / A4_IN[1],
                                     width_in / A4_IN[0], height_in / A4_IN[1]))

    @contextmanager
    def box(self, color: str, thick: bool = False) -> Iterator[None]:
        """A rounded frame around what is drawn inside the block, with a coloured bar on its left (on the sheet the
        block ends on, when it had to continue on a new one)."""
        self.room(0.5)
        top, sheets = self.y, self.sheets
        self.y += 0.06
        yield
        self.y += 0.04
        top = top if sheets == self.sheets else MARGIN_IN
        if self.draw:
            height = self.y - top
            self.figure.add_artist(FancyBboxPatch(
                (MARGIN_IN / A4_IN[0], 1 - self.y / A4_IN[1]), self.width / A4_IN[0], height / A4_IN[1],
                boxstyle="round,pad=0,rounding_size=0.004", transform=self.figure.transFigure,
                facecolor="none", edgecolor=color, linewidth=2.4 if thick else 1.2))
            self.figure.add_artist(matplotlib.patches.Rectangle(
                (MARGIN_IN / A4_IN[0], 1 - self.y / A4_IN[1]), 0.07 / A4_IN[0], height / A4_IN[1],
                transform=self.figure.transFigure, facecolor=color, edgecolor="none"))
        self.y += 0.08


def table_columns(texts: list[list[str]], headers: list[str], width_in: float, size: float,
                  header_size: float) -> list[tuple[float, float]]:
    """(x, width) in inches of each column of a table: as wide as its widest cell (a header may wrap between words),
    spread over width_in; narrowed in proportion (its cells then wrap) when the table would be wider."""
    gaps = CELL_GAP_IN * (len(headers) - 1)
    cells = [max([text_width_in(row[column], size) for row in texts if row[column]] + [0.3])
             for column in range(len(headers))]
    natural = [max(cell, text_width_in(header, header_size)) for cell, header in zip(cells, headers, strict=True)]
    if sum(natural) + gaps > width_in:  # headers on several lines, broken between words
        natural = [max([cell] + [text_width_in(word, header_size) for word in re.split(r"\s+", header) if word])
                   for cell, header in zip(cells, headers, strict=True)]
    if sum(natural) + gaps > width_in:
        natural = [w * (width_in - gaps) / sum(natural) for w in natural]
        gap = CELL_GAP_IN
    else:
        gap = (width_in - sum(natural)) / max(1, len(natural) - 1)
    columns, x = [], 0.0
    for w in natural:
        columns.append((x, w))
        x += w + gap
    return columns


def draw_page(page: Page, view: ReportView, coop: CoopView, forecasts: pd.DataFrame, charts: bool,
              map_rgba: np.ndarray | None, map_note: str) -> int:
    """Lay out one cooperative's sheets on `page`; returns how many A4 sheets they take."""
    t = view.t
    page.text(f"{t['title']}　{coop.name}" if view.lang == "ja" else f"{t['title']} — {coop.name}", size=18)
    page.text(view.headline, size=15)
    page.text(view.issued_at, size=BASE_PT)
    page.text(f"{t['kyucho_status_label']}{t['colon']}{coop.kyucho_status}", size=13,
              color=ALERT_COLORS.get(coop.kyucho_level, INK))  # the swift-current status, always at the top
    page.text("　".join(f"{item['label']}{t['colon']}{item['value']}" for item in view.freshness[1:]), size=MIN_PT,
              color=MUTED)
    page.space(0.06)
    for banner in [*view.banners, *coop.banners]:
        with page.box(ALERT_COLORS["banner"]):
            page.text(f"▲ {banner}", size=BASE_PT, x_in=0.18, width_in=page.width - 0.3)
    for alert in coop.alerts:
        with page.box(ALERT_COLORS[alert.kind], thick=alert.kind == "warning"):
            page.text(f"■ {alert.title}", size=14, color=ALERT_COLORS[alert.kind], x_in=0.18)
            page.text(alert.action, size=BASE_PT, x_in=0.18, width_in=page.width - 0.3)
            for detail in alert.details:
                page.text(f"・{detail}", size=BASE_PT, x_in=0.25, width_in=page.width - 0.37)
    # the currents remark (last) is for the screen; paper keeps the essentials, and when the status line above already
    # says there is no ocean forecast, not also where the warnings were judged from (the first)
    for note in coop.alert_notes[1 if coop.kyucho_level == "unknown" else 0:-1]:
        page.text(note, size=MIN_PT, color=MUTED)
    page.space(0.08)
    page.text(f"{t['tomorrow']} — {view.target_label}", size=14)
    page.rule(INK, 1.2)
    header = [t["col_species"], t["col_expected"], t["col_range"], t["col_big"] if view.show_big_catch else "",
              t["col_change"]]
    rows = {id(line): forecast_cells(view, line) for net in coop.nets for line in net.lines}
    columns = table_columns(list(rows.values()), header, page.width, BASE_PT, MIN_PT)
    page.cells([(x, w, text) for (x, w), text in zip(columns, header, strict=True)], size=MIN_PT, color=MUTED)
    for net in coop.nets:
        page.space(0.04)
        page.text(net.name, size=13)
        if net.operate:
            page.text(net.operate, size=BASE_PT, color="#9a3412" if (net.operate_pct or 0) < 50 else INK)
        for line in net.lines:
            page.cells([(x, w, text) for (x, w), text in zip(columns, rows[id(line)], strict=True)], size=BASE_PT)
            if line.empty:
                page.text(line.empty, size=MIN_PT, x_in=0.2)
            if line.big_catch:
                page.text(f"★ {line.big_catch}", size=MIN_PT, color="#9a3412", x_in=0.2)
            if line.why:
                page.text(f"{t['why']}{t['colon']}{line.why}", size=MIN_PT, color=MUTED, x_in=0.2,
                          width_in=page.width - 0.2)
        if net.quiet:
            page.text(t["summary_quiet"].format(species=t["list_sep"].join(net.quiet)), size=MIN_PT, color=MUTED)
        page.rule()
    page.space(0.06)
    draw_map_and_outlooks(page, view, coop, forecasts if charts else None, map_rgba, map_note)
    page.space(0.06)
    page.text(t["track"].format(days=TRACK_RECORD_DAYS), size=12)
    for net in coop.nets:
        hits = view.t["list_sep"].join(f"{line.species} {net.track_notes[line.code]}" for line in net.lines
                                       if net.track_notes.get(line.code))
        page.text(f"{net.name}{t['colon']}{hits or t['no_value']}", size=MIN_PT, x_in=0.1)
    skill = "; ".join(  # its own nets' (the bay's if none), each net named once
        (f"{net}{t['colon']}" if net else "") + t["list_sep"].join(f"{row['species']} {row['vs_climatology']}"
                                                                     for row in rows)
        for net, rows in skill_by_net(coop.skill or view.skill["rows"]))
    page.text(f"{t['skill']} — {t['col_vs_climatology']}{t['colon']}{skill or t['no_value']}", size=MIN_PT, x_in=0.1)
    draw_kyucho_record(page, view, coop)
    page.space(0.06)
    page.text(view.t["footer"], size=MIN_PT, color=MUTED)
    if view.made_at:
        page.text(view.made_at, size=MIN_PT, color=MUTED)
    return page.sheets


def draw_kyucho_record(page: Page, view: ReportView, coop: CoopView) -> None:
    """The swift-current warnings' verified record of the cooperative's nets, in one short paragraph under the skill."""
    if coop.kyucho_record is not None and coop.kyucho_record.paper:
        page.text(coop.kyucho_record.paper, size=MIN_PT, x_in=0.1, width_in=page.width - 0.1)


def skill_by_net(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """The skill rows grouped by net, in their order ('' for the bay's pooled rows)."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(str(row.get("net", "")), []).append(row)
    return list(groups.items())


def forecast_cells(view: ReportView, line) -> list[str]:
    """One species' cells of tomorrow's table: species, expected catch (with boxes), range, big-catch chance, change."""
    boxes = (f"（{line.boxes}）" if view.lang == "ja" else f" ({line.boxes})") if line.boxes else ""
    chance = f"{line.big_catch_pct}%" if line.big_catch_pct is not None and view.show_big_catch else ""
    return [line.species, f"{line.expected} kg{boxes}", line.range, chance, line.change]


def draw_map_and_outlooks(page: Page, view: ReportView, coop: CoopView, forecasts: pd.DataFrame | None,
                          map_rgba: np.ndarray | None, map_note: str) -> None:
    """The surface map at the left with its caption beside it and, beside it and then under it, per net a row of
    small 7-day charts (the expected catch, mean_kg, over its q10-q90 band; dates on the x axis, kg on the y axis):
    two a row beside the map, three under it. What follows the charts flows on beside the map too."""
    t = view.t
    if map_rgba is not None:
        width_in, height_in = map_rgba.shape[1] / MAP_DPI, map_rgba.shape[0] / MAP_DPI
        page.room(height_in)
        if page.draw:
            axis = page.axes(0.0, page.y, width_in, height_in)
            axis.imshow(map_rgba, interpolation="none", aspect="auto")
            axis.set_axis_off()
        page.float_left(width_in, height_in)
    page.text(map_note, size=MIN_PT, color=MUTED)
    page.space(0.06)
    if forecasts is None:
        return
    page.text(f"{t['outlook'].format(days=view.outlook_days)} — {t['legend_expected']}", size=12)
    for net in coop.nets:
        codes = [line.code for line in net.lines if _any_above(forecasts, net.site_id, line.code)]
        quiet = t["list_sep"].join(line.species for line in net.lines if line.code not in codes)
        note = t["summary_quiet"].format(species=quiet) if quiet else ""
        title = f"{net.name}（{note}）" if note and view.lang == "ja" else f"{net.name} ({note})" if note else net.name
        page.region(page.line_in(MIN_PT) + (CHART_HEIGHT_IN if codes else 0.0))  # the title stays with its charts
        page.text(title, size=MIN_PT, color=MUTED)
        while codes:
            x_in, width_in = page.region(CHART_HEIGHT_IN)
            per_row = 2 if width_in < page.width else 3
            if page.draw:
                for index, code in enumerate(codes[:per_row]):
                    draw_outlook(page, view, forecasts, net.site_id, code, x_in + index * width_in / per_row,
                                 width_in / per_row)
            codes = codes[per_row:]
            page.y += CHART_HEIGHT_IN
    page.space(0.04)


def draw_outlook(page: Page, view: ReportView, forecasts: pd.DataFrame, site_id: str, code: str, x_in: float,
                 width_in: float) -> None:
    """One species' 7-day chart at a net, in a slot of the sheet (the cursor is its top)."""
    rows = forecasts[(forecasts.site_id == site_id) & (forecasts.species == code)].sort_values("target_date")
    color = species_colors([code])[code]
    left, right, above, below = 0.5, 0.12, 0.3, 0.3  # room for the kg ticks, the title and the dates
    axis = page.axes(x_in + left, page.y + above, width_in - left - right, CHART_HEIGHT_IN - above - below)
    days = [pd.Timestamp(d).date() for d in rows.target_date]
    x = np.arange(len(rows))
    axis.fill_between(x, rows.q10_kg, rows.q90_kg, color=color, alpha=0.25, linewidth=0)
    axis.plot(x, rows.mean_kg, "-o", color=color, linewidth=1.6, markersize=2.5)
    axis.set_title(plain(view.species_names.get(code, code)), fontsize=MIN_PT, loc="left", pad=3, y=TITLE_Y)
    axis.set_ylabel("kg", fontsize=MIN_PT, labelpad=2, rotation=0, ha="right", va="center")
    axis.yaxis.set_label_coords(-0.02, 1.08)
    axis.set_ylim(0, max(1.0, float(max(rows.q90_kg.max(), rows.mean_kg.max())) * 1.08))
    axis.set_xlim(-0.9, len(rows) - 0.4)  # room at the left: the first date clears the 0 of the kg axis
    step = 2 if width_in / max(1, len(rows)) < 0.45 else 1
    axis.set_xticks(x[::step], [short_day(d, view.lang).split("\n")[0] for d in days[::step]])
    axis.tick_params(labelsize=MIN_PT, length=2, pad=1)
    axis.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3, integer=True))
    axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:,.0f}"))


def _any_above(forecasts: pd.DataFrame, site_id: str, code: str, kg: float = NEGLIGIBLE_KG) -> bool:
    """Whether any day's q90 or expected catch of a species at a net reaches `kg` (a chart of zeros says nothing)."""
    rows = forecasts[(forecasts.site_id == site_id) & (forecasts.species == code)]
    return bool(((rows.q90_kg >= kg) | (rows.mean_kg >= kg)).any())


def coop_figures(view: ReportView, coop: CoopView, data: ReportData) -> list[Figure]:
    """One cooperative's A4 sheets: one, with the map and the 7-day charts, when they fit; else one without the
    charts; else as many as it takes (text never below MIN_PT)."""
    map_rgba, map_note = coop_map(view, coop, data)
    page = Page(draw=True)  # drawn with the charts first: kept when it fits (each sheet laid out once)
    if draw_page(page, view, coop, data.forecasts, True, map_rgba, map_note) == 1 or \
            draw_page(Page(draw=False), view, coop, data.forecasts, False, map_rgba, map_note) > 1:
        return page.figures  # one sheet with the charts, or more than one even without them: the charts stay
    page = Page(draw=True)
    draw_page(page, view, coop, data.forecasts, False, map_rgba, map_note)
    return page.figures


def coop_map(view: ReportView, coop: CoopView, data: ReportData) -> tuple[np.ndarray | None, str]:
    """The surface map around the cooperative's nets (RGBA pixels at MAP_DPI, the report's shared colour scale, its nets
    under a swift-current alert in red) and its caption; (None, why not) when there is no ocean data."""
    t = view.t
    if not data.levels:
        return None, t["map_missing"].format(day=medium_day(data.issue_date, view.lang), lookback=MAP_LOOKBACK_DAYS)
    surface = data.levels[0]
    sites = data.sites[data.sites.site_id.isin(coop.site_ids)]
    rgba = sst_map_pixels(surface, sites if not sites.empty else data.sites, view.site_names, t,
                          title=None, highlight=coop.alert_sites,  # titled "arrows: surface current"; the caption says the rest
                          coast=surface, scale=temperature_scale(data.levels, data.sites), width_in=MAP_WIDTH_IN,
                          dpi=MAP_DPI, max_height_in=MAP_HEIGHT_IN)
    age_days = (data.issue_date - surface.day).days
    caption = (t["map_level_caption"].format(day=medium_day(surface.day, view.lang), level=t["level_surface"])
               if age_days <= 0 else
               t["map_level_caption_old"].format(day=medium_day(surface.day, view.lang), level=t["level_surface"],
                                                 days=age_days))
    return rgba, caption


def write_pdfs(view: ReportView, data: ReportData, combined: Path | None,
               per_coop: dict[str, Path]) -> list[Path]:
    """Write the all-cooperatives PDF (each cooperative's sheets, one A4 page each when they fit, at `combined`) and
    each cooperative's own PDF; each sheet is drawn once, onto its page of every file it goes in.

    per_coop: coop slug -> path. The files are written to temporary names and renamed (readers never see half).
    """
    metadata = {"Title": view.t["title"], "Creator": "setnet", "Producer": "setnet", "CreationDate": None}
    coops = [coop for coop in view.coops if combined is not None or coop.slug in per_coop]
    targets = {coop.slug: (per_coop[coop.slug], metadata | {"Subject": coop.name}) for coop in coops
               if coop.slug in per_coop}
    if combined is not None:
        targets[None] = (combined, metadata)
    temporaries = {key: path.with_name(path.name + ".tmp") for key, (path, _) in targets.items()}
    try:
        with matplotlib.rc_context(PDF_STYLE), ExitStack() as files:
            pages = {}
            for key, (path, meta) in targets.items():
                path.parent.mkdir(parents=True, exist_ok=True)
                pages[key] = files.enter_context(PdfPages(temporaries[key], metadata=meta))
            for coop in coops:
                into = [pages[key] for key in (coop.slug, None) if key in pages]
                for sheet in coop_figures(view, coop, data):
                    _CanvasPdfPages(sheet)
                    sheet.savefig(into, format="pdf")
            with embedded_once([p._file for p in pages.values() if p._file is not None]):
                files.close()  # each file embeds its fonts as it closes
        written = []
        for key, (path, _) in targets.items():
            temporaries[key].chmod(0o644)
            temporaries[key].replace(path)
            written.append(path)
        return written
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)


class _CanvasPdfPages(FigureCanvasPdf):
    """A PDF canvas that draws its figure once onto a new page of each of a list of PdfPages (as
    FigureCanvasPdf.print_pdf does for one)."""

    def print_pdf(self, filename, *, bbox_inches_restore=None, metadata=None, **_ignored):  # dpi, colours: set on
        # the figure by savefig already (as FigureCanvasPdf drops them)
        dpi = self.figure.dpi
        self.figure.dpi = 72  # there are 72 pdf points to an inch
        width, height = self.figure.get_size_inches()
        files = [pages._ensure_file() for pages in filename]
        try:
            for file in files:
                file.newPage(width, height)
            renderer = MixedModeRenderer(self.figure, width, height, dpi,
                                         _EveryRenderer([RendererPdf(file, dpi, height, width) for file in files]),
                                         bbox_inches_restore=bbox_inches_restore)
            self.figure.draw(renderer)
            renderer.finalize()
        finally:
            for file in files:
                file.endStream()


class _EveryRenderer:
    """Several PDF renderers as one: what draws goes to each of them (each writes its own file), what measures or
    answers is asked of the first (they are alike)."""

    def __init__(self, renderers: list[RendererPdf]):
        self._renderers = renderers

    def __getattr__(self, name: str):
        first = getattr(self._renderers[0], name)
        if not (name.startswith("draw_") or name in ("open_group", "close_group", "finalize")):
            return first
        others = [getattr(renderer, name) for renderer in self._renderers[1:]]

        def every(*args, **kwargs):
            result = first(*args, **kwargs)
            for other in others:
                other(*args, **kwargs)
            return result

        return every


@dataclass(frozen=True)
class _Subset:
    """A font subset made once (its TrueType bytes and the old -> new glyph index map), in the form matplotlib's
    PDF backend reads from `get_glyphs_subset` (`.font.save(file)`, `.glyph_index_map`)."""

    data: bytes
    glyph_index_map: dict[int, int]

    @property
    def font(self) -> _Subset:
        return self

    def save(self, file, reorderTables: bool = False) -> None:  # fontTools' TTFont.save signature
        file.write(self.data)


@contextmanager
def embedded_once(files: Iterable[PdfFile]) -> Iterator[None]:
    """While the PDF files close: each font subset is made once for all of them, with the glyphs its place in every
    file uses, and each picture compressed once; both are embedded in each file. (fontTools read the Japanese font
    and subset it again for every file, 0.2-0.3 s each; a cooperative's map was compressed for its file and again
    for the combined one.) A file's text, widths and ToUnicode map stay its own; its font program may hold a few
    more glyphs (the other cooperatives')."""
    wanted: dict[tuple[str, int], list[set[int]]] = {}  # font -> per subset (Latin, then the Japanese in 256s)
    for file in files:
        for font, charmaps in file._character_tracker.used.items():
            groups = wanted.setdefault(_font_key(font), [])
            groups.extend(set() for _ in range(len(charmaps) - len(groups)))
            for group, charmap in zip(groups, charmaps, strict=False):
                group.update(charmap.values())
    made: dict[tuple[tuple[str, int], frozenset[int]], _Subset] = {}
    compressed: dict[tuple, tuple] = {}
    subset_glyphs, write_png = _backend_pdf_ps.get_glyphs_subset, PdfFile._writePng

    def shared_subset(fontfile, glyphs):
        key, glyphs = _font_key(fontfile), frozenset(glyphs)
        every = next((frozenset(group) for group in wanted.get(key, []) if glyphs <= group), glyphs)
        if (key, every) not in made:
            with subset_glyphs(fontfile, every) as subset:
                made[key, every] = _Subset(_backend_pdf_ps.font_as_file(subset.font).getvalue(),
                                           dict(subset.glyph_index_map))
        return nullcontext(made[key, every])

    def shared_png(pdf_file: PdfFile, image):
        key = (image.mode, image.size, image.tobytes(), tuple(image.getpalette() or ()))
        if key not in compressed:
            compressed[key] = write_png(pdf_file, image)
        return compressed[key]

    _backend_pdf_ps.get_glyphs_subset, PdfFile._writePng = shared_subset, shared_png
    try:
        yield
    finally:
        _backend_pdf_ps.get_glyphs_subset, PdfFile._writePng = subset_glyphs, write_png


def _font_key(font) -> tuple[str, int]:
    """A font file and face (matplotlib's FontPath, or a plain path) as a key."""
    return str(font), int(getattr(font, "face_index", 0))
