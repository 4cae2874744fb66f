"""Swift currents (急潮) at each net from the hourly ocean forecast: per net and local day, the peak speed in knots,
the direction it flows toward, the window of hours above the net's thresholds and the tier; and the record of such
warnings against what the current of the day turned out to be.

The hourly forecast store (`ingest.store`: dims issue_time, lead_hours, depth, lat, lon; lead hour h valid at the
issue day's 00:00 UTC + h) is read at each net's nearest sea cell (`features.ocean.site_footprints`, the cell the
features read). Along and across are the components along the net's bearing and 90 degrees clockwise of it
(`features.ocean_forecast.along_across_ms`). Tiers: "advisory" (注意報: prepare) from the net's advisory speed,
"warning" (警報: land the catch, lift part of the net) from its warning speed.

A forecast issued on D is known on D: the rows for an issue date come from issues on or before it, never after.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from features.ocean import site_footprints
from features.ocean_forecast import along_across_ms
from ingest.store import FORECAST_AXIS, HOURLY_LEAD_AXIS

KNOT_MS = 1852.0 / 3600.0  # one knot in m/s
TIERS = ("advisory", "warning")
HOURLY_COLUMNS = ["issue_date", "lead_hours", "valid_time", "site_id", "east_ms", "north_ms", "along_ms",
                  "across_ms"]
DAY_COLUMNS = ["issue_date", "site_id", "day", "lead_days", "hours", "peak_kn", "peak_time", "bearing_deg",
               "along_kn", "across_kn", "tier", "window_start", "window_end", "advisory_kn", "warning_kn"]
RECORD_COLUMNS = ["site_id", "tier", "lead_days", "hits", "misses", "false_alarms", "correct_negatives",
                  "hit_rate", "false_alarm_ratio", "mean_lead_gained_days", "first_day", "last_day"]
OBSERVED_LEAD_HOURS = 24  # the first day of each issue stands for the current of that day


def hourly_at_nets(store: xr.Dataset, sites: pd.DataFrame, issue_dates: pd.DatetimeIndex,
                   max_distance_km: float) -> pd.DataFrame:
    """Hourly store + sites (site_id, lat, lon, bearing_deg) -> HOURLY_COLUMNS at each net's nearest sea cell.

    Only the issues in `issue_dates` the store holds; valid_time is UTC (naive); currents in m/s.
    """
    issued = pd.DatetimeIndex(store[FORECAST_AXIS].values).normalize()
    index = issued.get_indexer(pd.DatetimeIndex(issue_dates).normalize())
    index = np.unique(index[index >= 0])
    if not len(index) or sites.empty:
        return pd.DataFrame(columns=HOURLY_COLUMNS)
    picked = store.isel({FORECAST_AXIS: index}).isel(depth=0)
    east = picked["eastward_current_ms"]
    mask = store["eastward_current_ms"].isel(depth=0).notnull().any([FORECAST_AXIS, HOURLY_LEAD_AXIS]).values
    footprints = site_footprints(store, sites, max_distance_km, 0.0, mask=mask)
    flat = footprints.point_flat
    n_lat_lon = store.sizes["lat"] * store.sizes["lon"]
    values = {}
    for name, variable in (("east_ms", east), ("north_ms", picked["northward_current_ms"])):
        data = np.asarray(variable.transpose(FORECAST_AXIS, HOURLY_LEAD_AXIS, "lat", "lon").values, dtype=float)
        values[name] = data.reshape(data.shape[0], data.shape[1], n_lat_lon)[:, :, flat]  # (issue, hour, site)
    site_ids = list(footprints.site_ids)
    bearing = sites.set_index("site_id").bearing_deg.reindex(site_ids).fillna(0.0).to_numpy(float)
    along, across = along_across_ms(values["east_ms"], values["north_ms"], np.radians(bearing))
    n_issue, n_hour, n_site = values["east_ms"].shape
    hours = np.asarray(store[HOURLY_LEAD_AXIS].values, dtype=int)
    issue_values = np.repeat(issued[index].values, n_hour * n_site)
    lead = np.tile(np.repeat(hours, n_site), n_issue)
    frame = pd.DataFrame({
        "issue_date": issue_values, "lead_hours": lead,
        "valid_time": issue_values + lead.astype("timedelta64[h]"),
        "site_id": np.tile(np.asarray(site_ids, dtype=object), n_issue * n_hour),
        "east_ms": values["east_ms"].ravel(), "north_ms": values["north_ms"].ravel(),
        "along_ms": along.ravel(), "across_ms": across.ravel()})
    return frame.dropna(subset=["east_ms", "north_ms"]).reset_index(drop=True)


def _local(times: pd.Series, timezone: str) -> pd.Series:
    return pd.to_datetime(times).dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)


def kyucho_days(hourly: pd.DataFrame, default_kn: tuple[float, float],
                per_net_kn: dict[str, tuple[float, float]] | None = None,
                timezone: str = "Asia/Tokyo") -> pd.DataFrame:
    """HOURLY_COLUMNS -> DAY_COLUMNS: per issue, net and local day, the peak (knots, local time, bearing it flows
    toward), the tier reached ('' below the advisory speed) and the hours (local, [start, end)) of the run above
    that tier's speed around the peak."""
    if hourly is None or hourly.empty:
        return pd.DataFrame(columns=DAY_COLUMNS)
    per_net = per_net_kn or {}
    frame = hourly.assign(local=_local(hourly.valid_time, timezone),
                          speed_kn=np.hypot(hourly.east_ms, hourly.north_ms) / KNOT_MS)
    frame = frame.assign(day=frame.local.dt.normalize()).sort_values(["issue_date", "site_id", "local"])
    rows = []
    for (issue, site_id, day), group in frame.groupby(["issue_date", "site_id", "day"], sort=True):
        advisory, warning = per_net.get(site_id, default_kn)
        advisory, warning = float(advisory), float(max(warning, advisory))
        speeds = group.speed_kn.to_numpy()
        peak = int(np.argmax(speeds))
        peak_kn = float(speeds[peak])
        tier = "warning" if peak_kn >= warning else "advisory" if peak_kn >= advisory else ""
        start = end = pd.NaT
        if tier:
            above = speeds >= (warning if tier == "warning" else advisory)
            first, last = peak, peak
            while first > 0 and above[first - 1]:
                first -= 1
            while last < len(above) - 1 and above[last + 1]:
                last += 1
            start = group.local.iloc[first]
            end = group.local.iloc[last] + pd.Timedelta(hours=1)
        at_peak = group.iloc[peak]
        local_issue = pd.Timestamp(issue).normalize()
        rows.append({
            "issue_date": pd.Timestamp(issue), "site_id": site_id, "day": day,
            "lead_days": int((day - local_issue) / pd.Timedelta(days=1)), "hours": len(group), "peak_kn": peak_kn,
            "peak_time": at_peak.local,
            "bearing_deg": float(np.degrees(np.arctan2(at_peak.east_ms, at_peak.north_ms)) % 360.0),
            "along_kn": float(at_peak.along_ms / KNOT_MS), "across_kn": float(at_peak.across_ms / KNOT_MS),
            "tier": tier, "window_start": start, "window_end": end, "advisory_kn": advisory, "warning_kn": warning})
    return pd.DataFrame(rows, columns=DAY_COLUMNS)


def observed_days(hourly: pd.DataFrame, default_kn: tuple[float, float],
                  per_net_kn: dict[str, tuple[float, float]] | None = None,
                  timezone: str = "Asia/Tokyo") -> pd.DataFrame:
    """The current of each day as it turned out: every issue's first OBSERVED_LEAD_HOURS hours joined into one
    series per net, as DAY_COLUMNS (issue_date NaT); only local days with all 24 hours."""
    first_day = hourly[hourly.lead_hours < OBSERVED_LEAD_HOURS]
    first_day = first_day.sort_values("issue_date").drop_duplicates(["site_id", "valid_time"], keep="last")
    days = kyucho_days(first_day.assign(issue_date=pd.Timestamp("1970-01-01")), default_kn, per_net_kn, timezone)
    return days[days.hours >= 24].assign(issue_date=pd.NaT, lead_days=0).reset_index(drop=True)


def warning_record(forecast_days: pd.DataFrame, observed: pd.DataFrame, leads: tuple[int, ...] = (1, 2, 3, 4)
                   ) -> pd.DataFrame:
    """Warnings issued (forecast DAY_COLUMNS) against what the day turned out (observed DAY_COLUMNS) -> RECORD_COLUMNS
    per net ('all' pooled), tier (a warning counts as an advisory too) and lead ('all' pooled over `leads`).

    hit rate = hits / (hits + misses); false-alarm ratio = false alarms / (hits + false alarms); mean lead gained:
    over observed events warned at some lead, the longest such lead (days); first_day, last_day: the local days
    verified (NaT when none)."""
    rank = {"": 0, "advisory": 1, "warning": 2}
    seen = observed[["site_id", "day", "tier"]].rename(columns={"tier": "observed"})
    paired = forecast_days[forecast_days.lead_days.isin(leads)].merge(seen, on=["site_id", "day"], how="inner")
    rows = []
    for tier in TIERS:
        level = rank[tier]
        marked = paired.assign(forecast_event=paired.tier.map(rank) >= level,
                               observed_event=paired.observed.map(rank) >= level)
        for site_id, by_site in [*marked.groupby("site_id", sort=True), ("all", marked)]:
            gained = by_site[by_site.forecast_event & by_site.observed_event].groupby(["site_id", "day"]).lead_days.max()
            for lead, by_lead in [*by_site.groupby("lead_days", sort=True), ("all", by_site)]:
                f, o = by_lead.forecast_event, by_lead.observed_event
                hits, misses = int((f & o).sum()), int((~f & o).sum())
                false_alarms, negatives = int((f & ~o).sum()), int((~f & ~o).sum())
                rows.append({"site_id": site_id, "tier": tier, "lead_days": str(lead), "hits": hits, "misses": misses,
                             "false_alarms": false_alarms, "correct_negatives": negatives,
                             "hit_rate": hits / (hits + misses) if hits + misses else np.nan,
                             "false_alarm_ratio": false_alarms / (hits + false_alarms) if hits + false_alarms else np.nan,
                             "mean_lead_gained_days": float(gained.mean()) if lead == "all" and len(gained) else np.nan,
                             "first_day": by_lead.day.min() if len(by_lead) else pd.NaT,
                             "last_day": by_lead.day.max() if len(by_lead) else pd.NaT})
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def kyucho_record(hourly: pd.DataFrame, default_kn: tuple[float, float],
                  per_net_kn: dict[str, tuple[float, float]] | None = None,
                  timezone: str = "Asia/Tokyo", leads: tuple[int, ...] = (1, 2, 3, 4)) -> pd.DataFrame:
    """Every hourly forecast stored -> the warnings' RECORD_COLUMNS against the current each day turned out to have."""
    if hourly is None or hourly.empty:
        return pd.DataFrame(columns=RECORD_COLUMNS)
    issued = kyucho_days(hourly, default_kn, per_net_kn, timezone)
    return warning_record(issued, observed_days(hourly, default_kn, per_net_kn, timezone), leads)
