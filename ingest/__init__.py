"""Ingest: read and validate the sources (site registry, catch files, ocean grids) into the canonical stores.

Public functions: `ingest_sites`, `ingest_catches`, `ingest_grids` (I/O edges), the pure cores
`read_site_registry`, `parse_catch_table`, `normalise_grid`, `normalise_forecast` they are built on, and the
store readers `open_grid_store`, `open_forecast_store`.

Grid ingest, by concern: `ingest.cf` (CF names and units: a provider file's variables, canonical names and units),
`ingest.conform` (onto the canonical grid: wrap, sort, daily means, regrid, combine files), `ingest.grids` (the
batch writer with provenance, and `ingest_grids`), `ingest.forecasts` (forecast files), `ingest.store` (the
stores' contract: axis names, variables, chunking, opening, overlay writes).
"""

from ingest.catches import (
    CatchIngestResult,
    ParsedCatches,
    ingest_catches,
    parse_catch_table,
    read_catch_file,
)
from ingest.conform import normalise_grid
from ingest.errors import IngestError
from ingest.forecasts import normalise_forecast
from ingest.grids import GridIngestResult, ingest_grids
from ingest.sites import ingest_sites, read_site_registry
from ingest.store import open_forecast_store, open_grid_store

__all__ = [
    "CatchIngestResult",
    "GridIngestResult",
    "IngestError",
    "ParsedCatches",
    "ingest_catches",
    "ingest_grids",
    "ingest_sites",
    "normalise_forecast",
    "normalise_grid",
    "open_forecast_store",
    "open_grid_store",
    "parse_catch_table",
    "read_catch_file",
    "read_site_registry",
]
