"""The JSON report: a documented, versioned schema (``diagnosis.schema.json``, package data).

``schema_version`` follows semantic versioning: a new optional field bumps the
minor version, a removed or changed field the major one.
"""

from __future__ import annotations

import json
from typing import Any

from analyzer import __version__
from analyzer.models import Diagnosis, Evidence, Finding

SCHEMA_VERSION = "1.1"
"""1.1 added ``tail``: the last error-looking log lines when no rule fired."""


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
    }


def diagnosis_to_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    """The whole report as JSON data (validated in the tests against the schema)."""
    root = diagnosis.root_cause
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "codebuild-doctor", "version": __version__},
        "build": diagnosis.build.to_dict() if diagnosis.build else None,
        "log": (
            {"source": diagnosis.log.source, "lines": diagnosis.log.lines, "bytes": diagnosis.log.bytes}
            if diagnosis.log
            else None
        ),
        "root_cause": root.rule_id if root else None,
        "findings": [finding_to_dict(f) for f in diagnosis.findings],
        "notes": list(diagnosis.notes),
        "tail": [{"line_number": c.line_number, "text": c.text} for c in diagnosis.tail],
        "problems": [{"rule_id": p.rule_id, "message": p.message} for p in diagnosis.problems],
    }


def render_json(diagnosis: Diagnosis) -> str:
    """The JSON report, indented, ending in a newline."""
    return json.dumps(diagnosis_to_dict(diagnosis), indent=2, ensure_ascii=False) + "\n"
