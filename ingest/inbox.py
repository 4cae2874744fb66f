"""Drop folders and downloads: what the scheduled ingest runs read.

Providers' files land in the grid drop folder (`Settings.operations.grid_drop_dir`, default `<data-dir>/inbox/grids`), by
download from `Settings.operations.grid_urls` or by whatever copies them there; cooperatives' files in the catch drop folder
(`Settings.operations.catch_drop_dir`, default `<data-dir>/inbox/catches`). Ingesting a drop folder again is cheap and
changes nothing: files already stored unchanged are skipped by checksum. Hidden files and `.part` files (a copy or
download in progress) are left for the next run.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ingest.catches import CATCH_SUFFIXES, CatchIngestResult, ingest_catches
from ingest.grids import NETCDF_SUFFIXES, GridIngestResult, ingest_grids
from setnet.operations import catch_digest, catch_inbox, changed_dates, grid_inbox, rescored_issue_dates
from setnet.settings import Settings


class RemoteMissing(Exception):
    """A URL answered 'not found': the provider has not published the file yet (not worth retrying now)."""


def inbox_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files with one of `suffixes` under `folder` (recursively, sorted), hidden ones left out; [] if no folder."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in suffixes
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def grid_urls_for(settings: Settings, day: date, templates: list[str] | None = None) -> list[str]:
    """The grid URLs to fetch for `day`: `templates` (default Settings.operations.grid_urls), each one with '{date...}'
    (e.g. '{date:%Y%m%d}') filled for every day from max_grid_age_days before `day` to `day`."""
    urls: list[str] = []
    for template in settings.operations.grid_urls if templates is None else templates:
        if "{date" in template:
            urls += [template.format(date=day - timedelta(days=back))
                     for back in range(settings.max_grid_age_days, -1, -1)]
        else:
            urls.append(template)
    return list(dict.fromkeys(urls))


_SECRET_KEY = re.compile(r"token|key|pass|secret|sig|auth|credential|session", re.IGNORECASE)


def shown_url(url: str) -> str:
    """A URL as logs and messages show it: a password in it and query values named like secrets (token, apikey,
    password, signature ...) replaced by '***'."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = "&".join(f"{key}=***" if _SECRET_KEY.search(key) else (f"{key}={value}" if value or "=" in pair else key)
                     for pair in parts.query.split("&") if pair
                     for key, _, value in [pair.partition("=")])
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def fetch(url: str, folder: Path, timeout_s: float = 120.0) -> Path:
    """Download `url` into `folder` under the URL's file name, unless a file of that name is there already.

    Written to a hidden `.<name>.part` and renamed, so a killed download never looks like a file. RemoteMissing
    when the server says not found (not published yet); other failures raise OSError (worth retrying).
    """
    name = Path(urllib.parse.urlparse(url).path).name
    if not name:
        raise ValueError(f"{shown_url(url)}: no file name in the URL")
    target = folder / name
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.part"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, partial.open("wb") as out:
            while block := response.read(1 << 20):
                out.write(block)
    except urllib.error.HTTPError as error:
        partial.unlink(missing_ok=True)
        if error.code in (404, 410):
            raise RemoteMissing(f"{shown_url(url)}: not published yet ({error.code})") from None
        raise
    except urllib.error.URLError as error:
        partial.unlink(missing_ok=True)
        if isinstance(error.reason, FileNotFoundError):  # file:// URLs
            raise RemoteMissing(f"{shown_url(url)}: not published yet (no such file)") from None
        raise
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return target


def ingest_grid_inbox(settings: Settings, folder: Path | None = None) -> GridIngestResult | None:
    """Ingest the NetCDF files of the grid drop folder (None when it holds none); rejected files are listed in
    the result, not raised."""
    files = inbox_files(folder or grid_inbox(settings), NETCDF_SUFFIXES)
    if not files:
        return None
    return ingest_grids(settings, files, raise_on_rejected=False)


@dataclass
class CatchInboxResult:
    """A catch drop folder ingested: the ingest result, the catch dates it changed, the issue dates it rescored."""

    result: CatchIngestResult | None
    dates_changed: list[date] = field(default_factory=list)
    issue_dates_rescored: list[date] = field(default_factory=list)

    def summary(self) -> str:
        if self.result is None:
            return "no catch files in the drop folder"
        text = self.result.summary()
        if self.dates_changed:
            first, last = self.dates_changed[0], self.dates_changed[-1]
            text += f"; catches of {len(self.dates_changed)} day(s) {first}..{last} changed"
        if self.issue_dates_rescored:
            first, last = self.issue_dates_rescored[0], self.issue_dates_rescored[-1]
            text += (f"; forecasts issued {first}..{last} ({len(self.issue_dates_rescored)} day(s)) "
                     "now scored against them (forecast_scores)")
        return text


def ingest_catch_inbox(settings: Settings, folder: Path | None = None) -> CatchInboxResult:
    """Ingest the catch files of the catch drop folder; late catches (for days already forecast) are reported
    with the issue dates whose forecasts they now score."""
    files = inbox_files(folder or catch_inbox(settings), CATCH_SUFFIXES)
    if not files:
        return CatchInboxResult(None)
    before = catch_digest(settings)
    result = ingest_catches(settings, files, raise_on_unreadable=False)
    dates = changed_dates(before, catch_digest(settings))
    return CatchInboxResult(result, dates, rescored_issue_dates(settings, dates))
