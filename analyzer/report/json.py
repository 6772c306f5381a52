"""The JSON reports: documented, versioned schemas (``diagnosis.schema.json``, ``scan.schema.json``).

``schema_version`` follows semantic versioning: a new optional field bumps the
minor version, a removed or changed field the major one. A scan's ``builds`` are
diagnosis reports without their envelope, so one parser reads both.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from analyzer._version import __version__
from analyzer.aggregate import CauseSummary, ProjectSummary
from analyzer.models import Diagnosis, Evidence, Finding, ScanReport
from analyzer.report.interface import Renderer
from analyzer.report.view import ClusterView, DiagnosisView, ScanView, scan_view

SCHEMA_VERSION = "1.5"
"""1.1 added ``tail``: the last error-looking log lines when no rule fired; 1.2 added each
finding's ``role`` and ``role_reason`` (causal ranking) and the ``unrecognised-failure`` finding
of the failure locator; 1.3 added the build's ``timeout_minutes``; 1.4 its ``environment_type`` and
``lambda_compute``; 1.5 the log's ``failed_phase`` (the first phase the log itself shows failing)."""

SCAN_SCHEMA_VERSION = "1.1"
"""The scan report's schema version; 1.1 added ``clusters``: the recurring unknown failures."""


def evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    """One evidence entry as JSON data."""
    return {
        "source": evidence.source.value,
        "line_number": evidence.line_number,
        "phase": evidence.phase,
        "text": evidence.text,
        "match": {"start": evidence.match_start, "end": evidence.match_end, "text": evidence.matched},
        "before": [{"line_number": c.line_number, "text": c.text} for c in evidence.before],
        "after": [{"line_number": c.line_number, "text": c.text} for c in evidence.after],
    }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One finding as JSON data."""
    return {
        "finding_id": finding.finding_id,
        "rule_id": finding.rule_id,
        "title": finding.title,
        "severity": finding.severity.label,
        "category": finding.category,
        "priority": finding.priority,
        "count": finding.count,
        "phase": finding.phase,
        "line_numbers": [e.line_number for e in finding.evidence if e.line_number is not None],
        "evidence": [evidence_to_dict(e) for e in finding.evidence],
        "captures": dict(finding.captures),
        "summary": finding.summary,
        "remediation": finding.remediation,
        "references": [{"title": r.title, "url": r.url} for r in finding.references],
        "tags": list(finding.tags),
        "transient": finding.transient,
        "retry": finding.retry or None,
        "role": finding.role.value,
        "role_reason": finding.role_reason,
    }


def diagnosis_to_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    """The whole report as JSON data (validated in the tests against the schema)."""
    root = diagnosis.root_cause
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "codebuild-doctor", "version": __version__},
        "build": diagnosis.build.to_dict() if diagnosis.build else None,
        "log": (
            {
                "source": diagnosis.log.source,
                "lines": diagnosis.log.lines,
                "bytes": diagnosis.log.bytes,
                "failed_phase": diagnosis.log.failed_phase,
            }
            if diagnosis.log
            else None
        ),
        "root_cause": root.rule_id if root else None,
        "findings": [finding_to_dict(f) for f in diagnosis.findings],
        "notes": list(diagnosis.notes),
        "tail": [{"line_number": c.line_number, "text": c.text} for c in diagnosis.tail],
        "problems": [{"rule_id": p.rule_id, "message": p.message} for p in diagnosis.problems],
    }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def _cause(cause: CauseSummary) -> dict[str, Any]:
    return {
        "rule_id": cause.rule_id,
        "title": cause.title,
        "severity": cause.severity.label if cause.severity else None,
        "builds": cause.builds,
        "minutes_lost": round(cause.minutes_lost, 3),
        "projects": list(cause.projects),
        "build_ids": list(cause.build_ids),
        "transient": cause.transient,
    }


def _project(project: ProjectSummary) -> dict[str, Any]:
    return {
        "project": project.project,
        "builds": project.builds,
        "diagnosed": project.diagnosed,
        "minutes_lost": round(project.minutes_lost, 3),
        "top_cause": project.top_cause,
    }


def cluster_to_dict(view: ClusterView) -> dict[str, Any]:
    """One recurring unknown failure as JSON data (what ``rules draft --from-scan`` reads)."""
    cluster = view.cluster
    history = cluster.history
    sample = cluster.sample
    return {
        "rank": cluster.rank,
        "name": cluster.name,
        "template": cluster.template,
        "builds": cluster.builds,
        "minutes_lost": round(cluster.minutes_lost, 3),
        "first_seen": _iso(cluster.first_seen),
        "last_seen": _iso(cluster.last_seen),
        "projects": list(cluster.projects),
        "phases": list(cluster.phases),
        "history": (
            {"builds": history.builds, "first_seen": _iso(history.first_seen), "last_seen": _iso(history.last_seen)}
            if history is not None
            else None
        ),
        "members": [
            {
                "build_id": m.build_id,
                "project": m.project,
                "start_time": _iso(m.start_time),
                "minutes": round(m.minutes, 3),
                "phase": m.block.phase,
                "line_number": m.block.line.line_number or None,
                "line": m.line,
            }
            for m in cluster.members
        ],
        "sample": {
            "build_id": sample.build_id,
            "lines": [
                {"line_number": line.number, "text": line.text, "block": line.hit is not None}
                for line in view.sample.lines
                if not line.gap
            ],
        },
    }


def scan_to_dict(report: ScanReport | ScanView) -> dict[str, Any]:
    """The whole scan report as JSON data (validated in the tests against ``scan.schema.json``)."""
    view = report if isinstance(report, ScanView) else scan_view(report)
    report, summary = view.report, view.summary
    return {
        "schema_version": SCAN_SCHEMA_VERSION,
        "kind": "scan",
        "tool": {"name": "codebuild-doctor", "version": __version__},
        "region": report.region,
        "account": report.account,
        "window": {"since": _iso(report.since), "until": _iso(report.until)},
        "projects": list(report.projects),
        "statuses": list(report.statuses),
        "summary": {
            "builds": summary.builds,
            "diagnosed": summary.diagnosed,
            "unknown": summary.unknown,
            "skipped": summary.skipped,
            "minutes_lost": round(summary.minutes_lost, 3),
            "transient": summary.transient,
            "deterministic": summary.deterministic,
            "transient_minutes": round(summary.transient_minutes, 3),
            "causes": [_cause(c) for c in summary.causes],
            "causes_by_minutes": [c.rule_id for c in summary.causes_by_minutes()],
            "projects": [_project(p) for p in summary.projects],
            "daily": summary.daily,
        },
        "clusters": [cluster_to_dict(c) for c in view.clusters],
        "builds": [diagnosis_to_dict(d) for d in report.diagnoses],
        "skipped": [
            {"build_id": s.build_id, "reason": s.reason, "build": s.build.to_dict() if s.build else None}
            for s in report.skipped
        ],
    }


SCHEMAS = ("diagnosis.schema.json", "scan.schema.json")
"""The report schemas shipped as package data; the scan's refers to the diagnosis's by a relative ``$ref``."""


def schema_validator(name: str = "diagnosis.schema.json") -> Any:
    """A JSON Schema validator for a report, offline: both shipped schemas in one registry by their ``$id``.

    The scan schema's ``$ref: diagnosis-1.json`` resolves against its own ``$id`` to the
    diagnosis schema's ``$id``, which the registry holds: nothing is fetched.
    """
    from importlib import resources

    import jsonschema
    from referencing import Registry, Resource

    folder = resources.files("analyzer.report")
    schemas = {n: json.loads(folder.joinpath(n).read_text("utf-8")) for n in SCHEMAS}
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
    return jsonschema.Draft202012Validator(schemas[name], registry=registry)


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class JsonRenderer(Renderer):
    """The versioned JSON reports, indented, ending in a newline."""

    def render_diagnosis(self, view: DiagnosisView) -> str:
        return _dump(diagnosis_to_dict(view.diagnosis))

    def render_scan(self, view: ScanView) -> str:
        return _dump(scan_to_dict(view))
