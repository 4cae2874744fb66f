"""The forecast's `explanation` (top feature contributions in signed kg) as one line of words: why this number,
with signs said in words ("120 kg 多い", "マイナス1.3°C") so that a fax cannot lose them.

Feature names are matched by pattern, not by a fixed list, because the feature set keeps changing: a name is
split into an optional `target_` prefix, a base (`temp_50m_c`, `catch_mean_7d_kg`, ...) and an optional window
suffix (`_mean_7d`, `_change_1d`, `_trend_30d`, `_max_3d`). The base's phrase and unit come from BASE_PHRASES; an
unknown base is said as "その他の条件" (other conditions) without its value, so a new feature never breaks the
report nor shows a code name or a number without a unit to a fisher.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from reports.content import KNOT_MS, format_kg

WEEKDAYS = {"ja": "月火水木金土日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
LEVELS = {"surface": ("表面", "the surface"), "50m": ("50m", "50 m"), "100m": ("100m", "100 m")}


@dataclass(frozen=True)
class Phrase:
    """A feature in words: its name in each language and how its value is written (unit)."""

    ja: str
    en: str
    unit: str  # "c", "kn", "kg", "psu", "m", "days", "count", "pct", "weekday", "yesno", "c_per_km", "none"


def _level(token: str, lang_index: int) -> str:
    """A depth level token ('surface', '50m', '100m') in words: 0 = Japanese, 1 = English."""
    return LEVELS.get(token, (token, token))[lang_index]


# (pattern on the base name, phrase builder from the match). First match wins; order from specific to general.
BASE_PHRASES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Phrase]]] = [
    (re.compile(r"^temp_(surface|50m|100m)_anom_c$"),
     lambda m: Phrase(f"{_level(m[1], 0)}水温の平年差", f"temperature at {_level(m[1], 1)} vs normal", "c_delta")),
    (re.compile(r"^temp_(surface|50m|100m)(?:_radius)?_c$"),
     lambda m: Phrase(f"{_level(m[1], 0)}水温", f"water temperature at {_level(m[1], 1)}", "c")),
    (re.compile(r"^salinity(?:_(50m))?(?:_radius)?_anom_psu$"),
     lambda m: Phrase(f"{'50m' if m[1] else ''}塩分の平年差", f"salinity{' at 50 m' if m[1] else ''} vs normal",
                      "psu_delta")),
    (re.compile(r"^salinity(?:_(50m))?(?:_radius)?_psu$"),
     lambda m: Phrase(f"{'50m' if m[1] else ''}塩分", f"salinity{' at 50 m' if m[1] else ''}", "psu")),
    (re.compile(r"^current_speed(?:_(50m))?(?:_threshold)?_ms$"),
     lambda m: Phrase(f"{'50m層の' if m[1] else ''}流れの速さ", f"current speed{' at 50 m' if m[1] else ''}", "kn")),
    (re.compile(r"^current_speed(?:_(50m))?_jump_ms$"),
     lambda m: Phrase(f"{'50m層の' if m[1] else ''}流れの急変", f"sudden change of current{' at 50 m' if m[1] else ''}",
                      "kn_delta")),
    (re.compile(r"^current_along(?:_(50m))?_ms$"),
     lambda m: Phrase(f"{'50m層の' if m[1] else ''}網に沿う流れ", f"current along the net{' at 50 m' if m[1] else ''}",
                      "kn_delta")),
    (re.compile(r"^current_across(?:_(50m))?_ms$"),
     lambda m: Phrase(f"{'50m層の' if m[1] else ''}網を押す流れ", f"current across the net{' at 50 m' if m[1] else ''}",
                      "kn_delta")),
    (re.compile(r"^current_(east|north)(?:_(50m))?(?:_radius)?_ms$"),
     lambda m: Phrase(f"{'50m層の' if m[2] else ''}{'東' if m[1] == 'east' else '北'}向きの流れ",
                      f"{m[1]}ward current{' at 50 m' if m[2] else ''}", "kn_delta")),
    (re.compile(r"^swift_current(?:_(50m))?_days_7d$"),
     lambda m: Phrase("この7日の急潮日数", "swift-current days in the last 7", "days")),
    (re.compile(r"^swift_current(?:_(50m))?$"),
     lambda m: Phrase(f"{'50m層の' if m[1] else ''}急潮", f"swift current{' at 50 m' if m[1] else ''}", "yesno")),
    (re.compile(r"^ssh(?:_radius)?_anom_m$"), lambda m: Phrase("海面の高さの平年差", "sea surface height vs normal",
                                                              "m_delta")),
    (re.compile(r"^ssh(?:_radius)?_m$"), lambda m: Phrase("海面の高さ", "sea surface height", "m")),
    (re.compile(r"^front_(surface|50m)_c_per_km$"),
     lambda m: Phrase(f"{_level(m[1], 0)}の潮目（水温の変わり目）", f"temperature front at {_level(m[1], 1)}",
                      "c_per_km")),
    (re.compile(r"^stratification_(50m|100m)_c$"),
     lambda m: Phrase(f"表面と{m[1]}の水温差", f"temperature difference surface to {_level(m[1], 1)}", "c_delta")),
    (re.compile(r"^catch_lag_0d_kg$"), lambda m: Phrase("今日の漁獲", "today's catch", "kg")),
    (re.compile(r"^catch_lag_1d_kg$"), lambda m: Phrase("昨日の漁獲", "yesterday's catch", "kg")),
    (re.compile(r"^catch_lag_(\d+)d_kg$"), lambda m: Phrase(f"{m[1]}日前の漁獲", f"catch {m[1]} days ago", "kg")),
    (re.compile(r"^catch_last_kg$"), lambda m: Phrase("前回の漁獲", "last catch", "kg")),
    (re.compile(r"^catch_mean_(\d+)d_kg$"),
     lambda m: Phrase(f"直近{m[1]}日の平均漁獲", f"average catch over {m[1]} days", "kg")),
    (re.compile(r"^catch_max_(\d+)d_kg$"),
     lambda m: Phrase(f"直近{m[1]}日の最大漁獲", f"largest catch in {m[1]} days", "kg")),
    (re.compile(r"^catch_trend_kg$"), lambda m: Phrase("漁獲の増え方", "catch trend", "kg_delta")),
    (re.compile(r"^catch_bay_mean_(\d+)d_kg$"), lambda m: Phrase("湾全体の漁獲", "catches across the bay", "kg")),
    (re.compile(r"^catch_neighbours?_mean_(\d+)d_kg$"), lambda m: Phrase("近くの網の漁獲", "catches at nearby nets", "kg")),
    (re.compile(r"^catch_last_year_kg$"), lambda m: Phrase("去年の同じ時期の漁獲", "catch a year ago", "kg")),
    (re.compile(r"^catch_climatology_kg$"), lambda m: Phrase("この時期の平年の漁獲", "usual catch for the season", "kg")),
    (re.compile(r"^catch_bay_climatology_kg$"),
     lambda m: Phrase("湾全体の平年の漁獲", "usual catch across the bay for the season", "kg")),
    (re.compile(r"^catch_anomaly_(\d+)d$"),
     lambda m: Phrase(f"直近{m[1]}日の漁獲と平年の差", f"last {m[1]} days' catch against the usual", "none")),
    (re.compile(r"^catch_bay_anomaly_(\d+)d$"),
     lambda m: Phrase("湾全体の漁獲と平年の差", "catches across the bay against the usual", "none")),
    (re.compile(r"^catch_.*_kg$"), lambda m: Phrase("漁獲の記録", "catch record", "kg")),
    (re.compile(r"^operated_days_(\d+)d$"),
     lambda m: Phrase(f"直近{m[1]}日の操業日数", f"days hauled in the last {m[1]}", "days")),
    (re.compile(r"^days_since_operation$"), lambda m: Phrase("前回の操業からの日数", "days since the last haul", "days")),
    (re.compile(r"^doy_(sin|cos)$"), lambda m: Phrase("季節", "time of year", "none")),
    (re.compile(r"^weekday$"), lambda m: Phrase("曜日", "day of the week", "weekday")),
    (re.compile(r"^is_holiday$"), lambda m: Phrase("休日", "holiday", "yesno")),
    (re.compile(r"^lunar_age_days$"), lambda m: Phrase("月齢", "moon age", "days")),
    (re.compile(r"^moon_illumination$"), lambda m: Phrase("月の明るさ", "moonlight", "pct")),
    (re.compile(r"^lead_days$"), lambda m: Phrase("何日先の予想か", "days ahead", "days")),
    (re.compile(r"^ocean_age_days$"), lambda m: Phrase("海況データの古さ", "age of the ocean data", "days")),
    (re.compile(r"^ocean_is_forecast$"), lambda m: Phrase("海況予報の使用", "ocean forecast used", "yesno")),
    (re.compile(r"^site_id$"), lambda m: Phrase("この網のふだんの水揚げ", "what this net usually lands", "none")),
]
OTHER_CONDITIONS = ("その他の条件", "other conditions")
WINDOW_SUFFIX = re.compile(r"_(mean|change|trend|max)_(\d+)d$")
WINDOW_WORDS = {
    "mean": ("（{n}日平均）", " ({n}-day mean)"),
    "change": ("の{n}日間の変化", " ({n}-day change)"),
    "trend": ("の{n}日間の傾向", " ({n}-day trend)"),
    "max": ("（{n}日間の最大）", " ({n}-day maximum)"),
}


def feature_phrase(feature: str) -> Phrase:
    """A feature name in words, by pattern; an unknown name is kept as it is (with its value as a plain number)."""
    base, window = feature, None
    forecast = base.startswith("target_")
    if forecast:
        base = base.removeprefix("target_")
    suffix = WINDOW_SUFFIX.search(base)
    if suffix and not base.startswith("catch_"):  # catch windows are part of the catch names themselves
        window, base = (suffix[1], suffix[2]), base[: suffix.start()]
    for pattern, build in BASE_PHRASES:
        match = pattern.match(base)
        if match:
            phrase = build(match)
            break
    else:  # a feature without words yet: said as "other conditions", its value (of unknown unit) not shown
        return Phrase(OTHER_CONDITIONS[0], OTHER_CONDITIONS[1], "none")
    ja, en, unit = phrase.ja, phrase.en, phrase.unit
    if window:
        kind, days = window
        ja += WINDOW_WORDS[kind][0].format(n=days)
        en += WINDOW_WORDS[kind][1].format(n=days)
        if kind in ("change", "trend"):
            unit = {"c": "c_delta", "kn": "kn_delta", "kg": "kg_delta"}.get(unit, unit)
            if kind == "trend" and unit == "c_delta":
                unit = "c_per_day"
    if forecast:
        ja, en = f"予想日の{ja}", f"{en} forecast for the day"
    return Phrase(ja, en, unit)


def format_value(value: object, unit: str, lang: str) -> str:
    """A feature value in the unit people read: 14.2°C, 0.8 kn, 1,200 kg, 3日; '' when there is nothing to show."""
    if value is None or unit == "none":
        return ""
    if isinstance(value, str):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number) or unit == "none":
        return ""
    knots = "ノット" if lang == "ja" else "kn"
    formats: dict[str, Callable[[float], str]] = {
        "c": lambda x: f"{x:.1f}°C",
        "c_delta": lambda x: f"{_signed(x, 1, lang)}°C",
        "c_per_day": lambda x: f"{_signed(x, 2, lang)}°C/{'日' if lang == 'ja' else 'day'}",
        "c_per_km": lambda x: f"{x:.2f}°C/km",
        "kn": lambda x: f"{x / KNOT_MS:.1f}\u00a0{knots}",
        "kn_delta": lambda x: f"{_signed(x / KNOT_MS, 1, lang)}\u00a0{knots}",
        "kg": lambda x: f"{format_kg(x)}\u00a0kg",
        "kg_delta": lambda x: f"{_signed_words(x, format_kg(abs(x)), lang)}\u00a0kg",
        "psu": lambda x: f"{x:.1f}\u00a0psu",
        "psu_delta": lambda x: f"{_signed(x, 1, lang)}\u00a0psu",
        "m": lambda x: f"{x:.2f}\u00a0m",
        "m_delta": lambda x: f"{_signed(x, 2, lang)}\u00a0m",
        "days": lambda x: f"{x:.0f}日" if lang == "ja" else f"{x:.0f} d",
        "count": lambda x: f"{x:.0f}{'回' if lang == 'ja' else ' times'}",
        "pct": lambda x: f"{x * 100:.0f}%",
        "weekday": lambda x: WEEKDAYS[lang][int(x) % 7] if lang == "en" else f"{WEEKDAYS['ja'][int(x) % 7]}曜",
        "yesno": lambda x: ("はい" if x >= 0.5 else "いいえ") if lang == "ja" else ("yes" if x >= 0.5 else "no"),
    }
    return formats[unit](number) if unit in formats else ""  # never a bare number without its unit


# Signs are said in words: a fax at 200 dpi turns a small "+" into "ı" and loses a "−" (issue 13).
SIGN_WORDS = {"ja": ("プラス", "マイナス"), "en": ("plus ", "minus ")}
EFFECT_WORDS = {"ja": ("{kg}\u00a0kg 多い", "{kg}\u00a0kg 少ない"), "en": ("{kg}\u00a0kg more", "{kg}\u00a0kg less")}


def _signed_words(value: float, shown: str, lang: str) -> str:
    """A signed value's digits (`shown`, without sign) with its sign in words: プラス1.2 / マイナス0.4 / plus 1.2."""
    if float(shown.replace(",", "")) == 0:
        return shown
    plus, minus = SIGN_WORDS[lang]
    return (plus if value > 0 else minus) + shown


def _signed(value: float, decimals: int, lang: str) -> str:
    """A signed number with the sign in words: プラス1.2 / マイナス0.4 / plus 1.2 / 0.0."""
    return _signed_words(value, f"{abs(value):.{decimals}f}", lang)


def format_effect(effect_kg: float, lang: str) -> str:
    """A contribution to the expected catch in words, no sign to lose in a fax: '120 kg 多い' / '45 kg less'."""
    more, less = EFFECT_WORDS[lang]
    return (more if effect_kg >= 0 else less).format(kg=format_kg(abs(effect_kg)))  # no break before 'kg'


def parse_explanation(raw: object) -> list[dict]:
    """The explanation JSON as a list of {feature, value, effect_kg}; [] when absent or unreadable."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return []
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except (TypeError, ValueError):
        return []
    if not isinstance(items, list):
        return []
    cleaned = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("feature"), str):
            try:
                effect = float(item.get("effect_kg"))
            except (TypeError, ValueError):
                continue
            if math.isfinite(effect):
                cleaned.append({"feature": item["feature"], "value": item.get("value"), "effect_kg": effect})
    return cleaned


MIN_EFFECT_KG = 0.5  # a contribution that rounds to 0 kg explains nothing


def why_parts(raw: object, lang: str, top: int = 2) -> list[str]:
    """The `top` largest contributions in words: ['50m水温 14.2°C（120 kg 多い）', ...]; [] when there is no
    explanation."""
    items = [item for item in parse_explanation(raw) if abs(item["effect_kg"]) >= MIN_EFFECT_KG]
    items = sorted(items, key=lambda item: -abs(item["effect_kg"]))[:top]
    parts = []
    for item in items:
        phrase = feature_phrase(item["feature"])
        name = phrase.ja if lang == "ja" else phrase.en
        value = format_value(item["value"], phrase.unit, lang)
        effect = format_effect(item["effect_kg"], lang)
        shown = f"{name} {value}" if value else name
        parts.append(f"{shown}（{effect}）" if lang == "ja" else f"{shown} ({effect})")
    return parts


def why_line(raw: object, lang: str, top: int = 2) -> str:
    """The contributions joined into one line ('' when there is no explanation)."""
    return ("、" if lang == "ja" else "; ").join(why_parts(raw, lang, top))
