"""Property-based tests (hypothesis) of the parsers every catch line goes through: numbers (digit grouping only in
threes), dates (every written form of a real day reads back as that day, nothing else is guessed) and units."""

from __future__ import annotations

from datetime import date

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.catches import UNITS, parse_catch_table
from ingest.dates import ERAS, parse_date
from ingest.plausibility import misgrouped, number_of

SITES = pd.DataFrame({"site_id": ["himi"], "name_ja": ["氷見"], "name_en": ["Himi"]})


def grouped(value: int) -> str:
    return f"{value:,}"


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_a_number_grouped_in_threes_reads_as_itself(whole: int, cents: int) -> None:
    assert number_of(grouped(whole)) == whole
    assert number_of(f"{grouped(whole)}.{cents:02d}") == float(f"{whole}.{cents:02d}")
    assert number_of(str(whole)) == whole
    assert not misgrouped(grouped(whole))


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=9999), min_size=2, max_size=4).filter(
    lambda groups: any(len(str(g)) != 3 for g in groups[1:]) or not 1 <= len(str(groups[0])) <= 3))
def test_commas_not_in_groups_of_three_are_never_read(groups: list[int]) -> None:
    text = ",".join(str(g) for g in groups)
    assert number_of(text) is None
    assert misgrouped(text)


@settings(deadline=None)
@given(st.text(alphabet="0123456789,.-+ abc", max_size=12))
def test_whatever_is_read_as_a_number_is_that_number_without_its_commas(text: str) -> None:
    value = number_of(text)
    if value is not None:
        assert value == float(text.replace(",", "").replace(" ", ""))
        assert "," not in text or not misgrouped(text)


@settings(deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
def test_every_written_form_of_a_day_reads_back_as_that_day(day: date) -> None:
    forms = [day.isoformat(), f"{day:%Y/%m/%d}", f"{day.year}年{day.month}月{day.day}日", f"{day:%Y%m%d}",
             f"{day.year}.{day.month}.{day.day}"]
    for name, letter, first, last in ERAS:
        if first <= day and (last is None or day <= last):
            year = day.year - first.year + 1
            forms += [f"{name}{year}年{day.month}月{day.day}日", f"{letter}{year}.{day.month}.{day.day}"]
    for form in forms:
        assert parse_date(form) == day, form


@settings(deadline=None)
@given(st.text(max_size=12))
def test_a_date_is_never_guessed_from_text_that_is_not_one(text: str) -> None:
    parsed = parse_date(text)
    if parsed is not None:  # then the text held the day's digits in order
        assert str(parsed.day) in text or f"{parsed.day:02d}" in text or any(
            ch in text for ch in "０１２３４５６７８９")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(UNITS)), st.integers(min_value=1, max_value=50))
def test_every_unit_of_the_table_converts_or_names_what_is_missing(unit: str, count: int) -> None:
    parsed = parse_catch_table(pd.DataFrame([["2024-11-28", "himi", "ブリ", str(count), unit]],
                                            columns=["日付", "網名", "魚種", "数量", "単位"], dtype=object), SITES, "f.csv")
    kind, factor = UNITS[unit]
    if kind == "kg":
        assert parsed.catches.catch_kg.tolist() == [count * factor]
    else:
        assert len(parsed.catches) == 1 or "no weight for yellowtail" in parsed.rejects.reason.iloc[0]
