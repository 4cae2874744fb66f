"""From ReportData to one self-contained HTML page: the template context, the charts inlined, Jinja2 rendering."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from reports import charts
from reports.content import (
    change_direction,
    change_text,
    format_kg,
    format_pct,
    format_range,
    ocean_date_of,
    ordered_sites,
    recent_average,
    skill_text,
    species_order,
    stale_sites,
    tomorrow_rows,
    track_hits,
)
from reports.data import (
    MAP_LOOKBACK_DAYS,
    RECENT_AVERAGE_DAYS,
    STALE_CATCH_DAYS,
    TRACK_RECORD_DAYS,
    ReportData,
)
from reports.labels import labels_for, long_day, medium_day, site_names, species_names


@lru_cache(maxsize=1)
def template_environment() -> Environment:
    """Jinja2 environment over reports/templates, autoescaping everything (names come from input files)."""
    return Environment(loader=PackageLoader("reports", "templates"), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def png_data_uri(png: bytes) -> str:
    """PNG bytes as a data: URI for an inline <img>."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_report(data: ReportData, lang: str = "ja", big_catch_probability: float = 0.4) -> str:
    """The whole morning report as one HTML string."""
    context = report_context(data, lang, big_catch_probability)
    return template_environment().get_template("report.html").render(**context)


def render_index(report_days: list[date], lang: str = "ja") -> str:
    """The list of reports, newest first, as one HTML string."""
    text = labels_for(lang)
    entries = [{"href": f"{day.isoformat()}/index.html", "label": long_day(day, lang)}
               for day in sorted(report_days, reverse=True)]
    return template_environment().get_template("index.html").render(lang=lang, t=text, entries=entries)


def report_context(data: ReportData, lang: str, big_catch_probability: float) -> dict:
    """Everything the template shows, as plain strings, lists and data URIs."""
    text = labels_for(lang)
    species_by_code = species_names(data.species, lang)
    species = species_order(data.forecasts.species)
    sites = ordered_sites(data.sites, sorted(data.forecasts.site_id.unique()), text["unknown"])
    names = site_names(sites, lang)
    return {
        "lang": lang,
        "t": text,
        "issue_label": long_day(data.issue_date, lang),
        "target_label": long_day(data.issue_date + timedelta(days=1), lang),
        "headline": text["forecast_for"].format(target=long_day(data.issue_date + timedelta(days=1), lang)),
        "freshness": freshness_items(data, text, lang),
        "models": model_lines(data, species_by_code, text),
        "warnings": warning_lines(data, names, text, lang),
        "coops": tomorrow_cards(data, sites, names, species, species_by_code, text, big_catch_probability),
        "outlook_title": text["outlook"].format(days=int(data.forecasts.lead_days.max())),
        "outlooks": outlook_images(data, sites, names, species, species_by_code, text, lang),
        "map": map_image(data, names, text, lang),
        "track_title": text["track"].format(days=TRACK_RECORD_DAYS),
        "track": track_images(data, sites, names, species, species_by_code, text),
        "track_missing": text["track_missing"].format(days=TRACK_RECORD_DAYS),
        "skill": skill_section(data, species_by_code, text),
    }


def freshness_items(data: ReportData, text: dict[str, str], lang: str) -> list[dict[str, str]]:
    """Label/value pairs saying how fresh the inputs are."""
    ocean = ocean_date_of(data.forecasts)
    return [
        {"label": text["issued"], "value": long_day(data.issue_date, lang)},
        {"label": text["ocean_used"], "value": medium_day(ocean, lang) if ocean else text["unknown"]},
        {"label": text["latest_catch"],
         "value": medium_day(data.latest_catch_date, lang) if data.latest_catch_date else text["never"]},
    ]


def model_lines(data: ReportData, species_by_code: dict[str, str], text: dict[str, str]) -> list[dict[str, str]]:
    """One line per model version: the version, the species it forecasts, the end of its training data."""
    lines = []
    for version, rows in data.forecasts.groupby("model_version", sort=True):
        runs = data.model_runs[data.model_runs.model_version == version]
        trained = (text["trained_until"].format(end=pd.Timestamp(runs.train_end.max()).date().isoformat())
                   if not runs.empty and runs.train_end.notna().any() else "")
        covered = text["list_sep"].join(species_by_code.get(c, c) for c in species_order(rows.species))
        lines.append({"version": str(version), "species": covered, "trained": trained})
    return lines


def warning_lines(data: ReportData, names: dict[str, str], text: dict[str, str], lang: str) -> list[str]:
    """Banners: ocean data older than the issue date, nets with no catch in the last 14 days."""
    warnings = []
    ocean = ocean_date_of(data.forecasts)
    if ocean is None:
        warnings.append(text["warn_ocean_unknown"])
    elif ocean < data.issue_date:
        warnings.append(text["warn_ocean_old"].format(ocean=medium_day(ocean, lang),
                                                      days=(data.issue_date - ocean).days))
    for site_id, last in stale_sites(data.last_catch_dates, list(names), data.issue_date, STALE_CATCH_DAYS):
        warnings.append(text["warn_no_catch"].format(site=names[site_id],
                                                     last=medium_day(last, lang) if last else text["never"]))
    return warnings


def tomorrow_cards(data: ReportData, sites: pd.DataFrame, names: dict[str, str], species: list[str],
                   species_by_code: dict[str, str], text: dict[str, str], big_catch_probability: float) -> list[dict]:
    """Tomorrow's table grouped by cooperative, then net, then species."""
    rows = tomorrow_rows(data.forecasts, data.recent_catches, data.issue_date, RECENT_AVERAGE_DAYS)
    rows = rows.set_index(["site_id", "species"])
    coops = []
    for coop, coop_sites in sites.groupby("coop", sort=False):
        cards = []
        for site_id in coop_sites.site_id:
            lines = [forecast_line(rows.loc[(site_id, code)], species_by_code.get(code, code), text,
                                   big_catch_probability)
                     for code in species if (site_id, code) in rows.index]
            cards.append({"name": names[site_id], "rows": lines})
        coops.append({"name": coop, "sites": cards})
    return coops


def forecast_line(row: pd.Series, species_name: str, text: dict[str, str], big_catch_probability: float) -> dict:
    """One species at one net tomorrow: median, range, recent average, change and a big-catch note."""
    average = row.get("average_kg")
    average = float(average) if average is not None and pd.notna(average) else None
    chance = row.get("p_big_catch")
    big_catch = (text["big_catch"].format(pct=format_pct(chance))
                 if chance is not None and pd.notna(chance) and chance >= big_catch_probability else "")
    return {
        "species": species_name,
        "median": format_kg(row.q50_kg),
        "range": format_range(row.q10_kg, row.q90_kg, text["range_sep"]),
        "recent": f"{format_kg(average)} kg" if average is not None else text["no_record"],
        "change": change_text(float(row.q50_kg), average, text),
        "direction": change_direction(float(row.q50_kg), average),
        "big_catch": big_catch,
    }


def outlook_images(data: ReportData, sites: pd.DataFrame, names: dict[str, str], species: list[str],
                   species_by_code: dict[str, str], text: dict[str, str], lang: str) -> list[dict[str, str]]:
    """One chart per net: the next days per species against the last week's average; near-zero species noted."""
    average = recent_average(data.recent_catches, data.issue_date, RECENT_AVERAGE_DAYS)
    days = int(data.forecasts.lead_days.max())
    images = []
    for site_id in sites.site_id:
        outlook = data.forecasts[data.forecasts.site_id == site_id]
        site_average = average[average.site_id == site_id]
        average_kg = dict(zip(site_average.species, site_average.average_kg))
        quiet = [c for c in species if c in set(outlook.species) and nothing_expected(outlook, c, average_kg)]
        drawn = [c for c in species if c in set(outlook.species) and c not in quiet]
        image = {"name": names[site_id], "alt": text["outlook_alt"].format(site=names[site_id], days=days),
                 "note": text["outlook_nothing"].format(species=text["list_sep"].join(species_by_code.get(c, c) for c in quiet))
                 if quiet else ""}
        if drawn:
            png = charts.outlook_chart(outlook, average_kg, species_by_code, drawn, names[site_id], text, lang)
            image["src"] = png_data_uri(png)
        images.append(image)
    return images


def nothing_expected(outlook: pd.DataFrame, code: str, average_kg: dict[str, float]) -> bool:
    """A species with every q90 and its recent average under half a kilogram: a chart of zeros says nothing."""
    recent = average_kg.get(code)
    return bool(outlook[outlook.species == code].q90_kg.max() < 0.5 and (recent is None or not recent >= 0.5))


def map_image(data: ReportData, names: dict[str, str], text: dict[str, str], lang: str) -> dict[str, str]:
    """The sea surface temperature map as a data URI and caption, or a note saying why there is none."""
    field = data.surface
    if field is None:
        return {"note": text["map_missing"].format(day=medium_day(data.issue_date, lang), lookback=MAP_LOOKBACK_DAYS)}
    age_days = (data.issue_date - field.day).days
    caption = (text["map_caption"].format(day=medium_day(field.day, lang)) if age_days <= 0 else
               text["map_caption_old"].format(day=medium_day(field.day, lang), days=age_days))
    png = charts.sst_map_chart(field, data.sites, site_names(data.sites, lang) | names, text)
    return {"src": png_data_uri(png), "alt": text["map_alt"], "caption": caption}


def track_images(data: ReportData, sites: pd.DataFrame, names: dict[str, str], species: list[str],
                 species_by_code: dict[str, str], text: dict[str, str]) -> list[dict[str, str]]:
    """One chart per species: the last days' lead-1 forecasts against the catches, a panel per net."""
    if data.recent_lead1.empty:
        return []
    hits = track_hits(data.recent_lead1, data.recent_catches).set_index(["site_id", "species"])
    colors = charts.species_colors(species)
    end = data.issue_date
    start = end - timedelta(days=TRACK_RECORD_DAYS - 1)
    images = []
    for code in species:
        lead1 = data.recent_lead1[data.recent_lead1.species == code]
        if lead1.empty:
            continue
        site_ids = [s for s in sites.site_id if s in set(lead1.site_id)]
        notes = {s: hit_note(hits, s, code, text) for s in site_ids}
        catches = data.recent_catches[data.recent_catches.species == code]
        name = species_by_code.get(code, code)
        png = charts.track_record_chart(lead1, catches, site_ids, names, notes, name, start, end, colors[code], text)
        images.append({"src": png_data_uri(png), "alt": text["track_alt"].format(species=name)})
    return images


def hit_note(hits: pd.DataFrame, site_id: str, code: str, text: dict[str, str]) -> str:
    """How many of a net's catches fell inside the forecast range ('' when none can be compared)."""
    if (site_id, code) not in hits.index:
        return ""
    row = hits.loc[(site_id, code)]
    return text["inside"].format(hits=int(row.hits), n=int(row.n))


def skill_section(data: ReportData, species_by_code: dict[str, str], text: dict[str, str]) -> dict:
    """The holdout skill table at lead 1, stated in words, or a note when nothing was evaluated."""
    evaluations = data.evaluations
    if evaluations.empty:
        return {"rows": [], "note": text["skill_missing"]}
    start = pd.Timestamp(evaluations.holdout_start.min()).date().isoformat()
    end = pd.Timestamp(evaluations.holdout_end.max()).date().isoformat()
    by_species = evaluations.drop_duplicates("species", keep="last").set_index("species")
    rows = []
    for code in species_order(evaluations.species):
        row = by_species.loc[code]
        coverage = row.coverage_80
        rows.append({
            "species": species_by_code.get(code, code),
            "mae": f"{format_kg(row.mae_kg)} kg",
            "vs_climatology": skill_text(row.skill_vs_climatology, text),
            "vs_persistence": skill_text(row.skill_vs_persistence, text),
            "climatology_class": _skill_class(row.skill_vs_climatology),
            "persistence_class": _skill_class(row.skill_vs_persistence),
            "coverage": (text["coverage_value"].format(pct=format_pct(coverage))
                         if coverage is not None and np.isfinite(coverage) else text["no_value"]),
        })
    return {"rows": rows, "note": text["skill_note"].format(start=start, end=end)}


def _skill_class(skill: float | None) -> str:
    """'better', 'worse' or 'same' (CSS class of a skill cell)."""
    if skill is None or not np.isfinite(skill) or format_pct(skill) == 0:
        return "same"
    return "better" if skill > 0 else "worse"
