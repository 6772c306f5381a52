"""The scan summary for a terminal: causes by builds and by minutes lost, per project, unknown, skipped.

Figures come from :func:`analyzer.aggregate.summarise` only. Log text never
reaches this report (only rule ids, titles, build ids and reasons), and reasons
are stripped of control characters all the same.
"""

from __future__ import annotations

from datetime import datetime, timezone

from analyzer.aggregate import UNKNOWN, ScanSummary, summarise
from analyzer.models import ScanReport

MAX_IDS = 10
"""Unknown builds listed by id before '... and N more'."""


def _clean(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _when(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else "?"


def render_scan_text(report: ScanReport, *, color: bool = False) -> str:
    """The summary as plain text (``color``: bold headings), ending in a newline."""
    summary = summarise(report)

    def head(text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if color else text

    out: list[str] = []
    where = report.region or "?"
    if report.account:
        where += f", account {report.account}"
    out.append(head(f"Scan of {where}: builds started {_when(report.since)} to {_when(report.until)}"))
    out.append(f"  projects: {', '.join(report.projects) or '(none)'}")
    out.append(f"  statuses: {', '.join(report.statuses)}")
    share = f" ({summary.diagnosed_share:.0%})" if summary.builds else ""
    out.append(
        f"  {summary.builds} build{'' if summary.builds == 1 else 's'} diagnosed: {summary.diagnosed} explained{share}, {summary.unknown} unknown; "
        f"{summary.skipped} skipped; {summary.minutes_lost:.1f} build minutes lost"
    )
    if summary.builds:
        out += ["", head("Causes by builds")] + _causes(summary, by_minutes=False)
        out += ["", head("Causes by build minutes lost")] + _causes(summary, by_minutes=True)
        out += ["", head("Per project")]
        width = max(len("project"), *(len(p.project) for p in summary.projects))
        out.append(f"  {'project':<{width}}  builds  explained  minutes  top cause")
        for p in summary.projects:
            out.append(
                f"  {p.project:<{width}}  {p.builds:>6}  {p.diagnosed:>9}  {p.minutes_lost:>7.1f}  {p.top_cause or '-'}"
            )
    unknown = next((c for c in summary.causes if c.rule_id == UNKNOWN), None)
    if unknown is not None:
        out += ["", head(f"Unknown failures ({unknown.builds}): no rule explained these builds")]
        out += [f"  {build_id}" for build_id in unknown.build_ids[:MAX_IDS]]
        if unknown.builds > MAX_IDS:
            out.append(f"  ... and {unknown.builds - MAX_IDS} more (see --format json)")
    if report.skipped:
        out += ["", head(f"Skipped builds ({len(report.skipped)}): the scan is incomplete (exit status 3)")]
        out += [f"  {s.build_id}: {_clean(s.reason)}" for s in report.skipped]
    if not summary.builds and not report.skipped:
        out += ["", "No build matched the window and statuses."]
    return "\n".join(out) + "\n"


def _causes(summary: ScanSummary, *, by_minutes: bool) -> list[str]:
    causes = summary.causes_by_minutes() if by_minutes else summary.causes
    width = max(len("cause"), *(len(c.rule_id) for c in causes))
    lines = [f"  {'builds':>6}  {'minutes':>7}  {'cause':<{width}}  {'severity':<8}  projects"]
    for c in causes:
        severity = c.severity.label if c.severity else "-"
        lines.append(
            f"  {c.builds:>6}  {c.minutes_lost:>7.1f}  {c.rule_id:<{width}}  {severity:<8}  {', '.join(c.projects)}"
        )
    return lines
