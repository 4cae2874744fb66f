"""The report's I/O edge: everything it shows, read once from the warehouse and the stores into plain data.

The ocean at each net (what the warnings read) is the features stage's `ocean_at_nets`: the same sea cell, the
same analysis day and the same temperature normal as the model's features.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd

from features import ocean_at_nets
from features.net_ocean import NET_LEVELS, NET_OCEAN_COLUMNS
from features.ocean import DEPTH_TOLERANCE_M, level_indices
from ingest.dictionaries import read_weight_table, table_path
from ingest.store import GRID_AXIS, has_store, open_grid_store
from setnet.settings import SPECIES, Settings
from setnet.warehouse import POOLED_SITE_ID, connect, table_columns

log = logging.getLogger(__name__)

TRACK_RECORD_DAYS = 30  # days of lead-1 forecasts compared with catches
RECENT_AVERAGE_DAYS = 7  # days of catches the forecast is compared with
STALE_CATCH_DAYS = 14  # a net with no catch in this many days gets a warning
SIZE_SHARE_DAYS = 30  # days of size-class records (銘柄) whose kg shares split the expected yellowtail catch
MAP_LOOKBACK_DAYS = 7  # oldest grid day (before the issue date) the map may show
MAP_LEVELS = NET_LEVELS  # the levels the maps show, those the warnings read (surface, 50 m)
LEVEL_TOLERANCE_M = DEPTH_TOLERANCE_M  # a stored depth this close to a nominal level stands for it

SITE_COLUMNS = ["site_id", "name_ja", "name_en", "coop", "coop_en", "lat", "lon", "depth_m", "bearing_deg"]
NEWER_SITE_COLUMNS = ["coop_en"]  # migration 11: a warehouse opened read-only before it has none (read as empty)
FORECAST_COLUMNS = ["issue_date", "target_date", "lead_days", "site_id", "species", "mean_kg", "q10_kg", "q50_kg",
                    "q90_kg", "model_version", "ocean_date"]
OPTIONAL_FORECAST_COLUMNS = ["p_zero", "p_big_catch", "big_catch_threshold_kg", "explanation", "created_at",
                             "p_operate"]  # p_operate: migration 16
EVALUATION_COLUMNS = ["model_version", "species", "lead_days", "holdout_start", "holdout_end", "n_rows", "mae_kg",
                      "rmse_kg", "coverage_80", "mae_climatology_kg", "mae_persistence_kg", "skill_vs_climatology",
                      "skill_vs_persistence"]
OPTIONAL_EVALUATION_COLUMNS = ["coverage_80_pit", "coverage_80_caught", "crps_kg", "crpss_climatology",
                               "crpss_persistence", "brier_zero", "mae_mean_kg"]  # read when the schema has them

SPECIES_SQL = "SELECT species, name_ja, name_en FROM species"
RECENT_CATCHES_SQL = ("SELECT date, site_id, species, catch_kg FROM catches WHERE date BETWEEN ? AND ? "
                      "ORDER BY date, site_id, species")
RECENT_LEAD1_SQL = ("SELECT target_date, site_id, species, mean_kg, q10_kg, q50_kg, q90_kg, model_version "
                    "FROM forecasts WHERE lead_days = 1 AND target_date BETWEEN ? AND ? ORDER BY target_date, site_id, species")
MODEL_RUNS_SQL = ("SELECT r.model_version, r.species, r.trained_at, r.train_start, r.train_end FROM model_runs r "
                  "JOIN (SELECT DISTINCT model_version, species FROM forecasts WHERE issue_date = ?) f "
                  "USING (model_version, species)")
RECORD_MODELS_SQL = ("SELECT r.model_version, max(r.train_end) AS train_end, min(f.first_issue) AS first_issue "
                     "FROM model_runs r JOIN (SELECT model_version, species, min(issue_date) AS first_issue "
                     "FROM forecasts WHERE lead_days = 1 AND target_date BETWEEN ? AND ? GROUP BY ALL) f "
                     "USING (model_version, species) GROUP BY ALL ORDER BY 1")
LAST_CATCH_SQL = "SELECT site_id, max(date) AS last_date FROM catches WHERE date <= ? GROUP BY site_id"
LATEST_CATCHES_SQL = ("SELECT date, site_id, species, catch_kg FROM catches WHERE date <= ? "
                      "QUALIFY row_number() OVER (PARTITION BY site_id, species ORDER BY date DESC) = 1 "
                      "ORDER BY site_id, species")
LATEST_NO_OPERATION_SQL = ("SELECT site_id, max(date) AS date FROM no_operation_days WHERE date <= ? "
                           "GROUP BY site_id ORDER BY site_id")
SIZE_SHARES_SQL = ("WITH k AS (SELECT site_id, species, size_class, sum(catch_kg) AS kg FROM catch_size_classes "
                   "WHERE date BETWEEN ? AND ? GROUP BY site_id, species, size_class) "
                   "SELECT site_id, species, size_class, kg / sum(kg) OVER (PARTITION BY site_id, species) AS share "
                   "FROM k QUALIFY sum(kg) OVER (PARTITION BY site_id, species) > 0 ORDER BY site_id, species, size_class")
KYUCHO_RECORD_COLUMNS = ["through_date", "site_id", "tier", "lead_days", "hits", "misses", "false_alarms",
                         "correct_negatives", "hit_rate", "false_alarm_ratio", "mean_lead_gained_days", "first_day",
                         "last_day"]
KYUCHO_RECORD_SQL = (f"SELECT {', '.join(KYUCHO_RECORD_COLUMNS)} FROM kyucho_record WHERE through_date = "
                     "(SELECT max(through_date) FROM kyucho_record WHERE through_date <= ?) ORDER BY site_id, tier, lead_days")


class ReportError(RuntimeError):
    """The report cannot be written: its inputs are missing."""


@dataclass(frozen=True)
class SurfaceField:
    """One day's ocean at one depth level on the grid: temperature and currents on (lat, lon), NaN on land."""

    day: date
    depth_m: float
    lat: np.ndarray
    lon: np.ndarray
    temp_c: np.ndarray
    eastward_ms: np.ndarray
    northward_ms: np.ndarray


@dataclass(frozen=True)
class ReportData:
    """Everything one morning report shows, as plain frames (dates as datetime64 columns)."""

    issue_date: date
    sites: pd.DataFrame  # SITE_COLUMNS, every net in the registry
    species: pd.DataFrame  # species, name_ja, name_en (registry merged with setnet's SPECIES)
    forecasts: pd.DataFrame  # FORECAST_COLUMNS (+ those of OPTIONAL_FORECAST_COLUMNS stored) issued on issue_date
    recent_catches: pd.DataFrame  # date, site_id, species, catch_kg: the TRACK_RECORD_DAYS up to issue_date
    recent_lead1: pd.DataFrame  # lead-1 forecasts (mean_kg, q10/q50/q90_kg) whose target_date falls in those days
    evaluations: pd.DataFrame  # site_id + EVALUATION_COLUMNS at lead 1 of the forecasts' model versions: pooled, per net
    model_runs: pd.DataFrame  # model_version, species, trained_at, train_start, train_end
    last_catch_dates: pd.DataFrame  # site_id, last_date: each net's latest catch on or before issue_date
    latest_catch_date: date | None  # the latest catch day in the warehouse on or before issue_date
    surface: SurfaceField | None  # the latest grid day on or before issue_date (within MAP_LOOKBACK_DAYS)
    warehouse_path: Path
    levels: tuple[SurfaceField, ...] = ()  # that day at each of MAP_LEVELS the store has (surface first)
    net_ocean: pd.DataFrame | None = None  # NET_OCEAN_COLUMNS: the features' ocean at each net (features.ocean_at_nets)
    ocean_forecast_issue: date | None = None  # the ocean forecast read for the days ahead (None: none usable)
    box_kg: dict[str, float] = field(default_factory=dict)  # species -> kg in one box (箱)
    made_at: datetime | None = None  # when the run made the forecasts (wall clock), in the settings' time zone
    latest_catches: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["date", "site_id", "species", "catch_kg"]))  # each net and species' latest catch up to issue_date
    latest_no_operation: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["site_id", "date"]))  # each net's latest day recorded as not hauled (休漁) up to issue_date
    size_shares: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["site_id", "species", "size_class", "share"]))  # kg shares by size class, the SIZE_SHARE_DAYS
    fish_kg: dict[tuple[str, str], float] = field(default_factory=dict)  # (species, size class) -> kg of one fish
    # the models of recent_lead1: model_version, train_end (their training data's last day), first_issue (of theirs)
    record_models: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the swift-current warnings' verified record (KYUCHO_RECORD_COLUMNS) stored through the latest day on or before
    # issue_date (`models.training.store_kyucho_record`); empty when none was stored (no hourly forecast archive)
    kyucho_record: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=KYUCHO_RECORD_COLUMNS))

    def __post_init__(self) -> None:
        if not self.levels and self.surface is not None:  # built by hand with the surface only
            object.__setattr__(self, "levels", (self.surface,))



_loaded_once: ContextVar[dict[tuple[str, date], ReportData] | None] = ContextVar("setnet_report_data_once",
                                                                                 default=None)


@contextmanager
def report_data_loaded_once() -> Iterator[None]:
    """Inside, `load_report_data` reads each (warehouse, issue date) once: a run that writes the report, then sends
    its summaries and publishes it, after its forecasts are written and before anything changes them."""
    token = _loaded_once.set({})
    try:
        yield
    finally:
        _loaded_once.reset(token)


def load_report_data(settings: Settings, issue_date: date) -> ReportData:
    """Read the warehouse and the stores for issue_date; raises ReportError when nothing was forecast.

    Inside `report_data_loaded_once()`, the data read first for this warehouse and issue date."""
    memo = _loaded_once.get()
    key = (str(settings.warehouse_path), issue_date)
    if memo is not None and key in memo:
        return memo[key]
    data = _read_report_data(settings, issue_date)
    if memo is not None:
        memo[key] = data
    return data


def _read_report_data(settings: Settings, issue_date: date) -> ReportData:
    warehouse = settings.warehouse_path
    missing = ReportError(f"no forecasts for {issue_date} in {warehouse}: run `setnet forecast --date {issue_date}` first")
    if not warehouse.exists():
        raise missing
    with connect(warehouse, read_only=True) as con:
        forecasts = read_forecasts(con, issue_date)
        if forecasts.empty:
            raise missing
        window_start = issue_date - timedelta(days=TRACK_RECORD_DAYS - 1)
        window = [window_start, issue_date]
        data = {
            "sites": read_sites(con),
            "species": merge_species_registry(_frame(con, SPECIES_SQL)),
            "forecasts": forecasts,
            "recent_catches": _frame(con, RECENT_CATCHES_SQL, window),
            "recent_lead1": _frame(con, RECENT_LEAD1_SQL, window),
            "evaluations": read_evaluations(con, issue_date),
            "model_runs": _frame(con, MODEL_RUNS_SQL, [issue_date]),
            "last_catch_dates": _frame(con, LAST_CATCH_SQL, [issue_date]),
            "latest_catches": _frame(con, LATEST_CATCHES_SQL, [issue_date]),
            "latest_no_operation": _frame(con, LATEST_NO_OPERATION_SQL, [issue_date]),
            "size_shares": read_size_shares(con, issue_date),
            "record_models": _frame(con, RECORD_MODELS_SQL, window),
            "kyucho_record": read_kyucho_record(con, issue_date),
        }
        latest = con.execute("SELECT max(date) FROM catches WHERE date <= ?", [issue_date]).fetchone()[0]
    levels = load_level_fields(settings.grid_store_path, issue_date)
    net_ocean, forecast_issue = load_net_ocean(settings, data["sites"], issue_date)
    return ReportData(issue_date=issue_date, latest_catch_date=latest, surface=levels[0] if levels else None,
                      warehouse_path=warehouse, levels=levels, net_ocean=net_ocean,
                      ocean_forecast_issue=forecast_issue, box_kg=load_box_weights(settings),
                      fish_kg=load_fish_weights(settings),
                      made_at=made_time(forecasts, settings.timezone), **data)


def read_sites(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The site registry (SITE_COLUMNS; a column of NEWER_SITE_COLUMNS the schema lacks is empty)."""
    present = table_columns(con, "sites")
    columns = [c if c in present or c not in NEWER_SITE_COLUMNS else f"NULL::VARCHAR AS {c}" for c in SITE_COLUMNS]
    return _frame(con, f"SELECT {', '.join(columns)} FROM sites ORDER BY site_id")


def read_forecasts(con: duckdb.DuckDBPyConnection, issue_date: date) -> pd.DataFrame:
    """The forecasts issued on issue_date (all leads): FORECAST_COLUMNS and those of OPTIONAL_FORECAST_COLUMNS
    (p_zero, p_big_catch, its threshold, explanation, created_at) the schema has."""
    present = {row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'forecasts'").fetchall()}
    columns = FORECAST_COLUMNS + [c for c in OPTIONAL_FORECAST_COLUMNS if c in present]
    return _frame(con, f"SELECT {', '.join(columns)} FROM forecasts WHERE issue_date = ? "
                       "ORDER BY site_id, species, lead_days", [issue_date])


def read_evaluations(con: duckdb.DuckDBPyConnection, issue_date: date) -> pd.DataFrame:
    """Lead-1 backtest scores of the model versions that made issue_date's forecasts (their own out-of-sample
    record): one row per species pooled over the nets (site_id POOLED_SITE_ID) and one per net and species;
    site_id, EVALUATION_COLUMNS and those of OPTIONAL_EVALUATION_COLUMNS the schema has."""
    present = table_columns(con, "model_evaluations")
    columns = EVALUATION_COLUMNS + [c for c in OPTIONAL_EVALUATION_COLUMNS if c in present]
    site = "e.site_id" if "site_id" in present else f"'{POOLED_SITE_ID}' AS site_id"
    return _frame(con, f"SELECT {site}, {', '.join(f'e.{c}' for c in columns)} FROM model_evaluations e "
                       "JOIN (SELECT DISTINCT model_version, species FROM forecasts WHERE issue_date = ?) f "
                       "ON e.model_version = f.model_version AND e.species = f.species WHERE e.lead_days = 1 "
                       "ORDER BY e.species, site_id", [issue_date])


def merge_species_registry(registry: pd.DataFrame) -> pd.DataFrame:
    """The warehouse's species table, completed with setnet's SPECIES for codes it lacks."""
    known = pd.DataFrame([(sp.code, sp.name_ja, sp.name_en) for sp in SPECIES],
                         columns=["species", "name_ja", "name_en"])
    extra = known[~known.species.isin(registry.species)]
    return pd.concat([registry, extra], ignore_index=True) if not registry.empty else known


def load_surface_field(store: Path, issue_date: date, lookback_days: int = MAP_LOOKBACK_DAYS) -> SurfaceField | None:
    """The surface level of the latest grid day on or before issue_date that has data, or None."""
    levels = load_level_fields(store, issue_date, lookback_days, ("surface",))
    return levels[0] if levels else None


def load_level_fields(store: Path, issue_date: date, lookback_days: int = MAP_LOOKBACK_DAYS,
                      wanted: tuple[str, ...] = MAP_LEVELS) -> tuple[SurfaceField, ...]:
    """The latest grid day on or before issue_date that has surface data, at each wanted level the store has; ()
    if none (or no store).

    Only that day is read (one time index), so a long store costs no more than a short one.
    """
    if not has_store(store):
        log.info("no grid store at %s: no maps", store)
        return ()
    grid = open_grid_store(store)
    present = level_indices(np.asarray(grid.depth.values, dtype=float))
    levels = {name: present[name] for name in wanted if name in present}
    if "surface" not in levels:
        return ()
    times = pd.DatetimeIndex(grid[GRID_AXIS].values)
    issue = pd.Timestamp(issue_date)
    candidates = np.flatnonzero((times <= issue) & (times >= issue - pd.Timedelta(days=lookback_days)))
    names = ["temp_c", "eastward_current_ms", "northward_current_ms"]
    for time_index in candidates[::-1]:
        surface = grid["temp_c"].isel({GRID_AXIS: int(time_index), "depth": levels["surface"]}).values
        if not np.isfinite(surface).any():
            continue
        day = grid[names].isel({GRID_AXIS: int(time_index), "depth": list(levels.values())}).load()
        return tuple(
            SurfaceField(
                day=times[time_index].date(), depth_m=float(grid.depth.values[index]),
                lat=np.asarray(grid.lat.values, dtype=float), lon=np.asarray(grid.lon.values, dtype=float),
                temp_c=np.asarray(day.temp_c.values[position], dtype=float),
                eastward_ms=np.asarray(day.eastward_current_ms.values[position], dtype=float),
                northward_ms=np.asarray(day.northward_current_ms.values[position], dtype=float),
            )
            for position, index in enumerate(levels.values())
        )
    return ()


def load_net_ocean(settings: Settings, sites: pd.DataFrame,
                   issue_date: date) -> tuple[pd.DataFrame | None, date | None]:
    """The ocean at each net (NET_OCEAN_COLUMNS, from `features.ocean_at_nets`) and the ocean forecast's issue day.

    (None, None) without a grid store or any row; the issue day is None when no usable ocean forecast was read.
    """
    if not has_store(settings.grid_store_path):
        log.info("no grid store at %s: no ocean warnings", settings.grid_store_path)
        return None, None
    frame = ocean_at_nets(settings, sites, issue_date)
    if frame.empty:
        return None, None
    issued = frame.forecast_issue_date.dropna()
    return frame[NET_OCEAN_COLUMNS], (pd.Timestamp(issued.max()).date() if len(issued) else None)


def read_kyucho_record(con: duckdb.DuckDBPyConnection, issue_date: date) -> pd.DataFrame:
    """The swift-current warnings' record stored through the latest day on or before issue_date (nothing known after
    it), KYUCHO_RECORD_COLUMNS; empty when none is stored (or the warehouse predates the table)."""
    if not table_columns(con, "kyucho_record"):
        return pd.DataFrame(columns=KYUCHO_RECORD_COLUMNS)
    return _frame(con, KYUCHO_RECORD_SQL, [issue_date])


def load_box_weights(settings: Settings) -> dict[str, float]:
    """Species -> kg in one box, from ingest's user-editable box table (the species-wide rows); {} if unreadable."""
    try:
        table = read_weight_table(table_path(settings, "box_weight_table", "box_weights.csv"), "kg_per_box")
    except (ValueError, OSError) as error:  # ingest's IngestError is a ValueError
        log.warning("box weights unreadable (%s): the report shows kilograms only", error)
        return {}
    return {species: kg for (species, size_class), kg in table.items() if not size_class}


def read_size_shares(con: duckdb.DuckDBPyConnection, issue_date: date) -> pd.DataFrame:
    """Each net and species' share of kg by size class over the SIZE_SHARE_DAYS up to issue_date (site_id, species,
    size_class, share); empty when the warehouse keeps no size classes (before migration 8, or none ingested)."""
    if not table_columns(con, "catch_size_classes"):
        return pd.DataFrame(columns=["site_id", "species", "size_class", "share"])
    start = issue_date - timedelta(days=SIZE_SHARE_DAYS - 1)
    return _frame(con, SIZE_SHARES_SQL, [start, issue_date])


def load_fish_weights(settings: Settings) -> dict[tuple[str, str], float]:
    """(species, size class) -> kg of one fish, from ingest's user-editable fish table; {} if unreadable."""
    try:
        return read_weight_table(table_path(settings, "fish_weight_table", "fish_weights.csv"), "kg_per_fish")
    except (ValueError, OSError) as error:
        log.warning("fish weights unreadable (%s): the report shows no fish counts", error)
        return {}


def made_time(forecasts: pd.DataFrame, timezone: str) -> datetime | None:
    """When the run made the forecasts (their latest created_at, stored in the machine's local time) in `timezone`:
    the run's wall clock, not the issue time (the report is issued the evening of its issue date)."""
    if "created_at" not in forecasts or forecasts.created_at.isna().all():
        return None
    made = pd.Timestamp(forecasts.created_at.max())
    if made.tzinfo is None:
        made = made.tz_localize(datetime.now().astimezone().tzinfo)
    return made.tz_convert(ZoneInfo(timezone)).to_pydatetime()


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    """A query's result as a DataFrame whose DATE/TIMESTAMP columns are datetime64[ns]."""
    frame = con.execute(sql, params or []).df()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]) or column in ("date", "last_date"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame
