"""The diagnosis engine: a log's bytes and a build record in, a ranked :class:`Diagnosis` out.

Pure: it opens no file and imports neither boto3 nor jinja2 (rule templates
arrive compiled inside each :class:`~analyzer.models.Rule`), so it is tested
with inline data and benchmarked alone. The stages are generators: split and
normalise lines, tag phases, match every rule, fold repeated hits, then rank.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analyzer.engine.lines import iter_lines
from analyzer.engine.matcher import Matcher, MatchOptions
from analyzer.engine.ranking import rank
from analyzer.engine.tail import ErrorTail
from analyzer.models import Build, Diagnosis, Finding, LogStats, Rule, RuleProblem

__all__ = ["EngineOptions", "MatchOptions", "diagnose", "rank"]


@dataclass(frozen=True)
class EngineOptions:
    """Options of one diagnosis."""

    match: MatchOptions = field(default_factory=MatchOptions)
    tail_lines: int = 10
    """How many of the last error-looking lines to keep for :attr:`Diagnosis.tail` (0: none)."""


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
    tail = ErrorTail(options.tail_lines)
    if log is not None:
        counted = _CountingChunks(log)
        matcher.feed(tail.tap(iter_lines(counted)))
        stats = LogStats(lines=matcher.lines, bytes=counted.total, source=log_source)
    if build is not None:
        matcher.feed_phase_contexts(
            (phase.phase_type, context) for phase in build.phases for context in phase.contexts
        )
    problems = list(matcher.problems())
    findings = []
    for rule, count, captures, evidence in matcher.finish():
        finding, problem = _finding(rule, count, captures, evidence, build)
        findings.append(finding)
        if problem:
            problems.append(problem)
    return Diagnosis(
        findings=tuple(rank(findings)),
        build=build,
        log=stats,
        notes=tuple(notes),
        problems=tuple(problems),
        # Only an unexplained failure needs the log's last complaints (keeps diagnoses small).
        tail=() if findings else tail.lines(),
    )


def _finding(rule, count, captures, evidence, build):  # type: ignore[no-untyped-def]
    phase = next((e.phase for e in evidence if e.phase), None)
    build_data = build.to_dict() if build is not None else {}
    variables = {
        **captures,
        "captures": captures,
        "build": build_data,
        "phase": phase,
        "count": count,
        "region": build_data.get("region"),
        "account": build_data.get("account"),
    }
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
    )
    return finding, problem
