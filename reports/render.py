"""From ReportData to self-contained HTML pages: the charts inlined as data: URIs, Jinja2 rendering with autoescape.

`render_report` draws the page of every cooperative (coop=None) or of one; `chart_images` draws each chart once so
that the all-cooperatives page and the cooperatives' pages share them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from reports import charts
from reports.content import recent_average
from reports.data import (
    LEVEL_TOLERANCE_M,
    MAP_LOOKBACK_DAYS,
    RECENT_AVERAGE_DAYS,
    TRACK_RECORD_DAYS,
    ReportData,
)
from reports.labels import FILE_NAMES, file_name, labels_for, long_day, medium_day
from reports.view import ReportOptions, ReportView, nothing_expected, report_view

__all__ = ["IndexEntry", "chart_images", "nothing_expected", "png_data_uri", "render_index", "render_report"]


@lru_cache(maxsize=1)
def template_environment() -> Environment:
    """Jinja2 environment over reports/templates, autoescaping everything (names come from input files)."""
    return Environment(loader=PackageLoader("reports", "templates"), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def png_data_uri(png: bytes) -> str:
    """PNG bytes as a data: URI for an inline <img>."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass
class ChartImages:
    """Every chart of a report as data URIs: per net (outlook, track record) and the maps."""

    outlook: dict[str, dict[str, str]] = field(default_factory=dict)
    track: dict[str, dict[str, str]] = field(default_factory=dict)
    maps: list[dict[str, str]] = field(default_factory=list)
    map_scale_note: str = ""  # the maps' shared colour scale, in words


def render_report(data: ReportData, lang: str = "ja", options: ReportOptions | None = None, *,
                  coop: str | None = None, view: ReportView | None = None, images: ChartImages | None = None,
                  formats: tuple[str, ...] = ()) -> str:
    """The morning report as one HTML string: every cooperative (coop=None), or the one with folder name `coop`.

    formats: the other files written beside a cooperative's page ('pdf', 'txt'), linked from it.
    """
    view = view or report_view(data, lang, options)
    images = images or chart_images(data, view)
    coops = view.coops if coop is None else [view.coop(coop)]
    context = {
        "lang": lang,
        "t": view.t,
        "v": view,
        "scope": "all" if coop is None else "coop",
        "title_suffix": "" if coop is None else coops[0].name,
        "coops": coops,
        "many": len(coops) > 1,
        "images": images,
        "outlook_title": view.t["outlook"].format(days=view.outlook_days),
        "track_title": view.t["track"].format(days=TRACK_RECORD_DAYS),
        "track_missing": view.t["track_missing"].format(days=TRACK_RECORD_DAYS),
        "skill_tables": skill_tables(view, coops, everyone=coop is None),
        "map_note": view.t["map_missing"].format(day=medium_day(data.issue_date, lang), lookback=MAP_LOOKBACK_DAYS),
        "formats": [f for f in formats if f in ("pdf", "txt")],
        "files": report_files(lang),
        "home": ("../" if coop is None else "../../") + file_name("html", lang),
    }
    return template_environment().get_template("report.html").render(**context)


def skill_tables(view: ReportView, coops: list, everyone: bool) -> list[tuple[str, list[dict]]]:
    """The skill tables of a page, (title, rows): the whole bay's on the all-cooperatives page, then each shown
    cooperative's nets (so a cooperative's page shows its own nets, not the bay's; the bay's only when the
    warehouse has no per-net scores)."""
    if not view.skill["rows"]:
        return []
    nets = [(view.t["skill_nets"].format(coop=coop.name), coop.skill) for coop in coops if coop.skill]
    bay = [(view.t["skill_bay"], view.skill["rows"])]
    return bay + nets if everyone or not nets else nets  # a page without its nets' scores shows the bay's


def report_files(lang: str) -> dict[str, str]:
    """The names of a report's files in a language, by format: {'html': 'index.en.html', ...} (for links)."""
    return {kind: file_name(kind, lang) for kind in FILE_NAMES}


def chart_images(data: ReportData, view: ReportView) -> ChartImages:
    """Draw every chart of the report once."""
    maps = map_images(data, view)
    scale = charts.temperature_scale(data.levels, data.sites)
    note = view.t["map_scale_note"].format(lo=scale.lo_c, hi=scale.hi_c, step=scale.step_c) if len(maps) > 1 else ""
    return ChartImages(outlook=outlook_images(data, view), track=track_images(data, view), maps=maps,
                       map_scale_note=note)


def outlook_images(data: ReportData, view: ReportView) -> dict[str, dict[str, str]]:
    """Per net: the next days per species against the last week's average; near-zero species only noted."""
    text, lang = view.t, view.lang
    average = recent_average(data.recent_catches, data.issue_date, RECENT_AVERAGE_DAYS)
    images = {}
    for coop in view.coops:
        for net in coop.nets:
            outlook = data.forecasts[data.forecasts.site_id == net.site_id]
            site_average = average[average.site_id == net.site_id]
            average_kg = dict(zip(site_average.species, site_average.average_kg, strict=True))
            codes = net.codes
            quiet = [c for c in codes if nothing_expected(outlook, c, average_kg)]
            drawn = [c for c in codes if c not in quiet]
            image = {"name": net.name, "alt": text["outlook_alt"].format(site=net.name, days=view.outlook_days),
                     "note": text["outlook_nothing"].format(
                         species=text["list_sep"].join(view.species_names.get(c, c) for c in quiet)) if quiet else ""}
            if drawn:
                png = charts.outlook_chart(outlook, average_kg, view.species_names, drawn, net.name, text, lang)
                image["src"] = png_data_uri(png)
            images[net.site_id] = image
    return images


def track_images(data: ReportData, view: ReportView) -> dict[str, dict[str, str]]:
    """Per net: the last TRACK_RECORD_DAYS of next-day forecasts against the catches, a panel per species."""
    if data.recent_lead1.empty:
        return {}
    end = data.issue_date
    start = end - timedelta(days=TRACK_RECORD_DAYS - 1)
    images = {}
    for coop in view.coops:
        for net in coop.nets:
            lead1 = data.recent_lead1[data.recent_lead1.site_id == net.site_id]
            codes = [code for code in net.codes if code in set(lead1.species)]
            if not codes:
                continue
            catches = data.recent_catches[data.recent_catches.site_id == net.site_id]
            png = charts.net_track_chart(lead1, catches, codes, view.species_names, net.track_notes, net.name,
                                         start, end, view.t)
            images[net.site_id] = {"src": png_data_uri(png), "alt": view.t["track_net_alt"].format(site=net.name)}
    return images


def map_images(data: ReportData, view: ReportView) -> list[dict[str, str]]:
    """A temperature-and-currents map per level (surface, 50 m); nets under a swift-current alert in red."""
    text, lang = view.t, view.lang
    warned = {site_id for coop in view.coops for site_id in coop.alert_sites}
    scale = charts.temperature_scale(data.levels, data.sites)  # one colour scale: a colour is one temperature on both
    maps = []
    for level in data.levels:
        name = text["level_surface"] if level.depth_m < LEVEL_TOLERANCE_M else text["level_50m"]
        age_days = (data.issue_date - level.day).days
        caption = (text["map_level_caption"].format(day=medium_day(level.day, lang), level=name) if age_days <= 0 else
                   text["map_level_caption_old"].format(day=medium_day(level.day, lang), level=name, days=age_days))
        png = charts.sst_map_chart(level, data.sites, view.site_names, text,
                                   title=text["map_level_title"].format(level=name), highlight=warned,
                                   coast=data.levels[0], scale=scale)
        maps.append({"src": png_data_uri(png), "alt": text["map_level_alt"].format(level=name), "caption": caption})
    return maps


@dataclass(frozen=True)
class IndexEntry:
    """One issue date in the index: its all-cooperatives page and each cooperative's files."""

    day: date
    coops: list[dict] = field(default_factory=list)  # {"name", "slug", "formats": [...]}
    has_all: bool = True


def render_index(entries: list[IndexEntry] | list[date], lang: str = "ja") -> str:
    """The list of reports by issue date (newest first) and cooperative, as one HTML string."""
    text = labels_for(lang)
    entries = [e if isinstance(e, IndexEntry) else IndexEntry(day=e) for e in entries]
    rows = []
    for entry in sorted(entries, key=lambda e: e.day, reverse=True):
        rows.append({
            "href": f"{entry.day.isoformat()}/{file_name('html', lang)}" if entry.has_all else "",
            "label": long_day(entry.day, lang),
            "folder": entry.day.isoformat(),
            "coops": entry.coops,
        })
    return template_environment().get_template("index.html").render(lang=lang, t=text, entries=rows,
                                                                    files=report_files(lang))
