"""No fixture of a build that succeeded gets an error-level finding (decoys must stay quiet)."""

from __future__ import annotations

import re

import pytest

from analyzer.models import Severity
from analyzer.rules.fixtures import diagnose_case
from tests.rules.conftest import CASES

PHASE_END = re.compile(rb"Phase complete: \S+ (?:State|Success): (\S+)")


def _succeeded(case) -> bool:  # type: ignore[no-untyped-def]
    """A log case whose every 'Phase complete' says SUCCEEDED (or true), and no record."""
    if case.log_path is None or case.record_path is not None:
        return False
    data = case.log_path.read_bytes()
    states = PHASE_END.findall(data)
    # The older agent's last words when the build failed after the phases it reported (a copy
    # may lack the failed phase's 'Phase complete' line): not a build that succeeded.
    runtime_error = re.search(rb"^\[Container\] [\d/: .]+ Runtime error \(", data, re.MULTILINE)
    # Nor is a log that stops inside a phase it entered (a build stopped or timed out).
    entered = set(re.findall(rb"(?:Entering phase|Phase is) ([A-Z_]+)", data))
    completed = set(re.findall(rb"Phase complete: ([A-Z_]+)", data))
    return (
        bool(states)
        and all(s in (b"SUCCEEDED", b"true") for s in states)
        and runtime_error is None
        and entered <= completed
    )


SUCCESS_CASES = [c for c in CASES if _succeeded(c)]


def test_there_are_success_cases_with_decoys() -> None:
    names = {c.case_id for c in SUCCESS_CASES}
    assert len(SUCCESS_CASES) >= 20
    assert "docker-hub-rate-limit/positive-retry-passed-info" in names  # a retried rate limit that passed
    assert "npm-registry-auth-failed/negative-codeartifact-install-ok" in names  # test_error_handling, 401 in names
    assert "java-unsupported-class-version/negative-tests-named-after-it" in names  # a test named after the error
    assert "cache-access-denied/positive-download" in names  # a cache warning: the build still passed
    assert "cache-x509-system-roots/positive-old-image" in names  # a cache download error, build passed


@pytest.mark.parametrize("case", SUCCESS_CASES, ids=lambda c: c.case_id)
def test_a_build_that_succeeded_gets_no_error_level_finding(pack, case) -> None:
    diagnosis = diagnose_case(pack.rules, case)
    loud = [(f.rule_id, f.severity.label) for f in diagnosis.findings if f.severity >= Severity.ERROR]
    assert loud == []
