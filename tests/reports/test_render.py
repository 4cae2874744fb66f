"""Rendering from an in-memory ReportData (no warehouse, no grid): the pure layers on their own."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from reports import charts
from reports.data import ReportData, SurfaceField, merge_species_registry
from reports.render import nothing_expected, png_data_uri, render_index, render_report
from reports.summary import report_summary
from reports.view import EMPTY_NET_SHOWN_FROM, ReportOptions, nothing_tomorrow, report_view
from setnet.settings import Settings

ISSUE = date(2025, 4, 10)


def in_memory_data(surface: SurfaceField | None = None) -> ReportData:
    """One net, two species, one of them (firefly squid) expected to be absent all week."""
    leads = range(1, 8)
    forecasts = pd.DataFrame([{
        "issue_date": pd.Timestamp(ISSUE), "target_date": pd.Timestamp(ISSUE + timedelta(days=lead)),
        "lead_days": lead, "site_id": "n1", "species": species, "mean_kg": kg, "q10_kg": kg / 3, "q50_kg": kg,
        "q90_kg": kg * 2, "model_version": "m1", "ocean_date": pd.Timestamp(ISSUE),
    } for species, kg in (("sardine", 300.0), ("firefly_squid", 0.0)) for lead in leads])
    return ReportData(
        issue_date=ISSUE,
        sites=pd.DataFrame({"site_id": ["n1"], "name_ja": ["新湊"], "name_en": ["Shinminato"], "coop": ["新湊漁協"],
                            "lat": [36.79], "lon": [137.09], "depth_m": [40.0], "bearing_deg": [0.0]}),
        species=merge_species_registry(pd.DataFrame(columns=["species", "name_ja", "name_en"])),
        forecasts=forecasts,
        recent_catches=pd.DataFrame({"date": pd.to_datetime([ISSUE - timedelta(days=1)]), "site_id": ["n1"],
                                     "species": ["sardine"], "catch_kg": [280.0]}),
        recent_lead1=pd.DataFrame(columns=["target_date", "site_id", "species", "mean_kg", "q10_kg", "q50_kg",
                                           "q90_kg"]),
        evaluations=pd.DataFrame(columns=["species", "holdout_start", "holdout_end"]),
        model_runs=pd.DataFrame(columns=["model_version", "species", "train_end"]),
        last_catch_dates=pd.DataFrame({"site_id": ["n1"], "last_date": pd.to_datetime([ISSUE - timedelta(days=1)])}),
        latest_catch_date=ISSUE - timedelta(days=1),
        surface=surface,
        warehouse_path=Path("memory"),
    )


def test_a_report_renders_from_plain_data_alone() -> None:
    html = render_report(in_memory_data(), "ja")
    assert "新湊漁協" in html and "新湊" in html and "マイワシ" in html
    assert '<span class="expected">300</span>' in html and "100〜600 kg" in html
    assert "ほぼ 0 kg の見込みのためグラフなし：ホタルイカ" in html  # no chart of zeros
    assert html.count("<img") == 1  # the net's outlook; no map, no track record
    assert "海況データがない" in html  # the map's note
    assert "翌日予想が保存されていません" in html  # the track record's note
    assert "検証結果が保存されていない" in html  # the skill table's note
    assert '<div class="warning"' not in html  # fresh ocean data, a recent catch


def test_the_map_is_cropped_to_the_bay_around_the_nets() -> None:
    lat = np.arange(36.0, 38.0, 0.05)
    lon = np.arange(136.0, 138.4, 0.05)
    temp_c = np.full((lat.size, lon.size), 15.0)
    field = SurfaceField(ISSUE, 0.5, lat, lon, temp_c, temp_c * 0, temp_c * 0)
    sites = in_memory_data().sites
    window = charts.bay_window(field, sites, margin_deg=0.25)
    assert window.lat.min() >= 36.79 - 0.25 - 1e-9 and window.lat.max() <= 36.79 + 0.25 + 1e-9
    assert window.temp_c.shape == (window.lat.size, window.lon.size)
    assert charts.bay_window(field, sites.iloc[:0]) is field
    html = render_report(in_memory_data(surface=field), "en")
    assert html.count("<img") == 2 and "surface temperature (colour, °C)" in html


def test_species_keep_their_colour_whatever_else_is_drawn() -> None:
    alone = charts.species_colors(["sardine"])
    together = charts.species_colors(["yellowtail", "firefly_squid", "sardine", "mackerel"])
    assert alone["sardine"] == together["sardine"]
    assert len(set(together.values())) == 4


def test_nothing_expected_means_every_q90_and_the_recent_average_near_zero() -> None:
    outlook = in_memory_data().forecasts
    assert nothing_expected(outlook, "firefly_squid", {})
    assert not nothing_expected(outlook, "firefly_squid", {"firefly_squid": 12.0})
    assert not nothing_expected(outlook, "sardine", {})


def test_the_index_is_newest_first_and_escaped() -> None:
    html = render_index([date(2025, 4, 9), date(2025, 4, 10), date(2024, 12, 31)], "en")
    assert html.index("2025-04-10/index.en.html") < html.index("2025-04-09/index.en.html") < html.index("2024-12-31")
    assert "Thu 10 Apr 2025" in html


def test_png_bytes_become_a_data_uri() -> None:
    uri = png_data_uri(b"\x89PNG\r\n\x1a\nrest")
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == b"\x89PNG\r\n\x1a\nrest"


def with_ocean(data: ReportData, rows: list[tuple]) -> ReportData:
    """The data with a net_ocean frame: (date, source, level, east_ms, north_ms, temp_c, normal_c) at n1."""
    frame = pd.DataFrame(rows, columns=["date", "source", "level", "east_ms", "north_ms", "temp_c", "normal_c"])
    frame = frame.assign(site_id="n1", date=pd.to_datetime(frame.date), depth_m=0.5)
    return replace(data, net_ocean=frame)


def test_a_cold_intrusion_and_an_old_model_are_stated_with_what_they_affect() -> None:
    data = with_ocean(in_memory_data(), [(ISSUE, "analysis", "surface", 0.1, 0.0, 11.0, 14.2),
                                         (ISSUE, "analysis", "50m", 0.1, 0.0, 10.0, 10.5)])
    data = replace(data, model_runs=pd.DataFrame({"model_version": ["m1"], "species": ["sardine"],
                                                  "trained_at": pd.to_datetime(["2025-01-10 03:00"]),
                                                  "train_end": pd.to_datetime(["2025-01-09"])}))
    html = render_report(data, "ja")
    alerts = html.split('<section id="alerts">')[1].split("</section>")[0]
    assert "いつもと違う水温" in alerts
    assert "新湊：4月10日(木)の表層の水温 11.0°C は平年（14.2°C）より 3.2°C 低い" in alerts
    banners = html.split("<main>")[0]
    assert "マイワシのモデルは90日前に学習したもの" in banners and "目安は30日以内" in banners
    assert "急潮の注意報・警報はありません" in html and "最新の解析（4月10日(木)）" in html


def test_a_calm_fresh_day_raises_no_warning_box() -> None:
    data = with_ocean(in_memory_data(), [(ISSUE, "analysis", "surface", 0.2, 0.0, 14.0, 14.2)])
    html = render_report(data, "en")
    assert '<section id="alerts">' not in html
    assert "No swift-current advisory or warning. Fastest current: Shinminato on Thu 10 Apr, toward E at 0.4 kn" in html
    assert "No unusual water temperature (within 2°C of normal)." in html


def test_species_expected_at_zero_get_one_line_not_a_block() -> None:
    view = report_view(in_memory_data(), "ja")
    (net,) = view.coops[0].nets
    assert [line.code for line in net.lines] == ["sardine"] and net.quiet == ["ホタルイカ"]
    assert net.codes == ["firefly_squid", "sardine"]  # setnet's species order
    assert "ほぼ 0 kg の見込み：ホタルイカ" in render_report(in_memory_data(), "ja")


def test_options_come_from_the_settings() -> None:
    options = ReportOptions.from_settings(Settings(reports={"kyucho_advisory_kn": 0.8, "kyucho_warning_kn": 1.2,
                                                            "kyucho_thresholds_kn": {"n1": (0.5, 0.9)},
                                                            "model_max_age_days": 10}))
    assert options.kyucho_kn == (0.8, 1.2) and options.kyucho_per_net_kn == {"n1": (0.5, 0.9)}
    assert options.model_max_age_days == 10 and options.big_catch_probability == 0.4


def often_empty(data: ReportData) -> ReportData:
    """Tomorrow's sardine at n1 as the one distribution gives it when an empty net is more likely than not: mean
    300 kg, q50 0 kg, p_zero 0.55, each line with its own explanation of its mean; a sure yellowtail beside it."""
    tomorrow = data.forecasts.lead_days == 1
    sardine = data.forecasts[tomorrow & (data.forecasts.species == "sardine")].assign(
        mean_kg=300.0, q10_kg=0.0, q50_kg=0.0, q90_kg=900.0, p_zero=0.55, p_big_catch=0.45,
        big_catch_threshold_kg=1000.0,
        explanation='[{"feature": "temp_50m_c", "value": 14.2, "effect_kg": 120.0}]')
    yellowtail = sardine.assign(species="yellowtail", mean_kg=80.0, q10_kg=40.0, q50_kg=75.0, q90_kg=130.0,
                                p_zero=0.05, p_big_catch=0.01, big_catch_threshold_kg=400.0,
                                explanation='[{"feature": "catch_last_kg", "value": 90.0, "effect_kg": 30.0}]')
    others = data.forecasts[~(tomorrow & (data.forecasts.species == "sardine"))]
    recent = pd.DataFrame({"date": pd.to_datetime([ISSUE - timedelta(days=1)] * 2), "site_id": "n1",
                           "species": ["sardine", "yellowtail"], "catch_kg": [200.0, 80.0]})
    return replace(data, forecasts=pd.concat([others, sardine, yellowtail], ignore_index=True), recent_catches=recent)


def test_the_headline_is_the_expected_catch_the_why_line_explains() -> None:
    data = often_empty(in_memory_data())
    view = report_view(data, "ja")
    lines = {line.code: line for line in view.coops[0].nets[0].lines}
    sardine, yellowtail = lines["sardine"], lines["yellowtail"]
    assert sardine.expected == "300" and sardine.expected_kg == 300.0  # the mean, not the median of 0 kg
    assert sardine.empty == "空の確率 55%" and sardine.empty_pct == 55
    assert sardine.change == "50% 多い"  # mean 300 kg against last week's mean 200 kg (the median would say less)
    assert sardine.big_catch == "大漁（1,000kg以上）45%"
    assert sardine.why == "50m水温 14.2°C（120\u00a0kg 多い）"  # this row's explanation, of its mean
    assert yellowtail.expected == "80" and yellowtail.empty == ""  # 5 % is under EMPTY_NET_SHOWN_FROM
    assert yellowtail.why == "前回の漁獲 90\u00a0kg（30\u00a0kg 多い）"
    assert 0.05 < EMPTY_NET_SHOWN_FROM <= 0.55
    html = render_report(data, "ja", view=view)
    assert '<span class="expected">300</span>' in html and '<span class="empty">空の確率 55%</span>' in html
    assert '<span class="expected">0</span>' not in html
    summary = report_summary(view)
    assert ("・マイワシ 見込み（平均）300 kg（0〜900 kg）、空の確率 55%、大漁（1,000kg以上）45%"
            "、直近7日の平均と比べて50% 多い（最新の水揚げ 4月9日(水) 200\u00a0kg）\n") in summary
    assert sardine.latest == "4月9日(水) 200\u00a0kg"  # beside the headline: the latest landing, with its day
    english = {line.code: line for line in report_view(data, "en").coops[0].nets[0].lines}["sardine"]
    assert english.empty == "Chance of an empty net 55%" and english.big_catch == "Big catch (1,000 kg or more) 45%"


def test_a_line_is_near_zero_only_when_its_mean_and_q90_both_are() -> None:
    row = pd.Series({"q90_kg": 0.3, "mean_kg": 0.2, "average_kg": np.nan})
    assert nothing_tomorrow(row)
    assert not nothing_tomorrow(row.copy().replace({0.2: 0.8}))  # a rare big catch lifts the mean above 0.5 kg
    assert not nothing_tomorrow(pd.Series({"q90_kg": 0.3, "mean_kg": 0.2, "average_kg": 4.0}))  # caught last week
