"""Stored diagnoses: the ``diagnose --format json`` documents the organisation service writes.

``scan --from s3://BUCKET/diagnoses/`` (or a local folder, e.g. an ``aws s3 sync`` of it)
reads them back into :class:`~analyzer.models.Diagnosis` objects and builds the same
:class:`~analyzer.models.ScanReport` a direct scan of those builds gives, with no CodeBuild
or CloudWatch Logs call. Keys look like ``diagnoses/account=<id>/region=<r>/date=<YYYY-MM-DD>/<build-id>.json``;
the ``date=`` partition (the build's start day, UTC) lets a window skip old days without
reading them. A document that cannot be read or parsed is reported as skipped, naming it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from analyzer.errors import ConfigError, SourceError
from analyzer.models import (
    Build,
    BuildId,
    BuildPhase,
    ContextLine,
    Diagnosis,
    Evidence,
    Finding,
    LogsLocation,
    LogStats,
    Reference,
    Role,
    RuleId,
    RuleProblem,
    ScanReport,
    Severity,
    SkippedBuild,
    TextSource,
    _parse_time,
)

_DATE = re.compile(r"(?:^|/)date=(\d{4}-\d{2}-\d{2})/")


@dataclass(frozen=True)
class StoredLocation:
    """Where stored diagnoses are: an S3 bucket and prefix, or a local directory."""

    bucket: str | None = None
    prefix: str = ""
    directory: Path | None = None

    @classmethod
    def parse(cls, text: str) -> StoredLocation:
        """``s3://bucket/prefix/`` or a directory; raises :class:`ConfigError` naming the value."""
        if text.startswith("s3://"):
            bucket, _, prefix = text[5:].partition("/")
            if not bucket:
                raise ConfigError(f"invalid --from {text!r}: expected s3://BUCKET/PREFIX/ or a directory")
            return cls(bucket=bucket, prefix=prefix)
        path = Path(text)
        if not path.is_dir():
            raise ConfigError(f"invalid --from {text!r}: not a directory (and not s3://BUCKET/PREFIX/)")
        return cls(directory=path)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.bucket else str(self.directory)


def _day_in_window(key: str, since: datetime) -> bool:
    match = _DATE.search(key)
    return match is None or match.group(1) >= since.date().isoformat()


def iter_documents(location: StoredLocation, since: datetime, s3: Any = None) -> Iterator[tuple[str, bytes | Exception]]:
    """``(key or path, bytes)`` of every stored diagnosis whose day partition is in the window.

    A read error is yielded in place of the bytes (the document is skipped, not the scan).
    ``s3`` is a boto3 S3 client (only for ``s3://``).
    """
    if location.directory is not None:
        for path in sorted(location.directory.rglob("*.json")):
            name = path.relative_to(location.directory).as_posix()
            if _day_in_window("/" + name, since):
                try:
                    yield name, path.read_bytes()
                except OSError as exc:
                    yield name, exc
        return
    from botocore.exceptions import ClientError

    from analyzer.sources.base import translate_client_error

    paginator = s3.get_paginator("list_objects_v2")
    try:
        pages = list(paginator.paginate(Bucket=location.bucket, Prefix=location.prefix))
    except ClientError as exc:
        raise translate_client_error(exc, "s3:ListBucket", f"s3://{location.bucket}/{location.prefix}") from None
    for page in pages:
        for item in page.get("Contents", []):
            key = item["Key"]
            if not key.endswith(".json") or not _day_in_window("/" + key, since):
                continue
            try:
                yield key, s3.get_object(Bucket=location.bucket, Key=key)["Body"].read()
            except ClientError as exc:
                yield key, translate_client_error(exc, "s3:GetObject", f"s3://{location.bucket}/{key}")


def _build(data: dict[str, Any]) -> Build:
    failed = data.get("failed_phase")
    return Build(
        build_id=BuildId(str(data["build_id"])),
        arn=data.get("build_arn"),
        project=data.get("project"),
        build_number=data.get("build_number"),
        status=data.get("status"),
        current_phase=data.get("current_phase"),
        start_time=_parse_time(data.get("start_time")),
        end_time=_parse_time(data.get("end_time")),
        initiator=data.get("initiator"),
        source_version=data.get("source_version"),
        resolved_source_version=data.get("resolved_source_version"),
        service_role=data.get("service_role"),
        image=data.get("image"),
        privileged_mode=data.get("privileged_mode"),
        compute_type=data.get("compute_type"),
        environment_type=data.get("environment_type"),
        timeout_minutes=data.get("timeout_minutes"),
        # The report keeps only the failed phase's name: enough for every scan figure.
        phases=(BuildPhase(phase_type=str(failed), phase_status="FAILED"),) if failed else (),
        logs=LogsLocation(
            group_name=data.get("log_group"),
            stream_name=data.get("log_stream"),
            deep_link=data.get("log_deep_link"),
            s3_logs_arn=data.get("s3_logs_arn"),
        ),
    )


def _context(items: Sequence[dict[str, Any]]) -> tuple[ContextLine, ...]:
    return tuple(ContextLine(int(c["line_number"]), str(c["text"])) for c in items)


def _evidence(data: dict[str, Any]) -> Evidence:
    match = data.get("match") or {}
    return Evidence(
        source=TextSource(data["source"]),
        text=str(data["text"]),
        match_start=int(match.get("start", 0)),
        match_end=int(match.get("end", 0)),
        line_number=data.get("line_number"),
        phase=data.get("phase"),
        before=_context(data.get("before") or ()),
        after=_context(data.get("after") or ()),
    )


_FINDING_FIELDS = {f.name for f in fields(Finding)}


def _finding(data: dict[str, Any]) -> Finding:
    values: dict[str, Any] = {
        "finding_id": str(data["finding_id"]),
        "rule_id": RuleId(str(data["rule_id"])),
        "title": str(data["title"]),
        "severity": Severity.parse(str(data["severity"])),
        "category": str(data["category"]),
        "priority": int(data["priority"]),
        "count": int(data["count"]),
        "evidence": tuple(_evidence(e) for e in data.get("evidence") or ()),
        "captures": dict(data.get("captures") or {}),
        "summary": str(data.get("summary") or ""),
        "remediation": str(data.get("remediation") or ""),
        "references": tuple(Reference(r["title"], r["url"]) for r in data.get("references") or ()),
        "tags": tuple(data.get("tags") or ()),
        "role": Role(data.get("role") or Role.CAUSE.value),
        "role_reason": str(data.get("role_reason") or ""),
    }
    # Fields added to Finding since (transient, retry, role...): taken when the document has them.
    for name in _FINDING_FIELDS - values.keys():
        if data.get(name) is not None:
            values[name] = data[name]
    return Finding(**values)


def diagnosis_from_dict(data: dict[str, Any]) -> Diagnosis:
    """The :class:`Diagnosis` a ``diagnose --format json`` document describes.

    Raises ``KeyError``/``ValueError``/``TypeError`` on a document that is not one.
    """
    if not isinstance(data, dict) or "findings" not in data or "schema_version" not in data:
        raise ValueError("not a codebuild-doctor diagnosis (no schema_version/findings)")
    major = str(data["schema_version"]).split(".", 1)[0]
    if major != "1":
        raise ValueError(f"unsupported schema_version {data['schema_version']!r} (this version reads 1.x)")
    log = data.get("log")
    return Diagnosis(
        findings=tuple(_finding(f) for f in data["findings"]),
        build=_build(data["build"]) if data.get("build") else None,
        log=LogStats(int(log["lines"]), int(log["bytes"]), str(log["source"]), log.get("failed_phase")) if log else None,
        notes=tuple(str(n) for n in data.get("notes") or ()),
        problems=tuple(RuleProblem(RuleId(p["rule_id"]), str(p["message"])) for p in data.get("problems") or ()),
        tail=_context(data.get("tail") or ()),
    )


def scan_stored(
    location: StoredLocation,
    since: datetime,
    until: datetime,
    *,
    statuses: Sequence[str],
    projects: Sequence[str] = (),
    limit: int | None = None,
    s3: Any = None,
) -> ScanReport:
    """The scan report of the stored diagnoses of builds started in ``[since, until]``.

    Selected as ``scan`` selects: ``statuses``, ``projects`` (empty: all), the newest
    ``limit``. Raises :class:`SourceError` only when the location cannot be listed.
    """
    diagnoses: dict[str, Diagnosis] = {}
    skipped: list[SkippedBuild] = []
    for name, body in iter_documents(location, since, s3):
        if isinstance(body, Exception):
            reason = body.message if isinstance(body, SourceError) else str(body)
            skipped.append(SkippedBuild(BuildId(name), f"stored diagnosis not read: {reason}"))
            continue
        try:
            diagnosis = diagnosis_from_dict(json.loads(body))
        except (ValueError, KeyError, TypeError) as exc:
            skipped.append(SkippedBuild(BuildId(name), f"stored diagnosis not understood: {type(exc).__name__}: {exc}"))
            continue
        build = diagnosis.build
        if build is None or build.start_time is None:
            skipped.append(SkippedBuild(BuildId(name), "stored diagnosis has no build record"))
            continue
        if not since <= build.start_time <= until or build.status not in statuses:
            continue
        if projects and build.project not in projects:
            continue
        diagnoses[build.arn or build.build_id] = diagnosis  # one per build, however often stored
    chosen = sorted(diagnoses.values(), key=_newest_first)
    if limit is not None:
        chosen = chosen[:limit]
    regions = {d.build.region for d in chosen if d.build}
    accounts = {d.build.account for d in chosen if d.build}
    names = tuple(projects) or tuple(sorted({d.build.project for d in chosen if d.build and d.build.project}))
    return ScanReport(
        diagnoses=tuple(chosen),
        skipped=tuple(sorted(skipped, key=lambda s: s.build_id)),
        region=regions.pop() if len(regions) == 1 else None,
        account=accounts.pop() if len(accounts) == 1 else None,
        since=since,
        until=until,
        projects=names,
        statuses=tuple(statuses),
    )


def _newest_first(diagnosis: Diagnosis) -> tuple[float, str]:
    build = diagnosis.build
    assert build is not None
    return (-(build.start_time.timestamp() if build.start_time else 0.0), build.build_id)
