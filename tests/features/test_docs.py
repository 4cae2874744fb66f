"""docs/features.md documents every column of the feature table (formula and why)."""

import re
from pathlib import Path

import pandas as pd

from features import build_feature_table
from features.ocean import OCEAN_COLUMNS
from tests.conftest import FEATURE_OPTIONS, synthetic_catches

DOC = Path(__file__).resolve().parents[2] / "docs" / "features.md"


def test_every_column_of_the_table_is_documented() -> None:
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    sites = pd.DataFrame({"site_id": ["a", "b"], "bearing_deg": [0.0, 90.0], "lat": [36.8, 36.9], "lon": [137.0, 137.1]})
    ocean = pd.MultiIndex.from_product([days, ["a", "b"]], names=["date", "site_id"]).to_frame(index=False)
    ocean = ocean.assign(**dict.fromkeys(OCEAN_COLUMNS, 1.0))
    table = build_feature_table(ocean, synthetic_catches("2024-01-01", 40, ["a", "b"]), sites, ["sardine"], days[-3:],
                                [1], 2, **FEATURE_OPTIONS)
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z0-9_]+)`", text))
    families = set(re.findall(r"`<signal>_(\w+)_\{([\d,]+)\}d`", text))
    expanded = {f"_{kind}_{n}d" for kind, numbers in families for n in numbers.split(",")}
    undocumented = []
    for column in table.columns:
        base = next((column[: -len(suffix)] for suffix in expanded if column.endswith(suffix)), None)
        if column not in named and base not in named:
            undocumented.append(column)
    assert not undocumented, f"document these in docs/features.md: {undocumented}"
