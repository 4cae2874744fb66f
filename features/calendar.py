"""Calendar signals of a target date: season (cyclic day of year), weekday, Japanese holidays, the moon."""

from __future__ import annotations

import ephem
import jpholiday
import numpy as np
import pandas as pd

SYNODIC_MONTH_DAYS = 29.530588853


def lunar_age_days(day: pd.Timestamp) -> float:
    """Days since the last new moon at 21:00 JST (12:00 UTC) of `day`: 0 = new moon, ~14.8 = full moon."""
    moment = ephem.Date(day.to_pydatetime().replace(hour=12))
    return float(moment - ephem.previous_new_moon(moment))


def moon_illumination(day: pd.Timestamp) -> float:
    """Fraction of the moon's disc lit at 12:00 UTC of `day` (0 new .. 1 full)."""
    moon = ephem.Moon(ephem.Date(day.to_pydatetime().replace(hour=12)))
    return float(moon.moon_phase)


def calendar_features(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Target dates -> date, doy_sin, doy_cos, weekday (0=Mon), is_holiday (Sundays and public holidays), lunar_age_days, moon_illumination."""
    unique = pd.DatetimeIndex(dates.unique()).sort_values()
    angle = 2 * np.pi * (unique.day_of_year.to_numpy() - 1) / 365.25
    return pd.DataFrame(
        {
            "date": unique,
            "doy_sin": np.sin(angle),
            "doy_cos": np.cos(angle),
            "weekday": unique.day_of_week,
            "is_holiday": [int(d.weekday() == 6 or jpholiday.is_holiday(d.date())) for d in unique],
            "lunar_age_days": [lunar_age_days(d) for d in unique],
            "moon_illumination": [moon_illumination(d) for d in unique],
        }
    )
