"""The swift-current warnings' verified record for a cooperative's nets, in words (the page's record part).

The numbers are `features.kyucho.kyucho_record`'s, the model card's, as the backtest stores them
(`models.training.store_kyucho_record`, read by `reports.data`): this module only words them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from reports.alerts import thresholds_for
from reports.content import format_pct
from reports.labels import medium_day

POOLED_LEADS = "all"  # the record's rows pooled over the leads verified (1-4 days ahead)
TIER_TITLES = {"warning": "kyucho_warning_title", "advisory": "kyucho_advisory_title"}
PLAIN_TITLES = {"ja": {"warning": "急潮警報", "advisory": "急潮注意報"}}  # the record's words: not the boxes' English


@dataclass(frozen=True)
class KyuchoRecordView:
    """A cooperative's warnings' record in words: the period verified ('' when none) and one line per net and tier
    (or the one line saying no archive exists to verify); `paper`: the same in one short paragraph (the PDF page);
    `by_tier`: per tier the short record of that tier only (the text summary's line under an active warning)."""

    period: str
    lines: list[str]
    paper: str = ""
    by_tier: dict[str, str] = field(default_factory=dict)


def kyucho_record_view(record: pd.DataFrame | None, site_ids: list[str], names: dict[str, str],
                       text: dict[str, str], lang: str, default_kn: tuple[float, float],
                       per_net_kn: dict[str, tuple[float, float]]) -> KyuchoRecordView:
    """The stored record (reports.data.KYUCHO_RECORD_COLUMNS) of these nets, warnings first at each net, in plain
    words: 'X 急潮警報：12回のうち 9回 実際に強い流れ（1.5ノット以上）（空振り 3回、空振り率 25%）、…'."""
    rows = pd.DataFrame() if record is None or record.empty else record[
        record.site_id.isin(site_ids) & (record.lead_days.astype(str) == POOLED_LEADS)]
    if rows.empty:
        return KyuchoRecordView(period="", lines=[text["kyucho_record_no_archive"]],
                                paper=text["kyucho_record_paper_none"].format(title=text["kyucho_record_title"]))
    first, last = pd.Timestamp(rows.first_day.min()).date(), pd.Timestamp(rows.last_day.max()).date()
    period = text["kyucho_record_period"].format(first=medium_day(first, lang), last=medium_day(last, lang),
                                                 days=(last - first).days + 1)
    indexed = rows.set_index(["site_id", "tier"])
    lines, short = [], []
    tier_short: dict[str, list[str]] = {"warning": [], "advisory": []}
    for site_id in site_ids:
        for tier in ("warning", "advisory"):
            if (site_id, tier) in indexed.index:
                row = indexed.loc[(site_id, tier)]
                lines.append(record_line(row, site_id, tier, names, text, lang,
                                         thresholds_for(site_id, default_kn, per_net_kn)))
                short.append(text["kyucho_record_short"].format(
                    site=names.get(site_id, site_id), tier=text[f"level_word_{tier}"],
                    issued=int(row.hits) + int(row.false_alarms), hits=int(row.hits), misses=int(row.misses)))
                tier_short[tier].append(short[-1])
    paper = text["kyucho_record_paper"].format(title=text["kyucho_record_title"], first=medium_day(first, lang),
                                               last=medium_day(last, lang), nets=text["list_sep"].join(short))
    by_tier = {tier: text["kyucho_record_summary"].format(tier=text[f"level_word_{tier}"], first=medium_day(first, lang),
                                                         last=medium_day(last, lang), nets=text["list_sep"].join(nets))
               for tier, nets in tier_short.items() if nets}
    return KyuchoRecordView(period=period, lines=lines, paper=paper, by_tier=by_tier)


def record_line(row: pd.Series, site_id: str, tier: str, names: dict[str, str], text: dict[str, str], lang: str,
                thresholds_kn: tuple[float, float]) -> str:
    """One net and tier's record: how many issued and came true (false alarms), the share of the swift currents
    announced ahead (misses) and the lead gained (days); thresholds_kn: the net's (advisory, warning) knots."""
    advisory_kn, warning_kn = thresholds_kn
    words = {"site": names.get(site_id, site_id),
             "title": PLAIN_TITLES.get(lang, {}).get(tier, text[TIER_TITLES[tier]]),
             "strong": text[f"kyucho_strong_{tier}"], "speed": f"{warning_kn if tier == 'warning' else advisory_kn:.1f}"}
    hits, misses, false_alarms = int(row.hits), int(row.misses), int(row.false_alarms)
    issued = hits + false_alarms
    if issued == 0 and hits + misses == 0:
        return text["kyucho_record_quiet"].format(**words)
    parts = [text["kyucho_record_issued"].format(**words, issued=issued, hits=hits, false_alarms=false_alarms,
                                                 far=format_pct(false_alarms / issued))
             if issued else text["kyucho_record_unissued"].format(**words)]
    if hits + misses:
        parts.append(text["kyucho_record_hits"].format(**words, hit_rate=format_pct(hits / (hits + misses)),
                                                       misses=misses))
    gained = float(row.mean_lead_gained_days) if pd.notna(row.mean_lead_gained_days) else math.nan
    if math.isfinite(gained):
        parts.append(text["kyucho_record_gained"].format(days=f"{gained:.1f}"))
    return ("、" if lang == "ja" else "; ").join(parts) + ("" if lang == "ja" else ".")
