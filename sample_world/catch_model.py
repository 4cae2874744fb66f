"""The hidden function: the ocean at a net -> the distribution of each species' catch there (the truth's oracle).

expected_kg = scale_kg[species] x site_factor[site, species] x season(doy) x moon(age) x temperature preference
              x warm-intrusion effect x current penalty x school abundance (a latent AR(1) per site and species)
catch_kg    = 0 with probability p_zero, else lognormal with log-sd `catch_sigma` and mean expected_kg / (1 - p_zero)
p_zero      = zero_base + (1 - zero_base) x exp(-expected_kg / zero_scale_kg)

so the mean of catch_kg is expected_kg. Two responses (CatchResponse) give expected_kg: "default", and "ocean", an
ocean-dominated bay whose school abundance has little weight. The empty-net model and the catch noise (zero_base,
zero_scale_kg, catch_sigma) are the same in both. docs/sample-world.md writes it out with every parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import ndtri

from sample_world.ocean import ar1_filter, seasonal_cosine

SCHOOL_MEMORY_DAYS = 7.0
SCHOOL_BAY_SHARE = 0.5  # share of the school variance common to every net of the bay
CURRENT_HALF_CATCH_MS = 0.5  # current speed at which the catch halves
SYNODIC_MONTH_DAYS = 29.530589


@dataclass(frozen=True)
class SpeciesModel:
    """Parameters of one species in the hidden function."""

    code: str
    depth_index: int  # grid level the species swims at: 0 = 0.5 m, 1 = 47 m, 2 = 92 m
    scale_kg: float  # expected kg on a perfect day at an average net
    peak_doy: float  # day of year of the seasonal peak
    season_kappa: float  # von Mises concentration of the season: larger = shorter season
    season_floor: float  # out-of-season level relative to the peak
    temp_opt_c: float  # preferred temperature at depth_index
    temp_sd_c: float  # width of the temperature preference
    moon_gain: float  # catch x (1 + moon_gain x cos(lunar phase)): > 0 favours the new moon
    warm_gain_per_c: float  # catch x exp(gain x 7-day warming at 50 m), for warm-intrusion followers
    zero_base: float  # chance of an empty net even in season
    zero_scale_kg: float  # expected kg below which empty nets become the rule
    catch_sigma: float  # log-sd of a non-zero catch (heavy tail)
    school_sigma: float  # log-sd of the latent school abundance


SPECIES_MODELS: tuple[SpeciesModel, ...] = (
    SpeciesModel("yellowtail", 1, 345.0, 355.0, 3.0, 0.04, 15.0, 3.0, 0.0, 0.35, 0.30, 40.0, 1.0, 0.7),
    SpeciesModel("firefly_squid", 2, 920.0, 125.0, 8.0, 0.0, 10.5, 2.0, 0.6, 0.0, 0.15, 30.0, 0.8, 0.6),
    SpeciesModel("sardine", 0, 2000.0, 180.0, 0.8, 0.10, 19.0, 6.0, 0.0, 0.0, 0.10, 80.0, 0.8, 0.9),
    SpeciesModel("common_squid", 1, 380.0, 115.0, 2.5, 0.05, 12.0, 3.0, 0.0, 0.0, 0.20, 30.0, 0.8, 0.6),
)

ResponseName = Literal["default", "ocean"]  # which hidden ocean-to-catch function a world is generated with


@dataclass(frozen=True)
class CatchResponse:
    """One hidden ocean-to-catch function: every species' parameters and the current speed that halves the catch."""

    name: ResponseName
    species: tuple[SpeciesModel, ...]  # in SPECIES_MODELS order
    current_half_catch_ms: float  # surface current speed at which the catch halves


DEFAULT_RESPONSE = CatchResponse("default", SPECIES_MODELS, CURRENT_HALF_CATCH_MS)

# The ocean-dominated bay (`--response ocean`): the latent school abundance keeps a quarter of its default log-sd,
# the temperature preferences are narrower and shifted, warm intrusions move three species (common squid away from
# the warm tongue), and swift currents cut the catch sooner. The catch noise and the empty-net model are the default's.
OCEAN_RESPONSE = CatchResponse("ocean", (
    replace(SPECIES_MODELS[0], scale_kg=575.0, temp_opt_c=14.0, temp_sd_c=2.0, warm_gain_per_c=0.6,
            school_sigma=0.175),
    replace(SPECIES_MODELS[1], scale_kg=1480.0, temp_opt_c=12.0, temp_sd_c=1.5, school_sigma=0.15),
    replace(SPECIES_MODELS[2], scale_kg=3700.0, temp_opt_c=18.0, temp_sd_c=3.5, warm_gain_per_c=0.3,
            school_sigma=0.225),
    replace(SPECIES_MODELS[3], scale_kg=480.0, temp_opt_c=13.0, temp_sd_c=2.0, warm_gain_per_c=-0.3,
            school_sigma=0.15),
), current_half_catch_ms=0.4)
RESPONSES: dict[ResponseName, CatchResponse] = {"default": DEFAULT_RESPONSE, "ocean": OCEAN_RESPONSE}


# How good each net is for each species (columns in SPECIES_MODELS order): Himi's nets are the yellowtail nets,
# the nets at the head of the bay (Iwase .. Namerikawa, Uozu) the firefly-squid nets.
SITE_SPECIES_FACTOR: dict[str, tuple[float, float, float, float]] = {
    "himi_ouzakai": (2.6, 0.4, 1.4, 1.5),
    "iwase": (0.5, 1.2, 0.8, 0.7),
    "uozu": (0.9, 1.4, 1.0, 1.0),
    "himi_uba": (2.0, 0.3, 1.1, 1.2),
    "shinminato": (0.7, 0.8, 1.0, 0.8),
    "mizuhashi": (0.5, 1.4, 0.7, 0.7),
    "namerikawa": (0.5, 2.0, 0.8, 0.8),
    "kurobe_ikuji": (0.9, 1.0, 1.0, 1.0),
    "nyuzen": (1.0, 0.6, 1.0, 1.2),
    "asahi_miyazaki": (1.1, 0.4, 1.0, 1.3),
}


@dataclass(frozen=True)
class NetOcean:
    """The ocean read at each net's nearest sea cell, per day and site."""

    temp_c: np.ndarray  # (day, depth, site)
    speed_ms: np.ndarray  # (day, site) surface current speed
    warm_change_c: np.ndarray  # (day, site) 50 m temperature minus its mean over the 7 previous days


def trailing_change(series: np.ndarray, window_days: int = 7) -> np.ndarray:
    """(day, ...) value minus the mean of the `window_days` previous days (fewer at the start, 0 on day one)."""
    csum = np.concatenate([np.zeros_like(series[:1]), np.cumsum(series, axis=0)])
    day = np.arange(series.shape[0])
    first = np.maximum(day - window_days, 0)
    count = np.maximum(day - first, 1).reshape(-1, *([1] * (series.ndim - 1)))
    previous_mean = (csum[day] - csum[first]) / count
    previous_mean[0] = series[0]
    return series - previous_mean


def ocean_at_nets(temp_c: np.ndarray, east_ms: np.ndarray, north_ms: np.ndarray,
                  rows: np.ndarray, cols: np.ndarray) -> NetOcean:
    """Read the (float32, as written) grids at each net's sea cell."""
    temp = temp_c[:, :, rows, cols].astype(float)
    speed = np.hypot(east_ms[:, 0, rows, cols], north_ms[:, 0, rows, cols]).astype(float)
    if np.isnan(temp).any() or np.isnan(speed).any():
        raise ValueError("a net reads a land cell")
    return NetOcean(temp_c=temp, speed_ms=speed, warm_change_c=trailing_change(temp[:, 1]))


def seasonal_curve(doy: np.ndarray, model: SpeciesModel) -> np.ndarray:
    """Season multiplier in [floor, 1], 1 on the peak day."""
    shape = np.exp(model.season_kappa * (seasonal_cosine(doy, model.peak_doy) - 1.0))
    return model.season_floor + (1.0 - model.season_floor) * shape


def temperature_preference(temp_c: np.ndarray, model: SpeciesModel) -> np.ndarray:
    """Gaussian preference, 1 at the optimum temperature."""
    return np.exp(-0.5 * ((temp_c - model.temp_opt_c) / model.temp_sd_c) ** 2)


def moon_effect(lunar_age_days: np.ndarray, model: SpeciesModel) -> np.ndarray:
    """1 + gain x cos(phase): firefly squid come to the nets in the dark nights around the new moon."""
    return 1.0 + model.moon_gain * np.cos(2 * np.pi * lunar_age_days / SYNODIC_MONTH_DAYS)


def warm_effect(warm_change_c: np.ndarray, model: SpeciesModel) -> np.ndarray:
    """exp(gain x 7-day warming at 50 m, clipped to -1.5..3 C): yellowtail follow the warm tongues into the bay."""
    return np.exp(model.warm_gain_per_c * np.clip(warm_change_c, -1.5, 3.0))


def current_penalty(speed_ms: np.ndarray, half_catch_ms: float = CURRENT_HALF_CATCH_MS) -> np.ndarray:
    """1 / (1 + (speed / half_catch_ms)^4), 0.5 m/s by default: swift currents deform the net and the catch drops."""
    return 1.0 / (1.0 + (speed_ms / half_catch_ms) ** 4)


def school_abundance(rng: np.random.Generator, n_days: int, n_sites: int,
                     response: CatchResponse = DEFAULT_RESPONSE) -> np.ndarray:
    """(day, site, species) latent abundance, mean 1, log AR(1) with a week's memory, half of it bay-wide."""
    bay = ar1_filter(rng.standard_normal((n_days, 1, len(SPECIES_MODELS))), SCHOOL_MEMORY_DAYS)
    local = ar1_filter(rng.standard_normal((n_days, n_sites, len(SPECIES_MODELS))), SCHOOL_MEMORY_DAYS)
    log_school = np.sqrt(SCHOOL_BAY_SHARE) * bay + np.sqrt(1 - SCHOOL_BAY_SHARE) * local
    sigma = np.array([m.school_sigma for m in response.species])
    return np.exp(sigma * log_school - 0.5 * sigma**2)


def expected_catch_kg(doy: np.ndarray, lunar_age_days: np.ndarray, ocean: NetOcean,
                      site_ids: list[str], school: np.ndarray,
                      response: CatchResponse = DEFAULT_RESPONSE) -> np.ndarray:
    """(day, site, species) mean catch in kg under the hidden function `response`."""
    penalty = current_penalty(ocean.speed_ms, response.current_half_catch_ms)
    columns = []
    for k, model in enumerate(response.species):  # four species, each vectorised over day x site
        site_factor = np.array([SITE_SPECIES_FACTOR[s][k] for s in site_ids])
        columns.append(
            model.scale_kg * site_factor[None, :]
            * seasonal_curve(doy, model)[:, None]
            * moon_effect(lunar_age_days, model)[:, None]
            * temperature_preference(ocean.temp_c[:, model.depth_index], model)
            * warm_effect(ocean.warm_change_c, model)
            * penalty
        )
    return np.stack(columns, axis=-1) * school


def zero_probability(expected_kg: np.ndarray) -> np.ndarray:
    """(day, site, species) chance of an empty net: zero_base in season, towards 1 as expected_kg -> 0 (any response)."""
    base = np.array([m.zero_base for m in SPECIES_MODELS])
    scale_kg = np.array([m.zero_scale_kg for m in SPECIES_MODELS])
    return base + (1 - base) * np.exp(-expected_kg / scale_kg)


def positive_mean_kg(expected_kg: np.ndarray) -> np.ndarray:
    """Mean of a non-zero catch, so that the overall mean stays expected_kg (safe as p_zero -> 1)."""
    base = np.array([m.zero_base for m in SPECIES_MODELS])
    scale_kg = np.array([m.zero_scale_kg for m in SPECIES_MODELS])
    p_catch = (1 - base) * -np.expm1(-expected_kg / scale_kg)
    limit = scale_kg / (1 - base)  # expected / p_catch as expected -> 0
    safe = p_catch > 1e-12
    return np.where(safe, expected_kg / np.where(safe, p_catch, 1.0), limit)


def catch_quantile_kg(expected_kg: np.ndarray, p_zero: np.ndarray, level: float) -> np.ndarray:
    """`level` quantile of the zero-inflated lognormal: 0 when empty nets are at least that likely."""
    sigma = np.array([m.catch_sigma for m in SPECIES_MODELS])
    mu = np.log(positive_mean_kg(expected_kg)) - 0.5 * sigma**2
    quantile = np.clip((level - p_zero) / np.maximum(1 - p_zero, 1e-12), 1e-12, 1.0)
    return np.where(p_zero >= level, 0.0, np.exp(mu + sigma * ndtri(quantile)))


def median_catch_kg(expected_kg: np.ndarray, p_zero: np.ndarray) -> np.ndarray:
    """Median of the zero-inflated lognormal: 0 when empty nets are at least as likely as not."""
    return catch_quantile_kg(expected_kg, p_zero, 0.5)


def draw_catch_kg(rng: np.random.Generator, expected_kg: np.ndarray, p_zero: np.ndarray) -> np.ndarray:
    """(day, site, species) one catch drawn from the zero-inflated lognormal."""
    sigma = np.array([m.catch_sigma for m in SPECIES_MODELS])
    mu = np.log(positive_mean_kg(expected_kg)) - 0.5 * sigma**2
    empty = rng.random(expected_kg.shape) < p_zero
    size = np.exp(mu + sigma * rng.standard_normal(expected_kg.shape))
    return np.where(empty, 0.0, size)


def species_codes() -> list[str]:
    """Species codes in the order of the last axis of every (day, site, species) array."""
    return [m.code for m in SPECIES_MODELS]


def site_day_frame(dates: pd.DatetimeIndex, site_ids: list[str]) -> pd.DataFrame:
    """Long (date, site_id, species) keys in (day, site, species) C order."""
    keys = pd.MultiIndex.from_product([dates, site_ids, species_codes()], names=["date", "site_id", "species"])
    return keys.to_frame(index=False)
