"""What the tests share beyond fixtures: how long a wait may last before it is a hang, and the one tiny site
registry of the small worlds: three set nets in Toyama Bay (Himi, Iwase, Uozu) in three cooperatives, placed so that
every tiny grid of the tests covers them (Iwase's nearest cell on the 0.05-degree feature grid is land, so the search
for the nearest sea cell is exercised)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# How long a test waits for a process or server before calling it hung: a bound only a hang reaches on the busiest
# machine, never a statement about speed (timings belong in bench/; tests/test_no_wall_clock.py).
HANG_GUARD_S = 1800
SITE_COLUMNS = ["site_id", "name_ja", "name_en", "coop", "lat", "lon", "depth_m", "bearing_deg"]
TINY_SITES = pd.DataFrame(
    {
        "site_id": ["himi", "iwase", "uozu"],
        "name_ja": ["氷見", "岩瀬", "魚津"],
        "name_en": ["Himi", "Iwase", "Uozu"],
        "coop": ["氷見漁協", "富山県漁協", "魚津漁協"],
        "lat": [36.86, 36.77, 36.84],
        "lon": [136.99, 137.23, 137.40],
        "depth_m": [40.0, 50.0, 60.0],
        "bearing_deg": [90.0, 0.0, 20.0],
    },
    columns=SITE_COLUMNS,
)


def tiny_sites(**columns: list) -> pd.DataFrame:
    """TINY_SITES (a copy) with the given columns replaced, e.g. tiny_sites(lat=[...]) for another grid."""
    return TINY_SITES.assign(**columns)


def write_sites_csv(path: Path, sites: pd.DataFrame = TINY_SITES) -> Path:
    """A registry CSV as a cooperative delivers it (SITE_COLUMNS, UTF-8); returns path."""
    sites[SITE_COLUMNS].to_csv(path, index=False, encoding="utf-8")
    return path
