"""The morning report a cooperative reads at dawn: tomorrow's catches per net and species with their uncertainty
and reasons, swift-current and temperature warnings, the next days, the sea, and the forecasts' track record.

Formats: one self-contained HTML page per cooperative (and one for all), an A4 PDF page per cooperative, and a
short plain-text summary. Layers: `data` (the only I/O: DuckDB and the Zarr stores -> ReportData), pure `content`,
`explain`, `alerts`, `view` (numbers -> words, per cooperative) and `charts` (PNG bytes); `render` (HTML, Jinja2
autoescaped), `pdf` (matplotlib, no browser), `summary` (text); `build` writes the files; `serve` shows them on
localhost; `delivery` sends each cooperative's summary by e-mail and LINE; `outlook` gives operators the day's
swift-current level over every net (the run record, the Prefect artifact); `kyucho_record` words the warnings'
verified record.
"""

from reports.build import FORMATS, BuiltReport, build_report, build_reports, summary_text, write_index
from reports.data import ReportData, ReportError, SurfaceField, load_report_data
from reports.delivery import CHANNELS, Delivery, deliver_summaries
from reports.outlook import KyuchoOutlook, kyucho_outlook
from reports.render import render_report
from reports.view import ReportOptions, report_view

__all__ = ["CHANNELS", "FORMATS", "BuiltReport", "Delivery", "KyuchoOutlook", "ReportData", "ReportError", "ReportOptions",
           "SurfaceField", "build_report", "build_reports", "deliver_summaries", "kyucho_outlook", "load_report_data", "render_report",
           "report_view", "summary_text", "write_index"]
