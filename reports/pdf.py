"""The printable report: one A4 page per cooperative, drawn with matplotlib (no browser), Japanese text embedded
as TrueType (so it prints, faxes and can be searched or copied).

A page holds, top to bottom: the headline and data freshness, the degraded-forecast notes, the swift-current and
temperature warnings, tomorrow's table per net (the expected catch with boxes, range, big-catch chance, change;
the chance of an empty net, the big-catch badge with its threshold, why), small 7-day charts per net (the expected
catch over its q10-q90 band), and the track record in one line per net. When a cooperative has many nets the charts are
left out first, then the print is made smaller (never below MIN_SCALE), so the page always stays one page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font, LoadFlags
from matplotlib.patches import FancyBboxPatch

from reports.charts import FONT_NAME, plain, species_colors
from reports.data import TRACK_RECORD_DAYS, ReportData
from reports.labels import short_day
from reports.view import NEGLIGIBLE_KG, CoopView, ReportView

A4_IN = (8.27, 11.69)
MARGIN_IN = 0.45
BASE_PT = 11.0  # body text: large enough for older eyes on paper and after a fax
MIN_SCALE = 0.62
LINE_SPACING = 1.42
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


def text_width_in(text: str, size_pt: float) -> float:
    """The printed width of text in inches at a font size (measured with the report's font)."""
    font = _font()
    font.set_size(size_pt, 72)
    font.set_text(text, 0.0, flags=LoadFlags.NO_HINTING)
    return font.get_width_height()[0] / 64 / 72


class Page:
    """A cursor down an A4 figure, in inches from the top; with draw=False it only measures."""

    def __init__(self, figure: Figure | None, scale: float):
        self.figure = figure
        self.scale = scale
        self.y = MARGIN_IN
        self.width = A4_IN[0] - 2 * MARGIN_IN

    @property
    def draw(self) -> bool:
        return self.figure is not None

    def pt(self, size: float) -> float:
        return size * self.scale

    def line_in(self, size: float) -> float:
        return self.pt(size) / 72 * LINE_SPACING

    def text(self, text: str, size: float = BASE_PT, color: str = INK, x_in: float = 0.0,
             width_in: float | None = None) -> None:
        """Wrapped text from the cursor; the cursor moves below it."""
        width_in = self.width - x_in if width_in is None else width_in
        size_pt = self.pt(size)
        for line in wrap(text, lambda candidate: text_width_in(candidate, size_pt) <= width_in):
            self._put(x_in, line, size, color)
            self.y += self.line_in(size)

    def row(self, cells: list[tuple[float, str]], size: float = BASE_PT, color: str = INK) -> None:
        """One line of cells at given x offsets (inches from the left margin)."""
        for x_in, text in cells:
            self._put(x_in, text, size, color)
        self.y += self.line_in(size)

    def _put(self, x_in: float, text: str, size: float, color: str) -> None:
        if self.draw and text:
            self.figure.text((MARGIN_IN + x_in) / A4_IN[0], 1 - (self.y + self.pt(size) / 72) / A4_IN[1],
                             plain(text), fontsize=self.pt(size), color=color, va="baseline", ha="left")

    def space(self, inches: float) -> None:
        self.y += inches * self.scale

    def rule(self, color: str = "#999999", width: float = 0.8) -> None:
        if self.draw:
            y = 1 - self.y / A4_IN[1]
            self.figure.add_artist(matplotlib.lines.Line2D([MARGIN_IN / A4_IN[0], 1 - MARGIN_IN / A4_IN[0]], [y, y],
                                                           color=color, linewidth=width))
        self.y += 0.05

    @contextmanager
    def box(self, color: str, thick: bool = False) -> Iterator[None]:
        """A rounded frame around what is drawn inside the block, with a coloured bar on its left."""
        top = self.y
        self.y += 0.06
        yield
        self.y += 0.04
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


def draw_page(page: Page, view: ReportView, coop: CoopView, forecasts: pd.DataFrame, charts: bool) -> float:
    """Lay out one cooperative's page on `page`; returns the height used in inches."""
    t = view.t
    page.text(f"{t['title']}　{coop.name}", size=19)
    page.text(view.headline, size=16)
    page.text(view.issued_at, size=BASE_PT)
    page.text("　".join(f"{item['label']}{t['colon']}{item['value']}" for item in view.freshness[1:]), size=9.5,
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
    for note in coop.alert_notes[:-1]:  # the daily-mean remark is for the screen; paper keeps the essentials
        page.text(note, size=9, color=MUTED)
    page.space(0.08)
    page.text(f"{t['tomorrow']} — {view.target_label}", size=14)
    page.rule(INK, 1.2)
    columns = [0.0, 1.55, 3.35, 5.15, 6.05]
    header = [t["col_species"], t["col_expected"], t["col_range"], t["col_big"] if view.show_big_catch else "",
              t["col_change"]]
    for net in coop.nets:
        page.space(0.04)
        page.text(net.name, size=13)
        page.row(list(zip(columns, header, strict=True)), size=8.5, color=MUTED)
        for line in net.lines:
            expected = f"{line.expected} kg" + (f"（{line.boxes}）" if line.boxes and view.lang == "ja"
                                                 else f" ({line.boxes})" if line.boxes else "")
            chance = f"{line.big_catch_pct}%" if line.big_catch_pct is not None else ""
            page.row([(columns[0], line.species), (columns[1], expected), (columns[2], line.range),
                      (columns[3], chance if view.show_big_catch else ""), (columns[4], line.change)], size=BASE_PT)
            if line.empty:
                page.text(line.empty, size=9.5, x_in=0.2)
            if line.big_catch:
                page.text(f"★ {line.big_catch}", size=9.5, color="#9a3412", x_in=0.2)
            if line.why:
                page.text(f"{t['why']}{t['colon']}{line.why}", size=8.5, color=MUTED, x_in=0.2, width_in=page.width - 0.2)
        if net.quiet:
            page.text(t["summary_quiet"].format(species=t["list_sep"].join(net.quiet)), size=9, color=MUTED)
        page.rule()
    if charts:
        draw_outlooks(page, view, coop, forecasts)
    page.space(0.06)
    page.text(t["track"].format(days=TRACK_RECORD_DAYS), size=12)
    for net in coop.nets:
        hits = view.t["list_sep"].join(f"{line.species} {net.track_notes[line.code]}" for line in net.lines
                                       if net.track_notes.get(line.code))
        page.text(f"{net.name}{t['colon']}{hits or t['no_value']}", size=9.5, x_in=0.1)
    skill = view.t["list_sep"].join(f"{row['net']} {row['species']} {row['vs_climatology']}".strip()
                                    for row in coop.skill or view.skill["rows"])  # its own nets' (the bay's if none)
    page.text(f"{t['skill']} — {t['col_vs_climatology']}{t['colon']}{skill or t['no_value']}", size=9.5, x_in=0.1)
    page.space(0.06)
    page.text(view.t["footer"], size=8.5, color=MUTED)
    if view.made_at:
        page.text(view.made_at, size=8, color=MUTED)
    return page.y + MARGIN_IN


def draw_outlooks(page: Page, view: ReportView, coop: CoopView, forecasts: pd.DataFrame) -> None:
    """Per net, a row of small 7-day charts (the expected catch, mean_kg, over its q10-q90 band), one per species."""
    page.text(f"{view.t['outlook'].format(days=view.outlook_days)} — {view.t['legend_expected']}", size=12)
    height = 1.15 * page.scale
    columns = max(1, max(len(net.lines) for net in coop.nets) if coop.nets else 1)
    width = page.width / columns
    for net in coop.nets:
        codes = [line.code for line in net.lines if _any_above(forecasts, net.site_id, line.code)]
        quiet = view.t["list_sep"].join(line.species for line in net.lines if line.code not in codes)
        note = view.t["summary_quiet"].format(species=quiet) if quiet else ""
        page.text(f"{net.name}（{note}）" if note and view.lang == "ja" else f"{net.name} ({note})" if note else net.name,
                  size=9.5, color=MUTED)
        if not codes:
            continue
        if page.draw:
            colors = species_colors(codes)
            for index, code in enumerate(codes):
                rows = forecasts[(forecasts.site_id == net.site_id) & (forecasts.species == code)].sort_values("target_date")
                left = (MARGIN_IN + index * width + 0.42) / A4_IN[0]
                bottom = 1 - (page.y + height - 0.22 * page.scale) / A4_IN[1]
                axis = page.figure.add_axes((left, bottom, (width - 0.55) / A4_IN[0],
                                             (height - 0.45 * page.scale) / A4_IN[1]))
                x = np.arange(len(rows))
                axis.fill_between(x, rows.q10_kg, rows.q90_kg, color=colors[code], alpha=0.25, linewidth=0)
                axis.plot(x, rows.mean_kg, "-o", color=colors[code], linewidth=1.6, markersize=2.5)
                axis.set_title(plain(view.species_names.get(code, code)), fontsize=page.pt(8), loc="left", pad=2)
                axis.set_ylim(0, max(1.0, float(max(rows.q90_kg.max(), rows.mean_kg.max())) * 1.08))
                days = [pd.Timestamp(d).date() for d in rows.target_date]
                axis.set_xticks(x[::2], [short_day(d, view.lang, with_month=False).split("\n")[0] for d in days[::2]])
                axis.tick_params(labelsize=page.pt(7), length=2, pad=1)
                axis.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3, integer=True))
                axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:,.0f}"))
        page.y += height
    page.space(0.04)


def _any_above(forecasts: pd.DataFrame, site_id: str, code: str, kg: float = NEGLIGIBLE_KG) -> bool:
    """Whether any day's q90 or expected catch of a species at a net reaches `kg` (a chart of zeros says nothing)."""
    rows = forecasts[(forecasts.site_id == site_id) & (forecasts.species == code)]
    return bool(((rows.q90_kg >= kg) | (rows.mean_kg >= kg)).any())


def coop_figure(view: ReportView, coop: CoopView, forecasts: pd.DataFrame) -> Figure:
    """One cooperative's A4 page, fitted to one page: the charts are dropped first, then the print made smaller."""
    for charts, scales in ((True, (1.0, 0.92, 0.85)), (False, (1.0, 0.92, 0.85, 0.78, 0.7, MIN_SCALE))):
        for scale in scales:
            if draw_page(Page(None, scale), view, coop, forecasts, charts) <= A4_IN[1]:
                return _drawn(view, coop, forecasts, charts, scale)
    return _drawn(view, coop, forecasts, False, MIN_SCALE)  # a very long cooperative: the bottom is cut


def _drawn(view: ReportView, coop: CoopView, forecasts: pd.DataFrame, charts: bool, scale: float) -> Figure:
    figure = Figure(figsize=A4_IN)
    draw_page(Page(figure, scale), view, coop, forecasts, charts)
    return figure


def write_pdfs(view: ReportView, data: ReportData, combined: Path | None,
               per_coop: dict[str, Path]) -> list[Path]:
    """Write the all-cooperatives PDF (one page each, at `combined`) and each cooperative's own one-page PDF.

    per_coop: coop slug -> path. The files are written to temporary names and renamed (readers never see half).
    """
    written: list[Path] = []
    with matplotlib.rc_context(PDF_STYLE):
        figures = [(coop, coop_figure(view, coop, data.forecasts)) for coop in view.coops
                   if combined is not None or coop.slug in per_coop]
        metadata = {"Title": view.t["title"], "Creator": "setnet", "Producer": "setnet", "CreationDate": None}
        for coop, figure in figures:
            if coop.slug in per_coop:
                written.append(_save([figure], per_coop[coop.slug], metadata | {"Subject": coop.name}))
        if combined is not None:
            written.append(_save([f for _, f in figures], combined, metadata))
    return written


def _save(figures: list[Figure], path: Path, metadata: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    try:
        with PdfPages(temporary, metadata=metadata) as pdf:
            for figure in figures:
                pdf.savefig(figure)
        temporary.chmod(0o644)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
