"""Dates as cooperatives write them: 2024-11-28, 2024/11/28, 2024年11月28日, 令和6年11月28日, R6.11.28, H31.4.30."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import numpy as np
import pandas as pd

# Japanese eras: name, letter, first day, last day (None: still running).
ERAS: tuple[tuple[str, str, date, date | None], ...] = (
    ("令和", "R", date(2019, 5, 1), None),
    ("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    ("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
)
_ERA_BY_MARK = {mark: era for era in ERAS for mark in (era[0], era[1])}

_WESTERN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ERA = re.compile(r"^(令和|平成|昭和|[RHS])\s*(\d{1,2}|元)[-/.年](\d{1,2})[-/.月](\d{1,2})日?$", re.IGNORECASE)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(value: object) -> date | None:
    """One cell -> a date, or None when it is not a date setnet can read (never a guess)."""
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = "".join(unicodedata.normalize("NFKC", str(value)).split()).upper()
    if match := _WESTERN.match(text) or _COMPACT.match(text):
        return _valid(*(int(g) for g in match.groups()))
    if match := _ERA.match(text):
        mark, year_text, month, day = match.groups()
        _, _, first, last = _ERA_BY_MARK[mark if mark in _ERA_BY_MARK else mark.upper()]
        era_year = 1 if year_text == "元" else int(year_text)
        parsed = _valid(first.year + era_year - 1, int(month), int(day))
        if parsed is None or parsed < first or (last is not None and parsed > last):
            return None  # e.g. H31.5.1 does not exist: 平成 ended on 2019-04-30
        return parsed
    return None


def parse_dates(values: pd.Series) -> pd.Series:
    """A column of cells -> dates (None where unreadable), parsing each distinct value once."""
    codes, uniques = pd.factorize(values)  # a missing cell's code is -1: the last, None
    parsed = np.array([*(parse_date(value) for value in uniques), None], dtype=object)
    return pd.Series(parsed[codes], index=values.index, dtype=object)
