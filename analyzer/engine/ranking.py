"""Causal ranking: every finding gets a role, and causes come first.

A rule's ``priority`` alone ranks a symptom above its cause whenever the symptom's rule is the
more specific one; where a line sits in the build says more. From the log model
(:mod:`analyzer.engine.structure`) and the record, each finding gets a :class:`Role`:

- **cause**: in the output of the first command that failed, in the first failed phase;
- **wrapper**: a rule tagged ``wrapper`` (or ``fallback``) only reports that another tool failed;
- **consequence**: after the first failure (a later phase; later commands);
- **noise**: in a phase or command that succeeded, or in a failing test's source or captured
  output (an error message quoted by the test is not the test's failure).

Order: role, then the rule's ``priority`` (which only breaks ties inside a role), severity, the
earliest evidence line, rule id. When no specific rule names a cause, :func:`explain_unexplained`
adds the failure locator's finding (or, for a log that stops mid-phase, a stopped-build one).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from analyzer.engine.lines import LOGGED_BELOW_ERROR, visible
from analyzer.engine.locator import Located, locate, test_noise_lines
from analyzer.engine.structure import PHASE_ORDER, LogStructure, Window
from analyzer.models import Build, ContextLine, Evidence, Finding, Role, RuleId, Severity, TextSource

WRAPPER_TAGS = frozenset(("wrapper", "fallback"))
"""Rules tagged so only report another tool's failure."""

LOCATOR_TAG = "locator"
"""The tag of the failure locator's finding (``unrecognised-failure``)."""

LOCATOR_RULE = RuleId("unrecognised-failure")
STOPPED_RULE = RuleId("build-stopped-mid-command")

STOPPED_STATUSES = frozenset(("TIMED_OUT", "STOPPED"))
"""Build statuses of a build that did not end by itself: its log stops inside a phase."""

STRONG_SIGNALS = frozenset(("test-failure", "diagnostic", "error-words"))
"""Located blocks that are an error the tool printed (not merely its last output or a warning)."""

CUT_ERROR_LINES = 20
"""How near the end of a log that stops inside a phase an error must be to be its cause."""

_SIGNALS = {
    "test-failure": "a test runner's failure report",
    "diagnostic": "an error the tool printed",
    "progress": "a test runner's line naming the failed test",
    "error-words": "the last line that reads as an error",
    "warning": "the first warning a compiler or linter printed at a place in the source (no error was printed)",
    "last-output": "the tool's last output before it exited",
}


@dataclass(frozen=True)
class FailureContext:
    """Where the build first failed, as the ranking needs it."""

    structure: LogStructure | None = None
    first_failed_phase: str | None = None
    succeeded: Mapping[str, bool] = field(default_factory=dict)
    test_noise: frozenset[int] = frozenset()
    """Lines of a failing test's source or captured output (pytest), in the failing command."""

    @classmethod
    def of(cls, structure: LogStructure | None, build: Build | None, succeeded: Mapping[str, bool]) -> FailureContext:
        """The context of a diagnosis: the log's structure, and the record's phases (the authority)."""
        first_failed = build.failed_phase.phase_type if build is not None and build.failed_phase else None
        if first_failed is None:
            first_failed = first_failed_phase(structure, succeeded)
        noise = frozenset(test_noise_lines(structure.window)) if structure is not None else frozenset()
        return cls(structure, first_failed, dict(succeeded), noise)

    @functools.cached_property
    def test_failure_line(self) -> int | None:
        """The first line of a test runner's failure report in the failing command, if any."""
        structure = self.structure
        if structure is None or structure.failure is None:
            return None
        located = locate(structure.window, structure.failure_span)
        return located.lines[0].number if located is not None and located.signal == "test-failure" else None

    @property
    def failure_line(self) -> int | None:
        """The line of the first failure's marker."""
        failure = self.structure.failure if self.structure is not None else None
        return failure.line if failure is not None else None


def first_failed_phase(structure: LogStructure | None, succeeded: Mapping[str, bool]) -> str | None:
    """The first phase that ``succeeded`` (phase -> whether it did) says failed, else the phase of
    the log's failure marker; ``None`` when neither shows one."""
    failed = next((p for p in PHASE_ORDER if succeeded.get(p) is False), None)
    if failed is None and structure is not None and structure.failure is not None:
        failed = structure.failure.phase
    return failed


def _phase_index(phase: str | None) -> int | None:
    return PHASE_ORDER.index(phase) if phase in PHASE_ORDER else None


def assign_role(finding: Finding, context: FailureContext) -> Finding:
    """``finding`` with its role and the reason for it (see the module docstring).

    Noise is at most ``info``: a message in a command that passed did not fail the build, so it
    does not count as an error (nor towards ``--fail-on``), as a match in a phase that succeeded.
    """
    if finding.role is not Role.CAUSE or finding.role_reason:
        return finding  # already decided (it matched only in phases that succeeded)
    role, reason = _role(finding, context)
    severity = min(finding.severity, Severity.INFO) if role is Role.NOISE else finding.severity
    return dataclasses.replace(finding, role=role, role_reason=reason, severity=severity)


def _role(finding: Finding, context: FailureContext) -> tuple[Role, str]:
    if WRAPPER_TAGS & set(finding.tags):
        return Role.WRAPPER, "it only reports that another tool failed; that tool's own error is the cause"
    logged = [e for e in finding.evidence if e.source is TextSource.LOG and e.line_number is not None]
    if logged and finding.severity >= Severity.ERROR and all(_logged_below_error(e) for e in logged):
        # A warning the program went on after, while a test runner then reported a failed test:
        # the test's failure is the cause (a warning alone, such as pip's retries, may still be).
        report, end = context.test_failure_line, context.failure_line
        before = [e.line_number for e in logged if e.line_number is not None and end is not None and e.line_number < end]
        if report is not None and before and all(n < report for n in before):
            return Role.NOISE, "logged as a warning while the tests ran; a test's failure report follows it"
    lines = [e.line_number for e in finding.evidence if e.line_number is not None]
    structure = context.structure
    failure = structure.failure if structure is not None else None
    first_failed = _phase_index(context.first_failed_phase)
    phase = _phase_index(finding.phase)
    if lines and failure is not None and structure is not None:
        span = structure.failure_span or (1, failure.line - 1)
        in_span = [n for n in lines if span[0] <= n <= failure.line]
        if in_span:
            if all(n in context.test_noise for n in in_span):
                return Role.NOISE, "in a failing test's source or captured output, not its failure"
            command = f" (`{failure.command}`)" if failure.command else ""
            return Role.CAUSE, f"in the output of the first command that failed{command}"
        if structure.ci == "codebuild" and phase is not None:
            if first_failed is not None and phase > first_failed:
                return Role.CONSEQUENCE, f"in {finding.phase}, after {context.first_failed_phase} failed"
        elif all(n > failure.line for n in lines):
            # (In a CodeBuild log too, when no phase is named: lines after a phase's end and
            # before the next one's "Entering phase" line.)
            return Role.CONSEQUENCE, f"after the first failure (line {failure.line})"
        if structure.command_start is not None and all(n < span[0] for n in lines):
            if phase is None or first_failed is None or phase <= first_failed:
                return Role.NOISE, "in a command that ran before the failing one and passed"
    elif lines and any(n in context.test_noise for n in lines) and all(n in context.test_noise for n in lines):
        return Role.NOISE, "in a failing test's source or captured output, not its failure"
    if phase is not None and first_failed is not None:
        if phase > first_failed:
            return Role.CONSEQUENCE, f"in {finding.phase}, after {context.first_failed_phase} failed"
        if phase < first_failed and context.succeeded.get(finding.phase or "") is True:
            return Role.NOISE, f"in {finding.phase}, which succeeded"
        if phase == first_failed:
            return Role.CAUSE, f"in {finding.phase}, the first phase that failed"
    return Role.CAUSE, "the first failure the log shows" if lines else "from the build record"


def _logged_below_error(evidence: Evidence) -> bool:
    """Whether the line was logged at a level below error, the level outside what the rule
    matched (a rule written for ``WARNING: 401 Error`` matched the level: it knows)."""
    level = LOGGED_BELOW_ERROR.match(evidence.text)
    return level is not None and level.end() <= evidence.match_start


def _key(finding: Finding) -> tuple[int, int, int, float, str]:
    first = finding.first_line
    return (
        finding.role.rank,
        -finding.priority,
        -int(finding.severity),
        first if first is not None else float("inf"),
        finding.rule_id,
    )


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Return ``findings`` sorted root cause first (see the module docstring)."""
    return sorted(findings, key=_key)


SUMMARY_CATEGORIES = frozenset(("tests",))
"""Rules of these categories match a runner's summary or progress lines ("3 failed"); their
decisive lines are the failure report the locator finds, which becomes their evidence."""


def sharpen_evidence(
    findings: Sequence[Finding], structure: LogStructure | None, context_lines: int = 3
) -> list[Finding]:
    """Test-runner findings with the failure report as evidence, not the runner's summary line."""
    if structure is None or not any(f.category in SUMMARY_CATEGORIES and f.role is Role.CAUSE for f in findings):
        return list(findings)
    located = locate(structure.window, structure.failure_span)
    if located is None or located.signal not in ("test-failure", "diagnostic"):
        return list(findings)
    evidence = _block_evidence(located, structure.window, context_lines)
    return [
        dataclasses.replace(f, evidence=evidence) if f.category in SUMMARY_CATEGORIES and f.role is Role.CAUSE else f
        for f in findings
    ]


def explain_unexplained(
    findings: Sequence[Finding],
    structure: LogStructure | None,
    context: FailureContext,
    build: Build | None,
    context_lines: int = 3,
    baseline: Callable[[], tuple[frozenset[str], str]] | None = None,
) -> list[Finding]:
    """A finding for a failure no specific rule names a cause of: the log stopped mid-phase,
    or the failure locator's error block. Empty when a cause is known or the log shows nothing.

    ``baseline()`` gives a successful build's line shapes and which build they come from
    (``""``: a log the user gave); it is called only when the locator runs (it may fetch a log).
    """
    if structure is None or any(f.role is Role.CAUSE for f in findings):
        return []
    if (build is not None and build.status == "SUCCEEDED") or _log_says_succeeded(structure, context):
        return []
    if structure.failure is None and structure.open_phase is not None:
        if build is not None and build.status in STOPPED_STATUSES:
            return [_stopped(structure, build)]
        # Without a record that says the build was stopped, a log that ends inside a phase may
        # be a cut copy (a report's excerpt, a log still being written): an error the tool
        # printed just before the end is the cause, and the stop is said beside it. (No
        # baseline is fetched for it: the stop is a finding either way.)
        located = locate(structure.window, structure.failure_span)
        if (
            located is None
            or located.signal not in STRONG_SIGNALS
            # An error the build went on from (a retried download, then more tasks) is not why
            # it stopped: only one among the log's last lines is.
            or located.lines[-1].number < structure.last_line - CUT_ERROR_LINES
        ):
            return [_stopped(structure, build)]
        beside = dataclasses.replace(_stopped(structure, build), priority=-1)  # ranked after the error
        return [_located(located, structure, context, build, context_lines, ""), beside]
    shapes, source = baseline() if baseline is not None else (frozenset(), "")
    located = locate(structure.window, structure.failure_span, shapes)
    if located is None:
        return []
    used = ("the log of " + (f"{source}, which succeeded," if source else "a build that succeeded")) if shapes else ""
    return [_located(located, structure, context, build, context_lines, used)]


def build_passed(structure: LogStructure | None, context: FailureContext, build: Build | None) -> bool:
    """Whether the build passed: its record says ``SUCCEEDED``, else its log says every phase did."""
    if build is not None and build.status:
        return build.status == "SUCCEEDED"
    if structure is None or not _log_says_succeeded(structure, context):
        return False
    # A CodeBuild log says so only with a phase it saw end, every one of them well.
    return structure.ci != "codebuild" or (bool(structure.phase_outcomes) and all(structure.phase_outcomes.values()))


def _log_says_succeeded(structure: LogStructure, context: FailureContext) -> bool:
    """Whether the CI's own lines say the build passed (then nothing is to be located)."""
    if structure.ci == "codebuild":
        return (
            structure.failure is None
            and structure.open_phase is None
            and not any(ok is False for ok in context.succeeded.values())
        )
    done = [m for m in structure.markers if m.kind == "travis-done"]
    return bool(done) and not done[-1].failed


def _finding_id(rule_id: str, build: Build | None, line: int | None) -> str:
    key = f"{rule_id}|{build.build_id if build else ''}|{line}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _context(window: Window, numbers: range) -> tuple[ContextLine, ...]:
    if not numbers:
        return ()
    return tuple(ContextLine(line.number, line.text) for line in window.lines(numbers[0], numbers[-1]))


def _located(
    located: Located, structure: LogStructure, context: FailureContext, build: Build | None, context_lines: int, baseline: str
) -> Finding:
    from analyzer.engine import inert  # the one Markdown-inert rewrite of log text

    block = located.lines
    first, last = block[0].number, block[-1].number
    evidence = _block_evidence(located, structure.window, context_lines)
    failure = structure.failure
    command = structure.command
    # A block whose phase the log does not name (its ``Entering phase`` line is missing) is in
    # the phase that failed.
    phase = block[0].phase or context.first_failed_phase
    where = f" in the {phase} phase" if phase else ""
    if failure is not None and command:
        status = f" with exit status {failure.status}" if failure.status and failure.status.isdigit() else ""
        failed = f"The command `{inert(command[:200])}` failed{status}{where}"
        title = "Unrecognised failure of a build command"
    elif failure is not None:
        failed = f"The build failed{where}"
        title = "Unrecognised failure"
    elif command and structure.open_phase:
        failed = f"The log ends inside the command `{inert(command[:200])}`{where}"
        title = "Unrecognised failure"
    else:
        failed = "The log does not say which command failed"
        title = "Unrecognised failure"
    signal = _SIGNALS.get(located.signal, "an error")
    summary = (
        f"No rule in the pack names this failure. {failed}; the lines shown are {signal} "
        + (f"(line {first})" if first == last else f"(lines {first}-{last})") + (f", found with {baseline} as a baseline" if baseline else "") + "."
    )
    remediation = (
        "Read the lines shown: they are the failing tool's own error output, not CodeBuild's.\n\n"
        "- Run the same command locally in the build's image to reproduce it"
        + (f" (`{inert(build.image)}`)" if build is not None and build.image else "")
        + ".\n"
        "- If the failure recurs, turn it into a rule so the next report names it and its fix: "
        "a YAML file with the message's pattern, its summary and fix (see CONTRIBUTING.md, "
        '"Adding a rule"), loaded with `--rules-dir`.'
    )
    return Finding(
        finding_id=_finding_id(LOCATOR_RULE, build, first),
        rule_id=LOCATOR_RULE,
        title=title,
        severity=Severity.ERROR,
        category="unknown",
        priority=0,
        count=1,
        evidence=tuple(evidence),
        captures={"command": command} if command else {},
        summary=summary,
        remediation=remediation,
        tags=(LOCATOR_TAG,),
        role=Role.CAUSE,
        role_reason=(
            "the failing command's own error output; no rule names it"
            if failure is not None
            else "the log's error output; no rule names it"
        ),
    )


def _block_evidence(located: Located, window: Window, context_lines: int) -> tuple[Evidence, ...]:
    """The located block as evidence: each line whole, the block's context around it."""
    block = located.lines
    first, last = block[0].number, block[-1].number
    evidence = []
    for index, line in enumerate(block):
        text = visible(line.text)
        evidence.append(
            Evidence(
                source=TextSource.LOG,
                text=text,
                match_start=0,
                match_end=len(text),
                line_number=line.number,
                phase=line.phase,
                before=_context(window, range(first - context_lines, first)) if index == 0 else (),
                # A line the block skipped (a blank one) is context, so the excerpt has no gap.
                after=(
                    _context(window, range(last + 1, last + 1 + context_lines))
                    if index == len(block) - 1
                    else _context(window, range(line.number + 1, block[index + 1].number))
                ),
            )
        )
    return tuple(evidence)


def _stopped(structure: LogStructure, build: Build | None) -> Finding:
    window = structure.window
    last = window.lines(window.last - 2, window.last)
    evidence = tuple(
        Evidence(
            source=TextSource.LOG,
            text=line.text,
            match_start=0,
            match_end=len(line.text),
            line_number=line.number,
            phase=line.phase,
        )
        for line in last
    )
    timed_out = build is not None and build.status == "TIMED_OUT"
    timeout = ""
    if build is not None and build.timeout_minutes:
        timeout = f" (the project's timeout is {build.timeout_minutes} minutes)"
    if timed_out:
        summary = (
            f"The build hit its timeout{timeout} during the {structure.open_phase} phase: the log stops in the "
            "middle of a command, which never finished."
        )
    else:
        summary = (
            f"The log stops in the middle of the {structure.open_phase} phase: the running command never finished, "
            f"so the build was stopped or timed out{timeout}. The last lines it printed are shown."
        )
    return Finding(
        finding_id=_finding_id(STOPPED_RULE, build, evidence[-1].line_number if evidence else None),
        rule_id=STOPPED_RULE,
        title="The build stopped in the middle of a command (timed out or stopped)",
        severity=Severity.ERROR,
        category="timeout",
        priority=0,
        count=1,
        evidence=evidence,
        captures={"phase": structure.open_phase or ""},
        summary=summary,
        remediation=(
            "Find out whether the command was slow or stuck from its last lines:\n\n"
            "- **Stuck:** a prompt, a test runner in watch mode or a network call without a timeout never ends "
            "by itself; make it non-interactive (`CI=true`, `--yes`, `-B`) and give network calls timeouts.\n"
            "- **Slow:** cache dependencies, use a larger compute type, or raise the project's timeout "
            "(`aws codebuild update-project --name <project> --timeout-in-minutes <n>`).\n"
            "- **Stopped by someone:** the build record's `initiator` and the CodeBuild console say who."
        ),
        tags=("timeout", LOCATOR_TAG),
        role=Role.CAUSE,
        role_reason="the log ends inside a command, with no phase-complete line",
    )
