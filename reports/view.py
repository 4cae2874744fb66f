"""What a report says, in one language, before it is laid out: plain strings and numbers per cooperative.

`report_view(data, lang, options)` is the single place where the numbers become words. The HTML page, the PDF
page and the plain-text summary all draw from the same ReportView, so the three formats never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from reports.alerts import (
    CurrentPeak,
    KyuchoAlert,
    TemperatureAlert,
    hourly_rows,
    kyucho_alerts,
    old_models,
    strongest_current,
    temperature_alerts,
)
from reports.content import (
    UNKNOWN_COOP_SLUG,
    boxes,
    change_direction,
    change_text,
    compass_point,
    fish_counts,
    format_kg,
    format_pct,
    format_range,
    latest_landing,
    no_better_than_normal,
    ocean_date_of,
    ordered_sites,
    skill_text,
    species_order,
    stale_sites,
    tomorrow_rows,
    track_hits,
    unique_slugs,
)
from reports.data import RECENT_AVERAGE_DAYS, STALE_CATCH_DAYS, ReportData
from reports.explain import why_line
from reports.kyucho_record import KyuchoRecordView, kyucho_record_view
from reports.labels import (
    coop_name,
    labels_for,
    long_day,
    medium_day,
    site_names,
    size_class_name,
    species_names,
)
from setnet.settings import ModelSettings, ReportSettings, Settings
from setnet.warehouse import POOLED_SITE_ID

EMPTY_NET_SHOWN_FROM = 0.10  # the chance of an empty net is stated on a line when it is at least this (p_zero)
NEGLIGIBLE_KG = 0.5  # a forecast whose mean and q90 are both under this is "about 0 kg"


@dataclass(frozen=True)
class ReportOptions:
    """The thresholds a report applies; `from_settings` is their one source (the Settings)."""

    big_catch_probability: float
    kyucho_kn: tuple[float, float]  # default (advisory, warning) in knots
    kyucho_per_net_kn: dict[str, tuple[float, float]]
    model_max_age_days: int
    temperature_alert_c: float

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> ReportOptions:
        """The thresholds of `settings.reports` (and the models' big-catch probability); None: the defaults."""
        report, model = (settings.reports, settings.models) if settings is not None else (ReportSettings(),
                                                                                         ModelSettings())
        return cls(big_catch_probability=model.big_catch_alert_probability,
                   kyucho_kn=(report.kyucho_advisory_kn, report.kyucho_warning_kn),
                   kyucho_per_net_kn=dict(report.kyucho_thresholds_kn),
                   model_max_age_days=report.model_max_age_days,
                   temperature_alert_c=report.temperature_anomaly_alert_c)


@dataclass(frozen=True)
class ForecastLine:
    """One species at one net tomorrow: the expected catch (the distribution's mean, the number the why explains)."""

    code: str
    species: str
    expected: str  # "1,200": mean_kg rounded
    expected_kg: float  # mean_kg
    q90_kg: float
    boxes: str  # "約80箱" (of the expected catch) or ""
    range: str  # "410〜2,900 kg"
    recent: str
    change: str  # the expected catch against the recent average catch (mean against mean)
    direction: str  # up / down / same
    empty_pct: int | None  # p_zero as a whole percentage
    empty: str  # "空の確率 32%" when p_zero >= EMPTY_NET_SHOWN_FROM, else ""
    big_catch_pct: int | None
    big_catch: str  # badge text "大漁（2,000kg以上）45%" when the chance reaches the alert level, else ""
    big_catch_threshold: str  # "2,000" (kg) or "" when the forecast has no threshold
    why: str  # "50m水温 14.2°C（120 kg 多い）、前回の漁獲 800 kg（60 kg 少ない）" or "": effects on expected_kg
    latest: str = ""  # the net's latest landing of the species: "11月30日(日) 1,200 kg" / "11月30日(日) 休漁" / none
    sizes: str = ""  # the expected catch in fish by size class: "ブリ約12本・ガンド約30本" ('' where not counted)


@dataclass(frozen=True)
class NetView:
    site_id: str
    name: str
    lines: list[ForecastLine]  # the species worth a line tomorrow
    track_notes: dict[str, str]  # species code -> "幅の内側 14/22日"
    codes: list[str] = field(default_factory=list)  # every species forecast at the net (for the charts)
    record: list[str] = field(default_factory=list)  # per species: the record's expected catches against the catches
    quiet: list[str] = field(default_factory=list)  # species names expected at about 0 kg and not caught lately
    operate_pct: int | None = None  # the chance the net is hauled tomorrow (p_operate), whole percent; None: unknown
    operate: str = ""  # "出漁の見込み 85%（出られそうです）" or "" without p_operate
    operate_words: str = ""  # "出られそうです": the chance in plain words


@dataclass(frozen=True)
class AlertView:
    """A warning box: kind 'warning' / 'advisory' (swift current) or 'temperature'; one detail line per net."""

    kind: str
    title: str
    action: str
    details: list[str]


@dataclass(frozen=True)
class CoopView:
    name: str
    slug: str
    site_ids: list[str]
    nets: list[NetView]
    banners: list[str]  # degraded-forecast notes that concern this cooperative's nets only
    alerts: list[AlertView]
    alert_notes: list[str]  # where the warnings come from, and the calm line when there is none
    alert_sites: set[str] = field(default_factory=set)  # nets under a swift-current advisory or warning
    kyucho_level: str = "unknown"  # warning / advisory / none / unknown (no ocean forecast, or no ocean data)
    kyucho_status: str = ""  # "警報（氷見大敷）" / "注意報（…）" / "なし" / "予想できません：海況予報がありません"
    skill: list[dict] = field(default_factory=list)  # the tested skill of each of its nets and species (skill_row)
    kyucho_record: KyuchoRecordView | None = None  # its nets' swift-current warnings' verified record, in words


@dataclass(frozen=True)
class ReportView:
    lang: str
    t: dict[str, str]
    issue_date: date
    issue_label: str
    target_label: str
    headline: str
    issued_at: str  # "2025年11月30日(日)夕方 発表": the evening of the issue date, never the run's clock
    made_at: str  # "作成 2026-12-02 03:55": when the run made the forecasts (small print), or ""
    freshness: list[dict[str, str]]
    models: list[dict[str, str]]
    record_models: str  # which models (trained on data up to when) made the track record's forecasts, or ""
    banners: list[str]  # degraded-forecast notes that concern every net
    coops: list[CoopView]
    skill: dict  # rows: the tested skill per species pooled over every net (skill_row); note: what and when
    show_big_catch: bool
    species_names: dict[str, str]
    site_names: dict[str, str]
    outlook_days: int
    target_day: str = ""  # "12月1日(月)": the forecast day without the year (the tomorrow section's heading)

    def coop(self, slug: str) -> CoopView:
        return next(c for c in self.coops if c.slug == slug)


def report_view(data: ReportData, lang: str = "ja", options: ReportOptions | None = None) -> ReportView:
    """Every sentence and number of the report of data.issue_date, grouped by cooperative (west to east)."""
    options = options or ReportOptions.from_settings()
    text = labels_for(lang)
    species_by_code = species_names(data.species, lang)
    species = species_order(data.forecasts.species)
    sites = ordered_sites(data.sites, sorted(data.forecasts.site_id.unique()), text["unknown"])
    names = site_names(sites, lang)
    target = data.issue_date + timedelta(days=1)
    has_chance = "p_big_catch" in data.forecasts and data.forecasts.p_big_catch.notna().any()
    return ReportView(
        lang=lang, t=text, issue_date=data.issue_date,
        issue_label=long_day(data.issue_date, lang),
        target_label=long_day(target, lang),
        headline=text["forecast_for"].format(target=long_day(target, lang)),
        issued_at=text["issued_evening"].format(day=long_day(data.issue_date, lang)),
        made_at=made_at_label(data.made_at, text),
        freshness=freshness_items(data, text, lang),
        models=model_lines(data, species_by_code, text),
        record_models=record_models_note(data.record_models, text),
        banners=global_banners(data, species_by_code, text, lang, options),
        coops=coop_views(data, sites, names, species, species_by_code, text, lang, options),
        skill=skill_section(data, species_by_code, text),
        show_big_catch=bool(has_chance),
        species_names=species_by_code,
        site_names=names,
        outlook_days=int(data.forecasts.lead_days.max()),
        target_day=medium_day(target, lang),
    )


def made_at_label(made_at: datetime | None, text: dict[str, str]) -> str:
    """The run's wall clock when it made the forecasts, for the small print: '作成 2026-12-02 03:55' ('' unknown).

    It is not the issue time: a report is issued the evening of its issue date (a rerun, a backfill or a demo can
    make it days or years later)."""
    if made_at is None:
        return ""
    return text["made_at"].format(time=f"{made_at:%Y-%m-%d %H:%M}")


def freshness_items(data: ReportData, text: dict[str, str], lang: str) -> list[dict[str, str]]:
    """Label/value pairs saying how fresh the inputs are."""
    ocean = ocean_date_of(data.forecasts)
    latest_grid = data.surface.day if data.surface is not None else None
    return [
        {"label": text["issued"], "value": long_day(data.issue_date, lang)},
        {"label": text["ocean_used"], "value": medium_day(ocean, lang) if ocean else text["unknown"]},
        {"label": text["latest_grid"], "value": medium_day(latest_grid, lang) if latest_grid else text["never"]},
        {"label": text["latest_catch"],
         "value": medium_day(data.latest_catch_date, lang) if data.latest_catch_date else text["never"]},
        {"label": text["ocean_forecast"],
         "value": (text["ocean_forecast_issued"].format(day=medium_day(data.ocean_forecast_issue, lang))
                   if data.ocean_forecast_issue else text["ocean_forecast_none"])},
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


def record_models_note(record_models: pd.DataFrame, text: dict[str, str]) -> str:
    """The models behind the track record, each with the last day of its training data, and whether every
    forecast of the record was issued on or after that day (out of sample) or not ('' without any)."""
    if record_models is None or record_models.empty:
        return ""
    models = text["list_sep"].join(
        text["record_model"].format(version=row.model_version, end=pd.Timestamp(row.train_end).date().isoformat())
        for row in record_models.itertuples(index=False))
    honest = bool((pd.to_datetime(record_models.train_end) <= pd.to_datetime(record_models.first_issue)).all())
    return text["record_models"].format(models=models,
                                        honesty=text["record_out_of_sample" if honest else "record_in_sample"])


def global_banners(data: ReportData, species_by_code: dict[str, str], text: dict[str, str], lang: str,
                   options: ReportOptions) -> list[str]:
    """Notes that weaken every net's forecast: ocean data older than the issue date, models past their age limit."""
    banners = []
    ocean = ocean_date_of(data.forecasts)
    if ocean is None:
        banners.append(text["warn_ocean_unknown"])
    elif ocean < data.issue_date:
        banners.append(text["warn_ocean_old"].format(ocean=medium_day(ocean, lang), days=(data.issue_date - ocean).days))
    old = old_models(data.model_runs, data.issue_date, options.model_max_age_days)
    if old:
        served = set(data.forecasts.species)
        codes = species_order({code for _, code, _ in old if code in served} or {code for _, code, _ in old})
        banners.append(text["warn_model_old"].format(
            species=text["list_sep"].join(species_by_code.get(c, c) for c in codes),
            days=max(age for _, _, age in old), limit=options.model_max_age_days))
    return banners


def stale_banners(data: ReportData, site_ids: list[str], names: dict[str, str], text: dict[str, str],
                  lang: str) -> list[str]:
    """Nets with no catch in the last STALE_CATCH_DAYS days: their recent-history inputs are stale."""
    return [text["warn_no_catch"].format(site=names[site_id], last=medium_day(last, lang) if last else text["never"])
            for site_id, last in stale_sites(data.last_catch_dates, site_ids, data.issue_date, STALE_CATCH_DAYS)]


def coop_views(data: ReportData, sites: pd.DataFrame, names: dict[str, str], species: list[str],
               species_by_code: dict[str, str], text: dict[str, str], lang: str,
               options: ReportOptions) -> list[CoopView]:
    """One view per cooperative, west to east, each with its nets' lines, banners and warnings."""
    rows = tomorrow_rows(data.forecasts, data.recent_catches, data.issue_date, RECENT_AVERAGE_DAYS)
    rows = rows.set_index(["site_id", "species"])
    hits = track_hits(data.recent_lead1, data.recent_catches).set_index(["site_id", "species"])
    groups = list(sites.groupby("coop", sort=False))
    registered = set(data.sites.coop.dropna().astype(str)) if not data.sites.empty else set()
    slugs = unique_slugs([str(coop) for coop, _ in groups if coop in registered])
    views = []
    for coop, coop_sites in groups:
        site_ids = list(coop_sites.site_id)
        nets = []
        for site_id in site_ids:
            codes = [code for code in species if (site_id, code) in rows.index]
            quiet = [code for code in codes if nothing_tomorrow(rows.loc[(site_id, code)])]
            lines = [replace(forecast_line(rows.loc[(site_id, code)], code, species_by_code.get(code, code),
                                           data.box_kg, text, lang, options.big_catch_probability),
                             latest=latest_text(data, site_id, code, text, lang),
                             sizes=sizes_text(data, site_id, code, float(rows.loc[(site_id, code)].mean_kg), text,
                                              lang))
                     for code in codes if code not in quiet]
            notes = {code: hit_note(hits, site_id, code, text) for code in species}
            record = [line for code in species if (line := record_line(hits, site_id, code, species_by_code, text))]
            operate_pct, operate, words = operate_text(rows, site_id, codes, text)
            nets.append(NetView(site_id=site_id, name=names[site_id], lines=lines, track_notes=notes, codes=codes,
                                quiet=[species_by_code.get(code, code) for code in quiet], record=record,
                                operate_pct=operate_pct, operate=operate, operate_words=words))
        alerts, notes, alert_sites = alert_views(data, site_ids, names, text, lang, options)
        level, status = kyucho_status(data, site_ids, names, text, options)
        views.append(CoopView(name=coop_name(str(coop), coop_sites, lang),
                              slug=slugs.get(str(coop), UNKNOWN_COOP_SLUG), site_ids=site_ids,
                              nets=nets, banners=stale_banners(data, site_ids, names, text, lang),
                              alerts=alerts, alert_notes=notes, alert_sites=alert_sites,
                              kyucho_level=level, kyucho_status=status,
                              skill=net_skill_rows(data.evaluations, site_ids, names, species_by_code, text),
                              kyucho_record=kyucho_record_view(data.kyucho_record, site_ids, names, text, lang,
                                                               options.kyucho_kn, options.kyucho_per_net_kn)))
    return views


OPERATE_WORDS = ((0.8, "operate_likely"), (0.5, "operate_probably"), (0.2, "operate_maybe_not"),
                 (0.0, "operate_unlikely"))  # p_operate from which each plain phrase is said


def operate_words(p_operate: float, text: dict[str, str]) -> str:
    """The chance a net is hauled (0..1) in plain words: likely, probably, may stay in, likely to stay in."""
    return next(text[key] for floor, key in OPERATE_WORDS if p_operate >= floor)


def operate_text(rows: pd.DataFrame, site_id: str, codes: list[str],
                 text: dict[str, str]) -> tuple[int | None, str, str]:
    """A net's lead-1 rows (indexed by site_id, species) -> (p_operate in whole percent, "出漁の見込み 85%（…）", the
    plain words), (None, "", "") when the forecasts carry no chance of operating."""
    if "p_operate" not in rows.columns or not codes:
        return None, "", ""
    chance = pd.to_numeric(rows.loc[[(site_id, code) for code in codes], "p_operate"], errors="coerce").dropna()
    if chance.empty:
        return None, "", ""
    p = float(chance.iloc[0])  # one chance per net and day, the same on each species' row
    pct, words = min(max(round(100 * p), 1), 99), operate_words(p, text)  # never a certain 0 % or 100 %
    return pct, text["operate_line"].format(pct=pct, words=words), words


def latest_text(data: ReportData, site_id: str, code: str, text: dict[str, str], lang: str) -> str:
    """The net's latest landing of the species, with its day: '11月30日(日) 1,200 kg', '11月30日(日) 休漁' when the
    warehouse records the net as not hauled after it, or '水揚げの記録なし'."""
    catches = pd.concat([frame for frame in (data.latest_catches, data.recent_catches) if not frame.empty]
                        or [data.latest_catches], ignore_index=True)
    kind, day, catch_kg = latest_landing(catches, data.latest_no_operation, site_id, code)
    if kind == "catch":
        return text["latest_catch_value"].format(day=medium_day(day, lang), kg=format_kg(catch_kg))
    if kind == "no_operation":
        return text["latest_no_operation"].format(day=medium_day(day, lang))
    return text["latest_none"]


def sizes_text(data: ReportData, site_id: str, code: str, expected_kg: float, text: dict[str, str],
               lang: str) -> str:
    """The expected catch (mean_kg) in fish by size class, split by the net's size-class shares of kg over the last
    SIZE_SHARE_DAYS (reports.data) and counted by fish_weights: 'ブリ約12本・ガンド約30本' ('' where the net's
    catch files give no size classes)."""
    shares = data.size_shares[(data.size_shares.site_id == site_id) & (data.size_shares.species == code)]
    if shares.empty:
        return ""
    weights = {size: kg for (species, size), kg in data.fish_kg.items() if species == code and size}
    counts = fish_counts(expected_kg, dict(zip(shares.size_class, shares.share.astype(float), strict=True)), weights)
    return text["list_sep"].join(text["size_count"].format(size=size_class_name(size, lang), n=f"{n:,}")
                                 for size, n in counts)


def kyucho_level(ocean: pd.DataFrame | None, forecast_issue: date | None,
                 options: ReportOptions) -> tuple[str, str | None, list[KyuchoAlert]]:
    """The ocean at some nets (NET_OCEAN_COLUMNS) and the ocean forecast's issue day -> (level: 'warning' /
    'advisory' / 'none', or 'unknown' without ocean data or an ocean forecast; the highest tier the alerts reach,
    None below the advisory speed; the alerts)."""
    if ocean is None or ocean.empty:
        return "unknown", None, []
    kyucho = kyucho_alerts(ocean, options.kyucho_kn, options.kyucho_per_net_kn)
    tier = next((t for t in ("warning", "advisory") if any(a.tier == t for a in kyucho)), None)
    if forecast_issue is None:
        return "unknown", tier, kyucho
    return tier or "none", tier, kyucho


def kyucho_status(data: ReportData, site_ids: list[str], names: dict[str, str], text: dict[str, str],
                  options: ReportOptions) -> tuple[str, str]:
    """The cooperative's swift-current status for the top of the page, from the same alerts as the boxes: (level,
    words), level one of 'warning', 'advisory', 'none' or 'unknown' ('予想できません：海況予報がありません' when no
    ocean forecast was read: the warnings are then judged from the latest analysis only)."""
    ocean = None if data.net_ocean is None else data.net_ocean[data.net_ocean.site_id.isin(site_ids)]
    level, tier, kyucho = kyucho_level(ocean, data.ocean_forecast_issue, options)
    if ocean is None or ocean.empty:
        return "unknown", text["kyucho_status_no_data"]
    if level == "unknown":
        if tier is not None:
            return "unknown", text["kyucho_status_unknown_seen"].format(level=text[f"level_word_{tier}"])
        return "unknown", text["kyucho_status_unknown"]
    if tier is None:
        return "none", text["kyucho_status_none"]
    warned = {a.site_id for a in kyucho if a.tier == tier}
    sites = text["list_sep"].join(names.get(s, s) for s in site_ids if s in warned)
    return tier, text[f"kyucho_status_{tier}"].format(sites=sites)


def nothing_tomorrow(row: pd.Series) -> bool:
    """Tomorrow's distribution about 0 kg (q90 and mean under NEGLIGIBLE_KG) and no catch of it in the last week."""
    average = row.get("average_kg")
    return bool(row.q90_kg < NEGLIGIBLE_KG and row.mean_kg < NEGLIGIBLE_KG
                and (average is None or pd.isna(average) or average < NEGLIGIBLE_KG))


def _number(row: pd.Series, column: str) -> float | None:
    """A row's value as a float, None when the column is absent or empty."""
    value = row.get(column)
    return float(value) if value is not None and pd.notna(value) else None


def big_catch_text(chance: float, threshold_kg: float | None, text: dict[str, str]) -> str:
    """The badge of a big-catch chance (a fraction) above threshold_kg: '大漁（2,000kg以上）45%', or
    '大漁の可能性 45%' when the forecast has no threshold."""
    if threshold_kg is None or not np.isfinite(threshold_kg):
        return text["big_catch_unsized"].format(pct=format_pct(chance))
    return text["big_catch"].format(threshold=format_kg(threshold_kg), pct=format_pct(chance))


def forecast_line(row: pd.Series, code: str, species_name: str, box_kg: dict[str, float], text: dict[str, str],
                  lang: str, big_catch_probability: float) -> ForecastLine:
    """One species at one net tomorrow, all from the row's one distribution: the expected catch (mean_kg, and
    boxes), the q10-q90 range, the chance of an empty net (p_zero), the big-catch chance (p_big_catch above
    big_catch_threshold_kg), the change of the expected catch against the recent average, and why (the
    explanation, whose effects are kg of mean_kg)."""
    average = _number(row, "average_kg")
    chance = _number(row, "p_big_catch")
    empty = _number(row, "p_zero")
    threshold = _number(row, "big_catch_threshold_kg")
    expected_kg = float(row.mean_kg)
    expected_boxes = boxes(expected_kg, box_kg.get(code))
    return ForecastLine(
        code=code,
        species=species_name,
        expected=format_kg(expected_kg),
        expected_kg=expected_kg,
        q90_kg=float(row.q90_kg),
        boxes=text["boxes"].format(n=f"{expected_boxes:,}") if expected_boxes else "",
        range=format_range(row.q10_kg, row.q90_kg, text["range_sep"]),
        recent=f"{format_kg(average)} kg" if average is not None else text["no_record"],
        change=change_text(expected_kg, average, text),
        direction=change_direction(expected_kg, average),
        empty_pct=format_pct(empty) if empty is not None else None,
        empty=(text["empty_chance"].format(pct=format_pct(empty))
               if empty is not None and empty >= EMPTY_NET_SHOWN_FROM else ""),
        big_catch_pct=format_pct(chance) if chance is not None else None,
        big_catch=(big_catch_text(chance, threshold, text)
                   if chance is not None and chance >= big_catch_probability else ""),
        big_catch_threshold=format_kg(threshold) if threshold is not None and np.isfinite(threshold) else "",
        why=why_line(row.get("explanation"), lang),
    )


def hit_note(hits: pd.DataFrame, site_id: str, code: str, text: dict[str, str]) -> str:
    """How many of a net's catches fell inside the forecast range ('' when none can be compared)."""
    if (site_id, code) not in hits.index:
        return ""
    row = hits.loc[(site_id, code)]
    return text["inside"].format(hits=int(row.hits), n=int(row.n))


def record_line(hits: pd.DataFrame, site_id: str, code: str, species_by_code: dict[str, str],
                text: dict[str, str]) -> str:
    """A net's record of one species in words: the sum of the next-day expected catches against the sum of the
    catches over the days both exist ('' when there are none)."""
    if (site_id, code) not in hits.index:
        return ""
    row = hits.loc[(site_id, code)]
    if not np.isfinite(row.forecast_kg):
        return ""
    return text["record_line"].format(species=species_by_code.get(code, code), forecast=format_kg(row.forecast_kg),
                                      actual=format_kg(row.actual_kg), n=int(row.n), hits=int(row.hits))


def level_word(level: str, text: dict[str, str]) -> str:
    return text.get(f"level_{level}", level)


def hour_window(start: datetime, end: datetime, text: dict[str, str], lang: str) -> str:
    """The hours (local) a swift current is above its tier's speed: '12月2日(火) 6〜9時' (24 for midnight)."""
    day = start.date()
    end_hour = int((end - datetime.combine(day, datetime.min.time())).total_seconds() // 3600)
    return text["window_hours"].format(day=medium_day(day, lang), start=start.hour, end=end_hour)


def day_window(first: date, last: date, peak: date, text: dict[str, str], lang: str) -> str:
    """When a swift current is expected: one day, or first〜last with the peak day."""
    if first == last:
        return medium_day(first, lang)
    return text["window_many"].format(first=medium_day(first, lang), last=medium_day(last, lang),
                                      peak=medium_day(peak, lang))


def kyucho_detail(alert: KyuchoAlert, names: dict[str, str], text: dict[str, str], lang: str) -> str:
    """'氷見 大境：12月2日(火)、50m層で北東へ 最大1.6ノット（警報の目安 1.5ノット）'; from the hourly forecast
    '氷見 大境：12月2日(火) 6〜9時 北東へ 最大1.6ノット（目安 1.5ノット）'."""
    threshold = alert.warning_kn if alert.tier == "warning" else alert.advisory_kn
    if alert.window_start is not None and alert.window_end is not None:
        return text["kyucho_detail_hours"].format(
            site=names.get(alert.site_id, alert.site_id),
            window=hour_window(alert.window_start, alert.window_end, text, lang),
            direction=compass_point(alert.bearing_deg, lang), speed=f"{alert.peak_kn:.1f}",
            threshold=f"{threshold:.1f}")
    return text["kyucho_detail"].format(
        site=names.get(alert.site_id, alert.site_id),
        window=day_window(alert.first_day, alert.last_day, alert.peak_day, text, lang),
        level=level_word(alert.level, text), direction=compass_point(alert.bearing_deg, lang),
        speed=f"{alert.peak_kn:.1f}", threshold=f"{threshold:.1f}")


def temperature_detail(alert: TemperatureAlert, names: dict[str, str], text: dict[str, str], lang: str) -> str:
    key = "temp_warm" if alert.anomaly_c > 0 else "temp_cold"
    return text[key].format(site=names.get(alert.site_id, alert.site_id), day=medium_day(alert.day, lang),
                            level=level_word(alert.level, text), temp=f"{alert.temp_c:.1f}",
                            normal=f"{alert.normal_c:.1f}", gap=f"{abs(alert.anomaly_c):.1f}")


def alert_views(data: ReportData, site_ids: list[str], names: dict[str, str], text: dict[str, str], lang: str,
                options: ReportOptions) -> tuple[list[AlertView], list[str], set[str]]:
    """The swift-current and temperature warnings of some nets, notes on what they were judged from, and the nets
    under a swift-current alert."""
    ocean = None if data.net_ocean is None else data.net_ocean[data.net_ocean.site_id.isin(site_ids)]
    if ocean is None or ocean.empty:
        return [], [text["kyucho_no_data"]], set()
    alerts: list[AlertView] = []
    kyucho = kyucho_alerts(ocean, options.kyucho_kn, options.kyucho_per_net_kn)
    for tier in ("warning", "advisory"):
        chosen = [a for a in kyucho if a.tier == tier]
        if chosen:
            alerts.append(AlertView(kind=tier, title=text[f"kyucho_{tier}_title"], action=text[f"kyucho_{tier}_action"],
                                    details=[kyucho_detail(a, names, text, lang) for a in chosen]))
    warm_cold = temperature_alerts(ocean, options.temperature_alert_c)
    if warm_cold:
        alerts.append(AlertView(kind="temperature", title=text["temp_alert_title"], action=text["temp_alert_action"],
                                details=[temperature_detail(a, names, text, lang) for a in warm_cold]))
    notes = [judged_from_note(data, ocean, text, lang)]
    if not kyucho:
        peak = strongest_current(ocean)
        if peak is not None:
            notes.append(calm_note(peak, names, text, lang, options))
    if not warm_cold:
        notes.append(text["temp_none"].format(threshold=f"{options.temperature_alert_c:g}")
                     if ocean.normal_c.notna().any() else text["temp_no_normal"])
    notes.append(currents_note(ocean, text))
    return alerts, notes, {a.site_id for a in kyucho}


def currents_note(ocean: pd.DataFrame, text: dict[str, str]) -> str:
    """What the currents judged are: hourly forecast speeds when the nets have them, else daily means."""
    return text["hourly_note"] if not hourly_rows(ocean).empty else text["daily_mean_note"]


def judged_from_note(data: ReportData, ocean: pd.DataFrame, text: dict[str, str], lang: str) -> str:
    """Where the warnings come from: the ocean forecast's days, or the latest analysis when there is no forecast."""
    forecast = ocean[ocean.source == "forecast"]
    if forecast.empty:
        day = pd.Timestamp(ocean.date.max()).date()
        return text["kyucho_from_analysis"].format(day=medium_day(day, lang))
    first, last = pd.Timestamp(forecast.date.min()).date(), pd.Timestamp(forecast.date.max()).date()
    issued = data.ocean_forecast_issue or data.issue_date
    return text["kyucho_from_forecast"].format(issued=medium_day(issued, lang), first=medium_day(first, lang),
                                               last=medium_day(last, lang))


def calm_note(peak: CurrentPeak, names: dict[str, str], text: dict[str, str], lang: str,
              options: ReportOptions) -> str:
    return text["kyucho_none"].format(site=names.get(peak.site_id, peak.site_id),
                                      direction=compass_point(peak.bearing_deg, lang), speed=f"{peak.speed_kn:.1f}",
                                      day=medium_day(peak.day, lang), advisory=f"{options.kyucho_kn[0]:.1f}")


def skill_section(data: ReportData, species_by_code: dict[str, str], text: dict[str, str]) -> dict:
    """The tested skill at lead 1 per species, pooled over every net, and what it was tested on (the serving
    versions' backtest period), or a note when nothing was evaluated."""
    evaluations = data.evaluations
    if evaluations.empty:
        return {"rows": [], "note": text["skill_missing"]}
    start = pd.Timestamp(evaluations.holdout_start.min()).date().isoformat()
    end = pd.Timestamp(evaluations.holdout_end.max()).date().isoformat()
    pooled = evaluations[evaluations.site_id == POOLED_SITE_ID]
    by_species = pooled.drop_duplicates("species", keep="last").set_index("species")
    rows = [skill_row(by_species.loc[code], species_by_code.get(code, code), code, text)
            for code in species_order(pooled.species)]
    return {"rows": rows, "note": text["skill_note"].format(start=start, end=end)}


def net_skill_rows(evaluations: pd.DataFrame, site_ids: list[str], names: dict[str, str],
                   species_by_code: dict[str, str], text: dict[str, str]) -> list[dict]:
    """The tested skill of each of these nets and species (net by net, species in order), from the per-net rows of
    the evaluations; a net and species with no catch in the test period has nothing to judge and no row."""
    if evaluations.empty:
        return []
    rows = []
    for site_id in site_ids:
        own = evaluations[evaluations.site_id == site_id].drop_duplicates("species", keep="last").set_index("species")
        for code in species_order(own.index):
            row = own.loc[code]
            if _number(row, "coverage_80_caught") is None:
                continue
            rows.append(skill_row(row, species_by_code.get(code, code), code, text, names.get(site_id, site_id))
                        | {"site_id": site_id})
    return rows


def skill_row(row: pd.Series, species: str, code: str, text: dict[str, str], net: str = "") -> dict:
    """One line of the skill table, in words and without colour: the skill of the whole forecast (CRPS, the
    expected catch and its range together) against the seasonal normal and against the last haul, 'no better than
    the seasonal normal' when the first is not above 0, the mean error of the expected catch (mean_kg), and how
    often the catch fell inside the q10-q90 range on days with a catch and on every day."""
    climatology, persistence = _number(row, "crpss_climatology"), _number(row, "crpss_persistence")
    mae = _number(row, "mae_mean_kg")
    caught, overall = _number(row, "coverage_80_caught"), _number(row, "coverage_80")
    return {
        "code": code,
        "species": species,
        "net": net,
        "vs_climatology": skill_text(climatology, text),
        "vs_persistence": skill_text(persistence, text),
        "no_better": text["no_better_than_normal"] if no_better_than_normal(climatology) else "",
        "mae": f"{format_kg(mae)} kg" if mae is not None else text["no_value"],
        "coverage_caught": f"{format_pct(caught)}%" if caught is not None else text["no_value"],
        "coverage": f"{format_pct(overall)}%" if overall is not None else text["no_value"],
        "days": int(row.n_rows) if pd.notna(row.get("n_rows")) else 0,
    }


def nothing_expected(outlook: pd.DataFrame, code: str, average_kg: dict[str, float]) -> bool:
    """A species with every day's q90 and mean and its recent average under NEGLIGIBLE_KG: a chart of zeros says
    nothing."""
    rows = outlook[outlook.species == code]
    recent = average_kg.get(code)
    return bool(rows.q90_kg.max() < NEGLIGIBLE_KG and rows.mean_kg.max() < NEGLIGIBLE_KG
                and (recent is None or not recent >= NEGLIGIBLE_KG))


__all__ = ["EMPTY_NET_SHOWN_FROM", "NEGLIGIBLE_KG", "AlertView", "CoopView", "ForecastLine", "NetView",
           "ReportOptions", "ReportView", "nothing_expected", "nothing_tomorrow", "report_view"]
