"""Undo the store writes a killed run left half-done: the ingest side of a run's start-up recovery.

A grid or forecast write journals the store files it changes (`ingest.store`) and commits by writing its
`ingested_files` row; a journal whose write id the warehouse never committed is undone. The flows call this
through `setnet.operations.recorded_run(..., recover_stores=recover_interrupted_writes)`, so `setnet/` never
imports a stage.
"""

from __future__ import annotations

from ingest.store import recover_store
from setnet.settings import Settings
from setnet.warehouse import connect


def recover_interrupted_writes(settings: Settings) -> list[str]:
    """Settings -> one note per store (grid, ocean forecast) whose uncommitted write was undone; [] if none."""
    if not settings.warehouse_path.exists():
        return []
    with connect(settings.warehouse_path) as con:
        def committed(write_id: str) -> bool:
            return con.execute("SELECT 1 FROM ingested_files WHERE write_id = ?", [write_id]).fetchall() != []

        return [f"{store.name}: undid a write a killed run left half-done"
                for store in (settings.grid_store_path, settings.forecast_store_path) if recover_store(store, committed)]
