"""The view model every format renders: built once from a Diagnosis or a ScanReport.

What all the formats show is computed here, once: the evidence excerpt with its
window (context merged, gaps marked, the match split out), text made safe for a
terminal or a page, times and durations, the build's facts and the scan summary.
A renderer only lays it out. A field added here reaches every format that shows
:attr:`FindingView.details` or :attr:`DiagnosisView.details` without touching
the renderers (the JSON format follows its own versioned schema instead).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from datetime import date, datetime, timedelta, timezone

from analyzer.aggregate import UNKNOWN, ScanSummary, recurrences, summarise
from analyzer.clusters import Cluster, cluster_report
from analyzer.models import Build, BuildPhase, Diagnosis, Evidence, Finding, ScanReport

FAILED_STATUSES = frozenset({"FAILED", "FAULT", "TIMED_OUT", "STOPPED"})
"""Build statuses counted as failed in the scan figures (``BatchGetBuilds`` ``buildStatus``)."""

SEVERITY_ORDER = ("critical", "error", "warning", "info", "unknown")
"""Severity labels from the worst down, and 'unknown' for a build no rule explained."""

_MAX_DAYS = 120
"""A window longer than this lists only the days with builds (the trend would be unreadable)."""


# -- text and time ----------------------------------------------------------------------------


def safe(text: str) -> str:
    """Log text that cannot drive a terminal: control characters but tab become U+FFFD.

    One character for one, so match offsets into the original stay valid.
    """
    return "".join(ch if ch >= " " or ch == "\t" else "\ufffd" for ch in text)


_RECORD_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escaped(text: str) -> str:
    """A record's value with every control character but tab and newline shown escaped.

    ``\x1b]0;...\x07`` (a terminal title) or an OSC 52 clipboard write in a build's
    ``initiator`` becomes the visible text ``\x1b]0;...\x07``, as do C1 controls and the
    bidirectional overrides that reorder what a reader sees.
    """
    return _RECORD_CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def escaped_build(build: Build | None) -> Build | None:
    """``build`` with every string value escaped (see :func:`escaped`): what every format shows."""
    if build is None:
        return None
    import dataclasses

    changes = {
        f.name: escaped(value)
        for f in dataclasses.fields(build)
        if isinstance(value := getattr(build, f.name), str) and _RECORD_CONTROLS.search(value)
    }
    logs = build.logs
    link_changes = {
        f.name: escaped(value)
        for f in dataclasses.fields(logs)
        if isinstance(value := getattr(logs, f.name), str) and _RECORD_CONTROLS.search(value)
    }
    if link_changes:
        changes["logs"] = dataclasses.replace(logs, **link_changes)
    return dataclasses.replace(build, **changes) if changes else build


def http_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL, else ``None`` (no ``javascript:`` link from any record or rule)."""
    return url if url and url.strip().lower().startswith(("https://", "http://")) else None


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
# Backtick strings are maximal (CommonMark): "``x`" holds no code span. One after a backslash is
# taken for text (it may be escaped), so what it encloses is made safe too.
_CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?(?:\s+[^)]*)?\)")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(?!https?://)\S+.*$", re.M | re.I)
_RAW_HTML = re.compile(r"<(?=[A-Za-z/!?])")


def safe_markdown(text: str) -> str:
    """Rule or record Markdown for a PR comment, as the HTML report renders it: no raw HTML
    (``<`` before a tag becomes ``&lt;``), no images (their alt text stays), and links only to
    http(s) (another link keeps its text). Code blocks and code spans are left as they are.

    The result is then parsed as CommonMark (raw HTML on, every link scheme accepted): if
    anything unsafe is still there (a reference-style image, a link whose text holds
    brackets, a code span that is not one...), the whole text is shown literally
    (:func:`markdown_literal`) instead. So what the rewrite misses cannot reach the reader."""
    rewritten = _rewrite_markdown(text)
    if _URL_INTO_BACKTICK.search(rewritten) or _unsafe_markdown(rewritten):
        return markdown_literal(text)
    return rewritten


def markdown_literal(text: str) -> str:
    """Text (a record value, a note, a rule's title) for Markdown: nothing in it can open a link,
    an image or raw HTML. ``[ ] <`` become character references (``&#91;``...), never syntax;
    not backslash escapes, which GitHub's autolinking of a URL just before one takes as part
    of the URL (``https://x\\<javascript:...>`` gave a ``javascript:`` link). A backtick may
    still make a code span, which can only hide syntax, never make a link."""
    return _LITERAL.sub(lambda m: _REFERENCES[m.group()], safe(text))


def markdown_link(text: str, url: str | None) -> str:
    """``[text](url)`` when ``url`` is http(s), else ``text`` alone; both shown as they are.

    The URL has spaces, parentheses, ``<``, ``>``, ``\\`` and the like percent-encoded, so a
    ``)`` or a space in a record's deep link cannot end it early and start Markdown of its own.
    """
    from urllib.parse import quote

    label = markdown_literal(text)
    if not http_url(url):
        return label
    return f"[{label}]({quote(str(url).strip(), safe=_URL_SAFE)})"


# GitHub's autolinking runs a URL on through a backtick (``www.x.io`<img>` `` is a link, then raw
# HTML), so it no longer opens the code span CommonMark sees: such text is shown literally.
# A backslash just after a URL is taken into it the same way, so the ``\\<`` after it is no escape.
_URL_INTO_BACKTICK = re.compile(r"(?:www\.|://)[^\s<`\\]*[`\\]", re.I)
_LITERAL = re.compile(r"[\[\]<]")
_REFERENCES = {"[": "&#91;", "]": "&#93;", "<": "&lt;"}
_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"


def _unsafe_markdown(text: str) -> bool:
    """Whether CommonMark finds raw HTML, an image or a non-http(s) link in ``text``."""
    for token in _oracle().parse(text):
        if token.type == "html_block":
            return True
        for child in token.children or ():
            if child.type in ("image", "html_inline"):
                return True
            if child.type == "link_open" and not http_url(str(child.attrGet("href") or "")):
                return True
    return False


@functools.lru_cache(maxsize=1)
def _oracle() -> Any:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": True})
    parser.validateLink = lambda url: True  # see every link, whatever its scheme
    return parser


def _rewrite_markdown(text: str) -> str:
    out: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        opened = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            out.append(line)
            continue
        out.append(_safe_inline(line))
    return "".join(out)


def _safe_inline(line: str) -> str:
    parts: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_safe_prose(line[last : span.start()]))
        parts.append(span.group(0))
        last = span.end()
    parts.append(_safe_prose(line[last:]))
    return "".join(parts)


def _safe_prose(text: str) -> str:
    """Prose (no code in it): an http(s) inline link kept, every other bracket made inert.

    With no ``[`` or ``]`` left to the parser but those of the links kept, nothing else can
    make a link: not a reference link, a definition inside a block quote, nor link text
    holding brackets of its own."""
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK_DEFINITION.sub("", text)
    out: list[str] = []
    last = 0
    for link in _LINK.finditer(text):
        out.append(_inert(text[last : link.start()]))
        label, url = _inert(link.group(1)), link.group(2)
        out.append(f"[{label}]({url})" if http_url(url) else label)
        last = link.end()
    out.append(_inert(text[last:]))
    return "".join(out)


def _inert(text: str) -> str:
    """``[`` and ``]`` as character references, ``<`` before a tag as ``&lt;``."""
    return _RAW_HTML.sub("&lt;", text).replace("[", "&#91;").replace("]", "&#93;")


def flat(text: str) -> str:
    """Text for one line or a table cell: every non-printable character (tab too) becomes a space."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def when(value: datetime | None) -> str | None:
    """``2026-11-24 09:00 UTC``, or ``None`` for no time."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else None


def duration(seconds: float | None) -> str | None:
    """``4m05s`` or ``12s``; ``None`` for no duration."""
    if seconds is None:
        return None
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def window_label(since: datetime | None, until: datetime | None) -> str | None:
    """The length of ``since`` to ``until`` in the largest unit that reads well; ``None`` without both."""
    if since is None or until is None or until <= since:
        return None
    seconds = (until - since).total_seconds()
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= 2 * size or unit == "minute":
            count = seconds / size
            text = f"{count:.0f}" if abs(count - round(count)) < 0.05 else f"{count:.1f}"
            return f"{text} {unit}{'' if text == '1' else 's'}"
    return None  # pragma: no cover - the loop always returns


# -- the evidence excerpt ---------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of an excerpt (a log line with its number), or a gap between two windows."""

    number: int | None
    """The log line number; ``None`` for a gap (lines left out between two windows)."""
    text: str = ""
    """The whole line, safe."""
    hit: Evidence | None = None
    """The evidence when this line matched, else ``None`` (a context line)."""

    @property
    def gap(self) -> bool:
        """Whether this is a gap, not a line."""
        return self.number is None

    @property
    def parts(self) -> tuple[str, str, str]:
        """(before, match, after) of a hit, safe; a context line is all 'before'."""
        if self.hit is None:
            return self.text, "", ""
        return _split(self.hit)


def _split(evidence: Evidence) -> tuple[str, str, str]:
    text, start, end = evidence.text, evidence.match_start, evidence.match_end
    return safe(text[:start]), safe(text[start:end]), safe(text[end:])


@dataclass(frozen=True)
class RecordHit:
    """Evidence from the build record (a phase context), not from the log."""

    phase: str | None
    """The phase whose context matched."""
    evidence: Evidence
    """The evidence itself."""

    @property
    def parts(self) -> tuple[str, str, str]:
        """(before, match, after), safe."""
        return _split(self.evidence)

    @property
    def text(self) -> str:
        """The whole context message, safe."""
        return safe(self.evidence.text)


@dataclass(frozen=True)
class Excerpt:
    """A finding's log evidence as one grep -C style window (overlaps merged), then record evidence."""

    lines: tuple[Line, ...]
    """Log lines in order, with gaps."""
    record: tuple[RecordHit, ...]
    """Evidence from the build record."""
    more: int = 0
    """Matching lines the finding counted but did not keep as evidence."""

    @property
    def number_width(self) -> int:
        """Digits of the largest line number (for aligned gutters)."""
        numbers = [line.number for line in self.lines if line.number is not None]
        return len(str(max(numbers))) if numbers else 1


def excerpt(evidence: Iterable[Evidence], count: int | None = None) -> Excerpt:
    """The one evidence window of every format: hits and their context merged, gaps between."""
    context: dict[int, str] = {}
    hits: dict[int, Evidence] = {}
    record: list[RecordHit] = []
    items = list(evidence)
    for item in items:
        if item.line_number is None:
            record.append(RecordHit(item.phase, item))
            continue
        hits.setdefault(item.line_number, item)
        for line in (*item.before, *item.after):
            context[line.line_number] = line.text
    lines: list[Line] = []
    previous = None
    for number in sorted(set(context) | set(hits)):
        if previous is not None and number > previous + 1:
            lines.append(Line(None))
        hit = hits.get(number)
        lines.append(Line(number, safe(hit.text if hit else context[number]), hit))
        previous = number
    more = max(0, (count or 0) - len(items))
    return Excerpt(tuple(lines), tuple(record), more)


# -- one diagnosis ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingView:
    """One finding as every format shows it."""

    finding: Finding
    """The finding (after redaction)."""
    index: int
    """0 for the root cause, then 1, 2... for the others."""
    excerpt: Excerpt
    """Its evidence window."""
    details: tuple[tuple[str, str], ...] = ()
    """Extra (label, value) facts shown under the finding's heading in the human formats."""
    passed: bool = False
    """Whether the build succeeded: then no finding is its root cause (none failed it)."""

    @property
    def root(self) -> bool:
        """Whether this is the root cause (the first finding of a build that did not succeed)."""
        return self.index == 0 and not self.passed

    @property
    def label(self) -> str:
        """What the finding is to the build, as a heading says it: ``Root cause``, ``Also found``,
        or ``Found`` in a build that succeeded."""
        return "Root cause" if self.root else "Found" if self.passed else "Also found"

    @property
    def severity(self) -> str:
        """The severity label (``error``...)."""
        return self.finding.severity.label

    @property
    def summary(self) -> str:
        """The summary, safe."""
        return safe(self.finding.summary)

    @property
    def title(self) -> str:
        """The title, safe."""
        return safe(self.finding.title)


TRANSIENT = "transient"
"""The detail label of a finding whose rule says a re-run may pass."""

ROLE_LABEL = "Role"
"""The label of a finding's role in the human formats."""


def transient_note(finding: Finding, recurred: int | None = None) -> str | None:
    """``a re-run may pass; it recurred in 4 builds. <retry hint>`` for a transient finding, else ``None``."""
    if not finding.transient:
        return None
    text = "a re-run may pass"
    if recurred:
        text += f"; it recurred in {recurred} build{'' if recurred == 1 else 's'}"
    return text + (f". {finding.retry}" if finding.retry else "")


def role_text(finding: Finding) -> str:
    """``cause: in the output of the first command that failed (`npm test`)``."""
    return f"{finding.role.value}: {finding.role_reason}" if finding.role_reason else finding.role.value


def finding_view(finding: Finding, index: int, recurred: int | None = None, passed: bool = False) -> FindingView:
    """The view of one finding (its excerpt built here, once); ``recurred``: builds of a scan it fired on."""
    details: tuple[tuple[str, str], ...] = ((ROLE_LABEL, role_text(finding)),) if finding.role_reason else ()
    note = transient_note(finding, recurred)
    if note:
        details += ((TRANSIENT, note),)
    return FindingView(finding, index, excerpt(finding.evidence, finding.count), details, passed)


@dataclass(frozen=True)
class DiagnosisView:
    """One diagnosis as every format shows it: the build's facts, findings, notes and tail."""

    diagnosis: Diagnosis
    """The diagnosis (after redaction)."""
    findings: tuple[FindingView, ...]
    """Root cause first."""
    anchor: str = "build-0"
    """An id for the build's section in a page."""
    details: tuple[tuple[str, str], ...] = ()
    """Extra (label, value) facts about the build shown in the human formats."""

    @property
    def build(self) -> Build | None:
        """The build record, when there is one."""
        return self.diagnosis.build

    @property
    def build_id(self) -> str:
        """The build id; ``(log only)`` without a record, a note when the record has no id."""
        if self.build is None:
            return "(log only)"
        return self.build.build_id or "(no build id in the record)"

    @property
    def project(self) -> str:
        """The project, or ``(no project)``."""
        return (self.build.project if self.build else None) or "(no project)"

    @property
    def status(self) -> str:
        """The build status: the record's; without one, what the log shows (``SUCCEEDED`` when every
        phase did, ``FAILED`` when a phase failed); else ``UNKNOWN``."""
        if self.build is not None and self.build.status:
            return self.build.status
        if self.passed:
            return "SUCCEEDED"
        log = self.diagnosis.log
        return "FAILED" if log is not None and log.failed_phase else "UNKNOWN"

    @property
    def passed(self) -> bool:
        """Whether the build succeeded (the engine's note says so): its findings did not fail it."""
        from analyzer.engine import succeeded

        return succeeded(self.diagnosis)

    @property
    def root(self) -> FindingView | None:
        """The root cause, when a rule explained the failure (none in a build that succeeded)."""
        return self.findings[0] if self.findings and not self.passed else None

    @property
    def cause(self) -> str:
        """The rule id of the specific rule that explains the failure, or ``unknown`` (no rule
        fired, or the top finding is a wrapper, a consequence or the failure locator's block)."""
        explained = self.diagnosis.explained_by
        return explained.rule_id if explained else UNKNOWN

    @property
    def title(self) -> str:
        """The root cause's title, or a sentence saying there is none."""
        if self.root:
            return self.root.title
        return "The build succeeded" if self.passed else "No rule explained this failure"

    @property
    def severity(self) -> str:
        """The root cause's severity label, or ``unknown``."""
        return self.root.severity if self.root else "unknown"

    @property
    def failed_phase(self) -> BuildPhase | None:
        """The phase that failed, from the record."""
        return self.build.failed_phase if self.build else None

    @property
    def start(self) -> str | None:
        """When the build started."""
        return when(self.build.start_time) if self.build else None

    @property
    def duration(self) -> str | None:
        """How long the build ran."""
        return duration(self.build.duration_seconds) if self.build else None

    @property
    def notes(self) -> tuple[str, ...]:
        """The diagnosis's notes, safe."""
        return tuple(safe(note) for note in self.diagnosis.notes)

    @property
    def tail(self) -> tuple[Line, ...]:
        """The last error-looking lines (when only a generic rule or none fired), safe."""
        return tuple(Line(c.line_number, safe(c.text)) for c in self.diagnosis.tail)

    @property
    def search(self) -> str:
        """Lower-case text a page's search box matches against."""
        words = [self.build_id, self.project, self.status, self.cause, self.title]
        if self.build is not None:
            words += [self.build.source_version or "", self.build.initiator or ""]
        if self.root is not None:
            words.append(self.root.finding.summary)
            # The error block of an unrecognised failure is what a reader searches for.
            words += [e.text for e in self.root.finding.evidence]
        return " ".join(words).lower()


def diagnosis_view(diagnosis: Diagnosis, index: int = 0, recurrences: Mapping[str, int] | None = None) -> DiagnosisView:
    """The view of one diagnosis; ``index`` numbers it among a scan's builds, ``recurrences``
    (rule id -> builds it fired on, from :func:`~analyzer.aggregate.recurrences`) says how often
    a transient cause came back."""
    counts = recurrences or {}
    if diagnosis.build is not None:
        # The record's values (initiator, source version...) are shown escaped in every format.
        import dataclasses

        diagnosis = dataclasses.replace(diagnosis, build=escaped_build(diagnosis.build))
    from analyzer.engine import succeeded

    passed = succeeded(diagnosis)
    findings = tuple(finding_view(f, i, counts.get(f.rule_id), passed) for i, f in enumerate(diagnosis.findings))
    return DiagnosisView(diagnosis, findings, anchor=f"build-{index}")


# -- a scan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanView:
    """A scan as every format shows it: the summary (computed once), the window, the builds."""

    report: ScanReport
    """The scan report (after redaction)."""
    summary: ScanSummary
    """Figures by cause, project and day, from :func:`analyzer.aggregate.summarise`."""
    builds: tuple[DiagnosisView, ...]
    """Every diagnosed build, in the report's order."""
    days: tuple[str, ...] = field(default=())
    """Every day of the window (UTC, ISO dates), oldest first."""
    clusters: tuple[ClusterView, ...] = field(default=())
    """The unexplained builds' recurring failures, ranked (see :mod:`analyzer.clusters`)."""

    @property
    def since(self) -> str | None:
        """The window's start."""
        return when(self.report.since)

    @property
    def until(self) -> str | None:
        """The window's end."""
        return when(self.report.until)

    @property
    def window(self) -> str | None:
        """The window's length as the user asked for it: ``7 days`` for ``--since 7d``, ``24 hours``, ``90 minutes``.

        Counts the window, not the calendar days it touches (a 7-day window spans 8 dates).
        """
        return window_label(self.report.since, self.report.until)

    @property
    def records(self) -> tuple[Build, ...]:
        """The build records of the scan, diagnosed or skipped."""
        diagnosed = [d.build for d in self.report.diagnoses if d.build]
        return tuple(diagnosed + [s.build for s in self.report.skipped if s.build])

    @property
    def failed(self) -> int:
        """Builds (diagnosed or skipped) whose status is a failure."""
        return sum(1 for b in self.records if (b.status or "").upper() in FAILED_STATUSES)

    @property
    def account(self) -> str:
        """The scanned account, else the accounts of the builds, else ``unknown``."""
        accounts = sorted({b.account for b in self.records if b.account})
        return self.report.account or ", ".join(accounts) or "unknown"

    @property
    def region(self) -> str:
        """The scanned Region, else the Regions of the builds, else ``unknown``."""
        regions = sorted({b.region for b in self.records if b.region})
        return self.report.region or ", ".join(regions) or "unknown"

    @property
    def diagnosed(self) -> tuple[DiagnosisView, ...]:
        """Builds a rule explained."""
        return tuple(v for v in self.builds if v.cause != UNKNOWN)

    @property
    def unknown(self) -> tuple[DiagnosisView, ...]:
        """Builds no rule explained."""
        return tuple(v for v in self.builds if v.cause == UNKNOWN)


@dataclass(frozen=True)
class ClusterView:
    """A recurring unknown failure as every format shows it."""

    cluster: Cluster
    """The cluster (built from the redacted report)."""
    sample: Excerpt
    """The sample build's error block with its context (block lines are the hits)."""
    anchor: str = "cluster-1"
    """An id for the cluster's section in a page."""

    @property
    def name(self) -> str:
        """The cluster's name, safe."""
        return safe(self.cluster.name)

    @property
    def template(self) -> str:
        """The template, safe."""
        return safe(self.cluster.template)

    @property
    def first_seen(self) -> str | None:
        """When its oldest build of the scan started."""
        return when(self.cluster.first_seen)

    @property
    def last_seen(self) -> str | None:
        """When its newest build of the scan started."""
        return when(self.cluster.last_seen)

    @property
    def history(self) -> str | None:
        """``41 builds in the cache's history, first 2026-10-02 08:00 UTC``, or ``None`` without a cache."""
        history = self.cluster.history
        if history is None:
            return None
        first = f", first {when(history.first_seen)}" if history.first_seen else ""
        return f"{history.builds} build{'' if history.builds == 1 else 's'} in the cache's history{first}"


def cluster_view(cluster: Cluster) -> ClusterView:
    """The view of one cluster: its sample's excerpt built here, once."""
    sample = cluster.sample.block
    if sample.finding is not None:
        window = excerpt(e for e in sample.finding.evidence if e.line_number is not None)
    else:  # the log's last error-looking lines, or the failed phase's context (line 0)
        from analyzer.models import TextSource

        window = Excerpt(
            tuple(Line(c.line_number, safe(c.text)) for c in sample.lines if c.line_number),
            tuple(
                RecordHit(sample.phase, Evidence(TextSource.PHASE_CONTEXT, c.text, 0, len(c.text)))
                for c in sample.lines
                if not c.line_number
            ),
        )
    return ClusterView(cluster, window, anchor=f"cluster-{cluster.rank}")


def _days(summary: ScanSummary, report: ScanReport) -> tuple[str, ...]:
    """Every day of the window (UTC), oldest first; the days with builds when the window is unknown."""
    seen = sorted(summary.daily)
    first = report.since.astimezone(timezone.utc).date() if report.since else (date.fromisoformat(seen[0]) if seen else None)
    last = report.until.astimezone(timezone.utc).date() if report.until else (date.fromisoformat(seen[-1]) if seen else None)
    if first is None or last is None or last < first or (last - first).days >= _MAX_DAYS:
        return tuple(seen)
    return tuple((first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1))


def scan_view(report: ScanReport) -> ScanView:
    """The view of a scan: its summary and every build's view, built once."""
    import dataclasses

    # Every record value the scan's formats show is escaped once, here (see :func:`escaped`).
    report = dataclasses.replace(
        report,
        diagnoses=tuple(dataclasses.replace(d, build=escaped_build(d.build)) for d in report.diagnoses),
        skipped=tuple(dataclasses.replace(s, build=escaped_build(s.build)) for s in report.skipped),
    )
    summary = summarise(report)
    counts = recurrences(report)
    builds = tuple(diagnosis_view(d, i, counts) for i, d in enumerate(report.diagnoses))
    clusters = tuple(cluster_view(c) for c in cluster_report(report))
    return ScanView(report, summary, builds, _days(summary, report), clusters)
