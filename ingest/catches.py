"""Catch records: a cooperative's long table (date, site, species, catch_kg) -> stored rows or quarantined rows.

Every input row ends up in exactly one place: the `catches` table, or `ingest_rejects` with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ingest.errors import IngestError
from ingest.text import read_text_table
from setnet.settings import Settings, species_lookup
from setnet.warehouse import connect, upsert

# Header spellings seen in cooperative exports -> canonical column.
HEADER_ALIASES: dict[str, str] = {
    "date": "date", "日付": "date", "年月日": "date", "水揚日": "date", "漁獲日": "date",
    "site_id": "site", "site": "site", "網名": "site", "漁場": "site", "漁場名": "site", "定置網": "site",
    "species": "species", "魚種": "species", "魚種名": "species",
    "catch_kg": "catch_kg", "漁獲量": "catch_kg", "漁獲量(kg)": "catch_kg", "漁獲量（kg）": "catch_kg", "数量(kg)": "catch_kg",
}
REQUIRED = ("date", "site", "species", "catch_kg")


@dataclass(frozen=True)
class CatchIngestResult:
    """What one catch ingest did: rows stored and rows quarantined, over all files."""

    files: int
    rows_read: int
    rows_stored: int
    rows_quarantined: int


def parse_catch_table(table: pd.DataFrame, sites: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw table of strings -> (accepted catches: date, site_id, species, catch_kg; quarantine rows with reasons)."""
    renamed = table.rename(columns={c: HEADER_ALIASES[c] for c in table.columns if c in HEADER_ALIASES})
    missing = [c for c in REQUIRED if c not in renamed.columns]
    if missing:
        raise IngestError(
            f"{source}: no column for {', '.join(missing)} (headers were: {', '.join(map(str, table.columns))})"
        )
    line = pd.Series(table.index + 2, index=table.index)  # header is line 1
    site_by_name = {str(k).strip(): v for k, v in zip(sites.site_id, sites.site_id)}
    site_by_name.update({str(k).strip(): v for k, v in zip(sites.name_ja, sites.site_id)})
    site_by_name.update({str(k).strip(): v for k, v in zip(sites.name_en, sites.site_id)})
    species_codes = species_lookup()

    raw_site = renamed["site"].astype("string").str.strip()
    raw_species = renamed["species"].astype("string").str.strip()
    raw_catch = renamed["catch_kg"].astype("string").str.strip().str.replace(",", "", regex=False)
    parsed = pd.DataFrame(
        {
            "date": pd.to_datetime(renamed["date"].astype("string").str.strip().str.replace("/", "-"),
                                   format="%Y-%m-%d", errors="coerce").dt.date,
            "site_id": raw_site.map(site_by_name),
            "species": raw_species.str.lower().map(species_codes),
            "catch_kg": pd.to_numeric(raw_catch, errors="coerce"),
        }
    )
    reason = pd.Series(pd.NA, index=table.index, dtype="string")
    reason = reason.mask(reason.isna() & parsed.date.isna(), "unreadable date: " + renamed["date"].astype("string"))
    reason = reason.mask(reason.isna() & parsed.site_id.isna(), "unknown site: " + raw_site)
    reason = reason.mask(reason.isna() & parsed.species.isna(), "unknown species: " + raw_species)
    reason = reason.mask(reason.isna() & parsed.catch_kg.isna(), "catch is not a number: " + raw_catch)
    reason = reason.mask(reason.isna() & (parsed.catch_kg < 0), "negative catch: " + raw_catch)
    key = ["date", "site_id", "species"]
    first_line = line.groupby([parsed[k] for k in key], dropna=False).transform("min")
    duplicate = reason.isna() & parsed.duplicated(subset=key, keep="first") & parsed.notna().all(axis=1)
    reason = reason.mask(duplicate, "duplicate of line " + first_line.astype(str) + " (same date, site and species)")

    accepted = parsed[reason.isna()].copy()
    accepted["source_file"] = source
    rejected = reason.notna()
    quarantined = pd.DataFrame(
        {
            "file": source,
            "line": line[rejected].astype("int32"),
            "raw": [",".join(map(str, values)) for values in table[rejected].itertuples(index=False)],
            "reason": reason[rejected].astype(str),
        },
        index=table.index[rejected],
    )
    return accepted.reset_index(drop=True), quarantined.reset_index(drop=True)


def read_catch_file(path: Path, sites: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CSV or Parquet catch file -> (accepted catches, quarantined rows); raises IngestError if unreadable."""
    if path.suffix.lower() == ".parquet":
        table = pd.read_parquet(path).astype(str)
    else:
        table = read_text_table(path)
    return parse_catch_table(table, sites, str(path.resolve()))


def expand_paths(paths: list[Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files and folders (searched recursively) -> sorted files with one of `suffixes`."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        elif path.exists():
            found.append(path)
        else:
            raise IngestError(f"{path}: no such file or folder")
    return sorted(set(found))


def ingest_catches(settings: Settings, paths: list[Path]) -> CatchIngestResult:
    """Store the catch files (files or folders) into `catches`, bad rows into `ingest_rejects`; idempotent."""
    files = expand_paths(paths, (".csv", ".parquet"))
    if not files:
        raise IngestError(f"no catch files (.csv, .parquet) under {', '.join(map(str, paths))}")
    with connect(settings.warehouse_path) as con:
        sites = con.execute("SELECT site_id, name_ja, name_en FROM sites").df()
        if sites.empty:
            raise IngestError("no sites in the warehouse: run `setnet ingest sites FILE` first")
        read = stored = quarantined = 0
        for path in files:
            accepted, rejected = read_catch_file(path, sites)
            read += len(accepted) + len(rejected)
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM ingest_rejects WHERE file = ?", [str(path.resolve())])
            stored += upsert(con, "catches", accepted)
            quarantined += upsert(con, "ingest_rejects", rejected)
            con.execute("COMMIT")
    return CatchIngestResult(files=len(files), rows_read=read, rows_stored=stored, rows_quarantined=quarantined)
