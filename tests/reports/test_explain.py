"""The why-line: the forecast's top contributions in words, whatever the features are called this month."""

from __future__ import annotations

import json
import re

import pytest

from reports.explain import feature_phrase, format_value, parse_explanation, why_line, why_parts


@pytest.mark.parametrize(("feature", "ja", "en"), [
    ("temp_50m_c", "50m水温", "water temperature at 50 m"),
    ("temp_surface_c", "表面水温", "water temperature at the surface"),
    ("temp_100m_radius_c", "100m水温", "water temperature at 100 m"),
    ("temp_50m_anom_c", "50m水温の平年差", "temperature at 50 m vs normal"),
    ("temp_surface_c_mean_7d", "表面水温（7日平均）", "water temperature at the surface (7-day mean)"),
    ("temp_50m_c_change_1d", "50m水温の1日間の変化", "water temperature at 50 m (1-day change)"),
    ("target_temp_50m_c", "予想日の50m水温", "water temperature at 50 m forecast for the day"),
    ("current_along_ms", "網に沿う流れ", "current along the net"),
    ("current_speed_50m_ms_max_3d", "50m層の流れの速さ（3日間の最大）", "current speed at 50 m (3-day maximum)"),
    ("swift_current_days_7d", "この7日の急潮日数", "swift-current days in the last 7"),
    ("catch_lag_1d_kg", "昨日の漁獲", "yesterday's catch"),
    ("catch_mean_7d_kg", "直近7日の平均漁獲", "average catch over 7 days"),
    ("catch_neighbours_mean_3d_kg", "近くの網の漁獲", "catches at nearby nets"),
    ("catch_something_new_kg", "漁獲の記録", "catch record"),
    ("catch_climatology_kg", "この時期の平年の漁獲", "usual catch for the season"),
    ("catch_anomaly_7d", "直近7日の漁獲と平年の差", "last 7 days' catch against the usual"),
    ("catch_bay_anomaly_3d", "湾全体の漁獲と平年の差", "catches across the bay against the usual"),
    ("lunar_age_days", "月齢", "moon age"),
])
def test_features_are_named_by_pattern(feature: str, ja: str, en: str) -> None:
    phrase = feature_phrase(feature)
    assert (phrase.ja, phrase.en) == (ja, en)


def test_an_unknown_feature_is_said_as_other_conditions_without_a_bare_number() -> None:
    phrase = feature_phrase("wave_height_sig_m2")
    assert (phrase.ja, phrase.en) == ("その他の条件", "other conditions")
    assert format_value(1.23456, phrase.unit, "ja") == ""


# The features the features stage makes (features/*.py), as the model's explanations name them.
FEATURES = [
    "catch_anomaly_7d", "catch_bay_anomaly_3d", "catch_bay_climatology_kg", "catch_bay_mean_3d_kg",
    "catch_climatology_kg", "catch_last_kg", "catch_last_year_kg", "catch_max_30d_kg", "catch_mean_30d_kg",
    "catch_mean_7d_kg", "catch_neighbours_mean_3d_kg", "catch_trend_kg", "current_across_50m_ms", "current_across_ms",
    "current_along_50m_ms", "current_along_ms", "current_east_50m_ms", "current_east_ms", "current_east_radius_ms",
    "current_north_50m_ms", "current_north_ms", "current_north_radius_ms", "current_speed_50m_jump_ms",
    "current_speed_50m_ms", "current_speed_50m_threshold_ms", "current_speed_jump_ms", "current_speed_ms",
    "current_speed_ms_max_3d", "current_speed_threshold_ms", "days_since_operation", "doy_cos", "doy_sin",
    "front_50m_c_per_km", "front_surface_c_per_km", "is_holiday", "lead_days", "lunar_age_days", "moon_illumination",
    "ocean_age_days", "ocean_is_forecast", "operated_days_30d", "operated_days_7d", "salinity_50m_psu",
    "salinity_anom_psu", "salinity_psu", "salinity_radius_psu", "site_id", "ssh_anom_m", "ssh_m", "ssh_radius_m",
    "stratification_100m_c", "stratification_50m_c", "swift_current", "swift_current_50m", "swift_current_50m_days_7d",
    "swift_current_days_7d", "target_current_across_ms", "target_current_along_ms", "target_current_speed_ms",
    "target_salinity_psu", "target_ssh_m", "target_temp_100m_c", "target_temp_50m_c", "target_temp_surface_c",
    "temp_100m_anom_c", "temp_100m_c", "temp_100m_c_change_7d", "temp_100m_radius_c", "temp_50m_anom_c", "temp_50m_c",
    "temp_50m_c_change_7d", "temp_surface_c", "temp_surface_c_mean_7d", "weekday",
]
UNIT_WORDS = ("°C", "ノット", "kn", "kg", "psu", "m", "日", " d", "%", "曜", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
              "Sun", "はい", "いいえ", "yes", "no")


@pytest.mark.parametrize("feature", FEATURES)
def test_every_feature_is_said_in_words_with_a_unit_in_both_languages(feature: str) -> None:
    phrase = feature_phrase(feature)
    assert phrase.ja != feature and phrase.en != feature and "その他" not in phrase.ja  # it has words of its own
    assert not re.search(r"[a-z]_[a-z]", phrase.ja + phrase.en)  # no code names
    assert "特徴" not in phrase.ja and "pattern" not in phrase.en  # issue 13: "この網の特徴" says nothing
    for lang in ("ja", "en"):
        shown = format_value(0.7, phrase.unit, lang)
        assert shown == "" or any(word in shown for word in UNIT_WORDS), (feature, lang, shown)


@pytest.mark.parametrize(("value", "unit", "lang", "shown"), [
    (14.23, "c", "ja", "14.2°C"),
    (-1.26, "c_delta", "en", "minus 1.3°C"),  # signs in words: a fax loses a small "+" or "−"
    (-1.26, "c_delta", "ja", "マイナス1.3°C"),
    (0.8, "c_delta", "ja", "プラス0.8°C"),
    (0.04, "c_delta", "ja", "0.0°C"),
    (0.12, "c_per_day", "en", "plus 0.12°C/day"),
    (-0.2572, "kn_delta", "ja", "マイナス0.5\u00a0ノット"),
    (68.0, "kg_delta", "en", "plus 68\u00a0kg"),
    (0.514444, "kn", "ja", "1.0\u00a0ノット"),
    (0.514444, "kn", "en", "1.0\u00a0kn"),
    (1234.0, "kg", "ja", "1,200\u00a0kg"),
    (3, "days", "ja", "3日"),
    (0.9, "pct", "en", "90%"),
    (5, "weekday", "ja", "土曜"),
    (1, "yesno", "en", "yes"),
    (0.3, "none", "ja", ""),
    (None, "c", "ja", ""),
    (float("nan"), "c", "ja", ""),
])
def test_values_are_written_in_the_units_people_read(value, unit, lang, shown) -> None:
    assert format_value(value, unit, lang) == shown


def test_the_why_line_names_the_two_largest_contributions_in_kg_more_or_less() -> None:
    raw = json.dumps([{"feature": "moon_illumination", "value": 0.9, "effect_kg": 3.0},
                      {"feature": "catch_mean_7d_kg", "value": 812.0, "effect_kg": -64.0},
                      {"feature": "temp_50m_c", "value": 14.23, "effect_kg": 120.4}])
    assert why_line(raw, "ja") == "50m水温 14.2°C（120\u00a0kg 多い）、直近7日の平均漁獲 810\u00a0kg（64\u00a0kg 少ない）"
    assert why_line(raw, "en") == ("water temperature at 50 m 14.2°C (120\u00a0kg more); "
                                   "average catch over 7 days 810\u00a0kg (64\u00a0kg less)")
    assert why_parts(raw, "ja", top=1) == ["50m水温 14.2°C（120\u00a0kg 多い）"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_small_change_is_said_in_words_not_a_sign_a_fax_can_lose(lang: str) -> None:
    raw = json.dumps([{"feature": "catch_lag_1d_kg", "value": 1216.0, "effect_kg": 68.0},
                      {"feature": "temp_50m_anom_c", "value": -0.7, "effect_kg": -3.2},
                      {"feature": "catch_trend_kg", "value": 5.0, "effect_kg": 1.0},
                      {"feature": "current_along_ms_change_1d", "value": -0.1, "effect_kg": -0.9}])
    line = why_line(raw, lang, top=4)
    assert not re.search(r"[+−\-±]\s?\d", line), line  # no sign before a number: "+68 kg" became "ı68 kg" in a fax
    more, less = ("多い", "少ない") if lang == "ja" else ("more", "less")
    assert f"68\u00a0kg {more}" in line and f"3\u00a0kg {less}" in line
    assert ("マイナス0.7°C" if lang == "ja" else "minus 0.7°C") in line
    assert ("プラス5\u00a0kg" if lang == "ja" else "plus 5\u00a0kg") in line


@pytest.mark.parametrize("raw", [None, float("nan"), "", "not json", "{}", "[1, 2]",
                                 '[{"feature": "temp_50m_c", "effect_kg": "big"}]',
                                 '[{"feature": "temp_50m_c", "value": 14, "effect_kg": 0.2}]'])
def test_a_missing_or_unreadable_explanation_gives_no_line(raw) -> None:
    assert why_line(raw, "ja") == ""


def test_explanations_are_parsed_leniently() -> None:
    items = parse_explanation('[{"feature": "site_id", "value": "himi", "effect_kg": 12}, {"value": 3}]')
    assert items == [{"feature": "site_id", "value": "himi", "effect_kg": 12.0}]
    assert why_line('[{"feature": "site_id", "value": "himi", "effect_kg": 12}]', "en") == \
        "what this net usually lands (12\u00a0kg more)"


def test_every_model_input_of_the_feature_table_has_words() -> None:
    import pandas as pd

    from features import build_feature_table, feature_columns
    from features.ocean import OCEAN_COLUMNS
    from tests.conftest import FEATURE_OPTIONS, synthetic_catches

    days = pd.date_range("2024-01-01", periods=40, freq="D")
    sites = pd.DataFrame({"site_id": ["a", "b"], "bearing_deg": [0.0, 90.0], "lat": [36.8, 36.9], "lon": [137.0, 137.1]})
    ocean = pd.MultiIndex.from_product([days, ["a", "b"]], names=["date", "site_id"]).to_frame(index=False)
    table = build_feature_table(ocean.assign(**dict.fromkeys(OCEAN_COLUMNS, 1.0)),
                                synthetic_catches("2024-01-01", 40, ["a", "b"]), sites, ["sardine"], days[-3:], [1], 2,
                                **FEATURE_OPTIONS)
    unnamed = [f for f in feature_columns(table) if feature_phrase(f).unit == "raw"]
    assert not unnamed, f"add words for these in reports/explain.py: {unnamed}"
