"""Plausible catch values, for every catch reader: numbers read without guessing, dates not in the future, weights
under a per-species ceiling.

- A number may group its digits with commas only in groups of three (1,234.5); '1,5' or '12,34' is a decimal comma
  or a typing slip, never read as 15 or 1234.
- A catch date may not be after today where the nets are (Settings.timezone) plus
  `ingest.future_date_tolerance_days`.
- A catch (kg of one species at one net on one day) may not exceed its species' ceiling in
  ingest/tables/plausibility.csv (or the file named by `ingest.plausibility_table`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ingest.dictionaries import read_csv_table, table_path
from ingest.errors import IngestError
from setnet.settings import SPECIES, IngestSettings, Settings

_PLAIN = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_GROUPED = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def number_of(text: str) -> float | None:
    """'1,234.5' -> 1234.5, '１２０' -> 120.0; None for anything else ('1,5', '12,34', '1.2.3', '', 'abc')."""
    folded = "".join(unicodedata.normalize("NFKC", text).split())
    if _PLAIN.match(folded):
        return float(folded)
    if _GROUPED.match(folded):
        return float(folded.replace(",", ""))
    return None


def misgrouped(text: str) -> bool:
    """True for a number with commas not in groups of three ('1,5', '12,34', '1,2345'): ambiguous, never guessed."""
    folded = "".join(unicodedata.normalize("NFKC", text).split())
    return "," in folded and bool(re.fullmatch(r"[-+]?[\d,]+(?:\.\d+)?", folded)) and number_of(folded) is None


@dataclass(frozen=True)
class Plausibility:
    """What a catch line may say: the latest date, and the most kg per species, net and day."""

    latest_day: date
    ceiling_kg: dict[str, float]
    tolerance_days: int
    checksum: str  # of the ceiling table (a changed table re-reads unchanged files)

    def future(self, days: pd.Series) -> pd.Series:
        """True where a date is after the latest plausible day (each distinct date compared once)."""
        codes, uniques = pd.factorize(days)  # a missing date's code is -1: the last, False
        late = np.array([*(isinstance(d, date) and d > self.latest_day for d in uniques), False], dtype=bool)
        return pd.Series(late[codes], index=days.index)

    def ceilings_kg(self, species: pd.Series) -> pd.Series:
        """Each row's species' ceiling (kg per net and day; NaN for a species without one)."""
        codes, uniques = pd.factorize(species)  # a missing species' code is -1: the last, NaN
        kg = np.array([*(self.ceiling_kg.get(sp, np.nan) for sp in uniques), np.nan], dtype=float)
        return pd.Series(kg[codes], index=species.index)

    def above_ceiling(self, species: pd.Series, catch_kg: pd.Series) -> pd.Series:
        """True where a weight (kg) exceeds its species' ceiling."""
        return (catch_kg > self.ceilings_kg(species)).fillna(False).astype(bool)

    def future_reason(self) -> str:
        """Why a date after `latest_day` is quarantined, for the reject's reason."""
        return (f"after {self.latest_day} (today where the nets are, plus {self.tolerance_days} day(s) of "
                "tolerance: setting ingest.future_date_tolerance_days)")


def read_ceilings(path: Path) -> dict[str, float]:
    """plausibility.csv -> species code -> most kg per net and day; IngestError on a bad row or a missing column."""
    known = {s.code for s in SPECIES}
    table = read_csv_table(path, ("species", "max_kg_per_day"))  # names the missing column(s)
    ceilings = {}
    for index, row in table.iterrows():
        value = number_of(row.max_kg_per_day)
        if row.species not in known:
            raise IngestError(f"{path}: row {index + 1}: species {row.species!r} is not one of {', '.join(sorted(known))}")
        if value is None or value <= 0:
            raise IngestError(f"{path}: row {index + 1}: max_kg_per_day {row.max_kg_per_day!r} is not a positive number")
        ceilings[row.species] = value
    return ceilings


def load_plausibility(settings: Settings | None = None, on: date | None = None) -> Plausibility:
    """The ceilings (settings' table or the shipped one) and the latest plausible date as of `on` (default: today
    where the nets are); without settings, the defaults."""
    path = table_path(settings, "plausibility_table", "plausibility.csv")
    tolerance = (settings.ingest if settings else IngestSettings()).future_date_tolerance_days
    zone = settings.timezone if settings else Settings.model_fields["timezone"].default
    latest = (on or datetime.now(ZoneInfo(zone)).date()) + timedelta(days=tolerance)
    return Plausibility(latest, read_ceilings(path), tolerance, hashlib.sha256(path.read_bytes()).hexdigest())
