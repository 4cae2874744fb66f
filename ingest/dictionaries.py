"""The user-editable tables ingest reads (ingest/tables/, or the files named in the settings).

- species.csv: every spelling of a species -> species code and size class (銘柄);
- box_weights.csv: kg in one box (箱) per species and size class;
- fish_weights.csv: kg of one fish (本/尾) per species and size class;
- products.toml: the ocean products and their variable names (read by `ingest.products`);
- plausibility.csv: the most kg per species, net and day (read by `ingest.plausibility`).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ingest.errors import IngestError
from setnet.settings import SPECIES, Settings

TABLES_DIR = Path(__file__).parent / "tables"


def normalise_name(text: object) -> str:
    """A name as matched: NFKC (full-width digits, half-width kana folded), no spaces, lower case."""
    folded = unicodedata.normalize("NFKC", str(text))
    return "".join(folded.split()).lower()


def _table_settings(settings: Settings) -> dict[str, Path | None]:
    """The settings that may replace a shipped table, by name."""
    return {
        "product_table": settings.ingest.product_table,
        "species_dictionary": settings.ingest.species_dictionary,
        "box_weight_table": settings.ingest.box_weight_table,
        "fish_weight_table": settings.ingest.fish_weight_table,
        "plausibility_table": settings.ingest.plausibility_table,
    }


def table_path(settings: Settings | None, setting: str, default_name: str) -> Path:
    """The table file named by `setting` when set, else the shipped default in ingest/tables/."""
    chosen = _table_settings(settings)[setting] if settings is not None else None
    path = Path(chosen) if chosen else TABLES_DIR / default_name
    if not path.exists():
        raise IngestError(f"{path}: table file not found (setting ingest.{setting})")
    return path


def read_csv_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A small CSV table with `#` comments -> strings, blank cells as ''; IngestError if a column is missing."""
    try:
        table = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, skipinitialspace=True,
                            encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise IngestError(f"{path}: not a readable table ({str(error).splitlines()[0]})") from None
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise IngestError(f"{path}: table lacks column(s) {', '.join(missing)}")
    return table[list(columns)].apply(lambda column: column.str.strip())


@dataclass(frozen=True)
class SpeciesName:
    """What one spelling means: a species code and, for local size-class names, the size class."""

    species: str
    size_class: str


@dataclass(frozen=True)
class CatchTables:
    """The dictionaries a catch file is read with, and a checksum of their contents."""

    names: dict[str, SpeciesName]
    kg_per_box: dict[tuple[str, str], float]
    kg_per_fish: dict[tuple[str, str], float]
    checksum: str

    def species_name(self, raw: str) -> SpeciesName | None:
        """The species a spelling names, or None."""
        return self.names.get(normalise_name(raw))

    def weight_kg(self, kind: str, species: str, size_class: str) -> float | None:
        """kg per box or per fish (kind 'box' / 'fish') for a species and size class, falling back to the species row."""
        table = self.kg_per_box if kind == "box" else self.kg_per_fish
        return table.get((species, size_class), table.get((species, "")))


def read_species_dictionary(path: Path) -> dict[str, SpeciesName]:
    """species.csv -> normalised spelling -> SpeciesName; the codes and names in setnet.settings.SPECIES come first."""
    known = {s.code for s in SPECIES}
    names = {normalise_name(n): SpeciesName(s.code, "") for s in SPECIES for n in (s.code, s.name_ja, s.name_en, *s.aliases)}
    table = read_csv_table(path, ("name", "species", "size_class"))
    for index, row in table.iterrows():
        if row.species not in known:
            raise IngestError(f"{path}: line {index + 2}: species {row.species!r} is not one of {', '.join(sorted(known))}")
        names[normalise_name(row["name"])] = SpeciesName(row.species, row.size_class)
    return names


def read_weight_table(path: Path, value_column: str) -> dict[tuple[str, str], float]:
    """box_weights.csv / fish_weights.csv -> (species, size class) -> kg; IngestError on a bad value."""
    known = {s.code for s in SPECIES}
    table = read_csv_table(path, ("species", "size_class", value_column))
    weights: dict[tuple[str, str], float] = {}
    for _, row in table.iterrows():
        value = pd.to_numeric(row[value_column], errors="coerce")
        if row.species not in known:
            raise IngestError(f"{path}: species {row.species!r} is not one of {', '.join(sorted(known))}")
        if pd.isna(value) or value <= 0:
            raise IngestError(f"{path}: {value_column} {row[value_column]!r} of {row.species} is not a positive number")
        weights[(row.species, row.size_class)] = float(value)
    return weights


def load_catch_tables(settings: Settings | None = None) -> CatchTables:
    """The species dictionary and both weight tables, from the settings' paths or the shipped defaults."""
    paths = (
        table_path(settings, "species_dictionary", "species.csv"),
        table_path(settings, "box_weight_table", "box_weights.csv"),
        table_path(settings, "fish_weight_table", "fish_weights.csv"),
    )
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()
    return CatchTables(
        names=read_species_dictionary(paths[0]),
        kg_per_box=read_weight_table(paths[1], "kg_per_box"),
        kg_per_fish=read_weight_table(paths[2], "kg_per_fish"),
        checksum=digest,
    )
