"""The report's I/O edge: everything it shows, read once from the warehouse and the grid store into plain data."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import xarray as xr

from setnet.settings import SPECIES, Settings
from setnet.warehouse import connect

try:  # the user-editable kg-per-box table of the ingest stage (boxes are shown where a species has a weight)
    from ingest.dictionaries import read_weight_table, table_path
    from ingest.errors import IngestError
except ImportError:  # pragma: no cover - ingest reworked: the report shows kilograms only
    read_weight_table = table_path = None
    IngestError = ValueError

log = logging.getLogger(__name__)

TRACK_RECORD_DAYS = 30  # days of lead-1 forecasts compared with catches
RECENT_AVERAGE_DAYS = 7  # days of catches the forecast is compared with
STALE_CATCH_DAYS = 14  # a net with no catch in this many days gets a warning
MAP_LOOKBACK_DAYS = 7  # oldest grid day (before the issue date) the map may show
MAP_LEVELS_M = {"surface": 0.0, "50m": 50.0}  # the depths the maps and the warnings read
LEVEL_TOLERANCE_M = 15.0  # a stored depth this close to a wanted level stands for it
OUTLOOK_DAYS = 7  # days after the issue date the ocean forecast is read for
NORMAL_WINDOW_DAYS = 15  # the day-of-year normal averages the days within this many calendar days ...
NORMAL_MIN_VALUES = 10  # ... of earlier years, and needs at least this many of them
NORMAL_MIN_AGE_DAYS = 300  # days before a date that a day must be to count as an earlier year's

SITE_COLUMNS = ["site_id", "name_ja", "name_en", "coop", "lat", "lon", "depth_m", "bearing_deg"]
FORECAST_COLUMNS = ["issue_date", "target_date", "lead_days", "site_id", "species", "mean_kg", "q10_kg", "q50_kg",
                    "q90_kg", "model_version", "ocean_date"]
OPTIONAL_FORECAST_COLUMNS = ["p_zero", "p_big_catch", "big_catch_threshold_kg", "explanation", "created_at"]
EVALUATION_COLUMNS = ["model_version", "species", "lead_days", "holdout_start", "holdout_end", "n_rows", "mae_kg",
                      "rmse_kg", "coverage_80", "mae_climatology_kg", "mae_persistence_kg", "skill_vs_climatology",
                      "skill_vs_persistence"]

SITES_SQL = f"SELECT {', '.join(SITE_COLUMNS)} FROM sites ORDER BY site_id"
SPECIES_SQL = "SELECT species, name_ja, name_en FROM species"
RECENT_CATCHES_SQL = ("SELECT date, site_id, species, catch_kg FROM catches WHERE date BETWEEN ? AND ? "
                      "ORDER BY date, site_id, species")
RECENT_LEAD1_SQL = ("SELECT target_date, site_id, species, q10_kg, q50_kg, q90_kg, model_version FROM forecasts "
                    "WHERE lead_days = 1 AND target_date BETWEEN ? AND ? ORDER BY target_date, site_id, species")
MODEL_RUNS_SQL = ("SELECT r.model_version, r.species, r.trained_at, r.train_start, r.train_end FROM model_runs r "
                  "JOIN (SELECT DISTINCT model_version, species FROM forecasts WHERE issue_date = ?) f "
                  "USING (model_version, species)")
LAST_CATCH_SQL = "SELECT site_id, max(date) AS last_date FROM catches WHERE date <= ? GROUP BY site_id"


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
    forecasts: pd.DataFrame  # FORECAST_COLUMNS (+ p_big_catch) issued on issue_date, all leads
    recent_catches: pd.DataFrame  # date, site_id, species, catch_kg: the TRACK_RECORD_DAYS up to issue_date
    recent_lead1: pd.DataFrame  # lead-1 forecasts whose target_date falls in those days
    evaluations: pd.DataFrame  # EVALUATION_COLUMNS at lead 1, for the model versions of the forecasts
    model_runs: pd.DataFrame  # model_version, species, trained_at, train_start, train_end
    last_catch_dates: pd.DataFrame  # site_id, last_date: each net's latest catch on or before issue_date
    latest_catch_date: date | None  # the latest catch day in the warehouse on or before issue_date
    surface: SurfaceField | None  # the latest grid day on or before issue_date (within MAP_LOOKBACK_DAYS)
    warehouse_path: Path
    levels: tuple[SurfaceField, ...] = ()  # that day at each of MAP_LEVELS_M the store has (surface first)
    net_ocean: pd.DataFrame | None = None  # NET_OCEAN_COLUMNS: currents and temperature at each net's sea cell
    ocean_forecast_issue: date | None = None  # the ocean forecast read for the days ahead (None: none usable)
    box_kg: dict[str, float] = field(default_factory=dict)  # species -> kg in one box (箱)
    issued_at: datetime | None = None  # when the forecasts were made, in the settings' time zone

    def __post_init__(self) -> None:
        if not self.levels and self.surface is not None:  # built by hand with the surface only
            object.__setattr__(self, "levels", (self.surface,))


NET_OCEAN_COLUMNS = ["site_id", "date", "source", "level", "depth_m", "east_ms", "north_ms", "temp_c", "normal_c"]


def load_report_data(settings: Settings, issue_date: date) -> ReportData:
    """Read the warehouse and the grid store for issue_date; raises ReportError when nothing was forecast."""
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
            "sites": _frame(con, SITES_SQL),
            "species": merge_species_registry(_frame(con, SPECIES_SQL)),
            "forecasts": forecasts,
            "recent_catches": _frame(con, RECENT_CATCHES_SQL, window),
            "recent_lead1": _frame(con, RECENT_LEAD1_SQL, window),
            "evaluations": read_evaluations(con, issue_date),
            "model_runs": _frame(con, MODEL_RUNS_SQL, [issue_date]),
            "last_catch_dates": _frame(con, LAST_CATCH_SQL, [issue_date]),
        }
        latest = con.execute("SELECT max(date) FROM catches WHERE date <= ?", [issue_date]).fetchone()[0]
    levels = load_level_fields(settings.grid_store_path, issue_date)
    net_ocean, forecast_issue = load_net_ocean(settings, data["sites"], issue_date, levels)
    return ReportData(issue_date=issue_date, latest_catch_date=latest, surface=levels[0] if levels else None,
                      warehouse_path=warehouse, levels=levels, net_ocean=net_ocean,
                      ocean_forecast_issue=forecast_issue, box_kg=load_box_weights(settings),
                      issued_at=issue_time(forecasts, settings.timezone), **data)


def read_forecasts(con: duckdb.DuckDBPyConnection, issue_date: date) -> pd.DataFrame:
    """The forecasts issued on issue_date (all leads), with p_big_catch when the schema has it."""
    present = {row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'forecasts'").fetchall()}
    columns = FORECAST_COLUMNS + [c for c in OPTIONAL_FORECAST_COLUMNS if c in present]
    return _frame(con, f"SELECT {', '.join(columns)} FROM forecasts WHERE issue_date = ? "
                       "ORDER BY site_id, species, lead_days", [issue_date])


def read_evaluations(con: duckdb.DuckDBPyConnection, issue_date: date) -> pd.DataFrame:
    """Lead-1 holdout scores of the model versions that made issue_date's forecasts."""
    columns = ", ".join(f"e.{c}" for c in EVALUATION_COLUMNS)
    return _frame(con, f"SELECT {columns} FROM model_evaluations e JOIN (SELECT DISTINCT model_version, species "
                       "FROM forecasts WHERE issue_date = ?) f ON e.model_version = f.model_version "
                       "AND e.species = f.species WHERE e.lead_days = 1 ORDER BY e.species", [issue_date])


def merge_species_registry(registry: pd.DataFrame) -> pd.DataFrame:
    """The warehouse's species table, completed with setnet's SPECIES for codes it lacks."""
    known = pd.DataFrame([(sp.code, sp.name_ja, sp.name_en) for sp in SPECIES],
                         columns=["species", "name_ja", "name_en"])
    extra = known[~known.species.isin(registry.species)]
    return pd.concat([registry, extra], ignore_index=True) if not registry.empty else known


def load_surface_field(store: Path, issue_date: date, lookback_days: int = MAP_LOOKBACK_DAYS) -> SurfaceField | None:
    """The surface level of the latest grid day on or before issue_date that has data, or None."""
    levels = load_level_fields(store, issue_date, lookback_days, {"surface": 0.0})
    return levels[0] if levels else None


def _open_zarr(store: Path, what: str) -> xr.Dataset | None:
    """A Zarr store opened lazily, or None (logged) when it is absent or unreadable."""
    if not store.exists():
        log.info("no %s at %s", what, store)
        return None
    try:
        return xr.open_zarr(store, consolidated=False, chunks={})
    except (OSError, KeyError, ValueError) as error:
        log.warning("cannot open the %s %s (%s)", what, store, error)
        return None


def level_indices(depths: np.ndarray, wanted: dict[str, float] | None = None) -> dict[str, int]:
    """Level name -> index of the stored depth nearest it (within LEVEL_TOLERANCE_M; the surface always)."""
    wanted = MAP_LEVELS_M if wanted is None else wanted
    depths = np.asarray(depths, dtype=float)
    found = {}
    for name, metres in wanted.items():
        index = int(np.argmin(np.abs(depths - metres)))
        if name == "surface" or abs(depths[index] - metres) <= LEVEL_TOLERANCE_M:
            found[name] = index
    return found


def load_level_fields(store: Path, issue_date: date, lookback_days: int = MAP_LOOKBACK_DAYS,
                      wanted: dict[str, float] | None = None) -> tuple[SurfaceField, ...]:
    """The latest grid day on or before issue_date that has surface data, at each wanted level; () if none.

    Only that day is read (one time index), so a long store costs no more than a short one.
    """
    grid = _open_zarr(store, "grid store")
    if grid is None or "depth" not in grid.dims:
        return ()
    times = pd.DatetimeIndex(grid.time.values)
    issue = pd.Timestamp(issue_date)
    candidates = np.flatnonzero((times <= issue) & (times >= issue - pd.Timedelta(days=lookback_days)))
    levels = level_indices(grid.depth.values, wanted)
    names = ["temp_c", "eastward_current_ms", "northward_current_ms"]
    for time_index in candidates[::-1]:
        surface = grid["temp_c"].isel(time=int(time_index), depth=levels["surface"]).values
        if not np.isfinite(surface).any():
            continue
        day = grid[names].isel(time=int(time_index), depth=list(levels.values())).load()
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


def nearest_sea_cells(lat: np.ndarray, lon: np.ndarray, sea: np.ndarray, sites: pd.DataFrame) -> pd.DataFrame:
    """Each placed net's nearest sea cell (never a land cell by the coast): site_id, lat_index, lon_index, distance_km."""
    placed = sites.dropna(subset=["lat", "lon"])
    rows, columns = np.nonzero(sea)
    if placed.empty or rows.size == 0:
        return pd.DataFrame(columns=["site_id", "lat_index", "lon_index", "distance_km"])
    site_lat = np.radians(placed.lat.to_numpy(float))[:, None]
    site_lon = np.radians(placed.lon.to_numpy(float))[:, None]
    cell_lat, cell_lon = np.radians(np.asarray(lat, float)[rows])[None, :], np.radians(np.asarray(lon, float)[columns])[None, :]
    haversine = (np.sin((cell_lat - site_lat) / 2) ** 2
                 + np.cos(site_lat) * np.cos(cell_lat) * np.sin((cell_lon - site_lon) / 2) ** 2)
    distance_km = 2 * 6371.0 * np.arcsin(np.sqrt(haversine))
    nearest = distance_km.argmin(axis=1)
    return pd.DataFrame({"site_id": placed.site_id.to_numpy(), "lat_index": rows[nearest],
                         "lon_index": columns[nearest], "distance_km": distance_km[np.arange(len(placed)), nearest]})


def load_net_ocean(settings: Settings, sites: pd.DataFrame, issue_date: date,
                   levels: tuple[SurfaceField, ...]) -> tuple[pd.DataFrame | None, date | None]:
    """Currents and temperature at each net's nearest sea cell, with the day-of-year normal temperature.

    Rows (NET_OCEAN_COLUMNS, one per net, day and level): the analysis day of `levels` (source 'analysis') and,
    when the ocean forecast store has a forecast issued on the issue date (or up to max_grid_age_days before),
    its days after the issue date (source 'forecast'). Returns (rows or None, the forecast's issue day or None).
    """
    if not levels:
        return None, None
    analysis = levels[0]
    cells = nearest_sea_cells(analysis.lat, analysis.lon, np.isfinite(analysis.temp_c), sites)
    if cells.empty:
        return None, None
    names = list(level_indices(np.array([f.depth_m for f in levels])))
    rows = [
        pd.DataFrame({"site_id": cells.site_id, "date": pd.Timestamp(analysis.day), "source": "analysis",
                      "level": name, "depth_m": level.depth_m,
                      "east_ms": level.eastward_ms[cells.lat_index, cells.lon_index],
                      "north_ms": level.northward_ms[cells.lat_index, cells.lon_index],
                      "temp_c": level.temp_c[cells.lat_index, cells.lon_index]})
        for name, level in zip(names, levels)
    ]
    forecast, forecast_issue = _forecast_at_nets(settings, sites, issue_date)
    if forecast is not None:
        rows.append(forecast)
    frame = pd.concat(rows, ignore_index=True)
    frame["date"] = pd.to_datetime(frame.date).astype("datetime64[ns]")
    frame["normal_c"] = _normals_at_nets(settings.grid_store_path, cells, frame)
    return frame[NET_OCEAN_COLUMNS], forecast_issue


def _forecast_at_nets(settings: Settings, sites: pd.DataFrame,
                      issue_date: date) -> tuple[pd.DataFrame | None, date | None]:
    """The ocean forecast's days after issue_date at each net's sea cell, from the newest usable forecast."""
    store = _open_zarr(settings.forecast_store_path, "ocean forecast store")
    if store is None or "issue_time" not in store.dims or "lead_days" not in store.dims:
        return None, None
    try:
        issues = pd.DatetimeIndex(store.issue_time.values)
        issue = pd.Timestamp(issue_date)
        usable = np.flatnonzero((issues <= issue) & (issues >= issue - pd.Timedelta(days=settings.max_grid_age_days)))
        levels = level_indices(store.depth.values)
        for issue_index in usable[::-1]:
            issued = issues[issue_index]
            leads = np.asarray(store.lead_days.values, dtype=int)
            valid = issued + pd.to_timedelta(leads, unit="D")
            wanted = np.flatnonzero((valid > issue) & (valid <= issue + pd.Timedelta(days=OUTLOOK_DAYS)))
            if wanted.size == 0:
                continue
            one = store[["temp_c", "eastward_current_ms", "northward_current_ms"]].isel(
                issue_time=int(issue_index), lead_days=wanted, depth=list(levels.values())).load()
            sea = np.isfinite(one.temp_c.values).any(axis=(0, 1))
            cells = nearest_sea_cells(store.lat.values, store.lon.values, sea, sites)
            if cells.empty:
                continue
            lat_index = xr.DataArray(cells.lat_index.to_numpy(), dims="site")
            lon_index = xr.DataArray(cells.lon_index.to_numpy(), dims="site")
            at_nets = one.isel(lat=lat_index, lon=lon_index)  # (lead_days, depth, site)
            rows = []
            for lead_position, lead_index in enumerate(wanted):
                for level_position, (name, depth_index) in enumerate(levels.items()):
                    point = at_nets.isel(lead_days=lead_position, depth=level_position)
                    rows.append(pd.DataFrame({
                        "site_id": cells.site_id, "date": valid[lead_index], "source": "forecast", "level": name,
                        "depth_m": float(store.depth.values[depth_index]),
                        "east_ms": point.eastward_current_ms.values, "north_ms": point.northward_current_ms.values,
                        "temp_c": point.temp_c.values}))
            frame = pd.concat(rows, ignore_index=True)
            if frame[["east_ms", "north_ms"]].notna().all(axis=1).any():
                return frame, issued.date()
    except (OSError, KeyError, ValueError, IndexError) as error:
        log.warning("cannot read the ocean forecast store %s (%s): warnings use the analysis", store, error)
    return None, None


def _normals_at_nets(store_path: Path, cells: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Each row's day-of-year normal temperature at its net and level: the mean over earlier years' days within
    NORMAL_WINDOW_DAYS of the same calendar day (NaN with fewer than NORMAL_MIN_VALUES). Reads only the nets'
    cells on those days."""
    normals = np.full(len(rows), np.nan)
    grid = _open_zarr(store_path, "grid store")
    if grid is None or rows.empty:
        return normals
    try:
        times = pd.DatetimeIndex(grid.time.values)
        levels = level_indices(grid.depth.values)
        dates = pd.DatetimeIndex(rows.date.unique())
        matches = {day: _normal_days(times, day) for day in dates}
        needed = np.unique(np.concatenate([m for m in matches.values()] + [np.array([], dtype=int)]))
        if needed.size == 0:
            return normals
        lat_index = xr.DataArray(cells.lat_index.to_numpy(), dims="site")
        lon_index = xr.DataArray(cells.lon_index.to_numpy(), dims="site")
        values = (grid["temp_c"].isel(time=needed, depth=list(levels.values()))
                  .isel(lat=lat_index, lon=lon_index).values)  # (time, level, site)
        position = {t: i for i, t in enumerate(needed)}
        site_position = {s: i for i, s in enumerate(cells.site_id)}
        level_position = {name: i for i, name in enumerate(levels)}
        for row_index, row in enumerate(rows.itertuples(index=False)):
            days = [position[t] for t in matches[pd.Timestamp(row.date)]]
            if not days or row.site_id not in site_position or row.level not in level_position:
                continue
            sample = values[days, level_position[row.level], site_position[row.site_id]]
            if np.isfinite(sample).sum() >= NORMAL_MIN_VALUES:
                normals[row_index] = float(np.nanmean(sample))
    except (OSError, KeyError, ValueError, IndexError) as error:
        log.warning("cannot read normals from the grid store %s (%s): no unusual-temperature check", store_path, error)
    return normals


def _normal_days(times: pd.DatetimeIndex, day: pd.Timestamp) -> np.ndarray:
    """Indices of the store days of earlier years within NORMAL_WINDOW_DAYS calendar days of `day`."""
    distance = np.abs(times.day_of_year.to_numpy() - day.day_of_year)
    distance = np.minimum(distance, 365 - distance)
    earlier = times <= day - pd.Timedelta(days=NORMAL_MIN_AGE_DAYS)
    return np.flatnonzero(earlier & (distance <= NORMAL_WINDOW_DAYS))


def load_box_weights(settings: Settings) -> dict[str, float]:
    """Species -> kg in one box, from ingest's user-editable box table (the species-wide rows); {} if unreadable."""
    if read_weight_table is None:
        return {}
    try:
        table = read_weight_table(table_path(settings, "box_weight_table", "box_weights.csv"), "kg_per_box")
    except (IngestError, OSError) as error:
        log.warning("box weights unreadable (%s): the report shows kilograms only", error)
        return {}
    return {species: kg for (species, size_class), kg in table.items() if not size_class}


def issue_time(forecasts: pd.DataFrame, timezone: str) -> datetime | None:
    """When the forecasts were made (their latest created_at, stored in the machine's local time) in `timezone`."""
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
