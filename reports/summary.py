"""The short plain-text summary: the body of a message or an e-mail, one block per cooperative.

It keeps what a crew needs before dawn: the day, the swift-current status (always, right under the day; under an
advisory or a warning, how often that tier came true at these nets), the warnings, a line for each net whose chance
of going out is below 50 %, and per net each species' expected catch (the distribution's mean, boxes and fish by
size class) with
its range, the chance of an empty net, the big-catch chance, the change against the last week and the latest
landing. With
markdown=True the same content is Markdown (for the Prefect artifact), with input names escaped.
"""

from __future__ import annotations

import re

from reports.view import NEGLIGIBLE_KG, CoopView, ForecastLine, ReportView

OPERATE_SAID_BELOW_PCT = 50  # the summary names a net whose chance of going out is below this (percent)
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|>~-])")


def escape_markdown(text: str) -> str:
    """Text shown literally in Markdown: special characters backslashed, angle brackets as entities."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def coop_summary(view: ReportView, coop: CoopView, markdown: bool = False) -> str:
    """One cooperative's summary as text lines."""
    t = view.t
    esc = escape_markdown if markdown else (lambda s: s)
    lines = [("## " if markdown else "") + esc(t["summary_title"].format(coop=coop.name))]
    head = t["summary_for"].format(target=view.target_label)
    issued = t["summary_issued"].format(day=view.issue_label)  # the evening of the issue date, not the run's clock
    head += f"（{issued}）" if view.lang == "ja" else f" ({issued})"
    lines.append(esc(head))
    bullet = "- " if markdown else ""
    status = t["summary_status"].format(status=coop.kyucho_status)  # always stated, right under the day
    lines.append(bullet + ("**" + esc(status) + "**" if markdown and coop.kyucho_level == "warning" else esc(status)))
    record = coop.kyucho_record.by_tier.get(coop.kyucho_level) if coop.kyucho_record else None
    if record:  # how often this tier came true at these nets: the warning's own record, right under it
        lines.append(bullet + esc(record))
    for banner in [*view.banners, *coop.banners]:
        lines.append(bullet + esc(f"▲ {banner}"))
    for alert in coop.alerts:
        for detail in alert.details:
            text = t["summary_alert"].format(title=alert.title, detail=detail)
            lines.append(bullet + ("**" + esc(text) + "**" if markdown and alert.kind == "warning" else esc(text)))
        if alert.kind == "warning":
            lines.append(bullet + esc(alert.action))
    for net in coop.nets:  # a net likely to stay in port is said before the catches
        if net.operate_pct is not None and net.operate_pct < OPERATE_SAID_BELOW_PCT:
            lines.append(bullet + esc("▲ " + t["summary_operate"].format(net=net.name, pct=net.operate_pct,
                                                                       words=net.operate_words)))
    for net in coop.nets:
        lines.append(("### " if markdown else "■ ") + esc(net.name))
        quiet = [*net.quiet, *(line.species for line in net.lines if about_zero(line))]
        for line in net.lines:
            if not about_zero(line):
                lines.append(("- " if markdown else "・") + esc(summary_line(line, t, view.lang)))
        if quiet:
            lines.append(("- " if markdown else "・") + esc(t["summary_quiet"].format(species=t["list_sep"].join(quiet))))
    lines.append(esc(t["summary_more"]))
    return "\n\n".join(lines) if markdown else "\n".join(lines) + "\n"


def about_zero(line: ForecastLine) -> bool:
    """A line whose expected catch and q90 are both under NEGLIGIBLE_KG: listed with the near-zero species."""
    return line.expected_kg < NEGLIGIBLE_KG and line.q90_kg < NEGLIGIBLE_KG


def summary_line(line: ForecastLine, t: dict[str, str], lang: str) -> str:
    """'ブリ 見込み（平均）1,300 kg・約89箱（410〜2,900 kg）、空の確率 32%、大漁（2,000kg以上）45%、ブリ約12本・
    ガンド約30本、直近7日の平均と比べて35% 多い（最新の水揚げ 11月30日(日) 1,216 kg）'."""
    boxes = (f"・{line.boxes}" if lang == "ja" else f", {line.boxes}") if line.boxes else ""
    text = t["summary_line"].format(species=line.species, expected=line.expected, boxes=boxes, range=line.range)
    if line.empty:
        text += t["summary_empty"].format(pct=line.empty_pct)
    if line.big_catch:
        key = "summary_big" if line.big_catch_threshold else "summary_big_unsized"
        text += t[key].format(threshold=line.big_catch_threshold, pct=line.big_catch_pct)
    if line.sizes:
        text += t["summary_sizes"].format(counts=line.sizes)
    if line.change and line.change != t["no_record"]:
        text += t["summary_change"].format(change=line.change)
    if line.latest:
        text += (t["summary_latest_none"] if line.latest == t["latest_none"]
                 else t["summary_latest"].format(latest=line.latest))
    return text


def report_summary(view: ReportView, slugs: list[str] | None = None, markdown: bool = False) -> str:
    """The summaries of the chosen cooperatives (all by default), one block each."""
    coops = [c for c in view.coops if slugs is None or c.slug in slugs]
    return ("\n\n" if markdown else "\n").join(coop_summary(view, coop, markdown) for coop in coops)
