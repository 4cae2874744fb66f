"""Input files: paths, folders and globs expanded; checksums; the `ingested_files` record of each file's outcome."""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ingest.errors import IngestError
from setnet.warehouse import upsert


def expand_paths(paths: list[Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files, folders (searched recursively) and globs -> sorted files with one of `suffixes`."""
    found: list[Path] = []
    for path in paths:
        text = str(path)
        if any(ch in text for ch in "*?[") and not path.exists():
            matches = [Path(p) for p in glob.glob(text, recursive=True)]
            if not matches:
                raise IngestError(f"{path}: no file matches this pattern")
            found.extend(p for p in matches if p.is_file() and p.suffix.lower() in suffixes)
            found.extend(q for p in matches if p.is_dir() for q in p.rglob("*")
                         if q.is_file() and q.suffix.lower() in suffixes)
        elif path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        elif path.exists():
            found.append(path)
        else:
            raise IngestError(f"{path}: no such file or folder")
    return sorted({p.resolve() for p in found})


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileOutcome:
    """One file's row of `ingested_files`."""

    file: str
    kind: str  # catches | grids | ocean_forecasts
    checksum: str
    context_checksum: str  # of what else shaped the result: registry, dictionaries, product table, options
    product: str | None = None
    rows_stored: int = 0
    rows_updated: int = 0
    rows_rejected: int = 0
    outcome: str = "stored"  # stored | rejected
    reason: str | None = None
    write_id: str | None = None


def already_ingested(con: duckdb.DuckDBPyConnection, file: str, checksum: str, context_checksum: str) -> bool:
    """True when this exact file content was stored before under the same context: ingesting it again changes nothing."""
    rows = con.execute(
        "SELECT 1 FROM ingested_files WHERE file = ? AND checksum = ? AND context_checksum = ? AND outcome = 'stored'",
        [file, checksum, context_checksum],
    ).fetchall()
    return bool(rows)


def record_outcome(con: duckdb.DuckDBPyConnection, outcome: FileOutcome) -> None:
    """Upsert the file's row of `ingested_files` (the latest outcome of each path is kept)."""
    record_outcomes(con, [outcome])


def record_outcomes(con: duckdb.DuckDBPyConnection, outcomes: list[FileOutcome]) -> None:
    """Upsert several files' rows of `ingested_files` at once."""
    rows = pd.DataFrame([o.__dict__ for o in outcomes]).astype({"product": "object", "reason": "object"})
    upsert(con, "ingested_files", rows.assign(ingested_at=pd.Timestamp.now()))
