"""Pure functions that turn report data into the numbers and sentences a fisher reads."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from datetime import date, timedelta

import numpy as np
import pandas as pd

from setnet.settings import SPECIES

SAME_WITHIN_PCT = 10  # a forecast within this many percent of the recent average reads "about the same"
SMALL_KG = 5.0  # under this, a change is said in kilograms, never as a percentage or a multiple
NEAR_ZERO_KG = 0.5  # both under this: "ほぼゼロ"
KNOT_MS = 0.514444  # metres per second in one knot
COMPASS_JA = ("北", "北北東", "北東", "東北東", "東", "東南東", "南東", "南南東",
              "南", "南南西", "南西", "西南西", "西", "西北西", "北西", "北北西")
COMPASS_EN = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
UNKNOWN_COOP_SLUG = "unregistered"


def format_kg(catch_kg: float | None) -> str:
    """A catch rounded as a fisher says it: 0, 7, 42, 130, 1,200 (two significant figures from 100 kg)."""
    if catch_kg is None or not np.isfinite(catch_kg):
        return "—"
    value = max(float(catch_kg), 0.0)
    step = 1 if value < 100 else 10 if value < 1000 else 100
    rounded = int(math.floor(value / step + 0.5) * step)
    return f"{rounded:,}"


def format_range(q10_kg: float, q90_kg: float, separator: str) -> str:
    """The 10-90 % range as '40〜150 kg'."""
    return f"{format_kg(q10_kg)}{separator}{format_kg(q90_kg)} kg"


def format_pct(fraction: float) -> int:
    """A fraction as a whole percentage (0.234 -> 23)."""
    return math.floor(abs(fraction) * 100 + 0.5)


def species_order(codes: list[str] | set[str] | pd.Series) -> list[str]:
    """Species codes in setnet's SPECIES order, unknown codes last in alphabetical order."""
    known = [sp.code for sp in SPECIES]
    present = set(codes)
    return [c for c in known if c in present] + sorted(present - set(known))


def recent_average(catches: pd.DataFrame, issue_date: date, days: int) -> pd.DataFrame:
    """Mean catch over the operated days among the `days` up to issue_date: site_id, species, average_kg, days_operated."""
    start = pd.Timestamp(issue_date - timedelta(days=days - 1))
    window = catches[(catches.date >= start) & (catches.date <= pd.Timestamp(issue_date))]
    grouped = window.groupby(["site_id", "species"]).catch_kg
    return pd.DataFrame({"average_kg": grouped.mean(), "days_operated": grouped.size()}).reset_index()


def tomorrow_rows(forecasts: pd.DataFrame, catches: pd.DataFrame, issue_date: date, days: int) -> pd.DataFrame:
    """Lead-1 forecasts with each net's recent average catch of the species (NaN when it has none)."""
    lead1 = forecasts[forecasts.lead_days == 1]
    average = recent_average(catches, issue_date, days)
    return lead1.merge(average, on=["site_id", "species"], how="left")


def change_text(expected_kg: float, average_kg: float | None, text: dict[str, str]) -> str:
    """The expected catch (kg, a mean) against the recent average catch (kg, a mean over the days the net was
    hauled), in words: '35% 多い', '約3倍', 'ほぼ同じ', 'ほぼゼロ', '3 kg 多い', 'no record'.

    Percentages and multiples of a few kilograms say nothing: when both are under SMALL_KG the change is said
    in kilograms (or 'ほぼゼロ' when both round to 0 kg); from an average under SMALL_KG it is 'up (average 2 kg)'."""
    if average_kg is None or not np.isfinite(average_kg):
        return text["no_record"]
    expected_kg = max(float(expected_kg), 0.0)
    if expected_kg < SMALL_KG and average_kg < SMALL_KG:
        if expected_kg < NEAR_ZERO_KG and average_kg < NEAR_ZERO_KG:
            return text["near_zero"]
        difference = expected_kg - average_kg
        if format_kg(abs(difference)) == "0":
            return text["about_same"]
        return (text["more_kg"] if difference > 0 else text["less_kg"]).format(kg=format_kg(abs(difference)))
    if average_kg < SMALL_KG:
        return text["up_from_small"].format(kg=format_kg(average_kg))
    change = (expected_kg - average_kg) / average_kg
    if format_pct(change) < SAME_WITHIN_PCT:
        return text["about_same"]
    if expected_kg >= 2 * average_kg:
        return text["times"].format(ratio=format_ratio(expected_kg / average_kg))
    return (text["more"] if change > 0 else text["less"]).format(pct=format_pct(change))


def format_ratio(ratio: float) -> str:
    """A multiple as people say it: 2.5, 4, 12."""
    return f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}".removesuffix(".0")


def change_direction(expected_kg: float, average_kg: float | None) -> str:
    """'up', 'down' or 'same' (CSS class of the change cell), as change_text words it."""
    if average_kg is None or not np.isfinite(average_kg):
        return "same"
    expected_kg = max(float(expected_kg), 0.0)
    if expected_kg < SMALL_KG and average_kg < SMALL_KG:
        difference = expected_kg - average_kg
        if (expected_kg < NEAR_ZERO_KG and average_kg < NEAR_ZERO_KG) or format_kg(abs(difference)) == "0":
            return "same"
        return "up" if difference > 0 else "down"
    if average_kg < SMALL_KG:
        return "up"
    change = (expected_kg - average_kg) / average_kg
    if format_pct(change) < SAME_WITHIN_PCT:
        return "same"
    return "up" if change > 0 else "down"


def skill_text(skill: float | None, text: dict[str, str]) -> str:
    """Skill against a baseline in plain words: '23% 良い', '12% 悪い', '同じくらい'."""
    if skill is None or not np.isfinite(skill):
        return text["no_value"]
    pct = format_pct(skill)
    if pct == 0:
        return text["equal"]
    return (text["better"] if skill > 0 else text["worse"]).format(pct=pct)


def ocean_date_of(forecasts: pd.DataFrame) -> date | None:
    """The oldest ocean day the forecasts used, or None when they do not say."""
    days = pd.to_datetime(forecasts.ocean_date).dropna()
    return days.min().date() if not days.empty else None


def stale_sites(last_catch_dates: pd.DataFrame, site_ids: list[str], issue_date: date,
                days: int) -> list[tuple[str, date | None]]:
    """Nets with no catch in the `days` up to issue_date, with their last catch day (None if never)."""
    last = dict(zip(last_catch_dates.site_id, pd.to_datetime(last_catch_dates.last_date), strict=True))
    first_recent = pd.Timestamp(issue_date - timedelta(days=days - 1))
    stale = []
    for site_id in site_ids:
        day = last.get(site_id)
        if day is None or pd.isna(day) or day < first_recent:
            stale.append((site_id, None if day is None or pd.isna(day) else day.date()))
    return stale


def no_better_than_normal(skill: float | None) -> bool:
    """A skill against the seasonal normal (climatology) that is not above 0 once rounded to a whole percentage."""
    return skill is not None and bool(np.isfinite(skill)) and (skill <= 0 or format_pct(skill) == 0)


def track_hits(lead1: pd.DataFrame, catches: pd.DataFrame) -> pd.DataFrame:
    """Per net and species: days with a forecast and a catch (n), how many fell inside q10..q90 (hits), and over
    those days the sum of the expected catches (forecast_kg, of mean_kg when the rows have it) and of the catches
    (actual_kg)."""
    paired = lead1.merge(catches, left_on=["target_date", "site_id", "species"],
                         right_on=["date", "site_id", "species"], how="inner")
    inside = (paired.catch_kg >= paired.q10_kg) & (paired.catch_kg <= paired.q90_kg)
    expected = paired.mean_kg if "mean_kg" in paired else pd.Series(np.nan, index=paired.index)
    grouped = paired.assign(inside=inside, expected=expected).groupby(["site_id", "species"])
    counts = grouped.agg(hits=("inside", "sum"), n=("inside", "size"), actual_kg=("catch_kg", "sum"))
    counts.insert(2, "forecast_kg", grouped.expected.sum(min_count=1))
    return counts.reset_index().astype({"hits": int, "n": int})


def ordered_sites(sites: pd.DataFrame, site_ids: list[str], unknown_coop: str) -> pd.DataFrame:
    """The nets to show (registry rows, or bare ids), ordered west to east by cooperative then by net."""
    known = sites[sites.site_id.isin(site_ids)]
    missing = [s for s in site_ids if s not in set(known.site_id)]
    bare = pd.DataFrame({"site_id": missing, "name_ja": missing, "name_en": missing, "coop": unknown_coop,
                         "lat": np.nan, "lon": np.nan})
    frame = pd.concat([known, bare], ignore_index=True) if missing else known.copy()
    frame["coop"] = frame.coop.fillna(unknown_coop).astype(str)
    coop_west = frame.groupby("coop").lon.min().fillna(np.inf)
    frame["coop_west"] = frame.coop.map(coop_west)
    return frame.sort_values(["coop_west", "coop", "lon", "site_id"], na_position="last").drop(columns="coop_west")


def knots(speed_ms: float) -> float:
    """A speed in metres per second as knots."""
    return float(speed_ms) / KNOT_MS


def flow_bearing_deg(east_ms: float, north_ms: float) -> float:
    """The compass bearing (0 = north, clockwise) the current flows toward."""
    return float(np.degrees(np.arctan2(east_ms, north_ms)) % 360.0)


def compass_point(bearing_deg: float, lang: str) -> str:
    """A bearing as one of 16 compass points: 北東 / NE."""
    points = COMPASS_JA if lang == "ja" else COMPASS_EN
    return points[math.floor((bearing_deg % 360.0) / 22.5 + 0.5) % 16]


def boxes(catch_kg: float | None, kg_per_box: float | None) -> int | None:
    """A catch as whole fish boxes (箱), rounded like the kilograms; None without a box weight."""
    if kg_per_box is None or not kg_per_box > 0 or catch_kg is None or not np.isfinite(catch_kg):
        return None
    count = max(float(catch_kg), 0.0) / kg_per_box
    step = 1 if count < 100 else 10
    return int(math.floor(count / step + 0.5) * step)


def coop_slug(name: str) -> str:
    """A folder name for a cooperative: its name's letters and digits (Japanese kept), other characters as '-'.

    '氷見漁協' -> '氷見漁協', 'Uozu Coop.' -> 'uozu-coop', '<script>' -> 'script'; a name with nothing usable
    gets 'coop-' and a short hash of the name.
    """
    folded = unicodedata.normalize("NFKC", str(name)).lower()
    slug = re.sub(r"[^\w]+", "-", folded).strip("-_")[:60]
    if not slug or slug.startswith("."):
        slug = "coop-" + hashlib.sha256(str(name).encode("utf-8")).hexdigest()[:8]
    return slug


def unique_slugs(names: list[str]) -> dict[str, str]:
    """Cooperative name -> folder name, made unique (a clash gets the name's hash appended)."""
    slugs: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        slug = coop_slug(name)
        if slug in used:
            slug = f"{slug}-{hashlib.sha256(str(name).encode('utf-8')).hexdigest()[:8]}"
        used.add(slug)
        slugs[name] = slug
    return slugs


def latest_landing(latest_catches: pd.DataFrame, latest_no_operation: pd.DataFrame, site_id: str,
                   species: str) -> tuple[str, date | None, float | None]:
    """A net's latest record of a species: ('catch', day, kg), ('no_operation', day, None) when the net's latest
    休漁 day is later than that catch, or ('none', None, None) when nothing is recorded."""
    catch = latest_catches[(latest_catches.site_id == site_id) & (latest_catches.species == species)]
    closed = latest_no_operation[latest_no_operation.site_id == site_id]
    catch_day = pd.Timestamp(catch.date.max()).date() if not catch.empty else None
    closed_day = pd.Timestamp(closed.date.max()).date() if not closed.empty and closed.date.notna().any() else None
    if closed_day is not None and (catch_day is None or closed_day > catch_day):
        return "no_operation", closed_day, None
    if catch_day is None:
        return "none", None, None
    return "catch", catch_day, float(catch.sort_values("date").catch_kg.iloc[-1])


def fish_counts(catch_kg: float, shares: dict[str, float], kg_per_fish: dict[str, float]) -> list[tuple[str, int]]:
    """A catch (kg) split by size-class shares of kg and counted in fish (本) by each class's weight of one fish:
    [('ブリ', 12), ('ガンド', 30), ...], the heaviest class first, classes without a weight or rounding to 0 left out."""
    counts = []
    for size_class, share in shares.items():
        weight = kg_per_fish.get(size_class)
        if weight is None or not weight > 0 or not np.isfinite(share) or catch_kg is None or not np.isfinite(catch_kg):
            continue
        count = max(float(catch_kg), 0.0) * float(share) / weight
        step = 1 if count < 100 else 10
        rounded = int(math.floor(count / step + 0.5) * step)
        if rounded > 0:
            counts.append((size_class, rounded, weight))
    return [(size_class, n) for size_class, n, _ in sorted(counts, key=lambda c: -c[2])]
