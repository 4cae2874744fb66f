"""Operations: what makes a run safe to schedule, rerun and overlap, and honest about late data.

- `run_lock`: one writing run per data folder at a time (an `fcntl.flock` on `<data-dir>/.setnet.lock`); a second
  run waits up to `Settings.operations.run_lock_wait_seconds`, then refuses naming the run that holds the folder.
- `recorded_run`: the lock, recovery of what a killed run left (a half-written grid store, by the `recover_stores`
  callable the flows pass in from ingest; a run still marked running), and the run's row in `flow_runs` (what it
  handled, degraded or not and why, how it ended).
- `check_inputs` / `degradation`: whether an issue date's inputs are late (degraded, with reasons) or missing
  (`MissingInput`, naming the input and the latest day there is).
- `refresh_reasons`: what arrived since an issue date's forecasts were made (the 02:00 refresh re-issues only then).
- `catch_digest` / `changed_dates` / `rescored_issue_dates`: which forecasts late catches now score
  (the `forecast_scores` view joins forecasts with the catches stored so far).
- the drop folders' paths (`grid_inbox`, `catch_inbox`; reading them and downloading: `ingest.inbox`).

Nothing here knows Prefect or imports a stage: the flows pass plain values (paths, dates, run ids) and ingest's
store recovery in.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from setnet.settings import Settings
from setnet.warehouse import connect, upsert

log = logging.getLogger(__name__)

LOCK_NAME = ".setnet.lock"
ISSUING_FLOWS = ("daily", "refresh", "backfill", "forecast")  # flows whose runs issue forecasts


class SetnetBusy(RuntimeError):
    """Another setnet run holds the data folder."""


class MissingInput(ValueError):
    """An input the forecast needs is missing, or older than the configured limit."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def today(settings: Settings) -> date:
    """Today's date where the nets are (Settings.timezone)."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


def current_issue_date(settings: Settings, now: datetime | None = None) -> date:
    """The issue date whose forecast is current: today from noon, yesterday before noon (the 02:00 refresh
    re-issues the evening before's forecast)."""
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(settings.timezone))
    return local.date() if local.hour >= 12 else local.date() - timedelta(days=1)


# --- the run lock ------------------------------------------------------------------------------------------------

_held: dict[Path, int] = {}  # lock files this process holds -> nesting depth (a flow calling a subflow)
_held_guard = threading.Lock()


def lock_path(settings: Settings) -> Path:
    return settings.data_dir / LOCK_NAME


def lock_holder(settings: Settings) -> dict[str, Any]:
    """What the lock file says about the run holding it ({} if it says nothing)."""
    try:
        return json.loads(lock_path(settings).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _busy_message(settings: Settings, holder: dict[str, Any]) -> str:
    who = (f"pid {holder.get('pid', '?')}, flow {holder.get('flow', '?')}, started {holder.get('started', '?')}"
           + (f", issue date {holder['issue_date']}" if holder.get("issue_date") else ""))
    return f"another setnet run ({who}) holds {settings.data_dir}; try again when it ends"


@contextmanager
def run_lock(settings: Settings, flow: str, issue_date: date | None = None,
             wait_seconds: float | None = None) -> Iterator[bool]:
    """Hold the data folder for one writing run; yields True in the outermost holder of this process.

    Non-blocking `flock` polled until `wait_seconds` (default Settings.operations.run_lock_wait_seconds) have passed, then
    SetnetBusy. Re-entrant within a process (a flow that calls subflows takes it once). The kernel releases the
    lock when the holding process ends, however it ends, so a killed run never leaves a stale lock.
    """
    path = lock_path(settings)
    key = path.absolute()
    with _held_guard:
        nested = key in _held
        if nested:
            _held[key] += 1
    if nested:
        try:
            yield False
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    wait = settings.operations.run_lock_wait_seconds if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + wait
    waited = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = lock_holder(settings)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SetnetBusy(_busy_message(settings, holder)) from None
                if not waited:
                    log.warning("waiting up to %.0f s: %s", remaining, _busy_message(settings, holder))
                    waited = True
                time.sleep(min(0.5, remaining))
    except BaseException:
        os.close(fd)
        raise
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "flow": flow,
              "issue_date": str(issue_date) if issue_date else None,
              "started": datetime.now(ZoneInfo(settings.timezone)).isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
    with _held_guard:
        _held[key] = 1
    try:
        yield True
    finally:
        with _held_guard:
            del _held[key]
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


# --- the flow_runs record ---------------------------------------------------------------------------------------

@dataclass
class RunRecord:
    """One row of `flow_runs`; a flow fills in what it handled, `recorded_run` writes it at start and end."""

    run_id: str
    flow: str
    issue_date: date | None
    started_at: datetime
    state: str = "running"  # running | completed | skipped | failed | crashed
    finished_at: datetime | None = None
    sites: int | None = None
    forecasts: int | None = None
    model_versions: list[str] = field(default_factory=list)
    ocean_date: date | None = None
    degraded: bool = False
    reasons: list[str] = field(default_factory=list)
    inputs_watermark: str | None = None
    message: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    kyucho_level: str | None = None  # the swift-current level issued: warning / advisory / none / unknown (no forecast)
    engine: str | None = None  # prefect (a Prefect flow run) | local (run in its own process, without Prefect)
    phase_seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase (ingest, features, ...)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time what runs inside as phase `name` (added to its seconds in `phase_seconds`)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phase_seconds[name] = round(self.phase_seconds.get(name, 0.0) + time.perf_counter() - started, 3)

    def phase_line(self) -> str:
        """'ingest 0.4 s, features 2.1 s, forecast 1.3 s, report 3.0 s' ('' before any phase ran)."""
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phase_seconds.items())

    def note(self, **values: Any) -> None:
        """Set fields from a summary dict (unknown keys are ignored; reasons are added, not replaced)."""
        for name, value in values.items():
            if name == "reasons":
                self.reasons += [r for r in value if r not in self.reasons]
                self.degraded = self.degraded or bool(self.reasons)
            elif name in self.__dataclass_fields__ and value is not None:
                setattr(self, name, value)

    def row(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "run_id": self.run_id, "flow": self.flow, "issue_date": self.issue_date, "state": self.state,
            "started_at": self.started_at, "finished_at": self.finished_at, "pid": os.getpid(),
            "host": socket.gethostname(), "sites": self.sites, "forecasts": self.forecasts,
            "model_versions": ",".join(self.model_versions) or None,
            "ocean_date": pd.Timestamp(self.ocean_date).date() if self.ocean_date else None,
            "degraded": bool(self.degraded), "reasons": json.dumps(self.reasons, ensure_ascii=False),
            "inputs_watermark": self.inputs_watermark, "message": self.message,
            "parameters": json.dumps(self.parameters, default=str, ensure_ascii=False),
            "kyucho_level": self.kyucho_level,
            "engine": self.engine,
            "phase_seconds": json.dumps(self.phase_seconds) if self.phase_seconds else None,
        }]).astype({"issue_date": "object", "ocean_date": "object", "sites": "Int64", "forecasts": "Int64",
                    "finished_at": "datetime64[us]", "model_versions": "object", "inputs_watermark": "object",
                    "message": "object", "kyucho_level": "object",
                    "engine": "object", "phase_seconds": "object"})


def _save(settings: Settings, record: RunRecord) -> None:
    with connect(settings.warehouse_path) as con:
        upsert(con, "flow_runs", record.row())


StoreRecovery = Callable[[Settings], list[str]]  # settings -> notes of the half-done store writes it undid


def recover_interrupted(settings: Settings, recover_stores: StoreRecovery) -> list[str]:
    """Undo what a killed run left half-done; call holding the lock, before writing. Returns what it did.

    `recover_stores` (the flows pass `ingest.recovery.recover_interrupted_writes`) undoes a grid write whose
    warehouse transaction never committed (the next ingest of the same file stores it again); then runs still
    marked running in `flow_runs` become `crashed`.
    """
    if not settings.warehouse_path.exists():
        return []
    notes = list(recover_stores(settings))
    with connect(settings.warehouse_path) as con:
        crashed = con.execute(
            "UPDATE flow_runs SET state = 'crashed', finished_at = ?, message = coalesce(message, "
            "'the run ended without finishing (killed or lost its machine)') WHERE state = 'running' "
            "RETURNING flow, issue_date, started_at", [_now()]).fetchall()
    notes += [f"run {flow} {issue or ''} started {started:%Y-%m-%d %H:%M} UTC had crashed".replace("  ", " ")
              for flow, issue, started in crashed]
    for note in notes:
        log.warning("%s", note)
    return notes


@contextmanager
def holding(settings: Settings, flow: str, issue_date: date | None = None, wait_seconds: float | None = None, *,
            recover_stores: StoreRecovery) -> Iterator[list[str]]:
    """Hold the run lock; the outermost holder first recovers what a killed run left (yields what it recovered)."""
    with run_lock(settings, flow, issue_date, wait_seconds) as outermost:
        yield recover_interrupted(settings, recover_stores) if outermost else []


@contextmanager
def recorded_run(settings: Settings, flow: str, issue_date: date | None = None, run_id: str | None = None,
                 parameters: dict[str, Any] | None = None, wait_seconds: float | None = None, *,
                 recover_stores: StoreRecovery, engine: str | None = None) -> Iterator[RunRecord]:
    """Hold the run lock, recover what a killed run left, and keep this run's row of `flow_runs` up to date.

    The row is written `running` at the start and `completed` (or the state the flow set, e.g. `skipped`) or
    `failed` with the error's first line at the end. A run killed outright stays `running` until the next run on
    the folder marks it `crashed`. `recover_stores`: see `recover_interrupted`. `engine`: how the flow runs
    ('prefect' or 'local', stored in the row).
    """
    with holding(settings, flow, issue_date, wait_seconds, recover_stores=recover_stores) as notes:
        record = RunRecord(run_id or uuid.uuid4().hex, flow, issue_date, _now(), parameters=parameters or {},
                           message="; ".join(notes) or None, engine=engine)
        _save(settings, record)
        try:
            yield record
        except BaseException as error:
            record.state = "failed" if isinstance(error, Exception) else "cancelled"
            text = str(error).strip()
            record.message = text.splitlines()[0] if text else type(error).__name__
            record.finished_at = _now()
            try:
                _save(settings, record)
            except Exception:  # the original error matters more
                log.exception("could not record the failed run %s", record.run_id)
            raise
        record.state = "completed" if record.state == "running" else record.state
        record.finished_at = _now()
        _save(settings, record)


def list_runs(settings: Settings, limit: int = 20) -> pd.DataFrame:
    """The latest rows of `flow_runs`, newest first (none before anything ran)."""
    if not settings.warehouse_path.exists():
        return pd.DataFrame()
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute("SELECT * FROM flow_runs ORDER BY started_at DESC LIMIT ?", [limit]).df()


# --- late and missing inputs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InputStatus:
    """How fresh an issue date's inputs are: the latest grid and catch days on or before it, and why it is degraded."""

    issue_date: date
    latest_grid_day: date | None
    latest_catch_day: date | None
    reasons: list[str]

    @property
    def degraded(self) -> bool:
        return bool(self.reasons)


def _as_date(value: Any) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def check_inputs(settings: Settings, issue_date: date) -> InputStatus:
    """Whether issue_date can be forecast: MissingInput past the limits, else the reasons it is degraded (if any).

    The ocean grid of the issue date may be up to `max_grid_age_days` old (the forecast then starts from the
    latest day there is, and says so); catches older than `max_catch_age_days` make the forecast degraded too.
    """
    grid_hint = f"put the provider files in {grid_inbox(settings)} or run `setnet ingest grids PATH`"
    if not settings.warehouse_path.exists():
        raise MissingInput(f"ocean grid and catches missing: no warehouse at {settings.warehouse_path}; ingest first")
    with connect(settings.warehouse_path, read_only=True) as con:
        grid_day = _as_date(con.execute("SELECT max(date) FROM grid_days WHERE date <= ?", [issue_date]).fetchone()[0])
        catch_day = _as_date(con.execute("SELECT max(date) FROM catches WHERE date <= ?", [issue_date]).fetchone()[0])
    limit = settings.max_grid_age_days
    if grid_day is None:
        raise MissingInput(f"ocean grid missing: no grid day on or before {issue_date} in {settings.grid_store_path}; "
                           f"{grid_hint}")
    grid_age = (issue_date - grid_day).days
    if grid_age > limit:
        raise MissingInput(f"ocean grid of {issue_date} missing: the latest grid day is {grid_day}, {grid_age} days "
                           f"old, past the limit of {limit} (max_grid_age_days); {grid_hint}")
    reasons = []
    if grid_age > 0:
        reasons.append(f"ocean grid of {issue_date} has not arrived: forecast from the grid of {grid_day} "
                       f"({grid_age} day{'s' if grid_age > 1 else ''} old, limit {limit})")
    if catch_day is None:
        raise MissingInput(f"catches missing: none on or before {issue_date} in {settings.warehouse_path}; put the "
                           f"cooperative files in {catch_inbox(settings)} or run `setnet ingest catches PATH`")
    catch_age = (issue_date - catch_day).days
    if catch_age > settings.operations.max_catch_age_days:
        reasons.append(f"catches after {catch_day} have not arrived ({catch_age} days before {issue_date}, limit "
                       f"{settings.operations.max_catch_age_days}): recent catch history is stale")
    return InputStatus(issue_date, grid_day, catch_day, reasons)


def degradation(settings: Settings, issue_date: date) -> list[str]:
    """Why issue_date's forecasts are degraded ([] when they are not, or none were made).

    The reasons recorded by the latest completed run that issued them (`flow_runs`); for forecasts made outside
    a recorded run, the ocean day they started from (`forecasts.ocean_date`) against the issue date.
    """
    if not settings.warehouse_path.exists():
        return []
    with connect(settings.warehouse_path, read_only=True) as con:
        recorded = con.execute(
            f"SELECT reasons FROM flow_runs WHERE issue_date = ? AND state = 'completed' AND forecasts IS NOT NULL "
            f"AND flow IN ({', '.join('?' * len(ISSUING_FLOWS))}) ORDER BY finished_at DESC LIMIT 1",
            [issue_date, *ISSUING_FLOWS]).fetchone()
        ocean = con.execute("SELECT min(ocean_date), count(*) FROM forecasts WHERE issue_date = ?",
                            [issue_date]).fetchone()
    if recorded is not None:
        return list(json.loads(recorded[0] or "[]"))
    if not ocean[1]:
        return []
    ocean_day = _as_date(ocean[0])
    if ocean_day is None:
        return ["the ocean day the forecasts started from is unknown"]
    if ocean_day < issue_date:
        age = (issue_date - ocean_day).days
        return [(f"ocean grid of {issue_date} had not arrived: forecast from the grid of {ocean_day} "
                 f"({age} day{'s' if age > 1 else ''} old)")]
    return []


def inputs_watermark(settings: Settings) -> str:
    """A mark of every input file stored so far (count and latest ingest time of `ingested_files`): it changes
    exactly when a new or changed file is stored."""
    with connect(settings.warehouse_path, read_only=True) as con:
        count, latest = con.execute(
            "SELECT count(*), max(ingested_at) FROM ingested_files WHERE outcome = 'stored'").fetchone()
    return f"{count}|{pd.Timestamp(latest).isoformat() if latest is not None else '-'}"


def refresh_reasons(settings: Settings, issue_date: date, limit: int = 5) -> list[str]:
    """What arrived since issue_date's forecasts were made ([]: nothing, a re-issue would change nothing)."""
    with connect(settings.warehouse_path, read_only=True) as con:
        made = con.execute("SELECT count(*), min(created_at) FROM forecasts WHERE issue_date = ?",
                           [issue_date]).fetchone()
        if not made[0]:
            return [f"no forecast issued for {issue_date} yet"]
        issued = con.execute(
            f"SELECT inputs_watermark FROM flow_runs WHERE issue_date = ? AND state = 'completed' "
            f"AND inputs_watermark IS NOT NULL AND flow IN ({', '.join('?' * len(ISSUING_FLOWS))}) "
            f"ORDER BY finished_at DESC LIMIT 1", [issue_date, *ISSUING_FLOWS]).fetchone()
        if issued is not None:
            mark = issued[0]
            since = None if mark.endswith("|-") else pd.Timestamp(mark.split("|", 1)[1])
            if mark == inputs_watermark(settings):
                return []
        else:  # forecasts made outside a recorded run: compare with their creation time
            since = pd.Timestamp(made[1])
        query = "SELECT kind, file, ingested_at FROM ingested_files WHERE outcome = 'stored'"
        arrived = con.execute(query + (" AND ingested_at > ?" if since is not None else "") + " ORDER BY ingested_at",
                              [since] if since is not None else []).df()
    if arrived.empty:
        return [] if issued is None else [f"input files changed since {issue_date}'s forecasts were made"]
    reasons = [f"new {row.kind} file {Path(row.file).name} stored {pd.Timestamp(row.ingested_at):%Y-%m-%d %H:%M}"
               for row in arrived.head(limit).itertuples()]
    if len(arrived) > limit:
        reasons.append(f"and {len(arrived) - limit} more file(s)")
    return reasons


# --- late catches -----------------------------------------------------------------------------------------------

def catch_digest(settings: Settings) -> dict[str, str]:
    """Per catch date (ISO), a digest of its rows: compare two to see which dates an ingest changed."""
    if not settings.warehouse_path.exists():
        return {}
    with connect(settings.warehouse_path, read_only=True) as con:
        rows = con.execute("SELECT date, count(*), sum(catch_kg) FROM catches GROUP BY date").fetchall()
    return {str(_as_date(day)): f"{count}:{total:.6f}" for day, count, total in rows}


def changed_dates(before: dict[str, str], after: dict[str, str]) -> list[date]:
    """Dates whose catches an ingest added, changed or removed."""
    return sorted(date.fromisoformat(d) for d in set(before) | set(after) if before.get(d) != after.get(d))


def rescored_issue_dates(settings: Settings, dates: list[date]) -> list[date]:
    """Issue dates with forecasts for any of `dates`: their scores in `forecast_scores` changed."""
    if not dates or not settings.warehouse_path.exists():
        return []
    with connect(settings.warehouse_path, read_only=True) as con:
        con.register("_dates", pd.DataFrame({"target_date": dates}))
        found = con.execute("SELECT DISTINCT f.issue_date FROM forecasts f JOIN _dates d USING (target_date) "
                            "ORDER BY 1").fetchall()
    return [_as_date(day) for (day,) in found]


def track_record(settings: Settings, issue_dates: list[date] | None = None) -> pd.DataFrame:
    """Per issue date and lead: forecasts, how many are scored by stored catches, MAE of the median, 80 % hits."""
    where = "" if issue_dates is None else "WHERE issue_date IN (SELECT issue_date FROM _issues)"
    with connect(settings.warehouse_path, read_only=True) as con:
        if issue_dates is not None:
            con.register("_issues", pd.DataFrame({"issue_date": issue_dates}))
        return con.execute(
            "SELECT issue_date, lead_days, count(*) AS forecasts, count(*) FILTER (WHERE scored) AS scored, "
            "avg(abs_error_kg) AS mae_kg, avg(inside_80::INTEGER) AS coverage_80 "
            f"FROM forecast_scores {where} GROUP BY issue_date, lead_days ORDER BY issue_date, lead_days").df()


# --- drop folders ---------------------------------------------------------------------------------

def grid_inbox(settings: Settings) -> Path:
    return settings.operations.grid_drop_dir or settings.data_dir / "inbox" / "grids"


def catch_inbox(settings: Settings) -> Path:
    return settings.operations.catch_drop_dir or settings.data_dir / "inbox" / "catches"
