"""The Markdown reports: a compact comment for a pull request; the scan summary as tables.

Root cause first (summary, evidence with line numbers, the fix, the links), the
other findings as a short list. GitHub refuses comments over 65,536 characters,
so every part has a budget and the report says when it cut something. Log text
only ever appears inside code: fenced blocks whose fence is longer than any
backtick run in the text, or inline code spans sized the same way.
"""

from __future__ import annotations

import re

from analyzer.report.interface import Renderer, RenderOptions
from analyzer.report.view import (
    DiagnosisView,
    Excerpt,
    FindingView,
    ScanView,
    flat,
    http_url,
    markdown_link,
    markdown_literal,
    safe,
    safe_markdown,
)

MAX_CHARS = 65_536
"""GitHub's limit for an issue or pull-request comment body."""

_SUMMARY_CHARS = 3_000
_LINE_CHARS = 1_000
"""As the engine's own cap on an evidence line (MatchOptions.max_text_chars)."""
_REMEDIATION_CHARS = 25_000
_OTHERS = 25
_NOTES = 10
_CLUSTERS = 20
"""Recurring unknown failures listed in a scan's Markdown."""
_NOTICE = (
    "\n\n> **Shortened:** long parts were cut so the comment stays under GitHub's {limit:,}-character "
    "limit. For everything, run `codebuild-doctor diagnose` with `--format html` or `--format text`.\n"
)


class _Budget:
    """Clips text to a size and remembers that it did."""

    def __init__(self) -> None:
        self.cut = False

    def clip(self, text: str, size: int) -> str:
        if len(text) <= size:
            return text
        self.cut = True
        return text[: size - 1] + "…"


def _code(text: str) -> str:
    """``text`` as an inline code span that its own backticks cannot close."""
    text = safe(text).replace("\t", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence_for(lines: list[str]) -> str:
    """A backtick fence longer than any backtick run in ``lines`` (at least three)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _evidence_block(excerpt: Excerpt, budget: _Budget) -> list[str]:
    """The evidence window as one numbered block (``>`` marks a hit), record evidence after it."""
    width = excerpt.number_width
    rows: list[str] = []
    for line in excerpt.lines:
        if line.gap:
            rows.append("⋮".rjust(width))
        else:
            marker = ">" if line.hit is not None else " "
            rows.append(f"{line.number:>{width}} {marker} " + budget.clip(line.text, _LINE_CHARS))
    for hit in excerpt.record:
        rows.append(budget.clip(f"build record, {hit.phase or 'phase'} context: {hit.text}", _LINE_CHARS))
    if not rows:
        return []
    fence = fence_for(rows)
    return [f"{fence}text", *rows, fence]


def _close_fences(text: str) -> str:
    """Close a code fence left open by clipping ``text`` (CommonMark: same char, at least as long)."""
    open_fence: str | None = None
    for line in text.splitlines():
        match = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if not match:
            continue
        marker = match.group(1)
        if open_fence is None:
            open_fence = marker
        elif marker[0] == open_fence[0] and len(marker) >= len(open_fence) and not line.strip()[len(marker):]:
            open_fence = None
    return text + f"\n{open_fence}" if open_fence else text


def _links(view: DiagnosisView) -> list[str]:
    build = view.build
    if build is None:
        return []
    # A record's javascript: link is dropped; an http(s) one cannot break out of its parentheses.
    links = [("build in the CodeBuild console", build.console_url), ("log in CloudWatch", build.logs.deep_link)]
    return [markdown_link(label, url) for label, url in links if http_url(url)]


def _header(view: DiagnosisView, budget: _Budget) -> list[str]:
    build = view.build
    title = view.root.title if view.root else "the build succeeded" if view.passed else "no known failure matched"
    out = [f"### codebuild-doctor: {markdown_literal(budget.clip(title, 300))}", ""]
    if build is not None:
        facts = [f"Build {_code(view.build_id)}", build.status or "status unknown"]
        failed = build.failed_phase
        if failed:
            facts.append(f"failed in {failed.phase_type}")
        if build.source_version:
            facts.append(f"source {_code(budget.clip(build.source_version, 200))}")
        out.append(" · ".join(facts))
    out.extend(f"{label}: {safe_markdown(budget.clip(value, 500))}  " for label, value in view.details)
    links = _links(view)
    if links:
        out.append(" · ".join(links))
    if len(out) > 2:
        out.append("")
    return out


def _root(view: FindingView, budget: _Budget) -> list[str]:
    finding = view.finding
    times = f", {finding.count} times" if finding.count > 1 else ""
    where = f" in {finding.phase}" if finding.phase else ""
    out = [
        f"**Root cause** ({finding.severity.label}, rule {_code(finding.rule_id)}{where}{times}): "
        + budget.clip(safe_markdown(view.summary.strip()), _SUMMARY_CHARS),
        "",
    ]
    if view.details:
        out += [f"- {label}: {safe_markdown(budget.clip(value, 500))}" for label, value in view.details] + [""]
    block = _evidence_block(view.excerpt, budget)
    if block:
        out += ["**Evidence**", "", *block, ""]
        if view.excerpt.more:
            out += [f"… and {view.excerpt.more} more matching lines.", ""]
    remediation = budget.clip(safe_markdown(finding.remediation.strip()), _REMEDIATION_CHARS)
    out += ["**How to fix it**", "", _close_fences(remediation), ""]
    if finding.references:
        out += ["**References**", ""]
        out += [f"- {markdown_link(r.title, r.url)}" for r in finding.references[:20]]
        out.append("")
    return out


def _others(findings: tuple[FindingView, ...], budget: _Budget, heading: str = "Also found") -> list[str]:
    if not findings:
        return []
    out = [f"**{heading}**", ""]
    for view in findings[:_OTHERS]:
        finding = view.finding
        line = f" (line {finding.first_line})" if finding.first_line else ""
        extra = "".join(f"; {label}: {safe_markdown(budget.clip(value, 200))}" for label, value in view.details)
        out.append(f"- {markdown_literal(budget.clip(view.title, 200))} — {view.severity}, {_code(finding.rule_id)}{line}{extra}")
    if len(findings) > _OTHERS:
        budget.cut = True
        out.append(f"- … and {len(findings) - _OTHERS} more")
    return [*out, ""]


def _unknown(view: DiagnosisView, budget: _Budget) -> list[str]:
    out = ["No rule matched this failure. "
           "If you find the cause, a rule for it helps the next person (README: Adding a rule).", ""]
    if view.tail:
        rows = [f"{line.number} {budget.clip(line.text, _LINE_CHARS)}" for line in view.tail]
        fence = fence_for(rows)
        out += ["**Last error-looking lines of the log**", "", f"{fence}text", *rows, fence, ""]
    return out


class MarkdownRenderer(Renderer):
    """Markdown for a pull-request comment, a wiki page or a chat message."""

    def __init__(self, options: RenderOptions | None = None, *, limit: int = MAX_CHARS) -> None:
        super().__init__(options)
        self.limit = limit
        """The longest comment: never longer than this, and says so when cut."""

    def render_diagnosis(self, view: DiagnosisView) -> str:
        budget = _Budget()
        out = _header(view, budget)
        if view.passed:
            out += _others(view.findings, budget, "Found (none of it failed the build)")
        elif view.root is None:
            out += _unknown(view, budget)
        else:
            out += _root(view.root, budget)
            out += _others(view.findings[1:], budget)
        notes = [f"- {markdown_literal(budget.clip(n, 500))}" for n in view.diagnosis.notes[:_NOTES]]
        if notes:
            out += ["**Notes**", "", *notes, ""]
        text = "\n".join(out).rstrip() + "\n"
        notice = _NOTICE.format(limit=self.limit)
        if len(text) > self.limit:  # the budgets above keep a normal report far below; this is the guard
            budget.cut = True
            text = _close_fences(text[: self.limit - len(notice) - 16].rsplit("\n", 1)[0])
        if budget.cut:
            text = text.rstrip() + "\n" + notice
        return text

    def render_scan(self, view: ScanView) -> str:
        """Causes ranked by builds (with minutes lost), projects, and skipped builds."""
        report, summary = view.report, view.summary
        since = report.since.strftime("%Y-%m-%d %H:%M") if report.since else "?"
        until = report.until.strftime("%Y-%m-%d %H:%M") if report.until else "?"
        out = [
            f"## CodeBuild failures in {report.region or '?'}, {since} to {until} UTC",
            "",
            f"{summary.builds} build{'' if summary.builds == 1 else 's'} diagnosed: {summary.diagnosed} explained, "
            f"{summary.unknown} unknown, {summary.skipped} skipped; {summary.minutes_lost:.1f} build minutes lost.",
        ]
        if summary.diagnosed:
            out.append(
                f"Of the explained: {summary.transient} transient (a re-run may pass, "
                f"{summary.transient_minutes:.1f} minutes), {summary.deterministic} deterministic."
            )
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
        if view.clusters:
            out += ["", "**Recurring unknown failures** (no rule names them; "
                    "`codebuild-doctor rules draft --from-scan FILE --cluster N` drafts one):", "",
                    "| # | failure | builds | minutes lost | projects | first seen | last seen |",
                    "|--:|---|--:|--:|---|---|---|"]  # fmt: skip
            for c in view.clusters[:_CLUSTERS]:
                cluster = c.cluster
                history = f" ({_cell(c.history)})" if c.history else ""
                out.append(
                    f"| {cluster.rank} | {_code(flat(c.name).replace('|', chr(92) + '|'))} | {cluster.builds}{history} | {cluster.minutes_lost:.1f} | "
                    f"{_cell(', '.join(cluster.projects))} | {c.first_seen or '-'} | {c.last_seen or '-'} |"
                )
            if len(view.clusters) > _CLUSTERS:
                out.append(f"\n… and {len(view.clusters) - _CLUSTERS} more (see the JSON report).")
        if report.skipped:
            out += ["", f"**{len(report.skipped)} skipped** (the scan is incomplete):", ""]
            out += [f"- `{_cell(s.build_id)}`: {_cell(s.reason)}" for s in report.skipped]
        return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    """A table cell: shown as it is (:func:`markdown_literal`), pipes escaped, line breaks flattened."""
    return markdown_literal(flat(text).replace("\\", "\\\\")).replace("|", "\\|")
