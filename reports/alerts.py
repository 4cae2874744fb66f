"""Pure functions for what a crew must act on or be wary of: swift currents (急潮), unusual water temperature, and
why a forecast is weaker than usual (old ocean data, an old model, a net without recent catches).

Swift-current tiers follow the prefectures' bulletins: an advisory (注意報: prepare) when the current at a net
reaches its advisory speed, a warning (警報: land the catch, lift part of the net) at its warning speed. Speeds are
in knots and directions are where the current flows *toward*, as fishers read them.

When the ocean at the nets holds hourly forecast currents (source 'hourly forecast'), the alerts come from them
(`features.kyucho.kyucho_days`): one per net and local day, with the hours (JST) above the tier's speed and the
hourly peak; otherwise from the daily means (ocean forecast, else the latest analysis).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from features.kyucho import kyucho_days
from reports.content import flow_bearing_deg, knots

TIERS = ("advisory", "warning")
SOURCE_HOURLY = "hourly forecast"  # features.io's source of the hourly forecast rows (date = valid hour, UTC)


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
    window_start: datetime | None = None  # hourly alerts: local hour the current reaches the tier's speed
    window_end: datetime | None = None  # and the local hour it is below it again (exclusive)
    peak_time: datetime | None = None  # local hour of the peak


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


def hourly_rows(net_ocean: pd.DataFrame | None) -> pd.DataFrame:
    """The hourly forecast rows of the ocean at the nets as features.kyucho.HOURLY_COLUMNS (empty when none)."""
    columns = ["issue_date", "lead_hours", "valid_time", "site_id", "east_ms", "north_ms", "along_ms", "across_ms"]
    if net_ocean is None or net_ocean.empty:
        return pd.DataFrame(columns=columns)
    rows = net_ocean[net_ocean.source == SOURCE_HOURLY].dropna(subset=["east_ms", "north_ms"])
    if rows.empty:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({"issue_date": rows.forecast_issue_date, "lead_hours": 0, "valid_time": rows.date,
                         "site_id": rows.site_id, "east_ms": rows.east_ms, "north_ms": rows.north_ms,
                         "along_ms": np.nan, "across_ms": np.nan})[columns]


def hourly_kyucho_alerts(hourly: pd.DataFrame, default: tuple[float, float],
                         per_net: dict[str, tuple[float, float]] | None = None,
                         timezone: str = "Asia/Tokyo") -> list[KyuchoAlert]:
    """One alert per net and local day whose hourly current reaches the net's advisory speed, warnings first."""
    days = kyucho_days(hourly, default, per_net, timezone)
    alerts = []
    for row in days[days.tier != ""].itertuples(index=False):
        day = pd.Timestamp(row.day).date()
        alerts.append(KyuchoAlert(
            site_id=str(row.site_id), tier=str(row.tier), first_day=day, last_day=day, peak_day=day,
            peak_kn=float(row.peak_kn), bearing_deg=float(row.bearing_deg), level="surface", source=SOURCE_HOURLY,
            advisory_kn=float(row.advisory_kn), warning_kn=float(row.warning_kn),
            window_start=pd.Timestamp(row.window_start).to_pydatetime(),
            window_end=pd.Timestamp(row.window_end).to_pydatetime(),
            peak_time=pd.Timestamp(row.peak_time).to_pydatetime()))
    return sorted(alerts, key=lambda a: (a.tier != "warning", a.site_id, a.peak_day))


def kyucho_alerts(net_ocean: pd.DataFrame | None, default: tuple[float, float],
                  per_net: dict[str, tuple[float, float]] | None = None,
                  timezone: str = "Asia/Tokyo") -> list[KyuchoAlert]:
    """Swift-current alerts: from the hourly forecast when there is one (per net and day, with hours), else one
    per net whose daily-mean current (strongest level each day) reaches its advisory speed; warnings first."""
    hourly = hourly_rows(net_ocean)
    if not hourly.empty:
        return hourly_kyucho_alerts(hourly, default, per_net, timezone)
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


def strongest_current(net_ocean: pd.DataFrame | None, timezone: str = "Asia/Tokyo") -> CurrentPeak | None:
    """The strongest current at any of the nets over the days (or hours) the warnings look at, or None."""
    hourly = hourly_rows(net_ocean)
    if not hourly.empty:
        days = kyucho_days(hourly, (np.inf, np.inf), None, timezone)
        peak = days.loc[days.peak_kn.idxmax()]
        return CurrentPeak(site_id=str(peak.site_id), day=pd.Timestamp(peak.day).date(),
                           speed_kn=float(peak.peak_kn), bearing_deg=float(peak.bearing_deg), level="surface")
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
