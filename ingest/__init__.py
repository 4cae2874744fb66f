"""Ingest: read and validate the sources (site registry, catch files, ocean grids) into the canonical stores.

Public functions: `ingest_sites`, `ingest_catches`, `ingest_grids` (I/O edges) and the pure cores
`read_site_registry`, `parse_catch_table`, `normalise_grid` they are built on.
"""

from ingest.catches import CatchIngestResult, IngestError, ingest_catches, parse_catch_table, read_catch_file
from ingest.grids import GridIngestResult, ingest_grids, normalise_grid, open_grid_store
from ingest.sites import ingest_sites, read_site_registry

__all__ = [
    "CatchIngestResult",
    "GridIngestResult",
    "IngestError",
    "ingest_catches",
    "ingest_grids",
    "ingest_sites",
    "normalise_grid",
    "open_grid_store",
    "parse_catch_table",
    "read_catch_file",
    "read_site_registry",
]
