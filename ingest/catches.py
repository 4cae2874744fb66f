"""Catch records: what cooperatives export -> stored catches, no-operation days, or quarantined rows with a reason.

A file is long (one row per date, net and species) or wide (one column per species). Each quantity cell becomes a
record; a record is stored (summed per date, net and species over size classes), marks a day the net did not
operate (休漁 markers, or nothing but blank cells), or is rejected. Every input line ends up stored, recorded as a
no-operation day, or in `ingest_rejects` with every reason that applied to it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.dates import parse_date, parse_dates
from ingest.dictionaries import CatchTables, load_catch_tables, normalise_name
from ingest.errors import IngestError
from ingest.files import FileOutcome, already_ingested, expand_paths, record_outcome, sha256_of
from ingest.plausibility import Plausibility, load_plausibility, misgrouped, number_of
from ingest.text import (
    RawTable,
    cell_text,
    cell_texts,
    distinct_codes,
    map_distinct,
    read_raw_tables,
    row_texts,
)
from setnet.settings import Settings
from setnet.warehouse import connect, insert_new, transaction, upsert

log = logging.getLogger(__name__)

CATCH_SUFFIXES = (".csv", ".txt", ".parquet", ".xlsx", ".xlsm")

# Normalised header (see normalise_name) -> role. A header may carry its unit in brackets: 漁獲量(kg), ブリ(本).
HEADER_ROLES: dict[str, str] = {
    **dict.fromkeys(("date", "日付", "年月日", "水揚日", "水揚年月日", "漁獲日", "操業日", "月日"), "date"),
    **dict.fromkeys(("site_id", "site", "網名", "漁場", "漁場名", "定置網", "定置網名", "網"), "site"),
    **dict.fromkeys(("species", "魚種", "魚種名", "品名", "魚名", "品目"), "species"),
    **dict.fromkeys(("size_class", "銘柄", "サイズ", "規格"), "size_class"),
    **dict.fromkeys(("catch_kg", "漁獲量", "数量", "水揚量", "水揚数量", "漁獲数量", "quantity", "catch",
                     "尾数", "本数", "箱数", "漁獲尾数"), "quantity"),
    **dict.fromkeys(("unit", "単位"), "unit"),
    **dict.fromkeys(("備考", "摘要", "操業", "操業状況", "状況", "note", "notes", "remarks", "status"), "remarks"),
    **dict.fromkeys(("合計", "計", "小計", "total", "金額", "水揚金額", "単価", "船名", "no", "no.", "番号", "天候",
                     "天気", "水温", "風", "波", "曜日", "漁協", "coop"), "ignored"),
}
# Units implied by a quantity header itself.
HEADER_UNITS = {"catch_kg": "kg", "尾数": "尾", "漁獲尾数": "尾", "本数": "本", "箱数": "箱"}
# Normalised unit -> (kind, factor to kg for kind "kg"). Boxes and fish counts go through the weight tables.
UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("kg", "キロ", "キログラム", "kilogram", "kilograms"), ("kg", 1.0)),
    **dict.fromkeys(("t", "トン", "ton", "tonnes"), ("kg", 1000.0)),
    **dict.fromkeys(("箱", "ケース", "c/s", "cs", "box", "boxes", "case"), ("box", 1.0)),
    **dict.fromkeys(("本", "尾", "匹", "杯", "fish", "count", "pcs"), ("fish", 1.0)),
}
# Cell or remark texts that mean the net was not hauled that day (normalised).
NO_OPERATION_MARKERS = frozenset(
    normalise_name(m) for m in ("休漁", "休", "休み", "休業", "操業なし", "出漁なし", "欠航", "時化", "しけ", "シケ",
                                "×", "no operation", "closed")
)
NO_OPERATION_COLUMNS = ["date", "site_id", "marker", "source_file"]
SIZE_CLASS_COLUMNS = ["date", "site_id", "species", "size_class", "catch_kg", "fish_count", "source_file"]
_UNIT_IN_HEADER = re.compile(r"^(.*?)[(\[](.+?)[)\]]$")
CHUNK_ROWS = 100_000  # a longer table is parsed in chunks of about this many lines (each date and net in one)
_QUANTITY = re.compile(r"^([-+]?[\d,]*\d(?:\.\d+)?)([^\d]*)$")


@dataclass(frozen=True)
class ParsedCatches:
    """One table parsed: catches to store, no-operation days, and quarantined lines."""

    catches: pd.DataFrame  # date, site_id, species, catch_kg, source_file
    no_operation: pd.DataFrame  # date, site_id, marker, source_file (+ file, line, raw of the line that said so)
    rejects: pd.DataFrame  # file, line, raw, reason
    lines_read: int
    size_classes: pd.DataFrame = field(default_factory=lambda: _EMPTY_SIZES)  # SIZE_CLASS_COLUMNS (size_class_rows)


@dataclass
class CatchIngestResult:
    """What one catch ingest did, over all files."""

    files: int
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_removed: int = 0
    no_operation_days: int = 0
    files_unchanged: int = 0
    files_failed: list[str] = field(default_factory=list)
    files_all_quarantined: list[str] = field(default_factory=list)  # "<file>: line N: <first reason>"

    def summary(self) -> str:
        """One line for people: what was stored, updated, quarantined, skipped and refused."""
        text = (f"{self.files} catch files ({self.files_unchanged} unchanged, {len(self.files_failed)} unreadable), "
                f"{self.rows_read} lines read: {self.rows_stored} stored, {self.rows_updated} updated, "
                f"{self.rows_unchanged} unchanged, {self.rows_removed} removed, {self.rows_quarantined} quarantined, "
                f"{self.no_operation_days} no-operation days")
        if self.files_all_quarantined:
            text += f"; every line quarantined in {len(self.files_all_quarantined)} file(s)"
        return text


def split_header(header: str) -> tuple[str, str | None]:
    """'漁獲量（kg）' -> ('漁獲量', 'kg'); 'ブリ' -> ('ブリ', None)."""
    name = normalise_name(header)
    match = _UNIT_IN_HEADER.match(name)
    return (match.group(1), match.group(2)) if match else (name, None)


def is_catch_header(cells: list[str]) -> bool:
    """True for a row that looks like a catch table's header: one cell names the date column."""
    return any(HEADER_ROLES.get(split_header(c)[0]) == "date" for c in cells if c)


@dataclass(frozen=True)
class _Column:
    name: str
    role: str  # date, site, species, size_class, quantity, unit, remarks, ignored, species_column, unknown
    unit: str | None = None
    species: str | None = None
    size_class: str = ""


def classify_columns(columns: list[str], tables: CatchTables) -> list[_Column]:
    """Each header -> its role; in a wide sheet a header naming a species (by the dictionary) is a species column."""
    out = []
    for column in columns:
        base, unit = split_header(column)
        role = HEADER_ROLES.get(base)
        if role is not None:
            out.append(_Column(column, role, unit or HEADER_UNITS.get(base)))
        elif (name := tables.species_name(base)) is not None:
            out.append(_Column(column, "species_column", unit, name.species, name.size_class))
        else:
            out.append(_Column(column, "unknown", unit))
    return out


def _records(table: pd.DataFrame, columns: list[_Column], source: str) -> pd.DataFrame:
    """Raw cells -> one record per quantity cell (long: one per row; wide: one per row and species column)."""
    by_role = {c.role: c for c in reversed(columns)}  # the first column of each role
    missing = [role for role in ("date", "site") if role not in by_role]
    quantity_columns = [c for c in columns if c.role == "quantity"]
    species_columns = [c for c in columns if c.role in ("species_column", "unknown")]
    wide = "species" not in by_role
    if not wide and not quantity_columns:
        missing.append("quantity (catch_kg, 漁獲量, 数量 ...)")
    if wide and not any(c.role == "species_column" for c in species_columns):
        missing.append("species (a 魚種 column, or one column per species)")
    if missing:
        raise IngestError(f"{source}: no column for {', '.join(missing)} "
                          f"(headers were: {', '.join(c.name for c in columns)})")

    def text(column: _Column | None) -> pd.Series:
        if column is None:
            return pd.Series("", index=table.index, dtype=object)
        return cell_texts(table[column.name])

    common = pd.DataFrame({
        "row": np.arange(len(table)),
        "date_raw": table[by_role["date"].name],
        "site_raw": text(by_role["site"]),
        "unit_raw": text(by_role.get("unit")),
        "remarks_raw": text(by_role.get("remarks")),
        "size_raw": text(by_role.get("size_class")),
    }, index=table.index)
    if not wide:
        quantity = text(quantity_columns[0])
        header_unit = pd.Series(quantity_columns[0].unit or "", index=table.index, dtype=object)
        for other in quantity_columns[1:]:  # e.g. 漁獲量(kg) blank but 尾数 given
            use_other = (quantity == "") & (text(other) != "")
            quantity = quantity.mask(use_other, text(other))
            header_unit = header_unit.mask(use_other, other.unit or "")
        records = common.assign(column="", species_raw=text(by_role["species"]), species_from_header="",
                                size_from_header="", qty_raw=quantity, header_unit=header_unit)
        return records.reset_index(drop=True)
    parts = [
        common.assign(column=c.name, species_raw=c.name, species_from_header=c.species or "",
                      size_from_header=c.size_class, qty_raw=text(c), header_unit=c.unit or "")
        for c in species_columns
    ]
    return pd.concat(parts, ignore_index=True)


def _size_classes(records: pd.DataFrame, species: pd.Series, tables: CatchTables) -> pd.Series:
    """Size class of each record: the 銘柄 column (through the dictionary when it names one) else the species name's."""
    from_name = map_distinct([records.species_raw], lambda raw: (tables.species_name(raw) or _NO_NAME).size_class)
    from_name = from_name.where(_is(records.species_from_header, ""), records.size_from_header)
    def size_of(raw: str, sp: str | None) -> str:
        if not raw:
            return ""
        name = tables.species_name(raw)
        return (name.size_class if name is not None and name.species == (sp or "") and name.size_class
                else normalise_name(raw))
    from_column = map_distinct([records.size_raw, species], size_of)
    return from_column.where(~_is(records.size_raw, ""), from_name)


def _is(values: pd.Series, text: str) -> pd.Series:
    """values == text; an object column compared in NumPy (pandas' object comparison checks every cell for NA
    first; a missing cell is unequal either way)."""
    if values.dtype == object:
        return pd.Series(values.to_numpy() == text, index=values.index)
    return values == text


@dataclass(frozen=True)
class _NoName:
    species: str = ""
    size_class: str = ""


_NO_NAME = _NoName()


def parse_catch_table(table: pd.DataFrame, sites: pd.DataFrame, source: str, tables: CatchTables | None = None,
                      lines: pd.Series | None = None, plausible: Plausibility | None = None) -> ParsedCatches:
    """Raw table (header applied) -> catches (kg per date, net, species), no-operation days and quarantined lines;
    implausible values (`ingest.plausibility`: future dates, kg above the species' ceiling, digit grouping not in
    threes) are quarantined."""
    tables = tables or load_catch_tables()
    plausible = plausible or load_plausibility()
    parts = list(_parsed_chunks(table, lines, sites, source, tables, plausible))
    if len(parts) == 1:
        parsed, sized = parts[0]
    else:  # a key's lines are all in one chunk: the chunks' results are the whole table's
        catches = pd.concat([p.catches for p, _ in parts], ignore_index=True).sort_values(
            ["date", "site_id", "species"], kind="stable", ignore_index=True)
        no_op = pd.concat([p.no_operation for p, _ in parts]).sort_values("line", kind="stable", ignore_index=True)
        rejects = pd.concat([p.rejects for p, _ in parts]).sort_values("line", kind="stable", ignore_index=True)
        parsed = ParsedCatches(catches, no_op, rejects, len(table))
        sized = pd.concat([z for _, z in parts], ignore_index=True)
    return ParsedCatches(parsed.catches, parsed.no_operation, parsed.rejects, len(table),
                         size_class_rows(sized, source))


def _parsed_chunks(table: pd.DataFrame, lines: pd.Series | None, sites: pd.DataFrame, source: str,
                   tables: CatchTables, plausible: Plausibility) -> Iterator[tuple[ParsedCatches, pd.DataFrame]]:
    """Raw table -> each chunk's (parsed catches, stored records of the species that may be sorted by size class),
    one chunk at a time; every line of a date and net is in one chunk, so the chunks' keys are disjoint."""
    table = table.reset_index(drop=True)
    lines = (pd.Series(np.arange(len(table)) + 2) if lines is None else lines.reset_index(drop=True)).astype("int64")
    columns = classify_columns([str(c) for c in table.columns], tables)
    site_lookup = {normalise_name(v): sid for col in ("name_en", "name_ja", "site_id") if col in sites
                   for v, sid in zip(sites[col], sites.site_id, strict=True) if isinstance(v, str)}
    keys = _line_keys(table, columns, site_lookup)
    known = _KnownQuantities()
    for rows in _chunks(table, columns, site_lookup, keys):
        yield _parse_part(table.iloc[rows].reset_index(drop=True), lines.iloc[rows].reset_index(drop=True), columns,
                          site_lookup, source, tables, plausible, known,
                          None if keys is None else keys.days[keys.day[rows]],
                          None if keys is None else keys.nets[keys.net[rows]])


@dataclass(frozen=True)
class _LineKeys:
    """Each line's parsed date and net as codes into their distinct values (days[day] is each line's date, None
    where unreadable; nets[net] its site id, None for an unknown net): a code per line, not a pointer."""

    day: np.ndarray
    days: np.ndarray
    net: np.ndarray
    nets: np.ndarray


def _line_keys(table: pd.DataFrame, columns: list[_Column], site_lookup: dict[str, str]) -> _LineKeys | None:
    """Each line's parsed date and net, for a table parsed in more than one chunk (None for one chunk: a small
    table, or one without a date or net column, which `_records` refuses)."""
    by_role = {c.role: c for c in reversed(columns)}
    if len(table) <= CHUNK_ROWS or "date" not in by_role or "site" not in by_role:
        return None
    day, days = _parsed_codes(table[by_role["date"].name], parse_date)
    net, nets = _parsed_codes(table[by_role["site"].name],
                              lambda cell: site_lookup.get(normalise_name(cell_text(cell))))
    return _LineKeys(day, days, net, nets)


def _parsed_codes(column: pd.Series, parse: Callable[[object], object]) -> tuple[np.ndarray, np.ndarray]:
    """parse of each cell as int32 codes into the distinct results (in order of first appearance, as
    pd.factorize of the parsed cells numbers them): parse runs once per distinct cell, the cells' codes reused."""
    codes, k = distinct_codes(column)
    first = np.full(k, len(column), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(column), dtype=np.int64))
    cells = column.iloc[first].to_numpy(dtype=object) if k else np.array([], dtype=object)
    parsed = np.empty(k, dtype=object)
    parsed[:] = [parse(cell) for cell in cells]
    order = np.argsort(first, kind="stable")  # the distinct cells in order of first appearance
    merged, values = pd.factorize(parsed[order], use_na_sentinel=False)
    code_of = np.empty(k, dtype=np.int32)
    code_of[order] = merged
    return code_of[codes], np.asarray(values, dtype=object)


def _chunks(table: pd.DataFrame, columns: list[_Column], site_lookup: dict[str, str],
            keys: _LineKeys | None = None) -> list[np.ndarray]:
    """The table's rows in chunks of about CHUNK_ROWS, all lines of one date and net (as parsed: `keys`, from
    _line_keys when not given) in one chunk; one chunk for a small table (or one without a date or net column)."""
    keys = keys or _line_keys(table, columns, site_lookup)
    if keys is None:
        return [np.arange(len(table))]
    n_chunks = -(-len(table) // CHUNK_ROWS)
    chunk = (keys.day.astype(np.int64) * max(len(keys.nets), 1) + keys.net) % n_chunks
    index = np.int32 if len(table) < 2**31 else np.int64  # kept for the whole loop: half the memory of int64
    return [np.flatnonzero(chunk == k).astype(index) for k in range(n_chunks)]


def _site_ids(site_raw: pd.Series, site_lookup: dict[str, str]) -> pd.Series:
    """Net cells (as text) -> site ids (None for a net the registry does not know)."""
    return map_distinct([site_raw], lambda raw: site_lookup.get(normalise_name(raw)))


@dataclass
class _KnownQuantities:
    """The quantity texts already read in a table's earlier chunks (read_quantities' rows, by text)."""

    read: pd.DataFrame | None = None

    def of(self, texts: pd.Series) -> pd.DataFrame:
        """read_quantities of every text (each distinct one not read before read once), in the texts' order."""
        codes, distinct = pd.factorize(texts.astype(object), use_na_sentinel=False)
        distinct = pd.Index(np.asarray(distinct, dtype=object), dtype=object)
        new = distinct if self.read is None else distinct[~distinct.isin(self.read.index)]
        if len(new) or self.read is None:
            fresh = read_quantities(pd.Series(np.asarray(new, dtype=object), dtype=object)).set_axis(new)
            self.read = fresh if self.read is None else pd.concat([self.read, fresh])
        return self.read.reindex(distinct).iloc[codes].set_axis(texts.index)


def read_quantities(cells: pd.Series) -> pd.DataFrame:
    """Quantity cells -> what each says: its folded text, number, digit grouping other than in threes, the unit
    written after the number, and whether it is a no-operation marker (one row per cell, same index)."""
    folded = cells.map(lambda raw: unicodedata.normalize("NFKC", raw).strip())
    parts = folded.str.replace(" ", "", regex=False).str.extract(_QUANTITY)
    return pd.DataFrame({
        "quantity": folded,
        "number": pd.to_numeric(parts[0].map(lambda text: number_of(text) if isinstance(text, str) else None),
                                errors="coerce"),
        "grouping": parts[0].map(lambda text: isinstance(text, str) and misgrouped(text)).astype(bool),
        "unit_after": parts[1].fillna("").astype(object),
        "marker": folded.map(normalise_name).isin(NO_OPERATION_MARKERS),
    })


def _parse_part(table: pd.DataFrame, lines: pd.Series, columns: list[_Column], site_lookup: dict[str, str],
                source: str, tables: CatchTables, plausible: Plausibility, known: _KnownQuantities,
                dates: np.ndarray | None = None, site_ids: np.ndarray | None = None
                ) -> tuple[ParsedCatches, pd.DataFrame]:
    """parse_catch_table of some lines (every line of their dates and nets; `dates` and `site_ids`: each line's,
    when already parsed); the stored records of the species that may be sorted by size class (for
    size_class_rows) are returned beside the result."""
    records = _records(table, columns, source)
    row = records.row.to_numpy()
    records["line"] = lines.to_numpy()[row] if len(records) else pd.Series(dtype="int64")

    records["date"] = (parse_dates(records.date_raw) if dates is None
                       else pd.Series(dates[row], index=records.index, dtype=object))
    records["site_id"] = (_site_ids(records.site_raw, site_lookup) if site_ids is None
                          else pd.Series(site_ids[row], index=records.index, dtype=object))
    species = map_distinct([records.species_raw], lambda raw: (tables.species_name(raw) or _NO_NAME).species or None)
    records["species"] = species.where(_is(records.species_from_header, ""), records.species_from_header)
    records["size_class"] = _size_classes(records, records.species, tables)

    # The quantity cells, each distinct text read once (in the table): number, digit grouping, unit after it.
    read = known.of(records.qty_raw)
    quantity, number, grouping = read.quantity, read.number, read.grouping
    unit_text = read.unit_after.where(~_is(read.unit_after, ""), records.unit_raw)
    unit_text = unit_text.where(~_is(unit_text, ""), records.header_unit).where(lambda u: ~_is(u, ""), "kg")
    unit = map_distinct([unit_text], lambda u: UNITS.get(normalise_name(u)))
    unit_kind = map_distinct([unit_text], lambda u: (UNITS.get(normalise_name(u)) or (None,))[0])
    unit_factor = pd.to_numeric(map_distinct([unit_text], lambda u: (UNITS.get(normalise_name(u)) or (None, None))[1]))
    def remark_says(remark: str) -> bool:
        said = normalise_name(remark)
        return any(m in said for m in NO_OPERATION_MARKERS if len(m) > 1 or said == m)
    marker = read.marker | map_distinct([records.remarks_raw], remark_says).astype(bool)
    blank = (quantity == "") & ~marker

    weight = map_distinct([unit_kind, records.species, records.size_class],
                          lambda kind, sp, size: tables.weight_kg(kind, sp, size)
                          if kind is not None and kind != "kg" and isinstance(sp, str) else None)
    per_unit = unit_factor.where(_is(unit_kind, "kg"), pd.to_numeric(weight))
    records["catch_kg"] = number * per_unit
    records["unit_text"] = unit_text
    records["ceiling_kg"] = plausible.ceilings_kg(records.species)

    reason = pd.Series(pd.NA, index=records.index, dtype=object)
    no_reason = np.ones(len(records), dtype=bool)  # reason.isna(), kept as reasons are given (not rescanned)

    def reject(condition: pd.Series, text: Callable[[pd.DataFrame], pd.Series] | str) -> None:
        """The reason of the records where `condition` holds and none was given yet; text(the records) is built
        only for them."""
        nonlocal reason
        hit = no_reason & condition.fillna(False).astype(bool).to_numpy()
        if hit.any():
            hit = pd.Series(hit, index=records.index)
            reason = reason.mask(hit, text(records[hit]) if callable(text) else text)
            no_reason[hit.to_numpy()] = reason[hit].isna().to_numpy()

    def unreasoned() -> pd.Series:
        """True where no reason was given yet (reason.isna())."""
        return pd.Series(no_reason.copy(), index=records.index)

    def prefixed(make: Callable[[pd.DataFrame], pd.Series]) -> Callable[[pd.DataFrame], pd.Series]:
        """A reason of a wide sheet's cell starts with its column."""
        return lambda r: ("column " + r.column + ": ").where(r.column != "", "") + make(r)

    reject(records.date.isna(), lambda r: "unparseable date '" + cell_texts(r.date_raw) + "'")
    reject(plausible.future(records.date),
           lambda r: "implausible date " + r.date.astype(str) + " " + plausible.future_reason())
    reject(records.site_id.isna(),
           lambda r: "unknown site '" + r.site_raw + "' (not an id or name in the site registry)")
    is_catch = ~marker & ~blank
    reject(is_catch & records.species.isna(),
           prefixed(lambda r: "unknown species '" + r.species_raw + "' (add it to the species dictionary)"))
    reject(is_catch & grouping, prefixed(lambda r: "quantity '" + r.qty_raw + "' groups its digits other than in "
                                         "threes (a decimal comma? write 1.5); not guessed"))
    reject(is_catch & number.isna(), prefixed(lambda r: "quantity '" + r.qty_raw + "' is not a number"))
    reject(is_catch & (number < 0), prefixed(lambda r: "negative quantity '" + r.qty_raw + "'"))
    reject(is_catch & unit.isna(), prefixed(lambda r: "unknown unit '" + r.unit_text + "' (use kg, 箱 or 本/尾)"))
    no_weight = is_catch & unit.notna() & records.catch_kg.isna()
    reject(no_weight, prefixed(lambda r: "no weight for " + r.species.fillna("")
                               + r.size_class.map(lambda s: f" size class {s}" if s else "") + " in "
                               + unit_kind[r.index].map(lambda k: "box_weights.csv" if k == "box"
                                                        else "fish_weights.csv")
                               + " to convert '" + r.qty_raw + "' to kg"))
    reject(is_catch & plausible.above_ceiling(records.species, records.catch_kg),
           prefixed(lambda r: "implausible catch: '" + r.qty_raw + "' is " + r.catch_kg.map(lambda kg: f"{kg:,.0f}")
                    + " kg of " + r.species.fillna("") + ", above its ceiling of "
                    + r.ceiling_kg.map(lambda kg: f"{kg:,.0f}" if isinstance(kg, float) else "")
                    + " kg per net and day (plausibility.csv)"))
    catch_ok = is_catch & unreasoned()

    # A species whose size classes are summed is stored only when every one of its quantities was readable.
    failed_quantity = is_catch & ~unreasoned() & records.date.notna() & records.site_id.notna() & records.species.notna()
    key = ["date", "site_id", "species", "size_class"]
    keyed = records.loc[catch_ok, [*key, "line"]]
    duplicate = pd.Series(keyed.duplicated(subset=key, keep="first"), index=keyed.index).reindex(
        records.index, fill_value=False)
    if duplicate.any():
        first_line = keyed.groupby(key, dropna=False).line.transform("min")
        records["first_line"] = first_line.reindex(records.index)
        reject(duplicate, prefixed(lambda r: "duplicate of line " + r.first_line.astype("int64").astype(str)
                                   + " (same date, net, species and size class)"))
    catch_ok = is_catch & unreasoned()
    if failed_quantity.any():
        failed_keys = records[failed_quantity].groupby(["date", "site_id", "species"]).line.min()
        poisoned = records.loc[catch_ok, ["date", "site_id", "species"]].join(failed_keys.rename("bad_line"), on=["date", "site_id", "species"]).bad_line
        records["bad_line"] = poisoned.reindex(records.index)
        reject(records.bad_line.notna(),
               prefixed(lambda r: "not stored because line " + r.bad_line.astype("int64").astype(str)
                        + " has a rejected quantity of the same date, net and species"))
    catch_ok = is_catch & unreasoned()

    daynet = ["date", "site_id"]
    if (marker | blank).any():
        catch_days = records.loc[catch_ok, [*daynet, "line"]].groupby(daynet).line.min().rename("catch_line")
        failed_days = (records.loc[is_catch & ~unreasoned() & records.date.notna() & records.site_id.notna(),
                                   [*daynet, "line"]].groupby(daynet).line.min().rename("failed_line"))
        placed = records.loc[marker | blank, daynet].join(catch_days, on=daynet).join(failed_days, on=daynet).reindex(records.index)
        records["catch_line"] = placed.catch_line
        conflict = marker & unreasoned() & placed.catch_line.notna()
        reject(conflict, lambda r: "no-operation marker '" + r.qty_raw.where(r.qty_raw != "", r.remarks_raw)
               + "' but line " + r.catch_line.astype("int64").astype(str)
               + " records a catch for the same day and net")
        no_operation = (marker | blank) & unreasoned() & placed.catch_line.isna() & placed.failed_line.isna()
    else:
        no_operation = pd.Series(False, index=records.index)

    accounted = records.line[catch_ok | no_operation | ~unreasoned()].unique()
    silent = ~records.line.isin(accounted)
    reject(silent & (marker | blank), "nothing stored from this line: its quantities are blank, and the same day "
           "and net has catches (or rejected catches) on other lines; write 0 when nothing was caught")

    catches = (records.loc[catch_ok, ["date", "site_id", "species", "catch_kg"]]
               .groupby(["date", "site_id", "species"], as_index=False).catch_kg.sum()
               .assign(source_file=source))
    fish = number.where(_is(unit_kind, "fish"))
    stored = records.loc[catch_ok, ["date", "site_id", "species", "size_class", "size_raw", "catch_kg"]].assign(
        fish_count=fish[catch_ok])
    sized_species = stored.species[~_is(stored.size_raw, "") | ~_is(stored.size_class, "")].unique()
    sized = stored[stored.species.isin(sized_species)]
    del stored
    said = records.qty_raw.where(~_is(records.qty_raw, ""), records.remarks_raw)
    no_op = records[no_operation].assign(marker=said[no_operation].where(said[no_operation] != "", "blank"))
    no_op = (no_op.sort_values(["marker", "line"], key=lambda m: m == "blank" if m.name == "marker" else m)
             .drop_duplicates(daynet).sort_values("line").assign(source_file=source, file=source))
    no_op = no_op.assign(raw=row_texts(table.iloc[no_op.row.to_numpy()]).to_numpy())
    no_op = no_op[[*NO_OPERATION_COLUMNS, "file", "line", "raw"]]
    given = ~unreasoned()
    bad = records.loc[given, ["line", "row"]].assign(reason=reason[given].astype(str))
    several = bad.line.duplicated(keep=False)
    joined = (bad[several].groupby("line", sort=False)
              .agg(row=("row", "first"), reason=("reason", lambda r: "; ".join(dict.fromkeys(r)))).reset_index())
    rejects = pd.concat([bad[~several], joined], ignore_index=True).sort_values("line", kind="stable")
    rejects = pd.DataFrame({"file": source, "line": rejects.line.astype("int32").to_numpy(),
                            "raw": row_texts(table.iloc[rejects.row.to_numpy()]).to_numpy() if len(rejects) else [],
                            "reason": rejects.reason.astype(str).to_numpy()})
    return ParsedCatches(catches.reset_index(drop=True), no_op.reset_index(drop=True), rejects, len(table)), sized


def size_class_rows(stored: pd.DataFrame, source: str) -> pd.DataFrame:
    """The stored records by size class (SIZE_CLASS_COLUMNS: kg and fish counted per date, net, species and 銘柄).

    Kept only where the file really sorts the species by size: it has a 銘柄 column for it, or names two size
    classes of it or more (a lone 'ブリ' column is the whole yellowtail catch, not one class); and only for a date,
    net and species whose every record has a size class. fish_count is NULL unless every record was counted (本)."""
    if stored.empty:
        return _EMPTY_SIZES.copy()
    key = ["date", "site_id", "species"]
    explicit = stored.groupby("species").size_raw.apply(lambda raw: bool((raw != "").any()))
    classes = stored[stored.size_class != ""].groupby("species").size_class.nunique()
    sorted_species = {sp for sp in explicit.index if explicit[sp] or classes.get(sp, 0) >= 2}
    rows = stored[stored.species.isin(sorted_species)]
    complete = (rows.size_class != "").groupby([rows[k] for k in key]).transform("all")
    rows = rows[complete.astype(bool)]
    if rows.empty:
        return _EMPTY_SIZES.copy()
    rows = rows.assign(fish_count=pd.to_numeric(rows.fish_count), uncounted=rows.fish_count.isna())
    grouped = rows.groupby([*key, "size_class"], as_index=False).agg(
        catch_kg=("catch_kg", "sum"), fish_count=("fish_count", "sum"), uncounted=("uncounted", "any"))
    grouped["fish_count"] = grouped.fish_count.where(~grouped.uncounted)
    return grouped.assign(source_file=source)[SIZE_CLASS_COLUMNS]


def read_catch_file(path: Path, sites: pd.DataFrame, tables: CatchTables | None = None,
                    plausible: Plausibility | None = None) -> ParsedCatches:
    """A CSV/XLSX/Parquet catch file (every sheet) -> parsed catches; IngestError if the file cannot be read."""
    tables = tables or load_catch_tables()
    plausible = plausible or load_plausibility()
    return _parsed_file(path, read_raw_tables(path, is_catch_header), sites, tables, plausible)


def _broken_lines(raw: RawTable) -> ParsedCatches:
    """CSV lines that are not rows (an unterminated quote) -> quarantined, each with its line."""
    return ParsedCatches(_EMPTY_CATCHES, _EMPTY_NO_OP, pd.DataFrame({
        "file": raw.source, "line": pd.Series(list(raw.broken), dtype="int32"),
        "raw": [text for _, text in raw.broken.values()],
        "reason": [reason for reason, _ in raw.broken.values()]}), len(raw.broken))


def _parsed_file(path: Path, raws: list[RawTable], sites: pd.DataFrame, tables: CatchTables,
                 plausible: Plausibility) -> ParsedCatches:
    """A file's tables as read -> the file parsed as a whole (read_catch_file)."""
    parsed = []
    for raw in raws:
        if raw.broken:
            parsed.append(_broken_lines(raw))
        if raw.cells.empty:
            continue
        if not raw.header_found:
            reason = "no header row naming a date column (日付, date ...) in the first 20 rows"
            if len(raws) == 1:
                raise IngestError(f"{raw.source}: {reason}")
            rejects = pd.DataFrame({"file": raw.source, "line": raw.lines.astype("int32"),
                                    "raw": raw.cells.apply(lambda r: ",".join(cell_text(v) for v in r), axis=1),
                                    "reason": f"sheet without a catch table: {reason}"})
            parsed.append(ParsedCatches(_EMPTY_CATCHES, _EMPTY_NO_OP, rejects, len(raw.cells)))
            continue
        parsed.append(parse_catch_table(raw.cells, sites, raw.source, tables, raw.lines, plausible))
    if not parsed:
        raise IngestError(f"{path}: no rows")
    combined = _combine(parsed, str(path))
    return ParsedCatches(combined.catches.assign(source_file=str(path)),
                         combined.no_operation.assign(source_file=str(path)), combined.rejects, combined.lines_read,
                         combined.size_classes.assign(source_file=str(path)))


@dataclass(frozen=True)
class _Piece:
    """Part of a file stored in one step of its transaction; `chunk` for a chunk of a table parsed in chunks (its
    rejects are ordered by line like the other chunks')."""

    parsed: ParsedCatches
    chunk: bool = False


def _catch_pieces(path: Path, sites: pd.DataFrame, tables: CatchTables, plausible: Plausibility) -> Iterator[_Piece]:
    """A catch file -> the pieces it is stored in: for a file of one table, its unreadable lines, then each chunk
    as it is parsed (every line of its dates and nets: the chunks' keys are disjoint), then the file's size classes;
    for a workbook of several tables, the whole file. Reading errors raise here, a table's errors when iterated."""
    raws = read_raw_tables(path, is_catch_header)
    if len(raws) == 1 and raws[0].header_found and not raws[0].cells.empty:
        return _chunk_pieces(path, raws[0], sites, tables, plausible)
    return iter([_Piece(_parsed_file(path, raws, sites, tables, plausible))])


def _chunk_pieces(path: Path, raw: RawTable, sites: pd.DataFrame, tables: CatchTables,
                  plausible: Plausibility) -> Iterator[_Piece]:
    """One table -> its broken lines, each chunk parsed (catches, no-operation days, rejects), and last the size
    classes, decided over the whole table from the chunks' sized records (size_class_rows)."""
    name = str(path)
    if raw.broken:
        yield _Piece(_broken_lines(raw))
    sized = []
    for parsed, sizes in _parsed_chunks(raw.cells, raw.lines, sites, raw.source, tables, plausible):
        sized.append(_compact_sized(sizes))  # kept until the end: texts as categories, not a pointer per row
        del sizes
        yield _Piece(ParsedCatches(parsed.catches.assign(source_file=name), parsed.no_operation.assign(
            source_file=name), parsed.rejects, parsed.lines_read), chunk=True)
        del parsed
        pa.default_memory_pool().release_unused()  # what Arrow's pool kept of the chunk's string columns
    sizes = size_class_rows(_sized_of_sorted_species(sized), raw.source)
    del sized
    yield _Piece(ParsedCatches(_EMPTY_CATCHES, _EMPTY_NO_OP, _EMPTY_REJECTS, 0, sizes.assign(source_file=name)))


_SIZED_TEXTS = ("site_id", "species", "size_class", "size_raw")


def _compact_sized(sized: pd.DataFrame) -> pd.DataFrame:
    """A chunk's sized records (for size_class_rows) with their texts as categories (a code per row, not a
    pointer): a file whose yellowtail are one class keeps a quarter of its records until the end."""
    return sized.astype({c: "category" for c in _SIZED_TEXTS if c in sized}) if len(sized) else sized


def _sized_of_sorted_species(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' compacted sized records -> those of the species size_class_rows may keep (a size class column
    for it somewhere, or two size classes or more), as one table of object texts (size_class_rows decides
    again over them, with the same outcome: its decision for a species depends only on that species' records)."""
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return _EMPTY_SIZES
    explicit: set[str] = set()
    classes: dict[str, set[str]] = {}
    for piece in pieces:
        species = piece.species.astype(object).to_numpy()
        explicit.update(pd.unique(species[piece.size_raw.astype(object).to_numpy() != ""]))
        size = piece.size_class.astype(object).to_numpy()
        has = size != ""
        pairs = pd.DataFrame({"species": species[has], "size_class": size[has]}).drop_duplicates()
        for sp, cls in pairs.itertuples(index=False):  # each distinct species and class once
            classes.setdefault(sp, set()).add(cls)
    keep = explicit | {sp for sp, c in classes.items() if len(c) >= 2}
    kept = [p[p.species.astype(object).isin(keep).to_numpy()] for p in pieces]
    rows = pd.concat(kept, ignore_index=True)
    return rows.astype({c: object for c in _SIZED_TEXTS if c in rows})


_EMPTY_CATCHES = pd.DataFrame(columns=["date", "site_id", "species", "catch_kg", "source_file"])
_EMPTY_REJECTS = pd.DataFrame({"file": pd.Series(dtype=object), "line": pd.Series(dtype="int32"),
                               "raw": pd.Series(dtype=object), "reason": pd.Series(dtype=object)})
_EMPTY_NO_OP = pd.DataFrame(columns=[*NO_OPERATION_COLUMNS, "file", "line", "raw"])
_EMPTY_SIZES = pd.DataFrame(columns=SIZE_CLASS_COLUMNS)


def _combine(parts: list[ParsedCatches], source: str) -> ParsedCatches:
    """Sheets of one workbook -> one result; the same date, net and species on two sheets is a duplicate."""
    if len(parts) == 1:
        return parts[0]
    catches = pd.concat([p.catches for p in parts if not p.catches.empty] or [_EMPTY_CATCHES], ignore_index=True)
    rejects = pd.concat([p.rejects for p in parts], ignore_index=True)
    if not catches.empty:
        twice = catches.duplicated(["date", "site_id", "species"], keep=False)
        if twice.any():
            first = catches[twice].iloc[0]
            raise IngestError(f"{source}: {first.species} of {first.site_id} on {first.date} appears on two sheets")
    no_op = pd.concat([p.no_operation for p in parts if not p.no_operation.empty] or [_EMPTY_NO_OP],
                      ignore_index=True)
    if not no_op.empty:
        no_op = no_op.drop_duplicates(["date", "site_id"])
    sizes = pd.concat([p.size_classes for p in parts if not p.size_classes.empty] or [_EMPTY_SIZES], ignore_index=True)
    return ParsedCatches(catches, no_op, rejects, sum(p.lines_read for p in parts), sizes)


def _context_checksum(sites: pd.DataFrame, tables: CatchTables, plausible: Plausibility) -> str:
    """Checksum of what shapes a catch file's result besides its bytes: the site registry, the dictionaries and the
    plausibility ceilings."""
    registry = sites.sort_values("site_id").to_csv(index=False).encode()
    return hashlib.sha256(registry + tables.checksum.encode() + plausible.checksum.encode()).hexdigest()


def catches_arrow(catches: pd.DataFrame) -> pa.Table:
    """Parsed catches -> the Arrow table DuckDB reads at once: dates as date32, the texts dictionary encoded (a few
    nets, species and one file name, not a string per row)."""
    texts = [c for c in ("site_id", "species", "source_file") if c in catches]
    return pa.Table.from_pandas(catches.astype(dict.fromkeys(texts, "category")), preserve_index=False)


@dataclass
class _Stored:
    """What storing one file did: the rows counted as in CatchIngestResult, and its first quarantined line."""

    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    lines_read: int = 0
    rejected: int = 0
    no_operation: int = 0
    any_catch: bool = False
    first_reject: tuple[int, str] | None = None
    first_from_chunk: bool = False


def _store_pieces(con, path: str, pieces: Iterator[_Piece], outcome: FileOutcome) -> _Stored:
    """In one transaction: replace this file's previous rows, rejects and no-operation days with its pieces', stored
    one piece at a time as it is parsed (their keys are disjoint, so no piece's INSERT OR REPLACE replaces another's;
    the file's previous catches are kept aside to count the updated, unchanged and removed rows)."""
    total = _Stored()
    # the chunks' rows go to the database file one row group at a time, not five (DuckDB buffers five by
    # default: up to about 60 MB more for a million rows, as duckdb_memory() shows)
    con.execute("SET write_buffer_row_group_count = 1")
    try:
        with transaction(con):
            con.execute("CREATE OR REPLACE TEMP TABLE _previous_catches AS"
                        " SELECT date, site_id, species, catch_kg FROM catches WHERE source_file = ?", [path])
            con.execute("DELETE FROM catches WHERE source_file = ?", [path])
            con.execute("DELETE FROM catch_size_classes WHERE source_file = ?", [path])
            con.execute("DELETE FROM no_operation_days WHERE source_file = ?", [path])
            con.execute("DELETE FROM ingest_rejects WHERE file = ? OR file LIKE ?", [path, path + "#%"])
            others = {table for table in ("catches", "_previous_catches", "no_operation_days", "catch_size_classes")
                      if con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchall()[0][0]}
            for piece in pieces:
                parsed = _drop_markers_on_stored_catches(con, path, piece.parsed)
                _store_piece(con, parsed, total, others)
                if len(parsed.rejects):
                    first = parsed.rejects.iloc[0]
                    if total.first_reject is None or (piece.chunk and total.first_from_chunk
                                                      and int(first.line) < total.first_reject[0]):
                        total.first_reject = int(first.line), str(first.reason)
                        total.first_from_chunk = piece.chunk
                del parsed, piece
            total.removed = con.execute("SELECT count(*) FROM _previous_catches").fetchall()[0][0]
            con.execute("DROP TABLE _previous_catches")
            record_outcome(con, FileOutcome(**{**outcome.__dict__, "rows_stored": total.stored,
                                               "rows_updated": total.updated, "rows_rejected": total.rejected}))
    finally:
        con.execute("RESET write_buffer_row_group_count")
    return total


def _store_piece(con, parsed: ParsedCatches, total: _Stored, others: set[str]) -> None:
    """Inside the file's transaction: one piece's catches (counted against the rows stored before this file and
    the file's previous ones), size classes, no-operation days and rejects; `total` counts them. `others`: the
    tables that held rows of other files (or, _previous_catches, of this file's previous version) when the file's
    transaction began; a statement that could only meet such rows is skipped without them (the pieces' own rows
    never meet: their keys and day-nets are disjoint)."""
    catches = catches_arrow(parsed.catches)
    if len(catches):
        con.register("_new_catches", catches)
        updated = unchanged = known = 0
        if others & {"catches", "_previous_catches"}:
            updated, unchanged, known = con.execute(
                "SELECT count(*) FILTER (WHERE c.catch_kg IS DISTINCT FROM n.catch_kg),"
                " count(*) FILTER (WHERE c.catch_kg = n.catch_kg), count(*) FROM _new_catches n"
                " JOIN (SELECT date, site_id, species, catch_kg FROM catches UNION ALL SELECT * FROM _previous_catches) c"
                " USING (date, site_id, species)").fetchall()[0]
        if "_previous_catches" in others:
            con.execute("DELETE FROM _previous_catches p USING _new_catches n"
                        " WHERE p.date = n.date AND p.site_id = n.site_id AND p.species = n.species")
        total.updated, total.unchanged, total.stored = (total.updated + updated, total.unchanged + unchanged,
                                                        total.stored + len(catches) - known)
        total.any_catch = True
        if known:  # another file's rows of these keys (this file's previous ones are already gone) are replaced
            con.execute("DELETE FROM catches c USING _new_catches n"
                        " WHERE c.date = n.date AND c.site_id = n.site_id AND c.species = n.species")
        con.execute("SET threads = 1")  # one thread's insert buffers, not two: less memory, as fast
        try:  # a plain INSERT: none of its keys is stored now (INSERT OR REPLACE per chunk: +1.6 s CPU at 1e6 rows)
            insert_new(con, "catches", catches)
        finally:
            con.execute("RESET threads")
        if "no_operation_days" in others:  # a catch outranks another file's no-operation marker for that day, net
            con.execute("DELETE FROM no_operation_days o USING _new_catches n"
                        " WHERE o.date = n.date AND o.site_id = n.site_id")
        if "catch_size_classes" in others:  # another file's size classes of a catch this file now gives are no
            con.execute("DELETE FROM catch_size_classes s USING _new_catches n"  # longer that catch's breakdown
                        " WHERE s.date = n.date AND s.site_id = n.site_id AND s.species = n.species")
        con.unregister("_new_catches")
    upsert(con, "catch_size_classes", parsed.size_classes[SIZE_CLASS_COLUMNS])
    upsert(con, "no_operation_days", parsed.no_operation[NO_OPERATION_COLUMNS])
    upsert(con, "ingest_rejects", parsed.rejects)
    total.lines_read += parsed.lines_read
    total.rejected += len(parsed.rejects)
    total.no_operation += len(parsed.no_operation)


def _drop_markers_on_stored_catches(con, path: str, parsed: ParsedCatches) -> ParsedCatches:
    """No-operation markers for a day and net whose catches another file stored become rejects, not markers."""
    if parsed.no_operation.empty:
        return parsed
    con.register("_no_op", parsed.no_operation[["date", "site_id"]])
    clash = con.execute("SELECT o.date, o.site_id, min(c.source_file) AS other FROM _no_op o JOIN catches c"
                        " ON c.date = o.date AND c.site_id = o.site_id WHERE c.source_file <> ?"
                        " GROUP BY o.date, o.site_id", [path]).df()
    con.unregister("_no_op")
    if clash.empty:
        return parsed
    clash["date"] = pd.to_datetime(clash.date).dt.date
    marked = parsed.no_operation.merge(clash, on=["date", "site_id"], how="left")
    clashing = marked[marked.other.notna()]
    extra = pd.DataFrame({"file": clashing.file, "line": clashing.line.astype("int32"), "raw": clashing.raw,
                          "reason": "no-operation marker '" + clashing.marker + "', but " + clashing.other
                          + " stored catches for the same day and net"})
    return ParsedCatches(parsed.catches, parsed.no_operation[marked.other.isna().to_numpy()],
                         pd.concat([parsed.rejects, extra], ignore_index=True), parsed.lines_read,
                         parsed.size_classes)


def ingest_catches(settings: Settings, paths: list[Path], *, force: bool = False,
                   raise_on_unreadable: bool = True) -> CatchIngestResult:
    """Store catch files (files, folders or globs): each file in one transaction; unchanged files are skipped.

    A file that cannot be read as a whole is recorded as rejected and, after the other files are done, raises
    IngestError naming it (unless `raise_on_unreadable` is False: then it is listed in `files_failed`).
    """
    files = expand_paths(paths, CATCH_SUFFIXES)
    if not files:
        raise IngestError(f"no catch files ({', '.join(CATCH_SUFFIXES)}) under {', '.join(map(str, paths))}")
    tables = load_catch_tables(settings)
    plausible = load_plausibility(settings)
    result = CatchIngestResult(files=len(files), rows_read=0, rows_stored=0, rows_quarantined=0)
    with connect(settings.warehouse_path) as con:
        sites = con.execute("SELECT site_id, name_ja, name_en FROM sites").df()
        if sites.empty:
            raise IngestError("no sites in the warehouse: run `setnet ingest sites FILE` first")
        context = _context_checksum(sites, tables, plausible)
        for path in files:
            name, checksum = str(path), sha256_of(path)
            outcome = FileOutcome(name, "catches", checksum, context, write_id=uuid.uuid4().hex)
            if not force and already_ingested(con, name, checksum, context):
                log.info("%s: unchanged since it was ingested (sha256 %s...), skipped", name, checksum[:12])
                result.files_unchanged += 1
                continue
            try:
                stored = _store_pieces(con, name, _catch_pieces(path, sites, tables, plausible), outcome)
            except IngestError as error:  # the file's transaction, if it had begun, is rolled back
                log.warning("%s", error)
                record_outcome(con, FileOutcome(**{**outcome.__dict__, "outcome": "rejected", "reason": str(error)}))
                result.files_failed.append(str(error))
                continue
            result.rows_read += stored.lines_read
            result.rows_stored += stored.stored
            result.rows_updated += stored.updated
            result.rows_unchanged += stored.unchanged
            result.rows_removed += stored.removed
            result.rows_quarantined += stored.rejected
            result.no_operation_days += stored.no_operation
            if not stored.any_catch and not stored.no_operation and stored.first_reject is not None:
                result.files_all_quarantined.append(f"{name}: line {stored.first_reject[0]}: {stored.first_reject[1]}")
                log.warning("%s: every line quarantined, nothing stored", name)
            log.info("%s: %s", name, stored)
    if result.files_failed and raise_on_unreadable:
        raise IngestError(f"{len(result.files_failed)} of {len(files)} catch files unreadable, the others ingested "
                          f"({result.summary()}); first: {result.files_failed[0]}")
    return result
