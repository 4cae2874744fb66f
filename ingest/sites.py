"""The site registry: a CSV of set nets (site_id, name_ja, name_en, coop, lat, lon, depth_m, bearing_deg, and
optionally coop_en, the cooperative's English name)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ingest.errors import IngestError
from ingest.text import read_text_table
from setnet.settings import SPECIES, Settings
from setnet.warehouse import connect, upsert

SITE_COLUMNS = ["site_id", "name_ja", "name_en", "coop", "lat", "lon", "depth_m", "bearing_deg"]
OPTIONAL_SITE_COLUMNS = ["coop_en"]  # may be absent (registries older than it) or empty: the report then shows coop


def read_site_registry(path: Path) -> pd.DataFrame:
    """Registry CSV -> validated sites table (one row per site_id, lat/lon in degrees, depth in m)."""
    table = read_text_table(path)
    missing = [c for c in SITE_COLUMNS if c not in table.columns]
    if missing:
        raise IngestError(f"{path}: site registry lacks column(s) {', '.join(missing)}")
    sites = table[SITE_COLUMNS].copy()
    for column in OPTIONAL_SITE_COLUMNS:
        sites[column] = table[column] if column in table.columns else pd.NA
    for column in ("lat", "lon", "depth_m", "bearing_deg"):
        sites[column] = pd.to_numeric(sites[column], errors="coerce")
    for column in ("site_id", "name_ja", "name_en", "coop", *OPTIONAL_SITE_COLUMNS):
        sites[column] = sites[column].astype("string").str.strip().replace("", pd.NA)
    for index, row in sites.iterrows():
        line = index + 2  # header is line 1
        if pd.isna(row.site_id) or not row.site_id:
            raise IngestError(f"{path}:{line}: empty site_id")
        if pd.isna(row.lat) or not -90 <= row.lat <= 90 or pd.isna(row.lon) or not -180 <= row.lon <= 360:
            raise IngestError(f"{path}:{line}: site {row.site_id} has an invalid position ({row.lat}, {row.lon})")
    duplicated = sites.site_id[sites.site_id.duplicated()]
    if not duplicated.empty:
        raise IngestError(f"{path}: site_id {duplicated.iloc[0]} appears more than once")
    sites["lon"] = ((sites["lon"] + 180) % 360) - 180
    sites["name_ja"] = sites["name_ja"].fillna(sites["site_id"])
    sites["name_en"] = sites["name_en"].fillna(sites["site_id"])
    return sites.reset_index(drop=True)


def species_table() -> pd.DataFrame:
    """The species setnet knows, as rows of the `species` table."""
    return pd.DataFrame(
        {"species": [s.code for s in SPECIES], "name_ja": [s.name_ja for s in SPECIES], "name_en": [s.name_en for s in SPECIES]}
    )


def ingest_sites(settings: Settings, path: Path) -> int:
    """Upsert the registry at `path` into the warehouse `sites` table; returns the number of sites."""
    sites = read_site_registry(path)
    with connect(settings.warehouse_path) as con:
        upsert(con, "species", species_table())
        upsert(con, "sites", sites)
    return len(sites)
