"""Reading tables as cooperatives deliver them: CSV in UTF-8 (BOM allowed) or Shift_JIS/CP932, XLSX, Parquet.

Spreadsheet exports often start with a title line or two; `read_raw_tables` finds the header row itself and keeps
each row's line number in the file (or row number in the sheet) so that a rejected row can be found again.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingest.errors import IngestError

ENCODINGS = ("utf-8-sig", "cp932")
HEADER_SEARCH_ROWS = 20


def detect_encoding(raw: bytes) -> str:
    """The first of UTF-8 (BOM allowed) or CP932 that decodes `raw` cleanly (UTF-16, told by its BOM, is neither)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnicodeDecodeError("setnet", raw[:2], 0, 2, "UTF-16 (save it as UTF-8 or Shift_JIS)")
    for encoding in ENCODINGS:
        try:
            raw.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("setnet", raw[:1], 0, 1, "neither UTF-8 nor Shift_JIS/CP932")


def _decoded_text(path: Path) -> str:
    """A text file's contents, decoded as UTF-8 (BOM allowed) or CP932; IngestError if neither."""
    if not path.exists():
        raise IngestError(f"{path}: file not found")
    raw = path.read_bytes()
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, told by its BOM, is neither
        for encoding in ENCODINGS:  # as detect_encoding, decoding once
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise IngestError(f"{path}: text is neither UTF-8 nor Shift_JIS/CP932")


def read_text_table(path: Path) -> pd.DataFrame:
    """CSV file whose first line is the header -> table of strings with stripped headers; IngestError if unreadable."""
    text = _decoded_text(path)
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise IngestError(f"{path}: not a readable CSV table ({str(error).splitlines()[0]})") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table


@dataclass(frozen=True)
class RawTable:
    """One table of a file as read: `source` names it (path, or path#sheet), `cells` keep the values as read."""

    source: str
    cells: pd.DataFrame  # columns = header cells; values: strings (categorical columns from split_csv_rows), numbers
    # or datetimes; blank = ""
    lines: pd.Series  # the line (CSV) or row (XLSX) number of each row, 1-based
    header_found: bool
    broken: dict[int, tuple[str, str]] = field(default_factory=dict)  # CSV line -> (why it is no row, its text)


def cell_text(value: object) -> str:
    """A cell as text for messages and quarantine: blank for missing, 120 for 120.0, dates as YYYY-MM-DD."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") or len(text) == 10 else text
    return str(value).strip()


def distinct_codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """A column's codes 0..k-1, one per distinct value (every missing value one code, as a value), and k; a
    categorical column's codes are reused, not its cells hashed."""
    codes, uniques = pd.factorize(column)  # missing values get -1: cheaper than use_na_sentinel=False's isna
    k = len(uniques)
    if len(codes) and codes.min() < 0:
        codes = np.where(codes < 0, k, codes)
        k += 1
    return codes.astype(np.int64, copy=False), k


def map_distinct(columns: list[pd.Series], fn: Callable[..., object]) -> pd.Series:
    """fn(*cells) of each row of equally indexed columns (strings or None), called once per distinct combination
    (with the cells of its first row)."""
    n = len(columns[0])
    if len(columns) == 1:
        inverse, n_keys = distinct_codes(columns[0])
    else:
        combined = np.zeros(n, dtype=np.int64)
        for column in columns:
            codes, k = distinct_codes(column)
            combined = combined * max(k, 1) + codes
        inverse, keys = pd.factorize(combined)
        n_keys = len(keys)
    first = np.full(n_keys, n, dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(n, dtype=np.int64))
    cells = [column.iloc[first].to_numpy(dtype=object) for column in columns]
    values = np.empty(n_keys, dtype=object)
    for k, row in enumerate(zip(*cells, strict=True)):
        values[k] = fn(*row)
    return pd.Series(values[inverse] if n else values, index=columns[0].index, dtype=object)


def _all_strings(values: pd.Series | pd.Index) -> bool:
    """True when every value is a str (so values equal as keys are equal cells: no 1 == 1.0 == True)."""
    return pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty")


def cell_texts(values: pd.Series) -> pd.Series:
    """cell_text of every value (each distinct string once; a categorical column's codes reused)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        if not (values.cat.codes < 0).any() and _all_strings(values.cat.categories):
            return map_distinct([values], cell_text)
        values = values.astype(object)
    if _all_strings(values):
        return map_distinct([values], cell_text)
    return values.map(cell_text).astype(object)


def row_texts(cells: pd.DataFrame) -> pd.Series:
    """Each row's cells as one line of text for quarantine: cell_text of each cell, joined by commas."""
    if cells.empty:
        return pd.Series("", index=cells.index, dtype=object)
    text = cell_texts(cells.iloc[:, 0])
    for j in range(1, cells.shape[1]):
        text = text + "," + cell_texts(cells.iloc[:, j])
    return text


def _with_header(rows: pd.DataFrame, lines: pd.Series, source: str, is_header: Callable[[list[str]], bool],
                 broken: dict[int, tuple[str, str]] | None = None) -> RawTable:
    """Rows of cells -> RawTable whose header is the first row (of the first 20) that `is_header` accepts; without
    one, every row is kept (columns column1, column2 ...) and header_found is False."""
    rows = rows.reset_index(drop=True)
    lines = lines.reset_index(drop=True)
    header_at = next((i for i in range(min(HEADER_SEARCH_ROWS, len(rows)))
                      if is_header([cell_text(v) for v in rows.iloc[i]])), None)
    found = header_at is not None
    header_at = header_at if found else 0
    broken = broken or {}
    if rows.empty:
        return RawTable(source, pd.DataFrame(), pd.Series(dtype="int64"), False, broken)
    if found:
        header = [cell_text(v) or f"column{j + 1}" for j, v in enumerate(rows.iloc[header_at])]
        body, body_lines = rows.iloc[header_at + 1 :].copy(), lines.iloc[header_at + 1 :]
    else:  # no header: the first row is data like the others, never taken for a header
        header = [f"column{j + 1}" for j in range(rows.shape[1])]
        body, body_lines = rows.copy(), lines
    body.columns = _unique(header)
    blank = np.ones(len(body), dtype=bool)
    for j in range(body.shape[1]):
        blank &= map_distinct([body.iloc[:, j]], lambda value: cell_text(value) == "").to_numpy(dtype=bool)
    return RawTable(source, body[~blank].reset_index(drop=True), body_lines[~blank].reset_index(drop=True), found,
                    broken)


def _unique(names: list[str]) -> list[str]:
    """Header cells made unique (a repeated header gets .2, .3 ...), so no column hides another."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name]}")
    return out


UNTERMINATED_QUOTE = ("unterminated quote: a cell opened with \" is not closed on this line (it would swallow the "
                      "lines after it); the lines after it are read on their own")


def csv_records(text: str) -> tuple[list[list[str]], list[int], dict[int, tuple[str, str]]]:
    """CSV text -> (rows, the line each starts on, broken line -> (reason, text)): every physical line is in one.

    A quoted cell may span lines only when it holds no comma on them (a remark with a line break); a quote that
    opens a cell swallowing whole rows, or that never closes, breaks its line alone: the reader starts again on
    the next line.
    """
    physical = io.StringIO(text).readlines()
    rows: list[list[str]] = []
    lines: list[int] = []
    broken: dict[int, tuple[str, str]] = {}
    start = 0  # index of the physical line the reader starts on
    while start < len(physical):
        reader = csv.reader(itertools.islice(physical, start, None), strict=True)
        restart, consumed = None, 0
        while True:
            first = start + consumed + 1  # 1-based line the next record starts on
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:  # a quote closed lines later in mid-cell, or never: the opening line is bad
                spans = start + reader.line_num > first or "end of data" in str(error)
                reason = UNTERMINATED_QUOTE if spans else f"not a readable CSV line ({error})"
                broken[first] = (reason, physical[first - 1].rstrip("\r\n"))
                restart = first
                break
            consumed = reader.line_num
            if start + consumed > first and any("\n" in cell and "," in cell for cell in row):
                broken[first] = (UNTERMINATED_QUOTE, physical[first - 1].rstrip("\r\n"))
                restart = first
                break
            rows.append(row)
            lines.append(first)
        if restart is None:
            break
        start = restart
    return rows, lines, broken


SPLIT_BLOCK_CHARS = 4_000_000  # split_csv_rows splits the text in blocks of about this many characters (whole lines)


def split_csv_rows(text: str) -> tuple[pd.DataFrame, pd.Series, dict[int, tuple[str, str]]] | None:
    """CSV text -> what `csv_records` reads (rows padded to the widest, the line of each, broken lines), split in
    Arrow: one record per physical line; a line with a quote, NUL or carriage return is read alone by `csv_records`.
    None when a quote on one line opens a cell it does not close (it may span lines: only `csv_records` reads that).
    The text is split in blocks of whole lines (SPLIT_BLOCK_CHARS), so Arrow's copies are of one block at a time;
    each column is categorical (one code per cell, one Python string per distinct cell).
    """
    if not text:
        return None
    blocks, start, first_line = [], 0, 1
    while start < len(text):
        end = text.find("\n", min(start + SPLIT_BLOCK_CHARS, len(text)) - 1)
        end = len(text) if end < 0 else end + 1
        block = _split_block(text[start:end], first_line)
        if block is None:
            return None
        blocks.append(block)
        first_line += block[2]
        start = end
    width = max(len(columns) for columns, _, _, _ in blocks)
    columns = {}
    for j in range(width):
        indices, dictionaries, offset = [], [], 0
        for cols, lines, _, _ in blocks:  # a block of narrower rows holds "" in column j
            index, dictionary = cols.pop(j, (np.zeros(len(lines), dtype=np.int32), np.array([""], dtype=object)))
            indices.append(index + offset)
            dictionaries.append(dictionary)
            offset += len(dictionary)
        columns[j] = _categorical(np.concatenate(indices), np.concatenate(dictionaries))
        del indices, dictionaries
    lines = np.concatenate([lines for _, lines, _, _ in blocks])
    broken = {line: why for _, _, _, bad in blocks for line, why in bad.items()}
    del blocks
    pa.default_memory_pool().release_unused()  # what Arrow's pool kept of the blocks' copies goes back to the system
    return pd.DataFrame(columns, copy=False), pd.Series(lines, dtype="int64"), broken


def _categorical(indices: np.ndarray, dictionary: np.ndarray) -> pd.Categorical:
    """Cells as indices into strings (which may repeat) -> a Categorical of the cells, its categories in order of
    first appearance (the same however the text was split in blocks)."""
    codes, strings = pd.factorize(dictionary)
    cells, used = pd.factorize(codes[indices])
    return pd.Categorical.from_codes(cells, pd.Index(np.asarray(strings, dtype=object)[used], dtype=object))


def _split_block(text: str, first_line: int) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], np.ndarray, int,
                                                      dict[int, tuple[str, str]]] | None:
    """Whole lines of CSV text, the first being line `first_line` -> (columns of the rows kept, each as indices
    into its strings, their lines, the number of physical lines, broken lines); None as in split_csv_rows."""
    physical = pc.split_pattern(pa.array([text], pa.large_string()), "\n").values
    if text.endswith("\n"):
        physical = physical.slice(0, len(physical) - 1)
    lines = pc.replace_substring_regex(physical, "\r$", "") if "\r" in text else physical
    special = pc.or_(pc.or_(pc.match_substring(lines, '"'), pc.match_substring(lines, "\x00")),
                     pc.match_substring(lines, "\r")).to_numpy(zero_copy_only=False)
    special |= pc.utf8_length(lines).to_numpy() > csv.field_size_limit()
    own_rows: dict[int, list[str]] = {}
    broken: dict[int, tuple[str, str]] = {}
    last = len(physical) - 1
    for i in np.flatnonzero(special):
        line = physical[int(i)].as_py()
        rows, _, bad = csv_records(line + ("\n" if i < last or text.endswith("\n") else ""))
        if any(reason == UNTERMINATED_QUOTE for reason, _ in bad.values()):
            return None
        if bad:
            broken[first_line + int(i)] = (next(iter(bad.values()))[0], line.rstrip("\r"))
        else:
            own_rows[int(i)] = rows[0] if rows else []
    n_physical = len(physical)
    cells = pc.split_pattern(lines, ",")
    del physical, lines
    counts = pc.list_value_length(cells).to_numpy()
    width = max(int(counts[~special].max(initial=0)), max((len(r) for r in own_rows.values()), default=0))
    starts = cells.offsets.to_numpy()[:-1]
    values = cells.flatten()
    at = np.fromiter(own_rows, dtype=np.int64, count=len(own_rows))
    keep = np.ones(len(counts), dtype=bool)
    keep[[line - first_line for line in broken]] = False
    columns = {}
    for j in range(width):  # each column as indices into its distinct cells (one Python string each)
        has = (counts > j) & ~special
        taken = pc.if_else(pa.array(has), values.take(pa.array(np.where(has, starts + j, 0))), "")
        encoded = pc.dictionary_encode(taken)
        dictionary = encoded.dictionary.to_numpy(zero_copy_only=False)
        indices = encoded.indices.to_numpy().astype(np.int32)  # int32: the whole file's codes are held
        del taken, encoded
        if len(at):  # the lines read alone: their cells appended to the strings
            indices[at] = len(dictionary) + np.arange(len(at))
            dictionary = np.concatenate([dictionary, np.array(
                [row[j] if j < len(row) else "" for row in own_rows.values()], dtype=object)])
        columns[j] = (indices[keep] if broken else indices, dictionary)
    return columns, np.flatnonzero(keep) + first_line, n_physical, broken


def _read_csv_rows(path: Path) -> tuple[pd.DataFrame, pd.Series, dict[int, tuple[str, str]]]:
    """CSV text -> rows of strings padded to the widest row, each row's line number, and the broken lines."""
    text = _decoded_text(path)
    if (split := split_csv_rows(text)) is not None:
        return split
    rows, lines, broken = csv_records(text)
    del text
    width = max((len(r) for r in rows), default=0)
    return (pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object), pd.Series(lines, dtype="int64"),
            broken)


def read_raw_tables(path: Path, is_header: Callable[[list[str]], bool]) -> list[RawTable]:
    """A CSV, XLSX or Parquet file -> its tables (one per sheet) with header rows found; IngestError if unreadable."""
    if not path.exists():
        raise IngestError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as error:  # noqa: BLE001  (pyarrow raises many kinds for a broken file)
            raise IngestError(f"{path}: not a readable Parquet file ({str(error).splitlines()[0]})") from None
        body = frame.astype(object)
        body.columns = range(body.shape[1])
        rows = pd.concat([pd.DataFrame([list(frame.columns)], dtype=object), body], ignore_index=True)
        return [_with_header(rows, pd.Series(range(1, len(rows) + 1)), str(path), is_header)]
    if suffix in (".xlsx", ".xlsm"):
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
        except (zipfile.BadZipFile, ValueError, KeyError, OSError) as error:
            raise IngestError(f"{path}: not a readable XLSX workbook ({str(error).splitlines()[0]})") from None
        several = len(sheets) > 1
        return [
            _with_header(rows, pd.Series(rows.index + 1), f"{path}#{name}" if several else str(path), is_header)
            for name, rows in sheets.items()
        ]
    rows, lines, broken = _read_csv_rows(path)
    return [_with_header(rows, lines, str(path), is_header, broken)]
