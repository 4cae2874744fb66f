"""Swift-current (急潮) tiers, unusual water temperature and old models, from plain frames."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from reports.alerts import kyucho_alerts, old_models, strongest_current, temperature_alerts, thresholds_for
from reports.content import KNOT_MS, compass_point, flow_bearing_deg

ISSUE = date(2025, 11, 30)


def ocean_rows(rows: list[tuple]) -> pd.DataFrame:
    """(site_id, day, source, level, east_kn, north_kn, temp_c, normal_c) -> the data layer's net_ocean frame."""
    frame = pd.DataFrame(rows, columns=["site_id", "date", "source", "level", "east_kn", "north_kn", "temp_c",
                                        "normal_c"])
    return frame.assign(date=pd.to_datetime(frame.date), depth_m=frame.level.map({"surface": 0.5, "50m": 47.0}),
                        east_ms=frame.east_kn * KNOT_MS, north_ms=frame.north_kn * KNOT_MS).drop(
        columns=["east_kn", "north_kn"])


def test_a_current_past_the_warning_speed_is_a_warning_with_its_days_peak_and_direction() -> None:
    ocean = ocean_rows([
        ("himi", "2025-11-30", "analysis", "surface", 3.0, 0.0, 18.0, 18.0),  # ignored: the forecast exists
        ("himi", "2025-12-01", "forecast", "surface", 0.5, 0.5, 18.0, 18.0),
        ("himi", "2025-12-02", "forecast", "surface", 0.8, 0.8, 18.0, 18.0),  # 1.13 kn: advisory
        ("himi", "2025-12-02", "forecast", "50m", 1.2, 1.2, 15.0, 15.0),  # 1.70 kn toward NE: warning
        ("himi", "2025-12-03", "forecast", "50m", 0.0, 1.1, 15.0, 15.0),  # 1.1 kn
        ("himi", "2025-12-04", "forecast", "50m", 0.1, 0.1, 15.0, 15.0),
        ("uozu", "2025-12-01", "forecast", "surface", 0.0, -1.2, 18.0, 18.0),  # 1.2 kn: advisory
        ("calm", "2025-12-01", "forecast", "surface", 0.2, 0.0, 18.0, 18.0),
    ])
    alerts = kyucho_alerts(ocean, (1.0, 1.5))
    assert [(a.site_id, a.tier) for a in alerts] == [("himi", "warning"), ("uozu", "advisory")]
    himi = alerts[0]
    assert (himi.first_day, himi.last_day, himi.peak_day) == (date(2025, 12, 2), date(2025, 12, 3), date(2025, 12, 2))
    assert himi.peak_kn == pytest.approx(1.697, abs=0.01) and himi.level == "50m" and himi.source == "forecast"
    assert compass_point(himi.bearing_deg, "ja") == "北東" and compass_point(himi.bearing_deg, "en") == "NE"
    assert compass_point(alerts[1].bearing_deg, "ja") == "南"


def test_without_a_forecast_the_latest_analysis_is_judged() -> None:
    ocean = ocean_rows([("himi", "2025-11-30", "analysis", "surface", 1.6, 0.0, 18.0, 18.0)])
    (alert,) = kyucho_alerts(ocean, (1.0, 1.5))
    assert alert.source == "analysis" and alert.tier == "warning" and alert.peak_day == ISSUE


def test_each_net_may_have_its_own_thresholds() -> None:
    ocean = ocean_rows([("himi", "2025-12-01", "forecast", "surface", 1.2, 0.0, 18.0, 18.0),
                        ("uozu", "2025-12-01", "forecast", "surface", 1.2, 0.0, 18.0, 18.0)])
    alerts = kyucho_alerts(ocean, (1.0, 1.5), {"himi": (1.3, 2.0), "uozu": (0.6, 1.1)})
    assert [(a.site_id, a.tier, a.warning_kn) for a in alerts] == [("uozu", "warning", 1.1)]
    assert thresholds_for("x", (1.0, 1.5), {"x": (1.2, 0.8)}) == (1.2, 1.2)  # a warning never below the advisory


def test_no_ocean_data_means_no_alert_and_no_strongest_current() -> None:
    assert kyucho_alerts(None, (1.0, 1.5)) == []
    assert strongest_current(None) is None
    assert temperature_alerts(None, 2.0) == []


def test_the_strongest_current_is_reported_when_all_is_calm() -> None:
    ocean = ocean_rows([("himi", "2025-12-01", "forecast", "surface", 0.3, 0.0, 18.0, 18.0),
                        ("uozu", "2025-12-02", "forecast", "50m", 0.0, -0.6, 18.0, 18.0)])
    peak = strongest_current(ocean)
    assert (peak.site_id, peak.day, peak.level) == ("uozu", date(2025, 12, 2), "50m")
    assert peak.speed_kn == pytest.approx(0.6)


def test_water_far_from_its_normal_is_flagged_once_per_net_at_its_worst() -> None:
    ocean = ocean_rows([
        ("himi", "2025-11-30", "analysis", "surface", 0, 0, 19.5, 17.0),  # +2.5
        ("himi", "2025-11-30", "analysis", "50m", 0, 0, 17.9, 14.8),  # +3.1: the worst
        ("uozu", "2025-11-30", "analysis", "surface", 0, 0, 14.0, 16.6),  # −2.6
        ("odd", "2025-11-30", "analysis", "surface", 0, 0, 18.0, 17.0),  # +1.0: normal enough
        ("new", "2025-11-30", "analysis", "surface", 0, 0, 30.0, float("nan")),  # no normal yet
    ])
    alerts = temperature_alerts(ocean, 2.0)
    assert [(a.site_id, a.level, round(a.anomaly_c, 1)) for a in alerts] == [("himi", "50m", 3.1), ("uozu", "surface", -2.6)]


def test_models_past_their_age_limit_are_listed() -> None:
    runs = pd.DataFrame({"model_version": ["a", "a", "b"], "species": ["yellowtail", "sardine", "squid"],
                         "trained_at": pd.to_datetime(["2025-10-01 03:00", "2025-10-01 03:00", "2025-11-20 03:00"])})
    assert old_models(runs, ISSUE, 30) == [("a", "sardine", 60), ("a", "yellowtail", 60)]
    assert old_models(runs, ISSUE, 60) == []


def test_bearings_are_where_the_current_flows_toward() -> None:
    assert flow_bearing_deg(0.0, 1.0) == pytest.approx(0.0)
    assert flow_bearing_deg(1.0, 0.0) == pytest.approx(90.0)
    assert flow_bearing_deg(0.0, -1.0) == pytest.approx(180.0)
    assert compass_point(flow_bearing_deg(-1.0, 0.0), "ja") == "西"
    assert compass_point(348.0, "en") == "NNW" and compass_point(349.0, "en") == "N"


# --- from the hourly forecast ----------------------------------------------------------------------------------

def hourly_ocean(site_id: str, east_kn: list[float], first_utc: str, issued: str = "2025-11-30") -> pd.DataFrame:
    """Hourly forecast rows of the ocean at the nets (date = valid hour in UTC), one net, eastward currents."""
    hours = pd.date_range(first_utc, periods=len(east_kn), freq="h")
    return pd.DataFrame({"site_id": site_id, "date": hours, "source": "hourly forecast", "level": "surface",
                         "depth_m": float("nan"), "east_ms": [e * KNOT_MS for e in east_kn], "north_ms": 0.0,
                         "temp_c": float("nan"), "normal_c": float("nan"),
                         "forecast_issue_date": pd.Timestamp(issued)})


def test_an_hourly_forecast_gives_the_hours_and_knots_of_each_day() -> None:
    # 2025-12-01 15:00 UTC = 2025-12-02 00:00 JST; 1.6 kn at 06..08 JST, 1.2 at 05 and 09
    speeds = [0.3] * 5 + [1.2, 1.6, 1.6, 1.6, 1.2] + [0.3] * 14
    ocean = pd.concat([hourly_ocean("himi", speeds, "2025-12-01 15:00"),
                       ocean_rows([("himi", "2025-12-02", "forecast", "surface", 0.2, 0.0, 18.0, 18.0)])])
    (alert,) = kyucho_alerts(ocean, (1.0, 1.5))
    assert (alert.tier, alert.peak_day, alert.source) == ("warning", date(2025, 12, 2), "hourly forecast")
    assert alert.peak_kn == pytest.approx(1.6) and compass_point(alert.bearing_deg, "ja") == "東"
    assert (alert.window_start.hour, alert.window_end.hour) == (6, 9)  # above 1.5 kn from 06:00 to 09:00 JST
    advisory = kyucho_alerts(ocean, (1.0, 1.5), {"himi": (1.0, 2.0)})
    assert advisory[0].tier == "advisory" and (advisory[0].window_start.hour, advisory[0].window_end.hour) == (5, 10)


def test_the_alert_text_names_the_day_the_hours_the_direction_and_the_knots() -> None:
    from reports.labels import LABELS
    from reports.view import kyucho_detail

    speeds = [0.3] * 6 + [1.6, 1.6, 1.6] + [0.3] * 15
    (alert,) = kyucho_alerts(hourly_ocean("himi", speeds, "2025-12-01 15:00"), (1.0, 1.5))
    text = kyucho_detail(alert, {"himi": "氷見"}, LABELS["ja"], "ja")
    assert text.startswith("氷見：12月2日(火) 6〜9時 東へ 最大1.6ノット")
    assert "6:00–9:00" in kyucho_detail(alert, {}, LABELS["en"], "en")


def test_hourly_calm_reports_the_strongest_hour() -> None:
    peak = strongest_current(hourly_ocean("himi", [0.3, 0.7, 0.4], "2025-12-01 15:00"))
    assert peak is not None and peak.speed_kn == pytest.approx(0.7) and peak.day == date(2025, 12, 2)


def test_the_currents_note_says_hourly_when_the_alerts_come_from_the_hourly_forecast() -> None:
    from reports.labels import LABELS
    from reports.view import currents_note

    daily = ocean_rows([("himi", "2025-12-01", "forecast", "surface", 0.2, 0.0, 18.0, 18.0)])
    hourly = pd.concat([daily, hourly_ocean("himi", [0.3, 0.7, 0.4], "2025-12-01 15:00")])
    assert currents_note(daily, LABELS["ja"]) == LABELS["ja"]["daily_mean_note"]
    assert currents_note(hourly, LABELS["ja"]) == LABELS["ja"]["hourly_note"]
    assert currents_note(hourly, LABELS["en"]).startswith("Currents are the hourly")
