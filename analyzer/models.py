"""Value objects shared by every layer: rules, builds, evidence, findings, diagnoses.

All are frozen dataclasses. A rule is data loaded from YAML
(:mod:`analyzer.rules.loader`); a :class:`Build` is the part of a CodeBuild
``BatchGetBuilds`` record a diagnosis needs; a :class:`Diagnosis` is what the
engine returns and what every renderer reads.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NewType

RuleId = NewType("RuleId", str)
"""A rule's stable kebab-case id, e.g. ``docker-hub-rate-limit``; never reused."""

BuildId = NewType("BuildId", str)
"""A CodeBuild build id, ``<project>:<uuid>``."""



class Severity(enum.IntEnum):
    """How bad a finding is; ordered, so ``--fail-on`` can compare levels.

    - ``info``: context worth knowing; never fails a build by itself.
    - ``warning``: likely contributes to the failure, or will soon break builds.
    - ``error``: a cause that fails the build.
    - ``critical``: the build could not run at all (it failed before running
      the buildspec's commands: provisioning, image pull, source, secrets).
    """

    INFO = 10
    WARNING = 20
    ERROR = 30
    CRITICAL = 40

    @property
    def label(self) -> str:
        """The lower-case name used in rule files, reports and ``--fail-on``."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a level name (case-insensitive); raises ``ValueError`` naming the levels."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


class Role(str, enum.Enum):
    """What a finding is to the failure: the causal ranking orders findings by it.

    - ``cause``: in the output of the first command that failed, in the first failed phase.
    - ``wrapper``: only reports another tool's failure (npm's lifecycle "failed",
      ``make: *** Error 2``, CodeBuild's ``COMMAND_EXECUTION_ERROR``).
    - ``consequence``: after the first failure (a later phase, artifacts never written).
    - ``noise``: in a command or phase that succeeded, or in a failing test's source or
      captured output.
    """

    CAUSE = "cause"
    WRAPPER = "wrapper"
    CONSEQUENCE = "consequence"
    NOISE = "noise"

    @property
    def rank(self) -> int:
        """0 for ``cause``, then ``wrapper``, ``consequence``, ``noise``."""
        return list(Role).index(self)


class TextSource(str, enum.Enum):
    """Where a piece of evidence comes from."""

    LOG = "log"
    """A line of the build log (CloudWatch Logs, S3 or a file)."""
    PHASE_CONTEXT = "phase-context"
    """A phase context (status code + message) of the build record (``BatchGetBuilds``)."""


@dataclass(frozen=True)
class Reference:
    """A link to documentation of the fix."""

    title: str
    url: str


@dataclass(frozen=True)
class Pattern:
    """One compiled match condition of a rule."""

    regex: Any
    """The compiled pattern (a ``regex.Pattern``), searched in one normalised line."""
    source: TextSource | None = None
    """Only match text from this source; ``None`` matches both."""
    phases: frozenset[str] = frozenset()
    """Only match lines in these phases; empty means any. Lines of unknown phase always match."""
    echo: bool = False
    """Also match the agent's echo of a command (``Running command ...``); off by default."""


@dataclass(frozen=True)
class Exclusion:
    """A pattern that vetoes a rule's hit when it matches near it."""

    regex: Any
    """The compiled veto pattern."""
    window: int = 0
    """How many lines before and after the hit are searched (0: the hit line only)."""


@dataclass(frozen=True)
class NearbyCapture:
    """A pattern searched in the lines just before a hit, to add captures to that hit.

    It never makes a rule fire: ``Step 1/7 : FROM python:3.12-slim`` names the image a
    following ``toomanyrequests`` line was about, but is no failure by itself.
    """

    regex: Any
    """The compiled pattern; its named groups join the hit's captures (the hit's own win)."""
    window: int = 10
    """How many lines before the hit (after it, with :attr:`after`) are searched, nearest first."""
    after: bool = False
    """Search the lines following the hit (a ``Lock Info:`` block under Terraform's error)."""


Template = Callable[[Mapping[str, Any]], str]
"""A compiled, sandboxed template: variables in, rendered Markdown out."""


@dataclass(frozen=True)
class Rule:
    """A compiled rule, loaded from one YAML file of a rule pack."""

    id: RuleId
    """Stable kebab-case id; also the file name and fixture folder name."""
    title: str
    """One line naming the failure."""
    severity: Severity
    category: str
    """Area of the failure, e.g. ``docker``, ``iam``, ``buildspec``."""
    patterns: tuple[Pattern, ...]
    match_all: bool
    """``True``: every pattern must hit somewhere; ``False``: any one hit is enough."""
    summary: Template
    """Renders the one-paragraph explanation, from the captures and the build."""
    remediation: Template
    """Renders the fix steps (Markdown)."""
    priority: int = 50
    """0-100; higher ranks first, so a root cause outranks the symptoms it causes."""
    transient: bool = False
    """The failure may clear on a re-run (rate limits, throttling, timeouts): rule field ``transient``."""
    retry: str = ""
    """With :attr:`transient`: how to retry well (rule field ``retry``); empty when none is given."""
    tags: tuple[str, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    nearby: tuple[NearbyCapture, ...] = ()
    """Capture-only patterns searched just before each hit (``match.nearby``)."""
    references: tuple[Reference, ...] = ()
    description: str = ""
    """What the failure means, for the rule catalogue."""
    source_path: str = ""
    """The YAML file the rule was loaded from."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The rule's data as loaded (for ``rules show``)."""


@dataclass(frozen=True)
class PhaseContext:
    """A phase context of a build record: ``BatchGetBuilds`` ``phases[].contexts[]``."""

    status_code: str
    message: str


@dataclass(frozen=True)
class BuildPhase:
    """One phase of a build record: ``BatchGetBuilds`` ``phases[]``."""

    phase_type: str
    phase_status: str | None = None
    """``SUCCEEDED``, ``FAILED``, ``FAULT``, ``TIMED_OUT``, ``CLIENT_ERROR``...; ``None`` for ``COMPLETED``."""
    duration_seconds: int | None = None
    contexts: tuple[PhaseContext, ...] = ()


@dataclass(frozen=True)
class LogsLocation:
    """Where a build's log is: ``BatchGetBuilds`` ``logs`` (a ``LogsLocation``)."""

    group_name: str | None = None
    stream_name: str | None = None
    deep_link: str | None = None
    cloudwatch_enabled: bool = True
    s3_logs_arn: str | None = None
    """``arn:aws:s3:::bucket/key.gz`` when the project also writes logs to S3."""
    s3_deep_link: str | None = None


@dataclass(frozen=True)
class Build:
    """The part of a CodeBuild build record a diagnosis needs (from ``BatchGetBuilds``)."""

    build_id: BuildId
    arn: str | None = None
    project: str | None = None
    build_number: int | None = None
    status: str | None = None
    """``buildStatus``: ``FAILED``, ``FAULT``, ``TIMED_OUT``, ``STOPPED``... (an open string)."""
    current_phase: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    initiator: str | None = None
    source_version: str | None = None
    resolved_source_version: str | None = None
    service_role: str | None = None
    image: str | None = None
    privileged_mode: bool | None = None
    compute_type: str | None = None
    environment_type: str | None = None
    """``environment.type``: ``LINUX_CONTAINER``, ``ARM_CONTAINER``, ``LINUX_LAMBDA_CONTAINER``... (an open string)."""
    timeout_minutes: int | None = None
    """``timeoutInMinutes``: the project's build timeout when the build ran."""
    phases: tuple[BuildPhase, ...] = ()
    logs: LogsLocation = field(default_factory=LogsLocation)

    @property
    def region(self) -> str | None:
        """The Region, parsed from the build ARN (``None`` without one)."""
        parts = (self.arn or "").split(":")
        return parts[3] if len(parts) > 5 and parts[3] else None

    @property
    def account(self) -> str | None:
        """The account id, parsed from the build ARN (``None`` without one)."""
        parts = (self.arn or "").split(":")
        return parts[4] if len(parts) > 5 and parts[4] else None

    @property
    def lambda_compute(self) -> bool | None:
        """Whether the build ran on AWS Lambda compute, from the record; ``None`` when it does not say.

        Lambda compute is the ``BUILD_LAMBDA_*`` compute types, which go only with the
        ``LINUX_LAMBDA_CONTAINER`` and ``ARM_LAMBDA_CONTAINER`` environment types (CodeBuild API,
        ``ProjectEnvironment``). Rules read it as ``build.lambda_compute`` to give the fix that
        works there: Lambda compute runs no Docker, no root tools, writes only under ``/tmp``.
        """
        if self.compute_type is None and self.environment_type is None:
            return None
        return (self.compute_type or "").startswith("BUILD_LAMBDA_") or (self.environment_type or "").endswith(
            "_LAMBDA_CONTAINER"
        )

    @property
    def duration_seconds(self) -> float | None:
        """Wall-clock seconds from start to end, ``None`` while either is unknown."""
        if self.start_time is None or self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds()

    @property
    def failed_phase(self) -> BuildPhase | None:
        """The first phase whose status is neither ``SUCCEEDED`` nor empty."""
        for phase in self.phases:
            if phase.phase_status not in (None, "", "SUCCEEDED", "IN_PROGRESS"):
                return phase
        return None

    @property
    def console_url(self) -> str | None:
        """Deep link to the build in the CodeBuild console, when the ARN is known."""
        if not self.arn or not self.region or not self.account or not self.project:
            return None
        from urllib.parse import quote

        return (
            f"https://{self.region}.console.aws.amazon.com/codesuite/codebuild/{self.account}"
            f"/projects/{quote(self.project, safe='')}/build/{quote(self.build_id, safe='')}"
            f"/?region={self.region}"
        )

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Build:
        """Build from one element of ``BatchGetBuilds`` ``builds[]`` (boto3 or JSON shape).

        Times may be ``datetime`` (boto3) or epoch seconds / ISO strings (JSON files).
        Unknown or missing members are tolerated: statuses are open strings.
        """
        env = data.get("environment") or {}
        logs = data.get("logs") or {}
        cw = logs.get("cloudWatchLogs") or {}
        phases = tuple(
            BuildPhase(
                phase_type=str(p.get("phaseType", "")),
                phase_status=p.get("phaseStatus"),
                duration_seconds=p.get("durationInSeconds"),
                contexts=tuple(
                    PhaseContext(str(c.get("statusCode") or ""), str(c.get("message") or ""))
                    for c in p.get("contexts") or ()
                ),
            )
            for p in data.get("phases") or ()
        )
        build_id = str(data.get("id") or "")
        return cls(
            build_id=BuildId(build_id),
            arn=data.get("arn"),
            project=data.get("projectName") or (build_id.split(":", 1)[0] or None),
            build_number=data.get("buildNumber"),
            status=data.get("buildStatus"),
            current_phase=data.get("currentPhase"),
            start_time=_parse_time(data.get("startTime")),
            end_time=_parse_time(data.get("endTime")),
            initiator=data.get("initiator"),
            source_version=data.get("sourceVersion"),
            resolved_source_version=data.get("resolvedSourceVersion"),
            service_role=data.get("serviceRole"),
            image=env.get("image"),
            privileged_mode=env.get("privilegedMode"),
            compute_type=env.get("computeType"),
            environment_type=env.get("type"),
            timeout_minutes=data.get("timeoutInMinutes"),
            phases=phases,
            logs=LogsLocation(
                group_name=logs.get("groupName"),
                stream_name=logs.get("streamName"),
                deep_link=logs.get("deepLink"),
                cloudwatch_enabled=(cw.get("status", "ENABLED") != "DISABLED"),
                s3_logs_arn=logs.get("s3LogsArn"),
                s3_deep_link=logs.get("s3DeepLink"),
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready metadata for reports (times as ISO 8601 UTC)."""
        return {
            "build_id": self.build_id,
            "build_arn": self.arn,
            "project": self.project,
            "build_number": self.build_number,
            "status": self.status,
            "current_phase": self.current_phase,
            "failed_phase": self.failed_phase.phase_type if self.failed_phase else None,
            "start_time": _iso(self.start_time),
            "end_time": _iso(self.end_time),
            "duration_seconds": self.duration_seconds,
            "initiator": self.initiator,
            "source_version": self.source_version,
            "resolved_source_version": self.resolved_source_version,
            "service_role": self.service_role,
            "image": self.image,
            "privileged_mode": self.privileged_mode,
            "compute_type": self.compute_type,
            "environment_type": self.environment_type,
            "lambda_compute": self.lambda_compute,
            "timeout_minutes": self.timeout_minutes,
            "region": self.region,
            "account": self.account,
            "console_url": self.console_url,
            "log_group": self.logs.group_name,
            "log_stream": self.logs.stream_name,
            "log_deep_link": self.logs.deep_link,
            "s3_logs_arn": self.logs.s3_logs_arn,
        }


def _parse_time(value: Any) -> datetime | None:
    """Accept boto3 ``datetime``, epoch seconds, or an ISO 8601 string."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=timezone.utc)
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), tz=timezone.utc)
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


@dataclass(frozen=True)
class ContextLine:
    """A log line shown around the evidence, for the reader's orientation."""

    line_number: int
    text: str


@dataclass(frozen=True)
class Evidence:
    """One place where a rule matched."""

    source: TextSource
    text: str
    """The matched line, ANSI codes stripped, long lines shortened around the match."""
    match_start: int
    """Offset of the match within :attr:`text` (characters)."""
    match_end: int
    line_number: int | None = None
    """1-based line number in the log as fetched (lines counted by ``\\n``); ``None`` for the record."""
    phase: str | None = None
    """The phase the line belongs to (from the agent's phase lines or the record), if known."""
    before: tuple[ContextLine, ...] = ()
    after: tuple[ContextLine, ...] = ()

    @property
    def matched(self) -> str:
        """The text the pattern matched."""
        return self.text[self.match_start : self.match_end]


@dataclass(frozen=True)
class Finding:
    """A rule that fired on a build, with its evidence and rendered fix."""

    finding_id: str
    """Deterministic: a hash of the rule id, build id and first evidence location."""
    rule_id: RuleId
    title: str
    severity: Severity
    category: str
    priority: int
    count: int
    """How many times the rule hit (repeated hits are folded into one finding)."""
    evidence: tuple[Evidence, ...]
    """The first few hits, in log order (record contexts last)."""
    captures: Mapping[str, str]
    """Named groups captured by the rule's patterns (first hit wins per name)."""
    summary: str
    remediation: str
    """Markdown fix steps, filled in with the captures."""
    references: tuple[Reference, ...] = ()
    tags: tuple[str, ...] = ()
    transient: bool = False
    """The rule says a re-run may pass (rate limit, throttling, timeout); see :attr:`Rule.transient`."""
    retry: str = ""
    """The rule's hint on retrying well, when :attr:`transient`."""
    role: Role = Role.CAUSE
    """What the finding is to the failure (cause, wrapper, consequence, noise)."""
    role_reason: str = ""
    """One line saying why it has that role."""

    @property
    def phase(self) -> str | None:
        """The phase of the first evidence with a known phase."""
        return next((e.phase for e in self.evidence if e.phase), None)

    @property
    def first_line(self) -> int | None:
        """The first evidence line number in the log, if any came from the log."""
        return next((e.line_number for e in self.evidence if e.line_number), None)


@dataclass(frozen=True)
class RuleProblem:
    """A rule that could not be evaluated in full (e.g. its regex timed out)."""

    rule_id: RuleId
    message: str


@dataclass(frozen=True)
class LogStats:
    """Facts about the log that was read."""

    lines: int
    bytes: int
    source: str
    """Where it came from: a path, ``stdin``, ``cloudwatch:<group>/<stream>``, ``s3://...``."""
    failed_phase: str | None = None
    """The first phase the log itself shows failing (``Phase complete: BUILD State: FAILED``, or the
    phase of the failed command), read from the log alone; ``None`` when it shows none."""


@dataclass(frozen=True)
class Diagnosis:
    """The engine's answer for one build: ranked findings, root cause first."""

    findings: tuple[Finding, ...]
    build: Build | None = None
    log: LogStats | None = None
    notes: tuple[str, ...] = ()
    """What limited the diagnosis, e.g. 'no log: CloudWatch logging disabled'."""
    problems: tuple[RuleProblem, ...] = ()
    tail: tuple[ContextLine, ...] = ()
    """When no rule fired: the log's last error-looking lines (see :mod:`analyzer.engine.tail`)."""

    @property
    def root_cause(self) -> Finding | None:
        """The top-ranked finding, or ``None`` when no rule fired."""
        return self.findings[0] if self.findings else None

    @property
    def explained_by(self) -> Finding | None:
        """The root cause when a specific rule names it; ``None`` when the failure is unrecognised.

        A top finding that is a wrapper (it only reports another tool's failure), a
        consequence, noise, or the failure locator's block does not explain the build: a
        scan counts such a build as unrecognised, never as explained.
        """
        root = self.root_cause
        if root is None or root.role is not Role.CAUSE or "locator" in root.tags:
            return None
        return root

    def worst_severity(self) -> Severity | None:
        """The highest severity among the findings."""
        return max((f.severity for f in self.findings), default=None)


@dataclass(frozen=True)
class SkippedBuild:
    """A build a scan could not diagnose, with the reason (it is reported, never dropped)."""

    build_id: BuildId
    reason: str
    """What went wrong, e.g. 'access denied reading log stream ...: allow logs:GetLogEvents'."""
    build: Build | None = None
    """The record, when it could be fetched."""


@dataclass(frozen=True)
class FingerprintHistory:
    """Unexplained builds of the scan cache's history that share one fingerprint (see :mod:`analyzer.clusters`)."""

    fingerprint: str
    """The masked fingerprint line (a cluster's template, when summed per cluster)."""
    builds: int
    """How many builds."""
    first_seen: datetime | None = None
    """When the oldest of them started."""
    last_seen: datetime | None = None
    """When the newest of them started."""


@dataclass(frozen=True)
class ScanReport:
    """The result of ``codebuild-doctor scan``: many builds' diagnoses over a time window."""

    diagnoses: tuple[Diagnosis, ...]
    """One per diagnosed build (each with its :attr:`Diagnosis.build`), newest first."""
    skipped: tuple[SkippedBuild, ...] = ()
    region: str | None = None
    account: str | None = None
    since: datetime | None = None
    """Start of the window (builds that started at or after it)."""
    until: datetime | None = None
    """When the scan ran (end of the window)."""
    projects: tuple[str, ...] = ()
    """The projects scanned."""
    statuses: tuple[str, ...] = ()
    """The build statuses selected, e.g. ``FAILED``, ``FAULT``, ``TIMED_OUT``."""
    history: tuple[FingerprintHistory, ...] = ()
    """The scan cache's unexplained builds by fingerprint, over its whole history (empty without a cache)."""
