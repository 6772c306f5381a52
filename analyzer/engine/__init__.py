"""The diagnosis engine: a log's bytes and a build record in, a ranked :class:`Diagnosis` out.

Pure: it opens no file and imports neither boto3 nor jinja2 (rule templates
arrive compiled inside each :class:`~analyzer.models.Rule`), so it is tested
with inline data and benchmarked alone. The stages are generators: split and
normalise lines, tag phases, match every rule, fold repeated hits, then rank.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.engine.matcher import Matcher, MatchOptions
from analyzer.engine.prefilter import ENGINE_ENV, Prefilter, choose_backend, compile_prefilter
from analyzer.engine.ranking import (
    FailureContext,
    assign_role,
    build_passed,
    explain_unexplained,
    first_failed_phase,
    rank,
    sharpen_evidence,
)
from analyzer.engine.structure import LogStructure, StructureBuilder
from analyzer.engine.tail import ErrorTail, tail_before
from analyzer.models import Build, Diagnosis, Finding, LogStats, Role, Rule, RuleProblem, Severity

SUCCEEDED_NOTE = "the build succeeded: findings, if any, did not fail it"
"""The note of a diagnosis whose record says ``SUCCEEDED`` (else whose log says every phase did)."""


def succeeded(diagnosis: Diagnosis) -> bool:
    """Whether ``diagnosis`` is of a build that succeeded (its note says so): no finding failed it."""
    return SUCCEEDED_NOTE in diagnosis.notes


FALLBACK_TAG = "fallback"
"""Rules tagged so (``command-execution-error``) name a symptom, not a cause: with only such
findings, the diagnosis also carries the log's last error-looking lines (:attr:`Diagnosis.tail`)."""

__all__ = ["Baseline", "EngineOptions", "MatchOptions", "Prefilter", "compile_prefilter", "diagnose", "rank"]


@dataclass(frozen=True)
class Baseline:
    """A successful build's log as the failure locator's baseline, or why there is none."""

    shapes: frozenset[str]
    """:func:`analyzer.engine.locator.baseline_shapes` of its log; empty when there is none."""
    source: str = ""
    """Which build it comes from, for the report (``build <id>``)."""
    note: str = ""
    """What the diagnosis's notes say of it: which build was used, or why none was."""
    lasting: bool = True
    """Whether another try would find the same (``False``: throttled, a network error, out of time),
    so ``scan`` shares it with the project's other builds only when it is lasting."""


@dataclass(frozen=True)
class EngineOptions:
    """Options of one diagnosis."""

    match: MatchOptions = field(default_factory=MatchOptions)
    tail_lines: int = 10
    """How many of the last error-looking lines to keep for :attr:`Diagnosis.tail` (0: none)."""
    engine: str = "auto"
    """``auto`` (hyperscan if installed, else pure Python), ``hyperscan``, ``python`` or
    ``reference`` (every line, every pattern: the slow definition of the right answer).
    The ``CODEBUILD_DOCTOR_ENGINE`` environment variable overrides it."""
    locate: bool = True
    """Add the failure locator's finding when no rule names a cause (off: rules' findings only)."""
    baseline: frozenset[str] = frozenset()
    """Line shapes of a successful build's log (:func:`analyzer.engine.locator.baseline_shapes`):
    the locator does not take a line of one of these shapes for the error."""
    fetch_baseline: Callable[[], Baseline] | None = None
    """A baseline read on demand when :attr:`baseline` is empty (``diagnose --build-id``: the
    project's last successful build's log): called at most once, and only when the failure
    locator runs, so a build a rule explains costs no extra call. It must not raise (a baseline
    that cannot be had is a :class:`Baseline` with a note); its note goes into the diagnosis."""
    prefilter: Prefilter | None = None
    """A prefilter compiled for these rules (e.g. loaded from the on-disk cache); built if ``None``."""


_PREFILTERS: dict[Any, Prefilter] = {}
_COMPILING = threading.Lock()


def prefilter_for(rules: Sequence[Rule], backend: str) -> Prefilter:
    """The prefilter of ``rules`` for ``backend``, compiled once per process and rule set."""
    no_automaton = os.environ.get(ENGINE_ENV + "_NO_AHOCORASICK")
    key = (backend, no_automaton, tuple((r.id, tuple((p.regex.pattern, p.regex.flags, p.source) for p in r.patterns)) for r in rules))
    found = _PREFILTERS.get(key)
    if found is None:
        # One compile for all threads: scan's workers would otherwise each compile the
        # database at once (16 workers made a scan 5x slower than 1).
        with _COMPILING:
            found = _PREFILTERS.get(key)
            if found is None:
                if len(_PREFILTERS) > 16:
                    _PREFILTERS.clear()
                found = _PREFILTERS[key] = compile_prefilter(rules, backend)
    return found


class _CountingChunks:
    """Wraps the chunk iterable to count bytes as they stream past."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.total = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for chunk in self._chunks:
            self.total += len(chunk)
            yield chunk


def diagnose(
    rules: Sequence[Rule],
    log: Iterable[bytes] | None,
    build: Build | None = None,
    *,
    log_source: str = "log",
    notes: Sequence[str] = (),
    options: EngineOptions | None = None,
) -> Diagnosis:
    """Diagnose one build.

    ``log`` is the build log as an iterable of byte chunks (any split; ``None`` when
    no log could be had), ``build`` the record from ``BatchGetBuilds`` whose phase
    contexts are matched too. Returns the findings ranked root cause first; a rule
    whose pattern timed out is listed in :attr:`Diagnosis.problems`.
    """
    options = options or EngineOptions()
    matcher = Matcher(rules, options.match)
    stats = None
    structure = None
    tail = ErrorTail(options.tail_lines)
    if log is not None:
        counted = _CountingChunks(log)
        backend = choose_backend(options.engine)
        builder = StructureBuilder()
        if backend == "reference":
            from analyzer.engine.reference import feed_all_lines

            lines, last_lines = feed_all_lines(matcher, counted, tail, builder)
        else:
            from analyzer.engine.fast import feed_prefiltered

            prefilter = options.prefilter
            if prefilter is None or prefilter.backend != backend:
                prefilter = prefilter_for(rules, backend)
            lines, last_lines = feed_prefiltered(matcher, counted, prefilter, tail, builder)
        matcher.lines = lines
        stats = LogStats(lines=lines, bytes=counted.total, source=log_source)
        structure = builder.finish(last_lines, lines)
    if build is not None:
        matcher.feed_phase_contexts(
            (phase.phase_type, context) for phase in build.phases for context in phase.contexts
        )
    problems = list(matcher.problems())
    redact = options.match.redact
    if build is not None and redact:
        # Record values are masked before a template sees them (the initiator, source version
        # and phase contexts are free text; see analyzer.redact).
        from analyzer.redact import redact_build

        build = redact_build(build)
    succeeded = dict(matcher.phase_succeeded)
    if build is not None:  # the record's phase statuses are the authority
        succeeded.update(
            (phase.phase_type, phase.phase_status == "SUCCEEDED") for phase in build.phases if phase.phase_status
        )
    findings = []
    notes = list(notes)
    for rule, count, captures, evidence in matcher.finish():
        finding, problem = _finding(rule, count, captures, evidence, build, matcher.hits(rule))
        phases = {e.phase for e in evidence}
        if evidence and None not in phases and all(succeeded.get(p) is True for p in phases):
            # It matched only in phases that succeeded: it did not fail this build by itself.
            if finding.severity > Severity.INFO:
                finding = dataclasses.replace(finding, severity=Severity.INFO)
            finding = dataclasses.replace(
                finding, role=Role.NOISE, role_reason=f"only in phases that succeeded ({', '.join(sorted(phases))})"
            )
            notes.append(
                f"{finding.rule_id} matched only in phases that succeeded ({', '.join(sorted(phases))}): "
                "it did not fail the build, so it is reported as info"
            )
        findings.append(finding)
        if problem:
            problems.append(problem)
    context = FailureContext.of(structure, build, succeeded)
    if stats is not None:  # what the log alone says, beside the record's own phases
        stats = dataclasses.replace(stats, failed_phase=first_failed_phase(structure, matcher.phase_succeeded))
    findings = sharpen_evidence([assign_role(finding, context) for finding in findings], structure, options.match.context_lines)
    fetched: list[Baseline] = []

    def baseline() -> tuple[frozenset[str], str]:
        if options.baseline or options.fetch_baseline is None:
            return options.baseline, ""
        if not fetched:
            fetched.append(options.fetch_baseline())
        return fetched[0].shapes, fetched[0].source

    if options.locate:
        findings.extend(
            explain_unexplained(findings, structure, context, build, options.match.context_lines, baseline)
        )
        notes.extend(found.note for found in fetched if found.note)
    if redact:
        # The log model re-reads lines for sharper evidence and the locator builds its own
        # finding from raw lines: they are masked here too (idempotent on the matcher's).
        from analyzer.redact import redact_located

        findings = redact_located(findings, {rule.id for rule in rules})
    passed = build_passed(structure, context, build)
    if passed and SUCCEEDED_NOTE not in notes:
        notes.insert(0, SUCCEEDED_NOTE)
    return Diagnosis(
        findings=tuple(rank(findings)),
        build=build,
        log=stats,
        notes=tuple(notes),
        problems=tuple(problems),
        # With no cause at all (not even a located block: the failing command printed
        # nothing the locator reads as an error), the log's last complaints are kept.
        # A build that passed has no failure to look for (its 'error' lines did not fail it).
        tail=(
            _tail(tail, structure, options.tail_lines, redact)
            if not passed and not any(f.role is Role.CAUSE for f in findings)
            else ()
        ),
    )


def _tail(tail: ErrorTail, structure: LogStructure | None, size: int, redact: bool) -> tuple[Any, ...]:
    if structure is not None and structure.failure is not None:
        # The first failed command's own complaints, not a later phase's lines.
        lines = tail_before(structure.window, structure.failure.line, size)
    else:
        # A line that ends a command or a phase (a pasted ``COMMAND_EXECUTION_ERROR: ...``)
        # only reports the failure, and a finding shows it already.
        markers = {marker.line for marker in structure.markers} if structure is not None else set()
        lines = tuple(line for line in tail.lines() if line.line_number not in markers)
    if not redact or not lines:
        return lines
    from analyzer.redact import redact_context

    return redact_context(lines)


_INERT = str.maketrans({"`": "\u02cb"})
# Only a ``<`` that can open raw HTML or an autolink (a letter, ``/``, ``!`` or ``?`` after it,
# or the end of the value, where template text follows) needs its look-alike; ``>`` opens
# nothing. A version constraint (``>= 3.5``, ``<4``) must read, and paste, as the tool printed it.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?]|$)")


def inert(value: str) -> str:
    """A log-derived value made safe to put into a rule's Markdown.

    Captures and record fields are text from a log or a branch name: a backtick would close
    the code span a template puts them in, ``<img ...>`` is live HTML in a GitHub comment, and
    ``![x](url)`` a tracking image. The backtick and a ``<`` that can open a tag become
    look-alikes (ˋ ‹) and ``](`` is split; the JSON report's ``captures`` keep the values as
    captured.
    """
    return _TAG_OPEN.sub("\u2039", value.translate(_INERT)).replace("](", "] (")


_SOURCE_PREFIX = re.compile(
    r"/codebuild/output/src\d+/src\d*/"
    # CodeBuild checks a GitHub, GitHub Enterprise, Bitbucket or GitLab source out under
    # <host>/<owner>/<repo>/, a CodeCommit one under <host>/v1/repos/<repo>/.
    r"(?:(?:github\.com|bitbucket\.org|gitlab\.com|[\w.-]*github[\w.-]*)/[^/\s]+/[^/\s]+/"
    r"|git-codecommit\.[\w.-]+/v1/repos/[^/\s]+/)?"
)


_WINDOWS_SOURCE_PREFIX = re.compile(r"(?i)\b[a-z]:\\codebuild\\tmp\\output\\src\d+\\src\d*\\")
"""The source directory of a build on a Windows image (``C:\\codebuild\\tmp\\output\\src220042227\\src\\``)."""


def repo_relative(value: str) -> str:
    """``value`` with CodeBuild's source checkout prefix removed from every path in it.

    ``/codebuild/output/src1162446371/src/github.com/acme/billing/src/Main.java`` becomes
    ``src/Main.java``: the path a reader finds in the repository (field case 002); on a Windows
    image ``C:\\codebuild\\tmp\\output\\src220042227\\src\\Web\\Web.csproj`` becomes ``Web\\Web.csproj``.
    """
    if "/codebuild/output/src" in value:
        value = _SOURCE_PREFIX.sub("", value)
    if "codebuild\\tmp\\output\\src" in value.lower():
        value = _WINDOWS_SOURCE_PREFIX.sub("", value)
    return value


def _template_value(value: str) -> str:
    return inert(repo_relative(value))


def _finding(rule, count, captures, evidence, build, hits=()):  # type: ignore[no-untyped-def]
    phase = next((e.phase for e in evidence if e.phase), None)
    build_data = {k: inert(v) if isinstance(v, str) else v for k, v in (build.to_dict() if build else {}).items()}
    safe = {name: _template_value(value) for name, value in captures.items()}
    variables = {
        **safe,
        "captures": safe,
        # Every hit's own captures, so a template lists several facts without splicing them.
        "hits": [{name: _template_value(value) for name, value in hit.items()} for hit in hits],
        "build": build_data,
        "phase": phase,
        "count": count,
    }
    # The build's Region and account, unless a capture of the same name (from the log, more
    # specific) is there; left undefined without a build, so ``| default(...)`` applies.
    for name in ("region", "account"):
        if name not in safe and build_data.get(name):
            variables[name] = build_data[name]
    problem = None
    try:
        summary = rule.summary(variables)
        remediation = rule.remediation(variables)
    except Exception as exc:  # a template that fails at render time must not stop the diagnosis
        problem = RuleProblem(rule.id, f"template failed to render: {exc}")
        summary, remediation = rule.title, "(the rule's remediation template failed to render)"
    first = evidence[0] if evidence else None
    location = f"{first.line_number}:{first.phase}" if first else ""
    key = f"{rule.id}|{build.build_id if build else ''}|{location}"
    finding = Finding(
        finding_id=hashlib.sha256(key.encode()).hexdigest()[:16],
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity,
        category=rule.category,
        priority=rule.priority,
        count=count,
        evidence=evidence,
        captures=captures,
        summary=summary,
        remediation=remediation,
        references=rule.references,
        tags=rule.tags,
        transient=rule.transient,
        retry=rule.retry,
    )
    return finding, problem
