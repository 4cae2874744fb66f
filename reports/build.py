"""build_report: read, draw, render and write the morning report and the index of reports."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date, datetime
from pathlib import Path

from reports.data import load_report_data
from reports.labels import labels_for
from reports.render import render_index, render_report
from setnet.settings import Settings

REPORT_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def build_report(settings: Settings, issue_date: date, lang: str = "ja") -> Path:
    """Write the morning report for issue_date to <reports_dir>/<YYYY-MM-DD>/index.html (+ update <reports_dir>/index.html); returns the report path."""
    labels_for(lang)  # an unknown language fails before any work
    issue_date = issue_date.date() if isinstance(issue_date, datetime) else issue_date
    data = load_report_data(settings, issue_date)
    html = render_report(data, lang, settings.big_catch_alert_probability)
    path = settings.reports_dir / issue_date.isoformat() / "index.html"
    write_text_atomically(path, html)
    write_index(settings.reports_dir, lang)
    return path


def report_days(reports_dir: Path) -> list[date]:
    """The days that have a report under reports_dir, newest first."""
    if not reports_dir.exists():
        return []
    days = [date.fromisoformat(folder.name) for folder in reports_dir.iterdir()
            if folder.is_dir() and REPORT_FOLDER.match(folder.name) and (folder / "index.html").exists()]
    return sorted(days, reverse=True)


def write_index(reports_dir: Path, lang: str = "ja") -> Path:
    """Write <reports_dir>/index.html listing every report present, newest first; returns its path."""
    path = reports_dir / "index.html"
    write_text_atomically(path, render_index(report_days(reports_dir), lang))
    return path


def write_text_atomically(path: Path, text: str) -> None:
    """Write UTF-8 text through a temporary file and a rename, so a reader never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as handle:
        handle.write(text)
        temporary = Path(handle.name)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
