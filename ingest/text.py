"""Reading text tables as cooperatives deliver them: UTF-8 (with or without BOM) or Shift_JIS/CP932."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ingest.errors import IngestError

ENCODINGS = ("utf-8-sig", "cp932")


def detect_encoding(raw: bytes) -> str:
    """The first of UTF-8 (BOM allowed) or CP932 that decodes `raw` cleanly."""
    for encoding in ENCODINGS:
        try:
            raw.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("setnet", raw[:1], 0, 1, "neither UTF-8 nor Shift_JIS/CP932")


def read_text_table(path: Path) -> pd.DataFrame:
    """CSV file -> table of strings with stripped headers; raises IngestError if unreadable."""
    if not path.exists():
        raise IngestError(f"{path}: file not found")
    raw = path.read_bytes()
    try:
        encoding = detect_encoding(raw)
    except UnicodeDecodeError:
        raise IngestError(f"{path}: text is neither UTF-8 nor Shift_JIS/CP932") from None
    try:
        table = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise IngestError(f"{path}: not a readable CSV table ({str(error).splitlines()[0]})") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table
