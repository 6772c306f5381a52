"""The terminal report: root cause first, evidence with line numbers, the fix, the links."""

from __future__ import annotations

import textwrap

from analyzer.models import Diagnosis, Evidence, Finding, Severity

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


def _safe(text: str) -> str:
    """Log text must not drive the terminal: drop control characters but tab."""
    return "".join(ch if ch >= " " or ch == "\t" else "\ufffd" for ch in text)


def render_text(diagnosis: Diagnosis, *, color: bool = False) -> str:
    """The human report for a terminal or a file; ``color`` adds ANSI styles."""
    style = _Styler(color)
    out: list[str] = []
    build = diagnosis.build
    if build is not None:
        out.append(style(f"Build {build.build_id}", "bold") + f"  {build.status or 'status unknown'}")
        failed = build.failed_phase
        details = []
        if failed:
            details.append(f"failed in {failed.phase_type} ({failed.phase_status})")
        if build.duration_seconds is not None:
            details.append(f"ran {_duration(build.duration_seconds)}")
        if build.initiator:
            details.append(f"started by {build.initiator}")
        if details:
            out.append("  " + ", ".join(details))
        if build.logs.deep_link:
            out.append(f"  log: {build.logs.deep_link}")
    if diagnosis.log is not None:
        out.append(style(f"Log: {diagnosis.log.source} ({diagnosis.log.lines} lines)", "dim"))
    for note in diagnosis.notes:
        out.append(style(f"note: {_safe(note)}", "yellow"))
    if out:
        out.append("")

    if not diagnosis.findings:
        out.append("No known failure matched. A rule for the cause helps the next person (README: Adding a rule).")
    elif diagnosis.tail:
        out.append("Only a generic rule matched: the tool's own error is likely among the lines below.")
    if diagnosis.tail:
        # Shown before the generic finding: these lines are where the cause is.
        out.append("")
        out.append(style("  Last error-looking lines of the log", "bold"))
        width = len(str(diagnosis.tail[-1].line_number))
        out.extend(f"    {c.line_number:>{width}}   {_safe(c.text)}" for c in diagnosis.tail)
        out.append("")
    for index, finding in enumerate(diagnosis.findings):
        out.extend(_finding(finding, index, style))
        out.append("")
    for problem in diagnosis.problems:
        out.append(style(f"warning: rule {problem.rule_id}: {problem.message}", "yellow"))
    return "\n".join(out).rstrip() + "\n"


def _finding(finding: Finding, index: int, style: _Styler) -> list[str]:
    label = "ROOT CAUSE" if index == 0 else f"ALSO FOUND #{index}"
    severity = style(finding.severity.label.upper(), "bold", _SEVERITY_STYLE[finding.severity])
    times = f", {finding.count} times" if finding.count > 1 else ""
    where = f" in {finding.phase}" if finding.phase else ""
    lines = [
        style(f"{label}: {finding.title}", "bold") + f"  [{severity}] ({finding.rule_id}{where}{times})",
    ]
    lines.extend("  " + row for row in textwrap.wrap(_safe(finding.summary), 96))
    if index > 0:
        first = finding.evidence[0] if finding.evidence else None
        if first is not None:
            lines.append("  " + _evidence_head(first))
        return lines
    lines.append("")
    lines.append(style("  Evidence", "bold"))
    lines.extend(_excerpt(finding.evidence, style))
    if finding.count > len(finding.evidence):
        lines.append(style(f"    ... and {finding.count - len(finding.evidence)} more matching lines", "dim"))
    lines.append("")
    lines.append(style("  How to fix it", "bold"))
    lines.extend(("    " + row) if row else "" for row in finding.remediation.splitlines())
    if finding.references:
        lines.append("")
        lines.append(style("  References", "bold"))
        lines.extend(f"    - {ref.title}: {ref.url}" for ref in finding.references)
    return lines


def _evidence_head(evidence: Evidence) -> str:
    if evidence.line_number is None:
        return f"build record, phase {evidence.phase}: {_safe(evidence.text)}"
    return f"line {evidence.line_number}: {_safe(evidence.text)}"


def _excerpt(evidence: tuple[Evidence, ...], style: _Styler) -> list[str]:
    """Log evidence as one grep -C style excerpt (overlapping context merged), then record evidence."""
    rows: list[str] = []
    context: dict[int, str] = {}
    hits: dict[int, Evidence] = {}
    for item in evidence:
        if item.line_number is None:
            where = f" {item.phase}" if item.phase else ""
            rows += [f"    build record, phase context{where}:", "      " + _highlight(item, style)]
            continue
        hits.setdefault(item.line_number, item)
        for line in (*item.before, *item.after):
            context[line.line_number] = line.text
    if not hits:
        return rows
    numbers = sorted(set(context) | set(hits))
    width = len(str(numbers[-1]))
    excerpt: list[str] = []
    previous = None
    for number in numbers:
        if previous is not None and number > previous + 1:
            excerpt.append(style("    " + "⋮".rjust(width), "dim"))
        if number in hits:
            excerpt.append(f"    {number:>{width}} > " + _highlight(hits[number], style))
        else:
            excerpt.append(style(f"    {number:>{width}}   {_safe(context[number])}", "dim"))
        previous = number
    return excerpt + rows


def _highlight(evidence: Evidence, style: _Styler) -> str:
    text = evidence.text
    start, end = evidence.match_start, evidence.match_end
    return _safe(text[:start]) + style(_safe(text[start:end]), "bold", "red") + _safe(text[end:])


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
