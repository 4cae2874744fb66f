"""Pure functions for what a crew must act on or be wary of: swift currents (急潮), unusual water temperature, and
why a forecast is weaker than usual (old ocean data, an old model, a net without recent catches).

Swift-current tiers follow the prefectures' bulletins: an advisory (注意報: prepare) when the current at a net
reaches its advisory speed, a warning (警報: land the catch, lift part of the net) at its warning speed. Speeds are
in knots and directions are where the current flows *toward*, as fishers read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from reports.content import flow_bearing_deg, knots

TIERS = ("advisory", "warning")


@dataclass(frozen=True)
class KyuchoAlert:
    """A swift current expected at one net: its tier, the days it lasts, and its peak (daily-mean current)."""

    site_id: str
    tier: str  # "advisory" or "warning"
    first_day: date
    last_day: date
    peak_day: date
    peak_kn: float
    bearing_deg: float  # where the peak current flows toward, clockwise from north
    level: str  # "surface" or "50m"
    source: str  # "forecast" (ocean forecast) or "analysis" (latest analysis, no forecast available)
    advisory_kn: float
    warning_kn: float


@dataclass(frozen=True)
class CurrentPeak:
    """The strongest current at one net over the days looked at (for 'no warning: at most 0.6 kn')."""

    site_id: str
    day: date
    speed_kn: float
    bearing_deg: float
    level: str


@dataclass(frozen=True)
class TemperatureAlert:
    """Water temperature at a net far from its day-of-year normal."""

    site_id: str
    day: date
    level: str
    temp_c: float
    normal_c: float
    source: str

    @property
    def anomaly_c(self) -> float:
        return self.temp_c - self.normal_c


def thresholds_for(site_id: str, default: tuple[float, float],
                   per_net: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """A net's (advisory, warning) speeds in knots: its own if configured, else the default."""
    advisory, warning = per_net.get(site_id, default)
    return float(advisory), float(max(warning, advisory))


def warning_days(net_ocean: pd.DataFrame | None) -> pd.DataFrame:
    """The rows the warnings look at: the ocean forecast's days when there are any, else the latest analysis."""
    if net_ocean is None or net_ocean.empty:
        return pd.DataFrame(columns=["site_id", "date", "source", "level", "east_ms", "north_ms", "temp_c", "normal_c"])
    forecast = net_ocean[net_ocean.source == "forecast"]
    return forecast if not forecast.empty else net_ocean[net_ocean.source == "analysis"]


def _speeds(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a current, with speed in knots and the bearing it flows toward."""
    rows = rows.dropna(subset=["east_ms", "north_ms"])
    return rows.assign(speed_kn=[knots(np.hypot(e, n)) for e, n in zip(rows.east_ms, rows.north_ms, strict=True)],
                       bearing_deg=[flow_bearing_deg(e, n) for e, n in zip(rows.east_ms, rows.north_ms, strict=True)])


def kyucho_alerts(net_ocean: pd.DataFrame | None, default: tuple[float, float],
                  per_net: dict[str, tuple[float, float]] | None = None) -> list[KyuchoAlert]:
    """One alert per net whose current (strongest level each day) reaches its advisory speed, warnings first."""
    rows = _speeds(warning_days(net_ocean))
    alerts = []
    for site_id, site_rows in rows.groupby("site_id", sort=True):
        advisory, warning = thresholds_for(site_id, default, per_net or {})
        daily = (site_rows.sort_values("speed_kn", ascending=False, kind="stable").drop_duplicates("date")
                 .sort_values("date", kind="stable"))  # the stronger level each day; the shallower on a tie
        over = daily[daily.speed_kn >= advisory]
        if over.empty:
            continue
        peak = over.loc[over.speed_kn.idxmax()]
        alerts.append(KyuchoAlert(
            site_id=site_id, tier="warning" if peak.speed_kn >= warning else "advisory",
            first_day=pd.Timestamp(over.date.min()).date(), last_day=pd.Timestamp(over.date.max()).date(),
            peak_day=pd.Timestamp(peak.date).date(), peak_kn=float(peak.speed_kn),
            bearing_deg=float(peak.bearing_deg), level=str(peak.level), source=str(peak.source),
            advisory_kn=advisory, warning_kn=warning))
    return sorted(alerts, key=lambda a: (a.tier != "warning", -a.peak_kn, a.site_id))


def strongest_current(net_ocean: pd.DataFrame | None) -> CurrentPeak | None:
    """The strongest current at any of the nets over the days the warnings look at, or None."""
    rows = _speeds(warning_days(net_ocean))
    if rows.empty:
        return None
    peak = rows.loc[rows.speed_kn.idxmax()]
    return CurrentPeak(site_id=str(peak.site_id), day=pd.Timestamp(peak.date).date(), speed_kn=float(peak.speed_kn),
                       bearing_deg=float(peak.bearing_deg), level=str(peak.level))


def temperature_alerts(net_ocean: pd.DataFrame | None, threshold_c: float) -> list[TemperatureAlert]:
    """Per net, the day and level whose temperature is farthest from normal, when that is beyond threshold_c."""
    if net_ocean is None or net_ocean.empty:
        return []
    rows = net_ocean.dropna(subset=["temp_c", "normal_c"])
    rows = rows.assign(gap=(rows.temp_c - rows.normal_c).abs())
    rows = rows[rows.gap > threshold_c]
    alerts = []
    for site_id, site_rows in rows.groupby("site_id", sort=True):
        worst = site_rows.loc[site_rows.gap.idxmax()]
        alerts.append(TemperatureAlert(site_id=site_id, day=pd.Timestamp(worst.date).date(), level=str(worst.level),
                                       temp_c=float(worst.temp_c), normal_c=float(worst.normal_c),
                                       source=str(worst.source)))
    return alerts


def old_models(model_runs: pd.DataFrame, issue_date: date, max_age_days: int) -> list[tuple[str, str, int]]:
    """(model_version, species, age in days) of the models trained more than max_age_days before issue_date."""
    if model_runs is None or model_runs.empty or "trained_at" not in model_runs:
        return []
    old = []
    for row in model_runs.dropna(subset=["trained_at"]).itertuples(index=False):
        age = (issue_date - pd.Timestamp(row.trained_at).date()).days
        if age > max_age_days:
            old.append((str(row.model_version), str(row.species), int(age)))
    return sorted(old)
