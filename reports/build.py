"""build_report: read once, then write the morning report of an issue date in every format, and the index.

Layout under settings.reports_dir (Japanese; English files carry `.en` before the suffix, side by side:
index.en.html, report.en.pdf, summary.en.txt, reports.en.json, see labels.localized_name):

    index.html                         every issue date x cooperative, newest first
    <date>/index.html                  all cooperatives on one page
    <date>/report.pdf                  one A4 page per cooperative
    <date>/summary.txt                 every cooperative's short summary
    <date>/<coop>/index.html           one cooperative (<coop> = its folder name, see content.coop_slug)
    <date>/<coop>/report.pdf           its A4 page
    <date>/<coop>/summary.txt          its short summary
    <date>/reports.json                what was written (read by the index)

A build in one language writes only that language's files: an English render leaves every Japanese file as it was.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from reports.data import ReportData, ReportError, load_report_data
from reports.labels import file_name, labels_for
from reports.pdf import write_pdfs
from reports.render import IndexEntry, chart_images, render_index, render_report
from reports.summary import report_summary
from reports.view import ReportOptions, ReportView, report_view
from setnet.settings import Settings

FORMATS = ("html", "pdf", "txt")
REPORT_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class BuiltReport:
    """The files one build wrote."""

    issue_date: date
    folder: Path
    files: list[Path] = field(default_factory=list)
    coops: list[str] = field(default_factory=list)  # folder names of the cooperatives written
    lang: str = "ja"

    @property
    def main(self) -> Path:
        """The all-cooperatives page when written, else the first file."""
        page = self.folder / file_name("html", self.lang)
        return page if page in self.files else self.files[0]


def parse_formats(formats: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """'html,pdf' or ('html', 'pdf') -> ('html', 'pdf') in FORMATS order; ValueError on an unknown format."""
    if formats is None:
        return FORMATS
    items = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats) if f.strip()]
    unknown = sorted(set(items) - set(FORMATS))
    if unknown or not items:
        raise ValueError(f"unknown report format(s) {', '.join(unknown) or '(none)'}: use some of {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in items)


def build_report(settings: Settings, issue_date: date, lang: str = "ja", coop: str | None = None,
                 formats: str | tuple[str, ...] | None = FORMATS) -> Path:
    """Write the morning report of issue_date (every cooperative, or one) in the given formats, and the index.

    Returns <reports_dir>/<date>/index.html (the all-cooperatives page; index.en.html in English) when coop is None
    and HTML is written, else the first file written. Each language has its own files (file_name), so an English
    build never overwrites the Japanese. Raises ReportError when nothing was forecast for the date or the cooperative is
    unknown, ValueError for an unknown language or format; nothing is written then.
    """
    return build_reports(settings, issue_date, lang, coop, formats).main


def build_reports(settings: Settings, issue_date: date, lang: str = "ja", coop: str | None = None,
                  formats: str | tuple[str, ...] | None = FORMATS) -> BuiltReport:
    """build_report, returning every file written."""
    labels_for(lang)  # an unknown language or format fails before any work
    formats = parse_formats(formats)
    issue_date = issue_date.date() if isinstance(issue_date, datetime) else issue_date
    data = load_report_data(settings, issue_date)
    view = report_view(data, lang, ReportOptions.from_settings(settings))
    slugs = [find_coop(view, coop)] if coop is not None else [c.slug for c in view.coops]
    folder = settings.reports_dir / issue_date.isoformat()
    built = BuiltReport(issue_date=issue_date, folder=folder, coops=slugs, lang=lang)
    if "html" in formats:
        built.files += write_html(data, view, folder, slugs, everyone=coop is None, formats=formats)
    if "pdf" in formats:
        pdf = file_name("pdf", lang)
        built.files += write_pdfs(view, data, folder / pdf if coop is None else None,
                                  {slug: folder / slug / pdf for slug in slugs})
    if "txt" in formats:
        built.files += write_summaries(view, folder, slugs, everyone=coop is None)
    write_manifest(folder, view, slugs, formats, lang, everyone=coop is None)
    write_index(settings.reports_dir, lang)
    return built


def find_coop(view: ReportView, wanted: str) -> str:
    """The folder name of the cooperative named `wanted` (its name or folder name, any width or case)."""
    def folded(text: str) -> str:
        return unicodedata.normalize("NFKC", text).strip().lower()

    for coop in view.coops:
        if folded(wanted) in (folded(coop.name), folded(coop.slug)):
            return coop.slug
    known = ", ".join(c.name for c in view.coops)
    raise ReportError(f"no cooperative {wanted!r} among the forecasts of {view.issue_date}: known: {known}")


def write_html(data: ReportData, view: ReportView, folder: Path, slugs: list[str], everyone: bool,
               formats: tuple[str, ...]) -> list[Path]:
    """The all-cooperatives page (when everyone) and each cooperative's page; every chart is drawn once."""
    images = chart_images(data, view if everyone else view_for(view, slugs))
    page = file_name("html", view.lang)
    written = []
    if everyone:
        written.append(folder / page)
        write_text_atomically(written[-1], render_report(data, view.lang, view=view, images=images))
    for slug in slugs:
        written.append(folder / slug / page)
        write_text_atomically(written[-1], render_report(data, view.lang, coop=slug, view=view, images=images,
                                                         formats=formats))
    return written


def view_for(view: ReportView, slugs: list[str]) -> ReportView:
    """The view narrowed to some cooperatives (for drawing only their charts)."""
    return replace(view, coops=[c for c in view.coops if c.slug in slugs])


def write_summaries(view: ReportView, folder: Path, slugs: list[str], everyone: bool) -> list[Path]:
    """summary.txt (summary.en.txt) for every cooperative together (when everyone) and for each one."""
    summary = file_name("txt", view.lang)
    written = []
    if everyone:
        written.append(folder / summary)
        write_text_atomically(written[-1], report_summary(view))
    for slug in slugs:
        written.append(folder / slug / summary)
        write_text_atomically(written[-1], report_summary(view, [slug]))
    return written


def summary_text(settings: Settings, issue_date: date, lang: str = "ja", coop: str | None = None,
                 markdown: bool = False) -> str:
    """The short summary of issue_date's report (every cooperative, or one) as text; markdown=True gives Markdown
    (for a Prefect artifact). Reads the warehouse like build_report and writes nothing."""
    labels_for(lang)
    data = load_report_data(settings, issue_date.date() if isinstance(issue_date, datetime) else issue_date)
    view = report_view(data, lang, ReportOptions.from_settings(settings))
    return report_summary(view, [find_coop(view, coop)] if coop is not None else None, markdown=markdown)


def write_manifest(folder: Path, view: ReportView, slugs: list[str], formats: tuple[str, ...], lang: str,
                   everyone: bool) -> Path:
    """Record in <date>/reports.json (reports.en.json) which cooperatives and formats exist in the language (merged
    with an earlier build's in that language)."""
    path = folder / file_name("manifest", lang)
    manifest = read_manifest(folder, lang)
    coops = {c["slug"]: c for c in manifest.get("coops", [])}
    names = {c.slug: c.name for c in view.coops}
    for slug in slugs:
        coops[slug] = {"name": names[slug], "slug": slug, "formats": list(formats)}
    order = [c.slug for c in view.coops]
    manifest = {
        "issue_date": view.issue_date.isoformat(),
        "lang": lang,
        "all": list(formats) if everyone else manifest.get("all", []),
        "coops": sorted(coops.values(), key=lambda c: (order.index(c["slug"]) if c["slug"] in order else len(order),
                                                       c["slug"])),
    }
    write_text_atomically(path, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    return path


def read_manifest(folder: Path, lang: str = "ja") -> dict:
    """A date folder's manifest in a language, reports.json or reports.en.json ({} when absent or unreadable)."""
    try:
        manifest = json.loads((folder / file_name("manifest", lang)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def report_days(reports_dir: Path, lang: str = "ja") -> list[date]:
    """The days that have a report in the language under reports_dir, newest first."""
    if not reports_dir.exists():
        return []
    days = [date.fromisoformat(folder.name) for folder in reports_dir.iterdir()
            if folder.is_dir() and REPORT_FOLDER.match(folder.name)
            and ((folder / file_name("html", lang)).exists() or (folder / file_name("manifest", lang)).exists())]
    return sorted(days, reverse=True)


def index_entries(reports_dir: Path, lang: str = "ja") -> list[IndexEntry]:
    """Every issue date with its cooperatives' reports in the language, newest first."""
    entries = []
    for day in report_days(reports_dir, lang):
        folder = reports_dir / day.isoformat()
        coops = [c for c in read_manifest(folder, lang).get("coops", [])
                 if isinstance(c, dict) and {"name", "slug", "formats"} <= set(c) and (folder / c["slug"]).is_dir()]
        entries.append(IndexEntry(day=day, coops=coops, has_all=(folder / file_name("html", lang)).exists()))
    return entries


def write_index(reports_dir: Path, lang: str = "ja") -> Path:
    """Write <reports_dir>/index.html (index.en.html) listing every report present in the language, newest first;
    returns its path."""
    path = reports_dir / file_name("html", lang)
    write_text_atomically(path, render_index(index_entries(reports_dir, lang), lang))
    return path


def write_text_atomically(path: Path, text: str) -> None:
    """Write UTF-8 text through a temporary file and a rename, so a reader never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as handle:
        handle.write(text)
        temporary = Path(handle.name)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
