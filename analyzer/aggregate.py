"""Aggregate a :class:`~analyzer.models.ScanReport`: which causes cost the most builds and minutes.

Pure functions over the report, shared by every scan renderer (text summary,
JSON, Markdown, HTML), so their figures always agree. A build's "minutes lost"
is its wall-clock duration (``BatchGetBuilds`` ``startTime`` to ``endTime``):
the build minutes it consumed without producing a result. It is charged to the
build's root cause (its top-ranked finding); builds without one are "unknown".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from analyzer.models import Diagnosis, ScanReport, Severity

UNKNOWN = "unknown"
"""The cause id of a build no rule explained."""


@dataclass(frozen=True)
class CauseSummary:
    """One root cause across the scanned builds."""

    rule_id: str
    """The root cause's rule id, or ``unknown``."""
    title: str
    severity: Severity | None
    builds: int
    """Builds whose root cause this is."""
    minutes_lost: float
    """Sum of those builds' durations, in minutes."""
    projects: tuple[str, ...]
    """Projects it hit, most builds first."""
    build_ids: tuple[str, ...]
    """The builds, newest first."""
    transient: bool = False
    """The rule says a re-run may pass (rate limit, throttling, timeout): a transient cause."""


@dataclass(frozen=True)
class ProjectSummary:
    """One project's share of the scan."""

    project: str
    builds: int
    diagnosed: int
    """Builds with at least one finding."""
    minutes_lost: float
    top_cause: str | None
    """The most frequent root cause (rule id), ``unknown`` counted too."""


@dataclass(frozen=True)
class ScanSummary:
    """Figures derived from a scan; every renderer shows these and nothing else."""

    builds: int
    """Builds diagnosed (skipped builds excluded)."""
    diagnosed: int
    """Builds with a root cause."""
    unknown: int
    """Builds no rule explained."""
    skipped: int
    minutes_lost: float
    causes: tuple[CauseSummary, ...]
    """Ranked by builds, then minutes lost, then id (``unknown`` included, where it ranks)."""
    projects: tuple[ProjectSummary, ...]
    """Ranked by minutes lost, then builds, then name."""
    daily: dict[str, dict[str, int]] = field(default_factory=dict)
    """``{"2026-11-28": {"docker-hub-rate-limit": 3, "unknown": 1}}``, days in UTC, oldest first."""
    transient: int = 0
    """Explained builds whose root cause is transient (a re-run may pass)."""
    transient_minutes: float = 0.0
    """Their build minutes."""

    @property
    def deterministic(self) -> int:
        """Explained builds whose root cause a re-run does not clear."""
        return self.diagnosed - self.transient

    @property
    def diagnosed_share(self) -> float:
        """Diagnosed builds over builds (0.0 when there are none)."""
        return self.diagnosed / self.builds if self.builds else 0.0

    def causes_by_minutes(self) -> tuple[CauseSummary, ...]:
        """The causes ranked by minutes lost instead."""
        return tuple(sorted(self.causes, key=lambda c: (-c.minutes_lost, -c.builds, c.rule_id)))


def _minutes(diagnosis: Diagnosis) -> float:
    seconds = diagnosis.build.duration_seconds if diagnosis.build else None
    return (seconds or 0.0) / 60.0


def summarise(report: ScanReport) -> ScanSummary:
    """Aggregate ``report`` (see the module docstring for what "minutes lost" means)."""
    by_cause: dict[str, list[Diagnosis]] = defaultdict(list)
    by_project: dict[str, list[Diagnosis]] = defaultdict(list)
    daily: dict[str, Counter[str]] = defaultdict(Counter)
    for diagnosis in report.diagnoses:
        root = diagnosis.explained_by
        cause = root.rule_id if root else UNKNOWN
        by_cause[cause].append(diagnosis)
        build = diagnosis.build
        by_project[(build.project if build else None) or "(no project)"].append(diagnosis)
        if build is not None and build.start_time is not None:
            daily[build.start_time.date().isoformat()][cause] += 1
    causes = [_cause(rule_id, items) for rule_id, items in by_cause.items()]
    causes.sort(key=lambda c: (-c.builds, -c.minutes_lost, c.rule_id))
    projects = [_project(name, items) for name, items in by_project.items()]
    projects.sort(key=lambda p: (-p.minutes_lost, -p.builds, p.project))
    unknown = len(by_cause.get(UNKNOWN, ()))
    return ScanSummary(
        builds=len(report.diagnoses),
        diagnosed=len(report.diagnoses) - unknown,
        unknown=unknown,
        skipped=len(report.skipped),
        minutes_lost=sum(_minutes(d) for d in report.diagnoses),
        causes=tuple(causes),
        projects=tuple(projects),
        daily={day: dict(sorted(counts.items())) for day, counts in sorted(daily.items())},
        transient=sum(c.builds for c in causes if c.transient),
        transient_minutes=sum(c.minutes_lost for c in causes if c.transient),
    )


def recurrences(report: ScanReport) -> dict[str, int]:
    """Rule id -> how many of the scan's builds it fired on (at any rank)."""
    counts: Counter[str] = Counter()
    for diagnosis in report.diagnoses:
        counts.update({f.rule_id for f in diagnosis.findings})
    return dict(counts)


def _cause(rule_id: str, items: list[Diagnosis]) -> CauseSummary:
    root = items[0].explained_by
    projects = Counter((d.build.project if d.build else None) or "(no project)" for d in items)
    return CauseSummary(
        rule_id=rule_id,
        title=root.title if root else "No rule explained these failures",
        severity=root.severity if root else None,
        builds=len(items),
        minutes_lost=sum(_minutes(d) for d in items),
        projects=tuple(name for name, _ in sorted(projects.items(), key=lambda kv: (-kv[1], kv[0]))),
        build_ids=tuple(d.build.build_id for d in items if d.build),
        transient=bool(root and root.transient),
    )


def _project(name: str, items: Iterable[Diagnosis]) -> ProjectSummary:
    items = list(items)
    causes = Counter(d.explained_by.rule_id if d.explained_by else UNKNOWN for d in items)
    top = sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if causes else None
    return ProjectSummary(
        project=name,
        builds=len(items),
        diagnosed=sum(1 for d in items if d.explained_by),
        minutes_lost=sum(_minutes(d) for d in items),
        top_cause=top,
    )
