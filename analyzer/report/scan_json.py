"""The scan report as JSON: a documented, versioned schema (``scan.schema.json``, package data).

Each diagnosed build is the diagnosis JSON of ``diagnose --format json``
(:func:`analyzer.report.json.diagnosis_to_dict`), so one parser reads both.
``schema_version`` follows semantic versioning, as the diagnosis schema does.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from analyzer import __version__
from analyzer.aggregate import CauseSummary, ProjectSummary, summarise
from analyzer.models import ScanReport
from analyzer.report.json import diagnosis_to_dict

SCHEMA_VERSION = "1.0"


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
    }


def _project(project: ProjectSummary) -> dict[str, Any]:
    return {
        "project": project.project,
        "builds": project.builds,
        "diagnosed": project.diagnosed,
        "minutes_lost": round(project.minutes_lost, 3),
        "top_cause": project.top_cause,
    }


def scan_to_dict(report: ScanReport) -> dict[str, Any]:
    """The whole scan report as JSON data (validated in the tests against ``scan.schema.json``)."""
    summary = summarise(report)
    return {
        "schema_version": SCHEMA_VERSION,
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
            "causes": [_cause(c) for c in summary.causes],
            "causes_by_minutes": [c.rule_id for c in summary.causes_by_minutes()],
            "projects": [_project(p) for p in summary.projects],
            "daily": summary.daily,
        },
        "builds": [diagnosis_to_dict(d) for d in report.diagnoses],
        "skipped": [
            {"build_id": s.build_id, "reason": s.reason, "build": s.build.to_dict() if s.build else None}
            for s in report.skipped
        ],
    }


def render_scan_json(report: ScanReport) -> str:
    """The JSON scan report, indented, ending in a newline."""
    return json.dumps(scan_to_dict(report), indent=2, ensure_ascii=False) + "\n"
