"""The morning report a cooperative reads at dawn: tomorrow's catches per net and species, with their uncertainty,
the next days, the sea, and the forecasts' track record, as one self-contained HTML page.

Layers: `data` (the only I/O: DuckDB and the Zarr grid store -> ReportData), `content` and `charts` (pure
functions: numbers, sentences, PNG bytes), `render` (Jinja2, autoescaped) and `build` (writes the files).
"""

from reports.build import build_report, write_index
from reports.data import ReportData, ReportError, SurfaceField, load_report_data
from reports.render import render_report

__all__ = ["ReportData", "ReportError", "SurfaceField", "build_report", "load_report_data", "render_report",
           "write_index"]
