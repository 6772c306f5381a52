"""The scan summary as compact Markdown tables (for a PR comment, a wiki page, a chat message)."""

from __future__ import annotations

from analyzer.aggregate import summarise
from analyzer.models import ScanReport


def _cell(text: str) -> str:
    """A table cell: pipes escaped, line breaks and control characters flattened."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    return flat.replace("\\", "\\\\").replace("|", "\\|")


def render_scan_markdown(report: ScanReport) -> str:
    """Causes ranked by builds (with minutes lost), projects, and skipped builds, ending in a newline."""
    summary = summarise(report)
    since = report.since.strftime("%Y-%m-%d %H:%M") if report.since else "?"
    until = report.until.strftime("%Y-%m-%d %H:%M") if report.until else "?"
    out = [
        f"## CodeBuild failures in {report.region or '?'}, {since} to {until} UTC",
        "",
        f"{summary.builds} build{'' if summary.builds == 1 else 's'} diagnosed: {summary.diagnosed} explained, {summary.unknown} unknown, "
        f"{summary.skipped} skipped; {summary.minutes_lost:.1f} build minutes lost.",
    ]
    if summary.causes:
        out += ["", "| cause | severity | builds | minutes lost | projects |", "|---|---|--:|--:|---|"]
        for c in summary.causes:
            severity = c.severity.label if c.severity else "-"
            out.append(
                f"| `{_cell(c.rule_id)}` {_cell(c.title)} | {severity} | {c.builds} | {c.minutes_lost:.1f} | "
                f"{_cell(', '.join(c.projects))} |"
            )
        out += ["", "| project | builds | explained | minutes lost | top cause |", "|---|--:|--:|--:|---|"]
        for p in summary.projects:
            out.append(
                f"| {_cell(p.project)} | {p.builds} | {p.diagnosed} | {p.minutes_lost:.1f} | `{_cell(p.top_cause or '-')}` |"
            )
    if report.skipped:
        out += ["", f"**{len(report.skipped)} skipped** (the scan is incomplete):", ""]
        out += [f"- `{_cell(s.build_id)}`: {_cell(s.reason)}" for s in report.skipped]
    return "\n".join(out) + "\n"
