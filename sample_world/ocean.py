"""Daily ocean fields over Toyama Bay: temperature, currents and sea surface height, vectorised over time x lat x lon.

Plausible, not a model: a seasonal climatology per depth, smooth random anomalies with day-to-day memory, warm
tongues of the Tsushima Warm Current entering from the north, a weak cyclonic gyre in the bay, and short swift
coastal-current episodes (急潮, kyucho) with sea-level jumps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.ndimage import distance_transform_edt, gaussian_filter
from scipy.signal import lfilter

from sample_world.geography import BAY_CENTRE, LATITUDES, LONGITUDES, grid_km

# Climatology per depth level (0.5 m, 47 m, 92 m): annual mean, half range, day of year of the minimum.
TEMP_MEAN_C = np.array([18.5, 15.5, 13.5])
TEMP_HALF_RANGE_C = np.array([8.5, 5.0, 3.5])
TEMP_COLDEST_DOY = np.array([62.0, 92.0, 112.0])  # early March at the surface, later and weaker below
TEMP_ANOMALY_SD_C = 0.7
TEMP_MEMORY_DAYS = 10.0
ANOMALY_SHALLOW_WEIGHT = np.array([1.0, 0.6, 0.3])  # depth weights of the two anomaly fields
ANOMALY_DEEP_WEIGHT = np.array([0.2, 0.6, 1.0])
INTRUSION_DEPTH_WEIGHT = np.array([0.6, 1.0, 0.75])  # warm tongues are strongest at 50 m
CURRENT_DEPTH_WEIGHT = np.array([1.0, 0.6, 0.35])
KYUCHO_DEPTH_WEIGHT = np.array([1.0, 0.8, 0.5])
GYRE_RADIUS_KM = 25.0
GYRE_MAX_SPEED_MS = 0.15
CURRENT_NOISE_SD_MS = 0.07
CURRENT_MEMORY_DAYS = 4.0
SSH_SEASONAL_HALF_RANGE_M = 0.2
SSH_HIGHEST_DOY = 240.0  # late August
SSH_ANOMALY_SD_M = 0.04
SSH_PER_WARM_C = 0.03


@dataclass(frozen=True)
class OceanState:
    """The generated cube (NaN on land) plus what drove it, for the catch model and the truth."""

    temp_c: np.ndarray  # (day, depth, lat, lon)
    east_ms: np.ndarray  # (day, depth, lat, lon)
    north_ms: np.ndarray  # (day, depth, lat, lon)
    ssh_m: np.ndarray  # (day, lat, lon)
    kyucho_ms: np.ndarray  # (day,) peak coastal swift-current speed of the day, 0 when calm
    events: pd.DataFrame  # warm intrusions and kyucho episodes: kind, start, end, strength


def day_of_year(dates: pd.DatetimeIndex) -> np.ndarray:
    """Day of year as float (1..366)."""
    return dates.day_of_year.to_numpy().astype(float)


def seasonal_cosine(doy: np.ndarray, peak_doy: float | np.ndarray) -> np.ndarray:
    """cos of the annual phase: +1 on `peak_doy`, -1 half a year later."""
    return np.cos(2 * np.pi * (doy - peak_doy) / 365.25)


def ar1_filter(white: np.ndarray, memory_days: float) -> np.ndarray:
    """Unit-variance AR(1) series along axis 0 from unit-variance white noise, e-folding after `memory_days`."""
    phi = np.exp(-1.0 / memory_days)
    start = white.copy()
    start[0] = white[0] / np.sqrt(1 - phi**2)  # stationary from day one
    return lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], start, axis=0)


def smooth_random_field(rng: np.random.Generator, n_days: int, shape: tuple[int, int],
                        sigma_cells: float, memory_days: float) -> np.ndarray:
    """(day, lat, lon) field, spatially smooth, AR(1) in time, unit standard deviation."""
    white = rng.standard_normal((n_days, *shape))
    smooth = gaussian_filter(white, sigma=(0, sigma_cells, sigma_cells), mode="reflect")
    smooth /= smooth.std(axis=(1, 2), keepdims=True).mean()
    field = ar1_filter(smooth, memory_days)
    return field / field.std()


def climatology_temp_c(doy: np.ndarray) -> np.ndarray:
    """(day, depth) mean temperature: about 10 C in early March to 27 C in late August at the surface."""
    return TEMP_MEAN_C - TEMP_HALF_RANGE_C * seasonal_cosine(doy[:, None], TEMP_COLDEST_DOY)


def offshore_gradient_c(doy: np.ndarray, y_km: np.ndarray) -> np.ndarray:
    """(day, lat, lon) winter warming offshore (Tsushima water) against a cold bay head: +1 C per 100 km north."""
    winter = 0.5 * (1 + seasonal_cosine(doy, 30.0))
    return winter[:, None, None] * (y_km / 100.0)[None]


def warm_intrusions(rng: np.random.Generator, dates: pd.DatetimeIndex, x_km: np.ndarray,
                    y_km: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """(day, lat, lon) warming (C, at 50 m) from warm tongues entering from the north; and the list of events."""
    n_days = len(dates)
    doy = day_of_year(dates)
    weight = 1 + 0.8 * seasonal_cosine(doy, 280.0)  # more in summer and autumn, when the warm current is strong
    n_events = rng.poisson(3.0 * n_days / 365.0)
    starts = np.sort(rng.choice(n_days, size=n_events, replace=False, p=weight / weight.sum()))
    warm_c = np.zeros((n_days, *x_km.shape))
    target_x, target_y = 0.0, (36.85 - BAY_CENTRE[0]) * 110.57  # the head of the bay
    rows = []
    for start in starts:
        amp_c, width_km = rng.uniform(1.0, 3.0), rng.uniform(15.0, 30.0)
        rise_days, hold_days, decay_days = rng.integers(3, 8), rng.integers(2, 7), rng.uniform(5.0, 10.0)
        entry_lon = rng.uniform(136.9, 137.8)
        entry_x = (entry_lon - BAY_CENTRE[1]) * 111.32 * np.cos(np.radians(BAY_CENTRE[0]))
        entry_y = (38.05 - BAY_CENTRE[0]) * 110.57
        axis = np.array([target_x - entry_x, target_y - entry_y])
        length_km = np.hypot(*axis)
        axis /= length_km
        along_km = (x_km - entry_x) * axis[0] + (y_km - entry_y) * axis[1]
        across_km = -(x_km - entry_x) * axis[1] + (y_km - entry_y) * axis[0]
        lateral = np.exp(-0.5 * (across_km / width_km) ** 2) * 0.5 * (1 + np.tanh((along_km + 10) / 10))
        stop = min(n_days, start + rise_days + hold_days + int(4 * decay_days))
        age = np.arange(stop - start)
        reach_km = (length_km + 10) * np.minimum(1.0, (age + 1) / rise_days)
        strength = amp_c * np.where(age < rise_days + hold_days, 1.0,
                                    np.exp(-(age - rise_days - hold_days) / decay_days))
        front = 0.5 * (1 + np.tanh((reach_km[:, None, None] - along_km[None]) / 12.0))
        warm_c[start:stop] += strength[:, None, None] * front * lateral[None]
        rows.append(("warm_intrusion", dates[start].date(), dates[stop - 1].date(), round(amp_c, 2), "C at 50 m"))
    return warm_c, pd.DataFrame(rows, columns=["kind", "start", "end", "strength", "unit"])


def kyucho_episodes(rng: np.random.Generator, dates: pd.DatetimeIndex) -> tuple[np.ndarray, pd.DataFrame]:
    """(day,) coastal swift-current speed (m/s): a few 1-3 day episodes a year, more in autumn and winter."""
    n_days = len(dates)
    doy = day_of_year(dates)
    weight = 1 + 0.8 * seasonal_cosine(doy, 330.0)
    n_events = rng.poisson(4.0 * n_days / 365.0)
    starts = np.sort(rng.choice(n_days, size=n_events, replace=False, p=weight / weight.sum()))
    speed_ms = np.zeros(n_days)
    rows = []
    for start in starts:
        peak_ms, duration_days = rng.uniform(0.5, 1.0), int(rng.integers(1, 4))  # plus the background flow
        profile = np.r_[rng.uniform(0.6, 0.95, duration_days), 0.3]  # last entry: the day it dies down
        profile[rng.integers(0, duration_days)] = 1.0
        stop = min(n_days, start + len(profile))
        speed_ms[start:stop] = np.maximum(speed_ms[start:stop], peak_ms * profile[: stop - start])
        rows.append(("kyucho", dates[start].date(), dates[min(n_days, start + duration_days) - 1].date(),
                     round(peak_ms, 2), "m/s along the coast"))
    return speed_ms, pd.DataFrame(rows, columns=["kind", "start", "end", "strength", "unit"])


def coastal_geometry(land: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: weight of the coastal band (1 at the coast, fading offshore) and the along-coast unit vector
    (east, north) with the coast on the right, the way coastal-trapped waves travel in the northern hemisphere."""
    dy_km = 0.05 * 110.57
    dx_km = 0.05 * 111.32 * np.cos(np.radians(BAY_CENTRE[0]))
    distance_km = gaussian_filter(distance_transform_edt(~land, sampling=(dy_km, dx_km)), sigma=1.0)
    d_north, d_east = np.gradient(distance_km, dy_km, dx_km)  # points offshore
    norm = np.hypot(d_east, d_north) + 1e-9
    along_east, along_north = d_north / norm, -d_east / norm  # offshore normal turned 90 degrees clockwise
    weight = np.exp(-np.maximum(distance_km - 6.0, 0.0) / 10.0)
    return weight, along_east, along_north


def mean_circulation(doy: np.ndarray, x_km: np.ndarray, y_km: np.ndarray,
                     lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, lat, lon) surface east/north current (m/s) and SSH (m): a cyclonic bay gyre, the warm current
    offshore flowing east-north-east, and the seasonal sea level."""
    r2 = (x_km**2 + y_km**2) / GYRE_RADIUS_KM**2
    psi_scale = GYRE_MAX_SPEED_MS * GYRE_RADIUS_KM * np.exp(0.5)
    gyre_east = -psi_scale * y_km / GYRE_RADIUS_KM**2 * np.exp(-0.5 * r2)  # counter-clockwise round a low
    gyre_north = psi_scale * x_km / GYRE_RADIUS_KM**2 * np.exp(-0.5 * r2)
    offshore = 0.5 * (1 + np.tanh((lat[:, None] - 37.6) / 0.08)) * np.ones_like(x_km)
    jet_ms = 0.2 + 0.1 * seasonal_cosine(doy, 240.0)  # Tsushima Warm Current, strongest in late summer
    east = gyre_east[None] + jet_ms[:, None, None] * offshore[None] * np.cos(np.radians(20))
    north = gyre_north[None] + jet_ms[:, None, None] * offshore[None] * np.sin(np.radians(20))
    ssh = (SSH_SEASONAL_HALF_RANGE_M * seasonal_cosine(doy, SSH_HIGHEST_DOY)[:, None, None]
           - 0.05 * np.exp(-0.5 * r2)[None] + 0.05 * (1 - offshore)[None])
    return east, north, ssh


def current_noise(rng: np.random.Generator, n_days: int, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(day, lat, lon) non-divergent east/north current anomalies (m/s) from a smooth random stream function."""
    psi = smooth_random_field(rng, n_days, shape, sigma_cells=3.0, memory_days=CURRENT_MEMORY_DAYS)
    d_north, d_east = np.gradient(psi, axis=(1, 2))
    east, north = -d_north, d_east
    scale = CURRENT_NOISE_SD_MS / np.sqrt(0.5 * (east.var() + north.var()))
    return east * scale, north * scale


def build_ocean(rng: np.random.Generator, dates: pd.DatetimeIndex, land: np.ndarray) -> OceanState:
    """Every field for every day; float32, NaN on land."""
    n_days, shape = len(dates), land.shape
    doy = day_of_year(dates)
    x_km, y_km = grid_km(LATITUDES, LONGITUDES)

    shallow = smooth_random_field(rng, n_days, shape, sigma_cells=5.0, memory_days=TEMP_MEMORY_DAYS)
    deep = smooth_random_field(rng, n_days, shape, sigma_cells=5.0, memory_days=TEMP_MEMORY_DAYS)
    warm_c, intrusions = warm_intrusions(rng, dates, x_km, y_km)
    temp_c = (climatology_temp_c(doy)[:, :, None, None]
              + offshore_gradient_c(doy, y_km)[:, None]
              + TEMP_ANOMALY_SD_C * (ANOMALY_SHALLOW_WEIGHT[None, :, None, None] * shallow[:, None]
                                     + ANOMALY_DEEP_WEIGHT[None, :, None, None] * deep[:, None])
              + INTRUSION_DEPTH_WEIGHT[None, :, None, None] * warm_c[:, None])
    temp_c = np.maximum(temp_c, 1.0)

    kyucho_ms, kyuchos = kyucho_episodes(rng, dates)
    coast_weight, along_east, along_north = coastal_geometry(land)
    mean_east, mean_north, mean_ssh = mean_circulation(doy, x_km, y_km, LATITUDES)
    noise_east, noise_north = current_noise(rng, n_days, shape)
    swift_ms = kyucho_ms[:, None, None] * coast_weight[None]
    east_ms = (CURRENT_DEPTH_WEIGHT[None, :, None, None] * (mean_east + noise_east)[:, None]
               + KYUCHO_DEPTH_WEIGHT[None, :, None, None] * (swift_ms * along_east[None])[:, None])
    north_ms = (CURRENT_DEPTH_WEIGHT[None, :, None, None] * (mean_north + noise_north)[:, None]
                + KYUCHO_DEPTH_WEIGHT[None, :, None, None] * (swift_ms * along_north[None])[:, None])

    ssh_noise = smooth_random_field(rng, n_days, shape, sigma_cells=5.0, memory_days=TEMP_MEMORY_DAYS)
    kyucho_jump_m = 0.2 * swift_ms  # up to 0.2 m at the coast during the strongest episodes
    ssh_m = mean_ssh + SSH_ANOMALY_SD_M * ssh_noise + SSH_PER_WARM_C * warm_c + kyucho_jump_m

    sea = ~land
    events = pd.concat([intrusions, kyuchos], ignore_index=True).sort_values(["start", "kind"], ignore_index=True)
    return OceanState(
        temp_c=np.where(sea, temp_c, np.nan).astype(np.float32),
        east_ms=np.where(sea, east_ms, np.nan).astype(np.float32),
        north_ms=np.where(sea, north_ms, np.nan).astype(np.float32),
        ssh_m=np.where(sea, ssh_m, np.nan).astype(np.float32),
        kyucho_ms=kyucho_ms,
        events=events,
    )

