"""Ocean forecasts of the sample world, as Copernicus Marine's global analysis-forecast delivers them.

For each of the world's last `forecast_days` issue days (forecast archives are short), two files:

- a daily file: one issue time (`forecast_reference_time`, 00:00 UTC of the issue day), leads 0..9 days, daily
  means of thetao, uo, vo (3 depths) and zos on the analysis grid;
- an hourly file: surface uo, vo every hour for leads 0..5 days (hours 0..143 after the issue time), over the bay.

Each forecast is the world's own later analysis plus an error that grows with lead (`lead_error_sd`): spatially
smooth fields, correlated from one lead to the next (AR(1), `LEAD_ERROR_MEMORY`), with standard deviations
`TEMP_ERROR_SD_C` (+ per day), `CURRENT_ERROR_SD_MS` and `SSH_ERROR_SD_M`; swift-current (急潮) episodes are
forecast with an amplitude error and, hourly, a timing error that also grow with lead.

The hourly "truth" behind the hourly files: the daily analysis current interpolated in time, its daily swift-current
part replaced by hourly episodes (onset hour, rise to a peak, decay; along the coast with the coast on the right),
plus a tide (M2 and K1 along the coast). The episodes are written to `truth/kyucho_hourly.csv`.

All randomness comes from a generator seeded from (seed, FORECAST_STREAM), apart from the world's own: adding
forecasts changes none of the world's other files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy.ndimage import gaussian_filter

from sample_world.geography import DEPTHS_M, LATITUDES, LONGITUDES
from sample_world.ocean import KYUCHO_DEPTH_WEIGHT, OceanState, coastal_geometry
from sample_world.writers import GRID_VARIABLES, TIME_ENCODING

FORECAST_STREAM = 14  # the second entry of the forecasts' seed sequence (the world draws from seed alone)
FORECAST_DAYS = 60  # issue days written: the world's last 60 days
DAILY_LEADS = 10  # leads 0..9 days
HOURLY_LEAD_DAYS = 6  # leads 0..5 days, hourly
# Error standard deviation = intercept + slope * lead_days (lead 1: ~0.5 C; lead 7: ~1.2 C).
TEMP_ERROR_SD_C = (0.38, 0.12)
TEMP_ERROR_DEPTH_WEIGHT = np.array([1.0, 0.8, 0.6])
CURRENT_ERROR_SD_MS = (0.03, 0.03)  # per component; relative to the currents' spread, it grows faster
SSH_ERROR_SD_M = (0.01, 0.008)
KYUCHO_AMPLITUDE_SD = (0.05, 0.08)  # relative error of a forecast swift current's speed
KYUCHO_TIMING_SD_H = (1.0, 1.5)  # hours
LEAD_ERROR_MEMORY = 0.8  # correlation of the error from one lead to the next
ERROR_SMOOTHING_CELLS = 4.0
# Tidal currents along the coast (m/s, period h): weak in Toyama Bay.
TIDES = ((0.06, 12.42), (0.04, 23.93))
HOURLY_BOX = ((36.70, 37.30), (136.90, 137.90))  # (lat, lon) ranges of the hourly files: the bay
FORECAST_REFERENCE_ATTRS = {"standard_name": "forecast_reference_time", "long_name": "Forecast issue time"}


@dataclass(frozen=True)
class ForecastFiles:
    """Where the forecasts went."""

    daily: list[Path]  # forecasts/YYYY/toyama_phy_fc_YYYYMMDD.nc
    hourly: list[Path]  # forecasts_hourly/YYYY/toyama_cur_fc_PT1H_YYYYMMDD.nc
    episodes: pd.DataFrame  # the hourly swift-current episodes (truth)


def lead_error_sd(intercept_slope: tuple[float, float], lead_days: np.ndarray | float) -> np.ndarray:
    """Error standard deviation at each lead: intercept + slope * lead_days."""
    intercept, slope = intercept_slope
    return intercept + slope * np.asarray(lead_days, dtype=float)


def error_fields(rng: np.random.Generator, n_issues: int, n_leads: int, shape: tuple[int, int]) -> np.ndarray:
    """(issue, lead, lat, lon) unit-SD errors, smooth in space, AR(1) along the lead."""
    white = gaussian_filter(rng.standard_normal((n_issues, n_leads, *shape)),
                            sigma=(0, 0, ERROR_SMOOTHING_CELLS, ERROR_SMOOTHING_CELLS), mode="reflect")
    white /= white.std(axis=(2, 3), keepdims=True)
    out = np.empty_like(white)
    out[:, 0] = white[:, 0]
    for lead in range(1, n_leads):
        out[:, lead] = LEAD_ERROR_MEMORY * out[:, lead - 1] + np.sqrt(1 - LEAD_ERROR_MEMORY**2) * white[:, lead]
    return out


def hourly_episodes(rng: np.random.Generator, events: pd.DataFrame, kyucho_ms: np.ndarray,
                    dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The world's kyucho events with hours: onset (UTC), peak time, end, peak speed (m/s)."""
    rows = []
    for event in events[events.kind == "kyucho"].itertuples(index=False):
        start, end = pd.Timestamp(event.start), pd.Timestamp(event.end)
        span = dates.get_indexer(pd.date_range(start, end + pd.Timedelta(days=1)))
        peak_ms = float(np.nanmax(kyucho_ms[span[span >= 0]]))
        onset = start + pd.Timedelta(hours=float(rng.uniform(0, 18)))
        peak = onset + pd.Timedelta(hours=float(rng.uniform(4, 14)))
        stop = max(peak + pd.Timedelta(hours=6), end + pd.Timedelta(hours=float(rng.uniform(12, 30))))
        rows.append({"onset_utc": onset.round("h"), "peak_utc": peak.round("h"), "end_utc": stop.round("h"),
                     "peak_ms": round(peak_ms, 3)})
    return pd.DataFrame(rows, columns=["onset_utc", "peak_utc", "end_utc", "peak_ms"])


def episode_speed_ms(episodes: pd.DataFrame, hours: pd.DatetimeIndex, shift_h: np.ndarray | float = 0.0,
                     amplitude: np.ndarray | float = 1.0) -> np.ndarray:
    """(hour,) swift-current speed: a rise from onset to peak, then a decay to the end; shifted and scaled."""
    t = (hours.to_numpy() - np.datetime64("1950-01-01")) / np.timedelta64(1, "h") - shift_h
    speed = np.zeros(len(hours))
    for row in episodes.itertuples(index=False):
        onset, peak, end = ((pd.Timestamp(x) - pd.Timestamp("1950-01-01")) / pd.Timedelta(hours=1)
                            for x in (row.onset_utc, row.peak_utc, row.end_utc))
        rise = np.clip((t - onset) / max(peak - onset, 1.0), 0, 1)
        fall = np.clip((end - t) / max(end - peak, 1.0), 0, 1)
        shape = np.where(t <= peak, np.sin(0.5 * np.pi * rise) ** 2, np.sin(0.5 * np.pi * fall) ** 2)
        speed = np.maximum(speed, row.peak_ms * shape)
    return speed * amplitude


def tide_ms(hours: pd.DatetimeIndex) -> np.ndarray:
    """(hour,) tidal current along the coast, m/s."""
    t = (hours.to_numpy() - np.datetime64("1950-01-01")) / np.timedelta64(1, "h")
    return sum(amp * np.cos(2 * np.pi * t / period) for amp, period in TIDES)


def _time_coord(values: pd.DatetimeIndex) -> tuple:
    return ("time", values.to_numpy(dtype="datetime64[ns]"), {"standard_name": "time", "axis": "T"})


def _coords(times: pd.DatetimeIndex, depths: np.ndarray, lats: np.ndarray, lons: np.ndarray,
            issued: pd.Timestamp) -> dict:
    return {
        "time": _time_coord(times),
        "depth": ("depth", depths.astype(np.float32),
                  {"standard_name": "depth", "units": "m", "positive": "down", "axis": "Z"}),
        "latitude": ("latitude", lats.astype(np.float32),
                     {"standard_name": "latitude", "units": "degrees_north", "axis": "Y"}),
        "longitude": ("longitude", lons.astype(np.float32),
                      {"standard_name": "longitude", "units": "degrees_east", "axis": "X"}),
        "forecast_reference_time": ((), np.datetime64(issued, "ns"), FORECAST_REFERENCE_ATTRS),
    }


def _variable(name: str, dims: tuple, values: np.ndarray) -> tuple:
    standard_name, units, long_name = GRID_VARIABLES[name]
    return dims, values.astype(np.float32), {"standard_name": standard_name, "units": units, "long_name": long_name}


def _write(ds: xr.Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    packed = {"dtype": "float32", "_FillValue": np.float32(np.nan), "zlib": True, "complevel": 1}
    encoding: dict[str, dict] = {name: dict(packed) for name in ds.data_vars}
    encoding |= {"time": TIME_ENCODING, "forecast_reference_time": TIME_ENCODING,
                 **{c: {"_FillValue": None} for c in ("depth", "latitude", "longitude")}}
    ds.to_netcdf(path, format="NETCDF4", engine="netcdf4", encoding=encoding)
    return path


def write_forecasts(root: Path, seed: int, dates: pd.DatetimeIndex, ocean: OceanState, land: np.ndarray,
                    forecast_days: int = FORECAST_DAYS) -> ForecastFiles:
    """Daily (leads 0..9) and hourly (surface currents, leads 0..5 days) forecast files for the last
    `forecast_days` issue days; a valid day past the world's end is forecast from the last analysis (persisted)."""
    rng = np.random.default_rng([seed, FORECAST_STREAM])
    n_days = len(dates)
    issues = dates[max(0, n_days - forecast_days):]
    n_issues, shape = len(issues), land.shape
    sea = ~land
    coast_weight, along_east, along_north = coastal_geometry(land)
    episodes = hourly_episodes(rng, ocean.events, ocean.kyucho_ms, dates)
    leads = np.arange(DAILY_LEADS)
    temp_err = error_fields(rng, n_issues, DAILY_LEADS, shape)
    east_err = error_fields(rng, n_issues, DAILY_LEADS, shape)
    north_err = error_fields(rng, n_issues, DAILY_LEADS, shape)
    ssh_err = error_fields(rng, n_issues, DAILY_LEADS, shape)
    amplitude = 1 + lead_error_sd(KYUCHO_AMPLITUDE_SD, leads)[None] * rng.standard_normal((n_issues, DAILY_LEADS))
    amplitude = np.clip(amplitude, 0.2, None)
    timing_h = lead_error_sd(KYUCHO_TIMING_SD_H, leads)[None] * rng.standard_normal((n_issues, DAILY_LEADS))
    temp_sd = lead_error_sd(TEMP_ERROR_SD_C, leads)[:, None, None, None] * TEMP_ERROR_DEPTH_WEIGHT[None, :, None, None]
    current_sd = lead_error_sd(CURRENT_ERROR_SD_MS, leads)[:, None, None]
    ssh_sd = lead_error_sd(SSH_ERROR_SD_M, leads)[:, None, None]
    swift_unit = coast_weight * sea  # (lat, lon) share of the swift current reaching each cell
    depth_weight = KYUCHO_DEPTH_WEIGHT[:, None, None]

    rows = np.flatnonzero((HOURLY_BOX[0][0] - 1e-6 <= LATITUDES) & (HOURLY_BOX[0][1] + 1e-6 >= LATITUDES))
    cols = np.flatnonzero((HOURLY_BOX[1][0] - 1e-6 <= LONGITUDES) & (HOURLY_BOX[1][1] + 1e-6 >= LONGITUDES))
    box = np.ix_(rows, cols)
    centres = dates + pd.Timedelta(hours=12)  # daily means are centred at noon
    surface_e = ocean.east_ms[:, 0][:, rows][:, :, cols]
    surface_n = ocean.north_ms[:, 0][:, rows][:, :, cols]

    daily_paths, hourly_paths = [], []
    for i, issued in enumerate(issues):
        valid = dates.get_indexer(issued + pd.to_timedelta(leads, unit="D"))
        index = np.where(valid >= 0, valid, n_days - 1)  # beyond the world's end: the last analysis
        kyucho = ocean.kyucho_ms[index]
        extra = ((amplitude[i] - 1) * kyucho)[:, None, None, None] * depth_weight[None] * swift_unit[None, None]
        east = ocean.east_ms[index] + extra * along_east + current_sd[:, None] * east_err[i][:, None]
        north = ocean.north_ms[index] + extra * along_north + current_sd[:, None] * north_err[i][:, None]
        temp = ocean.temp_c[index] + temp_sd * temp_err[i][:, None]
        ssh = ocean.ssh_m[index] + ssh_sd * ssh_err[i]
        times = issued + pd.to_timedelta(leads, unit="D")
        dims4, dims3 = ("time", "depth", "latitude", "longitude"), ("time", "latitude", "longitude")
        daily = xr.Dataset({"thetao": _variable("thetao", dims4, np.where(sea, temp, np.nan)),
                            "uo": _variable("uo", dims4, np.where(sea, east, np.nan)),
                            "vo": _variable("vo", dims4, np.where(sea, north, np.nan)),
                            "zos": _variable("zos", dims3, np.where(sea, ssh, np.nan))},
                           coords=_coords(times, DEPTHS_M, LATITUDES, LONGITUDES, issued),
                           attrs=_attrs("Daily mean ocean physics forecast, Toyama Bay (synthetic, "
                                        "GLO12 analysis-forecast layout)", issued))
        daily_paths.append(_write(daily, root / "forecasts" / f"{issued:%Y}" / f"toyama_phy_fc_{issued:%Y%m%d}.nc"))

        hours = pd.date_range(issued, periods=HOURLY_LEAD_DAYS * 24, freq="h")
        lead_of_hour = np.arange(len(hours)) // 24
        position = (hours.to_numpy() - centres[0].to_datetime64()) / np.timedelta64(1, "D")
        low = np.clip(np.floor(position).astype(int), 0, n_days - 1)
        high = np.clip(low + 1, 0, n_days - 1)
        frac = np.clip(position - np.floor(position), 0, 1)[:, None, None]
        base_e = (1 - frac) * surface_e[low] + frac * surface_e[high]
        base_n = (1 - frac) * surface_n[low] + frac * surface_n[high]
        daily_swift = ((1 - frac[:, 0, 0]) * ocean.kyucho_ms[low] + frac[:, 0, 0] * ocean.kyucho_ms[high])
        hourly_swift = episode_speed_ms(episodes, hours, timing_h[i, lead_of_hour], amplitude[i, lead_of_hour])
        along_speed = (hourly_swift - daily_swift)[:, None, None] * swift_unit[box][None] + tide_ms(hours)[:, None, None]
        error_e = current_sd[lead_of_hour] * east_err[i][lead_of_hour][(slice(None), *box)]
        error_n = current_sd[lead_of_hour] * north_err[i][lead_of_hour][(slice(None), *box)]
        hourly_e = base_e + along_speed * along_east[box] + error_e
        hourly_n = base_n + along_speed * along_north[box] + error_n
        mask = sea[box][None, None]
        dims = ("time", "depth", "latitude", "longitude")
        hourly = xr.Dataset({"uo": _variable("uo", dims, np.where(mask, hourly_e[:, None], np.nan)),
                             "vo": _variable("vo", dims, np.where(mask, hourly_n[:, None], np.nan))},
                            coords=_coords(hours, DEPTHS_M[:1], LATITUDES[rows], LONGITUDES[cols], issued),
                            attrs=_attrs("Hourly surface currents forecast with tides, Toyama Bay (synthetic, "
                                         "GLO12 PT1H layout)", issued))
        hourly_paths.append(_write(hourly, root / "forecasts_hourly" / f"{issued:%Y}"
                                   / f"toyama_cur_fc_PT1H_{issued:%Y%m%d}.nc"))
    return ForecastFiles(daily=daily_paths, hourly=hourly_paths, episodes=episodes)


def _attrs(title: str, issued: pd.Timestamp) -> dict:
    return {"Conventions": "CF-1.6", "title": title, "source": "setnet sample world (synthetic)",
            "institution": "setnet", "forecast_reference_time": f"{issued:%Y-%m-%dT%H:%M:%SZ}"}
