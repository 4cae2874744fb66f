"""Ingest: read and validate the sources (site registry, catch files, ocean grids) into the canonical stores.

Public functions: `ingest_sites`, `ingest_catches`, `ingest_grids` (I/O edges), the pure cores
`read_site_registry`, `parse_catch_table`, `normalise_grid`, `normalise_forecast` they are built on, and the
store readers `open_grid_store`, `open_forecast_store`.
"""

from ingest.catches import (
    CatchIngestResult,
    ParsedCatches,
    ingest_catches,
    parse_catch_table,
    read_catch_file,
)
from ingest.errors import IngestError
from ingest.forecasts import normalise_forecast
from ingest.grids import GridIngestResult, ingest_grids, normalise_grid
from ingest.store import open_forecast_store, open_grid_store
from ingest.sites import ingest_sites, read_site_registry

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
