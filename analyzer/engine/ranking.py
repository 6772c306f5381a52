"""Rank findings so the root cause comes first.

Order: the rule's ``priority`` (a root cause such as Docker Hub's rate limit
carries a higher priority than the generic ``COMMAND_EXECUTION_ERROR`` symptom
it causes), then severity, then the earliest evidence line (the first failure
in a log usually causes the later ones), then rule id for a stable order.
"""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.models import Finding


def _key(finding: Finding) -> tuple[int, int, float, str]:
    first = finding.first_line
    return (-finding.priority, -int(finding.severity), first if first is not None else float("inf"), finding.rule_id)


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Return ``findings`` sorted root cause first (see the module docstring)."""
    return sorted(findings, key=_key)
