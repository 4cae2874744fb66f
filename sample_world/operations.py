"""When the nets are hauled: closed days, bay-wide storms, nets damaged by kyucho; and the moon's age."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import ephem
import jpholiday
import numpy as np
import pandas as pd

from sample_world.ocean import day_of_year, seasonal_cosine

SYNODIC_MONTH_DAYS = 29.530589
STORM_DAILY_PROBABILITY = (0.015, 0.11)  # midsummer, midwinter
STORM_CONTINUES_PROBABILITY = 0.4
DAMAGE_SPEED_MS = 0.7  # a kyucho faster than this at the net may tear it
DAMAGE_PROBABILITY_PER_MS = 1.0  # chance of damage per m/s above DAMAGE_SPEED_MS (capped at 0.7)
REPAIR_DAYS = (2, 10)


def closed_days(dates: pd.DatetimeIndex) -> np.ndarray:
    """(day,) True on Sundays, Japanese public holidays and the New Year break (29 Dec - 3 Jan)."""
    sunday = dates.day_of_week.to_numpy() == 6
    holiday = np.array([jpholiday.is_holiday(day.date()) for day in dates])
    new_year = ((dates.month == 12) & (dates.day >= 29)) | ((dates.month == 1) & (dates.day <= 3))
    return sunday | holiday | np.asarray(new_year)


def storm_days(rng: np.random.Generator, dates: pd.DatetimeIndex) -> np.ndarray:
    """(day,) True when the whole bay stays in port: more often in winter, storms often last two or three days."""
    calm_p, winter_p = STORM_DAILY_PROBABILITY
    p_start = calm_p + (winter_p - calm_p) * 0.5 * (1 + seasonal_cosine(day_of_year(dates), 15.0))
    starts = rng.random(len(dates)) < p_start
    continues = rng.random(len(dates)) < STORM_CONTINUES_PROBABILITY
    storm = np.zeros(len(dates), dtype=bool)
    for day in range(len(dates)):  # one scalar step a day: a storm carries over with some probability
        storm[day] = starts[day] or (day > 0 and storm[day - 1] and continues[day])
    return storm


def damaged_days(rng: np.random.Generator, site_speed_ms: np.ndarray, kyucho_ms: np.ndarray) -> np.ndarray:
    """(day, site) True while a net torn by a kyucho is repaired: from the day after the episode, 2-10 days."""
    n_days, n_sites = site_speed_ms.shape
    damaged = np.zeros((n_days, n_sites), dtype=bool)
    active = kyucho_ms > 0
    edges = np.diff(np.r_[0, active.astype(int), 0])
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=False):  # each episode
        peak_ms = site_speed_ms[start:stop].max(axis=0)
        p_damage = np.clip((peak_ms - DAMAGE_SPEED_MS) * DAMAGE_PROBABILITY_PER_MS, 0.0, 0.7)
        torn = rng.random(n_sites) < p_damage
        repair = rng.integers(REPAIR_DAYS[0], REPAIR_DAYS[1] + 1, n_sites)
        for site in np.flatnonzero(torn):
            damaged[stop:stop + repair[site], site] = True
    return damaged


def lunar_age_days(dates: pd.DatetimeIndex) -> np.ndarray:
    """(day,) days since the last new moon at 03:00 JST, when the nets are hauled (0 = new, ~14.8 = full)."""
    ages = []
    for day in dates:
        haul_utc = datetime.combine(day.date(), time(3, 0)) - timedelta(hours=9)
        now = ephem.Date(haul_utc)
        ages.append(float(now - ephem.previous_new_moon(now)))
    return np.array(ages)
