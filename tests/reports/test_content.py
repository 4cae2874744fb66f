"""The numbers and sentences a fisher reads: rounding, change against last week, skill in words, stale nets."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from reports.content import (
    boxes,
    change_direction,
    change_text,
    coop_slug,
    fish_counts,
    format_kg,
    format_range,
    latest_landing,
    no_better_than_normal,
    ocean_date_of,
    ordered_sites,
    recent_average,
    skill_text,
    species_order,
    stale_sites,
    track_hits,
    unique_slugs,
)
from reports.labels import LABELS, long_day, site_name, species_names

JA, EN = LABELS["ja"], LABELS["en"]


@pytest.mark.parametrize(("catch_kg", "shown"), [
    (0.0, "0"), (0.4, "0"), (0.5, "1"), (7.4, "7"), (42.0, "42"), (99.4, "99"), (104.0, "100"), (348.0, "350"),
    (1234.0, "1,200"), (12_960.0, "13,000"), (-3.0, "0"), (float("nan"), "—"), (None, "—"),
])
def test_catches_are_rounded_as_a_fisher_says_them(catch_kg: float | None, shown: str) -> None:
    assert format_kg(catch_kg) == shown


def test_a_range_reads_low_to_high() -> None:
    assert format_range(410.0, 2870.0, "〜") == "410〜2,900 kg"


@pytest.mark.parametrize(("median", "average", "ja", "en"), [
    (135.0, 100.0, "35% 多い", "35% more"),
    (199.0, 100.0, "99% 多い", "99% more"),
    (200.0, 100.0, "約2倍", "about 2 times"),
    (400.0, 76.0, "約5.3倍", "about 5.3 times"),
    (1500.0, 100.0, "約15倍", "about 15 times"),
    (80.0, 100.0, "20% 少ない", "20% less"),
    (105.0, 100.0, "ほぼ同じ", "about the same"),
    (10.0, None, "記録なし", "no record"),
    (10.0, float("nan"), "記録なし", "no record"),
    (10.0, 0.0, "増える（平均 0 kg）", "up (average 0 kg)"),
    (0.0, 0.0, "ほぼゼロ", "near zero"),
    (0.3, 0.2, "ほぼゼロ", "near zero"),  # both round to 0 kg
    (3.0, 1.0, "2 kg 多い", "2 kg more"),  # a few kg: never "200% more" or "3 times"
    (1.0, 4.0, "3 kg 少ない", "3 kg less"),
    (2.2, 2.0, "ほぼ同じ", "about the same"),
    (300.0, 2.0, "増える（平均 2 kg）", "up (average 2 kg)"),  # not "150 times" a few kilograms
])
def test_the_change_against_the_recent_average_is_in_words(median, average, ja, en) -> None:
    assert change_text(median, average, JA) == ja
    assert change_text(median, average, EN) == en


@pytest.mark.parametrize(("skill", "ja", "en"), [
    (0.23, "23% 良い", "better by 23%"),
    (-0.12, "12% 悪い", "worse by 12%"),
    (0.002, "同じくらい", "about the same"),
    (float("nan"), "—", "—"),
    (None, "—", "—"),
])
def test_skill_is_stated_plainly(skill, ja, en) -> None:
    assert skill_text(skill, JA) == ja
    assert skill_text(skill, EN) == en


@pytest.mark.parametrize(("skill", "no_better"), [
    (0.23, False), (0.006, False), (0.004, True), (0.0, True), (-0.12, True), (float("nan"), False), (None, False),
])
def test_a_skill_not_above_zero_once_rounded_is_no_better_than_the_normal(skill, no_better) -> None:
    assert no_better_than_normal(skill) is no_better


def test_the_recent_average_counts_operated_days_only() -> None:
    catches = pd.DataFrame({
        "date": pd.to_datetime(["2025-11-20", "2025-11-24", "2025-11-30", "2025-11-30"]),
        "site_id": ["a", "a", "a", "b"], "species": "yellowtail", "catch_kg": [1000.0, 10.0, 30.0, 5.0],
    })
    average = recent_average(catches, date(2025, 11, 30), days=7).set_index("site_id")
    assert average.average_kg["a"] == 20.0 and average.days_operated["a"] == 2  # 11-20 is outside the week
    assert average.average_kg["b"] == 5.0


def test_stale_nets_are_those_without_a_catch_in_the_last_14_days() -> None:
    last = pd.DataFrame({"site_id": ["fresh", "edge", "old"],
                         "last_date": pd.to_datetime(["2025-11-29", "2025-11-17", "2025-11-16"])})
    stale = stale_sites(last, ["fresh", "edge", "old", "never"], date(2025, 11, 30), days=14)
    assert stale == [("old", date(2025, 11, 16)), ("never", None)]


def test_the_ocean_date_is_the_oldest_used_or_unknown() -> None:
    frame = pd.DataFrame({"ocean_date": pd.to_datetime(["2025-11-29", "2025-11-28", None])})
    assert ocean_date_of(frame) == date(2025, 11, 28)
    assert ocean_date_of(pd.DataFrame({"ocean_date": [None, None]})) is None


def test_track_hits_count_catches_inside_the_band() -> None:
    days = pd.to_datetime(["2025-11-01", "2025-11-02", "2025-11-03"])
    lead1 = pd.DataFrame({"target_date": days, "site_id": "a", "species": "sardine", "mean_kg": [22.0, 99.0, 25.0],
                          "q10_kg": 10.0, "q50_kg": 20.0, "q90_kg": 30.0})
    catches = pd.DataFrame({"date": days[[0, 2]], "site_id": "a", "species": "sardine", "catch_kg": [15.0, 31.0]})
    hits = track_hits(lead1, catches)
    # the expected catches of the days with a catch only (not the 99 kg of the day without), against those catches
    assert hits.to_dict("records") == [{"site_id": "a", "species": "sardine", "hits": 1, "n": 2,
                                        "forecast_kg": 47.0, "actual_kg": 46.0}]


def test_nets_are_grouped_by_cooperative_west_to_east() -> None:
    sites = pd.DataFrame({"site_id": ["e", "w", "m"], "name_ja": ["東", "西", "中"], "name_en": ["E", "W", "M"],
                          "coop": ["東漁協", "西漁協", "西漁協"], "lat": 36.8, "lon": [137.4, 136.9, 137.0]})
    ordered = ordered_sites(sites, ["e", "w", "m", "ghost"], "不明")
    assert list(ordered.site_id) == ["w", "m", "e", "ghost"]
    assert ordered.set_index("site_id").coop["ghost"] == "不明"


def test_species_follow_setnets_order_then_the_alphabet() -> None:
    assert species_order(["zander", "sardine", "yellowtail", "anchovy"]) == ["yellowtail", "sardine", "anchovy", "zander"]


def test_names_fall_back_sensibly() -> None:
    registry = pd.DataFrame({"species": ["sardine", "mackerel"], "name_ja": ["いわし", "サバ"], "name_en": ["", "Mackerel"]})
    assert species_names(registry, "ja")["sardine"] == "いわし"
    assert species_names(registry, "en")["sardine"] == "Japanese sardine"  # blank -> setnet's SPECIES
    assert species_names(registry, "en")["mackerel"] == "Mackerel"
    assert species_names(registry.iloc[:0], "ja")["yellowtail"] == "ブリ"
    assert site_name("氷見", np.nan, "en") == "氷見"
    assert long_day(date(2025, 12, 1), "ja") == "2025年12月1日(月)"
    assert long_day(date(2025, 12, 1), "en") == "Mon 1 Dec 2025"


def test_both_languages_have_the_same_labels() -> None:
    assert set(LABELS["ja"]) == set(LABELS["en"])


@pytest.mark.parametrize(("catch_kg", "kg_per_box", "shown"), [
    (1234.0, 15.0, 82), (18.0, 2.5, 7), (0.2, 15.0, 0), (1500.0, 10.0, 150), (1234.0, None, None),
    (float("nan"), 15.0, None),
])
def test_catches_are_counted_in_boxes_where_the_species_has_a_box_weight(catch_kg, kg_per_box, shown) -> None:
    assert boxes(catch_kg, kg_per_box) == shown


@pytest.mark.parametrize(("name", "slug"), [
    ("氷見漁協", "氷見漁協"), ("Uozu Coop.", "uozu-coop"), ("富山県 漁協", "富山県-漁協"), ("ＡＢＣ漁協", "abc漁協"),
    ("<script>alert(1)</script>", "script-alert-1-script"), ("../..", "coop-"), ("", "coop-"),
])
def test_cooperative_folders_are_safe_names(name: str, slug: str) -> None:
    assert coop_slug(name).startswith(slug)
    assert "/" not in coop_slug(name) and not coop_slug(name).startswith(".")


def test_cooperative_folders_are_unique() -> None:
    slugs = unique_slugs(["A coop", "a-coop", "B"])
    assert slugs["A coop"] == "a-coop" and slugs["a-coop"].startswith("a-coop-") and slugs["B"] == "b"
    assert len(set(slugs.values())) == 3


@pytest.mark.parametrize(("expected", "average", "direction"), [
    (3.0, 1.0, "up"), (1.0, 4.0, "down"), (0.2, 0.3, "same"), (300.0, 2.0, "up"), (80.0, 100.0, "down")])
def test_the_change_colour_follows_its_words(expected: float, average: float, direction: str) -> None:
    assert change_direction(expected, average) == direction


def test_the_latest_landing_is_the_latest_catch_or_a_later_day_without_hauling() -> None:
    catches = pd.DataFrame({"date": pd.to_datetime(["2025-11-20", "2025-11-28", "2025-11-28"]),
                            "site_id": ["a", "a", "b"], "species": ["sardine", "sardine", "sardine"],
                            "catch_kg": [5.0, 120.0, 7.0]})
    closed = pd.DataFrame({"site_id": ["b"], "date": pd.to_datetime(["2025-11-29"])})
    assert latest_landing(catches, closed, "a", "sardine") == ("catch", date(2025, 11, 28), 120.0)
    assert latest_landing(catches, closed, "b", "sardine") == ("no_operation", date(2025, 11, 29), None)
    assert latest_landing(catches, closed, "a", "yellowtail") == ("none", None, None)


def test_an_expected_catch_is_counted_in_fish_by_size_class_heaviest_first() -> None:
    shares = {"フクラギ": 0.2, "ブリ": 0.5, "ガンド": 0.3, "コズクラ": 0.0}
    weights = {"ブリ": 9.0, "ガンド": 4.5, "フクラギ": 1.5, "コズクラ": 0.5}
    assert fish_counts(1334.0, shares, weights) == [("ブリ", 74), ("ガンド", 89), ("フクラギ", 180)]
    assert fish_counts(1334.0, {"謎": 1.0}, weights) == []  # a class without a weight of one fish is not counted
