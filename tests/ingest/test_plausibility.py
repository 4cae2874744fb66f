"""The plausibility ceilings table: read like the other user-editable tables (`#` comments, spaces around cells),
a missing column or a bad row refused with one line naming the file."""

from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.plausibility import read_ceilings


def test_ceilings_are_read_with_comments_and_spaces_around_cells(tmp_path: Path) -> None:
    table = tmp_path / "plausibility.csv"
    table.write_text("# most kg per net and day\nspecies, max_kg_per_day\n yellowtail , 300,000\nsardine,1000\n"
                     .replace("300,000", '"300,000"'), encoding="utf-8")
    assert read_ceilings(table) == {"yellowtail": 300_000.0, "sardine": 1000.0}


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    table = tmp_path / "plausibility.csv"
    table.write_text("species,kg\nyellowtail,300\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"plausibility.csv: table lacks column\(s\) max_kg_per_day$"):
        read_ceilings(table)


@pytest.mark.parametrize(("row", "says"), [("tuna,5", "species 'tuna' is not one of"),
                                           ("sardine,1,5", "max_kg_per_day '1,5' is not a positive number"),
                                           ("sardine,-3", "max_kg_per_day '-3' is not a positive number")])
def test_a_bad_row_is_refused_with_its_row(tmp_path: Path, row: str, says: str) -> None:
    table = tmp_path / "plausibility.csv"
    table.write_text(f"species,max_kg_per_day\nyellowtail,300\n{row.replace('1,5', chr(34) + '1,5' + chr(34))}\n",
                     encoding="utf-8")
    with pytest.raises(IngestError, match=f"row 2: {says}"):
        read_ceilings(table)


def test_each_rows_ceiling_and_future_check_are_its_species_and_dates() -> None:
    import math
    from datetime import date

    import pandas as pd

    from ingest.plausibility import Plausibility

    plausible = Plausibility(date(2024, 12, 1), {"yellowtail": 300.0, "sardine": 1000.0}, 1, "x")
    kg = plausible.ceilings_kg(pd.Series(["sardine", None, "tuna", "yellowtail", "sardine"], dtype=object)).tolist()
    assert kg[0] == kg[4] == 1000.0 and kg[3] == 300.0 and math.isnan(kg[1]) and math.isnan(kg[2])
    late = plausible.future(pd.Series([date(2024, 12, 2), None, date(2024, 12, 1), "2025-01-01"], dtype=object))
    assert late.tolist() == [True, False, False, False]
    assert plausible.above_ceiling(pd.Series(["sardine", "tuna", None], dtype=object),
                                   pd.Series([1000.5, 1e9, 1e9])).tolist() == [True, False, False]
