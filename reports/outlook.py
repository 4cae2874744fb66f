"""The swift-current outlook of an issue date over every net, for operators: the run record's `kyucho_level` and
the first line of the Prefect artifact. It is the report's own status (`reports.view.kyucho_status`) and alerts
(`reports.alerts.kyucho_alerts`), read from the same data (`reports.data`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from reports.data import load_net_ocean, read_sites
from reports.view import ReportOptions, kyucho_level
from setnet.settings import Settings
from setnet.warehouse import connect


@dataclass(frozen=True)
class KyuchoOutlook:
    """The swift-current outlook of an issue date over every net: the level ('warning' / 'advisory' / 'none' /
    'unknown': no ocean forecast, or no ocean data) and one line per net and day under an advisory or warning."""

    level: str
    lines: list[str]


def kyucho_outlook(settings: Settings, issue_date: date) -> KyuchoOutlook:
    """The swift-current outlook of issue_date over every net in the registry, from the ocean the report reads."""
    with connect(settings.warehouse_path, read_only=True) as con:
        sites = read_sites(con)
    net_ocean, forecast_issue = load_net_ocean(settings, sites, issue_date)
    return outlook_of(net_ocean, forecast_issue, dict(zip(sites.site_id, sites.name_ja, strict=True)),
                      ReportOptions.from_settings(settings))


def outlook_of(net_ocean: pd.DataFrame | None, forecast_issue: date | None, names: dict[str, str],
               options: ReportOptions) -> KyuchoOutlook:
    """The level and, per net and day under an advisory or warning, its net, tier, hours (JST) and peak knots."""
    level, _, alerts = kyucho_level(net_ocean, forecast_issue, options)
    if level not in ("warning", "advisory"):
        return KyuchoOutlook(level=level, lines=[])
    lines = []
    for alert in alerts:
        when = (f"{alert.window_start:%Y-%m-%d %H:%M}–{alert.window_end:%H:%M} JST"
                if alert.window_start is not None and alert.window_end is not None
                else _days(alert.first_day, alert.last_day))
        lines.append(f"{names.get(alert.site_id, alert.site_id)} ({alert.site_id}): {alert.tier} {when}, "
                     f"peak {alert.peak_kn:.1f} kn")
    return KyuchoOutlook(level=level, lines=lines)


def _days(first: date, last: date) -> str:
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"
