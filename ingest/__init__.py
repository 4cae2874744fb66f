"""Ingest: read and validate the sources (site registry, catch files, ocean grids) into the canonical stores.

Public functions: `ingest_sites`, `ingest_catches`, `ingest_grids` (I/O edges), the pure cores
`read_site_registry`, `parse_catch_table`, `normalise_grid`, `normalise_forecast` they are built on, and the
store readers `open_grid_store`, `open_forecast_store`.

Grid ingest, by concern: `ingest.cf` (CF names and units: a provider file's variables, canonical names and units),
`ingest.conform` (onto the canonical grid: wrap, sort, daily means, regrid, combine files), `ingest.grids` (the
batch writer with provenance, and `ingest_grids`), `ingest.forecasts` (forecast files), `ingest.store` (the
stores' contract: axis names, variables, chunking, opening, overlay writes).
"""

from importlib import import_module
from typing import TYPE_CHECKING

from ingest.catches import (
    CatchIngestResult,
    ParsedCatches,
    ingest_catches,
    parse_catch_table,
    read_catch_file,
)
from ingest.errors import IngestError
from ingest.sites import ingest_sites, read_site_registry

if TYPE_CHECKING:
    from ingest.conform import normalise_grid
    from ingest.forecasts import normalise_forecast
    from ingest.grids import GridIngestResult, ingest_grids
    from ingest.store import open_forecast_store, open_grid_store

# The grid names load xarray (and its dask and netCDF stack) only when first used, so the catch path
# (`ingest_catches`) does not pay their import time and memory.
_LAZY = {"normalise_grid": "ingest.conform", "normalise_forecast": "ingest.forecasts",
         "GridIngestResult": "ingest.grids", "ingest_grids": "ingest.grids",
         "open_forecast_store": "ingest.store", "open_grid_store": "ingest.store"}


def __getattr__(name: str) -> object:
    """A grid name of the package (str in), imported from its module on first use (the object out)."""
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ingest' has no attribute {name!r}")


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
