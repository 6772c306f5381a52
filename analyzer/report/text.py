"""The terminal report: root cause first, evidence with line numbers, the fix, the links; and the scan summary.

Laid out for a width (the terminal's, or a stable one for a pipe or a file) by
:mod:`analyzer.report.terminal`: wrapped at spaces only, rule Markdown rendered,
long evidence lines cut with an ellipsis around the match unless ``wide``.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from analyzer.aggregate import UNKNOWN, ScanSummary
from analyzer.models import Severity
from analyzer.report.interface import Renderer
from analyzer.report.terminal import cut, markdown, to_string, wrap
from analyzer.report.view import DiagnosisView, Excerpt, FindingView, ScanView, flat, safe

MAX_IDS = 10
"""Unknown builds listed by id in the scan summary before '... and N more'."""

MAX_CLUSTERS = 10
"""Recurring unknown failures shown in the scan summary before '... and N more'."""

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold magenta",
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "bold cyan",
}
"""The colour of each severity's label."""

ROLE_STYLE = {"cause": "bold", "wrapper": "", "consequence": "", "noise": "dim"}
"""The style of a finding's title by its role (cause, wrapper, consequence, noise), when findings have one."""

MATCH_STYLE = "bold red"
HEAD_STYLE = "bold"
CONTEXT_STYLE = "dim"
NOTE_STYLE = "yellow"


class TextRenderer(Renderer):
    """Text for a terminal, a pipe or a file, at ``options.width``; ANSI styles with ``options.color``."""

    def _style(self, style: str) -> str | None:
        return style if self.options.color and style else None

    def _text(self, text: str, style: str = "") -> Text:
        return Text(text, style=self._style(style) or "")

    def render_diagnosis(self, view: DiagnosisView) -> str:
        width = self.options.width
        out: list[Text] = []
        build = view.build
        if build is not None:
            head = self._text(f"Build {view.build_id}", HEAD_STYLE)
            head.append(f"  {build.status or 'status unknown'}")
            out += wrap(head, width, "", "  ")
            failed = view.failed_phase
            facts = []
            if failed:
                facts.append(f"failed in {failed.phase_type} ({failed.phase_status})")
            if view.duration is not None:
                facts.append(f"ran {view.duration}")
            if build.initiator:
                facts.append(f"started by {safe(build.initiator)}")
            if facts:
                out += wrap(", ".join(facts), width, "  ", "    ")
            if build.logs.deep_link:
                out += wrap(f"log: {build.logs.deep_link}", width, "  ", "    ")
        out += [line for label, value in view.details for line in wrap(f"{label}: {safe(value)}", width, "  ", "    ")]
        log = view.diagnosis.log
        if log is not None:
            out += wrap(self._text(f"Log: {safe(log.source)} ({log.lines} lines)", CONTEXT_STYLE), width, "", "  ")
        for note in view.notes:
            out += wrap(self._text(f"note: {note}", NOTE_STYLE), width, "", "      ")
        if out:
            out.append(Text(""))
        if not view.findings and view.passed:
            out += wrap("Nothing failed: the build succeeded.", width)
        elif not view.findings:
            out += wrap("No known failure matched. A rule for the cause helps the next person (README: Adding a rule).", width)
        elif view.tail:
            out += wrap("Only a generic rule matched: the tool's own error is likely among the lines below.", width)
        if view.tail:
            # Shown before the generic finding: these lines are where the cause is.
            out.append(Text(""))
            out.append(self._text("  Last error-looking lines of the log", HEAD_STYLE))
            digits = len(str(view.tail[-1].number))
            for line in view.tail:
                out.append(self._gutter(f"    {line.number:>{digits}}   ", line.text, "", "", ""))
            out.append(Text(""))
        for finding in view.findings:
            out += self._finding(finding)
            out.append(Text(""))
        for problem in view.diagnosis.problems:
            out += wrap(self._text(f"warning: rule {problem.rule_id}: {safe(problem.message)}", NOTE_STYLE), width, "", "  ")
        while out and not out[-1].plain.strip():
            out.pop()
        return to_string(out, color=self.options.color)

    def _finding(self, view: FindingView) -> list[Text]:
        width, color = self.options.width, self.options.color
        finding = view.finding
        role = getattr(finding, "role", None)
        role_name = str(getattr(role, "value", role)) if role is not None else ""
        label = view.label.upper() + ("" if view.root else f" #{view.index + 1 if view.passed else view.index}")
        head = self._text(f"{label}: {view.title}", ROLE_STYLE.get(role_name, HEAD_STYLE) if role_name else HEAD_STYLE)
        head.append("  [")
        head.append(finding.severity.label.upper(), style=self._style(SEVERITY_STYLE[finding.severity]) or "")
        times = f", {finding.count} times" if finding.count > 1 else ""
        where = f" in {finding.phase}" if finding.phase else ""
        head.append(f"] ({finding.rule_id}{where}{times})")
        lines = wrap(head, width, "", "  ")
        lines += markdown(finding.summary, width, "  ", color=color)
        for name, value in view.details:
            lines += wrap(f"{name}: {safe(value)}", width, "  ", "    ")
        if not view.root:
            first = finding.evidence[0] if finding.evidence else None
            if first is not None:
                where = f"build record, phase {first.phase}" if first.line_number is None else f"line {first.line_number}"
                lines.append(self._gutter(f"  {where}: ", *_parts(first)))
            return lines
        lines.append(Text(""))
        lines.append(self._text("  Evidence", HEAD_STYLE))
        lines += self._excerpt(view.excerpt)
        if view.excerpt.more:
            lines.append(self._text(f"    ... and {view.excerpt.more} more matching lines", CONTEXT_STYLE))
        lines.append(Text(""))
        lines.append(self._text("  How to fix it", HEAD_STYLE))
        lines += markdown(finding.remediation, width, "    ", color=color)
        if finding.references:
            lines.append(Text(""))
            lines.append(self._text("  References", HEAD_STYLE))
            for ref in finding.references:
                lines += wrap(f"{safe(ref.title)}: {ref.url}", width, "    - ", "      ")
        return lines

    def _gutter(self, prefix: str, before: str, match: str, after: str, style: str = "") -> Text:
        """One evidence line after its gutter, cut to the width around the match unless ``wide``."""
        if not self.options.wide:
            before, match, after = cut(before, match, after, self.options.width - len(prefix))
        line = Text(prefix)
        line.append(before, style=self._style(style) or "")
        line.append(match, style=self._style(MATCH_STYLE) or "")
        line.append(after, style=self._style(style) or "")
        return line

    def _excerpt(self, excerpt: Excerpt) -> list[Text]:
        """The evidence window, ``>`` marking hits, then record evidence."""
        digits = excerpt.number_width
        rows: list[Text] = []
        for line in excerpt.lines:
            if line.gap:
                rows.append(self._text("    " + "⋮".rjust(digits), CONTEXT_STYLE))
            elif line.hit is not None:
                rows.append(self._gutter(f"    {line.number:>{digits}} > ", *line.parts))
            else:
                rows.append(self._gutter(f"    {line.number:>{digits}}   ", line.text, "", "", CONTEXT_STYLE))
        for hit in excerpt.record:
            where = f" {hit.phase}" if hit.phase else ""
            rows.append(Text(f"    build record, phase context{where}:"))
            rows.append(self._gutter("      ", *hit.parts))
        return rows

    def _clusters(self, view: ScanView, head: Callable[[str], None]) -> list[Text]:
        """The recurring unknown failures: each with its figures, projects, times and one build's line."""
        width = self.options.width
        builds = sum(c.cluster.builds for c in view.clusters)
        head(f"Recurring unknown failures ({_plural(len(view.clusters), 'cluster')} of {_plural(builds, 'build')}): "
             "no rule names them; 'rules draft --from-scan FILE --cluster N' drafts one")  # fmt: skip
        out: list[Text] = []
        for c in view.clusters[:MAX_CLUSTERS]:
            cluster = c.cluster
            out += wrap(self._text(f"{cluster.rank}. {c.name}", HEAD_STYLE), width, "  ", "     ")
            facts = (
                f"{_plural(cluster.builds, 'build')}, {cluster.minutes_lost:.1f} build minutes lost; "
                f"{', '.join(cluster.projects)}; first {c.first_seen or '?'}, last {c.last_seen or '?'}"
            )
            out += wrap(facts, width, "     ", "     ")
            if c.history:
                out += wrap(c.history, width, "     ", "     ")
            sample = cluster.sample
            where = f" line {sample.block.line.line_number}" if sample.block.line.line_number else ""
            out += wrap(f"e.g. {sample.build_id}{where}: {flat(safe(sample.line))}", width, "     ", "       ")
        if len(view.clusters) > MAX_CLUSTERS:
            out.append(Text(f"  ... and {len(view.clusters) - MAX_CLUSTERS} more (see --format json)"))
        return out

    def render_scan(self, view: ScanView) -> str:
        width = self.options.width
        report, summary = view.report, view.summary
        out: list[Text] = []

        def head(text: str) -> None:
            out.extend(wrap(self._text(text, HEAD_STYLE), width, "", "  "))

        where = report.region or "?"
        if report.account:
            where += f", account {report.account}"
        head(f"Scan of {where}: builds started {view.since or '?'} to {view.until or '?'}")
        out += wrap(f"projects: {', '.join(report.projects) or '(none)'}", width, "  ", "    ")
        out += wrap(f"statuses: {', '.join(report.statuses)}", width, "  ", "    ")
        share = f" ({summary.diagnosed_share:.0%})" if summary.builds else ""
        out += wrap(
            f"{summary.builds} build{'' if summary.builds == 1 else 's'} diagnosed: {summary.diagnosed} explained{share}, "
            f"{summary.unknown} unknown; {summary.skipped} skipped; {summary.minutes_lost:.1f} build minutes lost",
            width, "  ", "    ",
        )  # fmt: skip
        if summary.diagnosed:
            out += wrap(
                f"of the explained: {summary.transient} transient (a re-run may pass, "
                f"{summary.transient_minutes:.1f} minutes), {summary.deterministic} deterministic",
                width, "  ", "    ",
            )  # fmt: skip
        if summary.builds:
            out.append(Text(""))
            head("Causes by builds")
            out += _causes(summary, width, by_minutes=False)
            out.append(Text(""))
            head("Causes by build minutes lost")
            out += _causes(summary, width, by_minutes=True)
            out.append(Text(""))
            head("Per project")
            size = max(len("project"), *(len(p.project) for p in summary.projects))
            rows = [(f"  {'project':<{size}}  builds  explained  minutes  ", "top cause")]
            rows += [
                (f"  {p.project:<{size}}  {p.builds:>6}  {p.diagnosed:>9}  {p.minutes_lost:>7.1f}  ", p.top_cause or "-")
                for p in summary.projects
            ]
            out += _table(rows, width)
        if view.clusters:
            out.append(Text(""))
            out += self._clusters(view, head)
        unknown = next((c for c in summary.causes if c.rule_id == UNKNOWN), None)
        if unknown is not None:
            out.append(Text(""))
            head(f"Unknown failures ({unknown.builds}): no rule explained these builds")
            out += [Text(f"  {build_id}") for build_id in unknown.build_ids[:MAX_IDS]]
            if unknown.builds > MAX_IDS:
                out.append(Text(f"  ... and {unknown.builds - MAX_IDS} more (see --format json)"))
        if report.skipped:
            out.append(Text(""))
            head(f"Skipped builds ({len(report.skipped)}): the scan is incomplete (exit status 3)")
            for s in report.skipped:
                out += wrap(f"{s.build_id}: {flat(s.reason)}", width, "  ", "    ")
        if not summary.builds and not report.skipped:
            out += [Text(""), Text("No build matched the window and statuses.")]
        return to_string(out, color=self.options.color)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _parts(evidence) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    text, start, end = evidence.text, evidence.match_start, evidence.match_end
    return safe(text[:start]), safe(text[start:end]), safe(text[end:])


def _causes(summary: ScanSummary, width: int, *, by_minutes: bool) -> list[Text]:
    """A table of causes; the projects column wraps under itself."""
    causes = summary.causes_by_minutes() if by_minutes else summary.causes
    size = max(len("cause"), *(len(c.rule_id) for c in causes))
    rows = [(f"  {'builds':>6}  {'minutes':>7}  {'cause':<{size}}  {'severity':<8}  ", "projects")]
    for c in causes:
        severity = c.severity.label if c.severity else "-"
        rows.append((f"  {c.builds:>6}  {c.minutes_lost:>7.1f}  {c.rule_id:<{size}}  {severity:<8}  ", ", ".join(c.projects)))
    return _table(rows, width)


def _table(rows: list[tuple[str, str]], width: int) -> list[Text]:
    """Rows of fixed columns and a last free-text column, which wraps under itself when there is room.

    When the fixed columns leave less than 20 cells, the last column goes on the lines
    below each row instead (a narrow terminal).
    """
    fixed = max(len(prefix) for prefix, _last in rows)
    out: list[Text] = []
    if width - fixed >= 20:
        for prefix, last in rows:
            out += wrap(last, width, prefix, " " * len(prefix))
        return out
    for prefix, last in rows:
        out.append(Text(prefix.rstrip()))
        out += wrap(last, width, "        ", "        ")
    return out
