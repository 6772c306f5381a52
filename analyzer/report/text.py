"""The terminal report: root cause first, evidence with line numbers, the fix, the links; and the scan summary."""

from __future__ import annotations

import textwrap

from analyzer.aggregate import UNKNOWN, ScanSummary
from analyzer.models import Severity
from analyzer.report.interface import Renderer
from analyzer.report.view import DiagnosisView, Excerpt, FindingView, ScanView, flat, safe

MAX_IDS = 10
"""Unknown builds listed by id in the scan summary before '... and N more'."""

_STYLES = {
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "red": "\x1b[31m",
    "yellow": "\x1b[33m",
    "cyan": "\x1b[36m",
    "magenta": "\x1b[35m",
    "reset": "\x1b[0m",
}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "magenta",
    Severity.ERROR: "red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}


class _Styler:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        return "".join(_STYLES[s] for s in styles) + text + _STYLES["reset"]


class TextRenderer(Renderer):
    """Plain text for a terminal, a pipe or a file; ANSI styles with ``color``."""

    def render_diagnosis(self, view: DiagnosisView) -> str:
        style = _Styler(self.options.color)
        out: list[str] = []
        build = view.build
        if build is not None:
            out.append(style(f"Build {build.build_id}", "bold") + f"  {build.status or 'status unknown'}")
            failed = view.failed_phase
            details = []
            if failed:
                details.append(f"failed in {failed.phase_type} ({failed.phase_status})")
            if view.duration is not None:
                details.append(f"ran {view.duration}")
            if build.initiator:
                details.append(f"started by {build.initiator}")
            if details:
                out.append("  " + ", ".join(details))
            if build.logs.deep_link:
                out.append(f"  log: {build.logs.deep_link}")
        out.extend(f"  {label}: {safe(value)}" for label, value in view.details)
        log = view.diagnosis.log
        if log is not None:
            out.append(style(f"Log: {log.source} ({log.lines} lines)", "dim"))
        out.extend(style(f"note: {note}", "yellow") for note in view.notes)
        if out:
            out.append("")
        if not view.findings:
            out.append("No known failure matched. A rule for the cause helps the next person (README: Adding a rule).")
        elif view.tail:
            out.append("Only a generic rule matched: the tool's own error is likely among the lines below.")
        if view.tail:
            # Shown before the generic finding: these lines are where the cause is.
            out.append("")
            out.append(style("  Last error-looking lines of the log", "bold"))
            width = len(str(view.tail[-1].number))
            out.extend(f"    {line.number:>{width}}   {line.text}" for line in view.tail)
            out.append("")
        for finding in view.findings:
            out.extend(_finding(finding, style))
            out.append("")
        for problem in view.diagnosis.problems:
            out.append(style(f"warning: rule {problem.rule_id}: {problem.message}", "yellow"))
        return "\n".join(out).rstrip() + "\n"

    def render_scan(self, view: ScanView) -> str:
        style = _Styler(self.options.color)
        report, summary = view.report, view.summary

        def head(text: str) -> str:
            return style(text, "bold")

        out: list[str] = []
        where = report.region or "?"
        if report.account:
            where += f", account {report.account}"
        out.append(head(f"Scan of {where}: builds started {view.since or '?'} to {view.until or '?'}"))
        out.append(f"  projects: {', '.join(report.projects) or '(none)'}")
        out.append(f"  statuses: {', '.join(report.statuses)}")
        share = f" ({summary.diagnosed_share:.0%})" if summary.builds else ""
        out.append(
            f"  {summary.builds} build{'' if summary.builds == 1 else 's'} diagnosed: {summary.diagnosed} explained{share}, "
            f"{summary.unknown} unknown; {summary.skipped} skipped; {summary.minutes_lost:.1f} build minutes lost"
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
            out += [f"  {s.build_id}: {flat(s.reason)}" for s in report.skipped]
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


def _finding(view: FindingView, style: _Styler) -> list[str]:
    finding = view.finding
    label = "ROOT CAUSE" if view.root else f"ALSO FOUND #{view.index}"
    severity = style(finding.severity.label.upper(), "bold", _SEVERITY_STYLE[finding.severity])
    times = f", {finding.count} times" if finding.count > 1 else ""
    where = f" in {finding.phase}" if finding.phase else ""
    lines = [style(f"{label}: {finding.title}", "bold") + f"  [{severity}] ({finding.rule_id}{where}{times})"]
    lines.extend("  " + row for row in textwrap.wrap(view.summary, 96))
    lines.extend(f"  {label}: {safe(value)}" for label, value in view.details)
    if not view.root:
        first = finding.evidence[0] if finding.evidence else None
        if first is not None:
            where = "build record, phase " + str(first.phase) if first.line_number is None else f"line {first.line_number}"
            lines.append(f"  {where}: {safe(first.text)}")
        return lines
    lines.append("")
    lines.append(style("  Evidence", "bold"))
    lines.extend(_excerpt(view.excerpt, style))
    if view.excerpt.more:
        lines.append(style(f"    ... and {view.excerpt.more} more matching lines", "dim"))
    lines.append("")
    lines.append(style("  How to fix it", "bold"))
    lines.extend(("    " + row) if row else "" for row in finding.remediation.splitlines())
    if finding.references:
        lines.append("")
        lines.append(style("  References", "bold"))
        lines.extend(f"    - {ref.title}: {ref.url}" for ref in finding.references)
    return lines


def _excerpt(excerpt: Excerpt, style: _Styler) -> list[str]:
    """The evidence window, ``>`` marking hits, then record evidence."""
    width = excerpt.number_width
    rows: list[str] = []
    for line in excerpt.lines:
        if line.gap:
            rows.append(style("    " + "⋮".rjust(width), "dim"))
        elif line.hit is not None:
            before, match, after = line.parts
            rows.append(f"    {line.number:>{width}} > " + before + style(match, "bold", "red") + after)
        else:
            rows.append(style(f"    {line.number:>{width}}   {line.text}", "dim"))
    for hit in excerpt.record:
        where = f" {hit.phase}" if hit.phase else ""
        before, match, after = hit.parts
        rows += [f"    build record, phase context{where}:", "      " + before + style(match, "bold", "red") + after]
    return rows
