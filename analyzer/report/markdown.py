"""The Markdown report: a compact comment for a pull request.

Root cause first (summary, evidence with line numbers, the fix, the links), the
other findings as a short list. GitHub refuses comments over 65,536 characters,
so every part has a budget and the report says when it cut something. Log text
only ever appears inside code: fenced blocks whose fence is longer than any
backtick run in the text, or inline code spans sized the same way.
"""

from __future__ import annotations

import re

from analyzer.models import Diagnosis, Evidence, Finding

MAX_CHARS = 65_536
"""GitHub's limit for an issue or pull-request comment body."""

_SUMMARY_CHARS = 3_000
_LINE_CHARS = 1_000
"""As the engine's own cap on an evidence line (MatchOptions.max_text_chars)."""
_REMEDIATION_CHARS = 25_000
_OTHERS = 25
_NOTES = 10
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


def _safe(text: str) -> str:
    return "".join(ch if ch >= " " or ch == "\t" else "\ufffd" for ch in text)


def _code(text: str) -> str:
    """``text`` as an inline code span that its own backticks cannot close."""
    text = _safe(text).replace("\t", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence_for(lines: list[str]) -> str:
    """A backtick fence longer than any backtick run in ``lines`` (at least three)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _evidence_block(evidence: tuple[Evidence, ...], budget: _Budget) -> list[str]:
    """Log evidence as one numbered excerpt (``>`` marks a hit), record evidence after it."""
    context: dict[int, str] = {}
    hits: dict[int, str] = {}
    record: list[str] = []
    for item in evidence:
        if item.line_number is None:
            record.append(f"build record, {item.phase or 'phase'} context: {item.text}")
            continue
        hits.setdefault(item.line_number, item.text)
        for line in (*item.before, *item.after):
            context[line.line_number] = line.text
    rows: list[str] = []
    numbers = sorted(set(context) | set(hits))
    width = len(str(numbers[-1])) if numbers else 1
    previous = None
    for number in numbers:
        if previous is not None and number > previous + 1:
            rows.append("⋮".rjust(width))
        marker = ">" if number in hits else " "
        rows.append(f"{number:>{width}} {marker} " + budget.clip(_safe(hits.get(number, context.get(number, ""))), _LINE_CHARS))
        previous = number
    rows.extend(budget.clip(_safe(line), _LINE_CHARS) for line in record)
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


def _links(diagnosis: Diagnosis) -> list[str]:
    build = diagnosis.build
    links = []
    if build is not None and build.console_url:
        links.append(f"[build in the CodeBuild console]({build.console_url})")
    if build is not None and build.logs.deep_link:
        links.append(f"[log in CloudWatch]({build.logs.deep_link})")
    return links


def _header(diagnosis: Diagnosis, budget: _Budget) -> list[str]:
    build = diagnosis.build
    root = diagnosis.root_cause
    title = root.title if root else "no known failure matched"
    out = [f"### codebuild-doctor: {budget.clip(_safe(title), 300)}", ""]
    if build is not None:
        facts = [f"Build {_code(build.build_id)}", build.status or "status unknown"]
        failed = build.failed_phase
        if failed:
            facts.append(f"failed in {failed.phase_type}")
        if build.source_version:
            facts.append(f"source {_code(budget.clip(build.source_version, 200))}")
        out.append(" · ".join(facts))
    links = _links(diagnosis)
    if links:
        out.append(" · ".join(links))
    if len(out) > 2:
        out.append("")
    return out


def _root(finding: Finding, budget: _Budget) -> list[str]:
    times = f", {finding.count} times" if finding.count > 1 else ""
    where = f" in {finding.phase}" if finding.phase else ""
    out = [
        f"**Root cause** ({finding.severity.label}, rule {_code(finding.rule_id)}{where}{times}): "
        + budget.clip(_safe(finding.summary).strip(), _SUMMARY_CHARS),
        "",
    ]
    block = _evidence_block(finding.evidence, budget)
    if block:
        out += ["**Evidence**", "", *block, ""]
        if finding.count > len(finding.evidence):
            out += [f"… and {finding.count - len(finding.evidence)} more matching lines.", ""]
    remediation = budget.clip(finding.remediation.strip(), _REMEDIATION_CHARS)
    out += ["**How to fix it**", "", _close_fences(remediation), ""]
    if finding.references:
        out += ["**References**", ""]
        out += [f"- [{r.title}]({r.url})" for r in finding.references[:20]]
        out.append("")
    return out


def _others(findings: tuple[Finding, ...], budget: _Budget) -> list[str]:
    if not findings:
        return []
    out = ["**Also found**", ""]
    for finding in findings[:_OTHERS]:
        line = f" (line {finding.first_line})" if finding.first_line else ""
        out.append(f"- {budget.clip(_safe(finding.title), 200)} — {finding.severity.label}, {_code(finding.rule_id)}{line}")
    if len(findings) > _OTHERS:
        budget.cut = True
        out.append(f"- … and {len(findings) - _OTHERS} more")
    return [*out, ""]


def _unknown(diagnosis: Diagnosis, budget: _Budget) -> list[str]:
    out = ["No rule matched this failure. "
           "If you find the cause, a rule for it helps the next person (README: Adding a rule).", ""]
    if diagnosis.tail:
        rows = [f"{c.line_number} {budget.clip(_safe(c.text), _LINE_CHARS)}" for c in diagnosis.tail]
        fence = fence_for(rows)
        out += ["**Last error-looking lines of the log**", "", f"{fence}text", *rows, fence, ""]
    return out


def render_markdown(diagnosis: Diagnosis, *, limit: int = MAX_CHARS) -> str:
    """The pull-request comment; never longer than ``limit`` characters, and says so when cut."""
    budget = _Budget()
    out = _header(diagnosis, budget)
    root = diagnosis.root_cause
    if root is None:
        out += _unknown(diagnosis, budget)
    else:
        out += _root(root, budget)
        out += _others(diagnosis.findings[1:], budget)
    notes = [f"- {_safe(budget.clip(n, 500))}" for n in diagnosis.notes[:_NOTES]]
    if notes:
        out += ["**Notes**", "", *notes, ""]
    text = "\n".join(out).rstrip() + "\n"
    notice = _NOTICE.format(limit=limit)
    if len(text) > limit:  # the budgets above keep a normal report far below; this is the guard
        budget.cut = True
        text = _close_fences(text[: limit - len(notice) - 16].rsplit("\n", 1)[0])
    if budget.cut:
        text = text.rstrip() + "\n" + notice
    return text
