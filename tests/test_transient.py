"""Transient causes: the rule field, the finding, JSON, the human reports and the scan's split."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from analyzer.aggregate import recurrences, summarise
from analyzer.engine import diagnose
from analyzer.errors import RuleError
from analyzer.models import Build, BuildId, ScanReport
from analyzer.report.json import diagnosis_to_dict, scan_to_dict
from analyzer.report.view import diagnosis_view, scan_view
from tests.helpers import log_bytes, make_rule

LIMIT = make_rule("""
id: rate-limit
priority: 90
transient: true
retry: Wait for the window to reset.
match:
  any: ['toomanyrequests']
""")
TESTS = make_rule("""
id: tests-failed
priority: 60
match:
  any: ['Tests: \\d+ failed']
""")


def _diagnosis(number: int, minutes: float, line: str):  # type: ignore[no-untyped-def]
    start = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
    build = Build(BuildId(f"api:{number:08d}-0000-0000-0000-000000000000"), project="api", status="FAILED",
                  start_time=start, end_time=start + timedelta(minutes=minutes))
    return diagnose([LIMIT, TESTS], [log_bytes(line)], build)


def test_rule_and_finding_carry_transient_and_retry() -> None:
    assert (LIMIT.transient, LIMIT.retry) == (True, "Wait for the window to reset.")
    assert (TESTS.transient, TESTS.retry) == (False, "")
    (finding,) = _diagnosis(1, 5, "toomanyrequests").findings
    assert (finding.transient, finding.retry) == (True, "Wait for the window to reset.")
    data = diagnosis_to_dict(_diagnosis(1, 5, "toomanyrequests"))["findings"][0]
    assert (data["transient"], data["retry"]) == (True, "Wait for the window to reset.")
    data = diagnosis_to_dict(_diagnosis(2, 5, "Tests: 3 failed"))["findings"][0]
    assert (data["transient"], data["retry"]) == (False, None)


def test_a_retry_hint_needs_the_transient_key() -> None:
    with pytest.raises(RuleError, match="transient"):
        make_rule("""
        id: odd
        retry: Just run it again.
        match:
          any: ['x']
        """)


def test_reports_say_a_rerun_may_pass_and_how_often_it_recurred() -> None:
    single = diagnosis_view(_diagnosis(1, 5, "toomanyrequests"))
    assert dict(single.findings[0].details)["transient"] == "a re-run may pass. Wait for the window to reset."
    assert "transient" not in dict(diagnosis_view(_diagnosis(2, 5, "Tests: 3 failed")).findings[0].details)
    report = ScanReport(diagnoses=(
        _diagnosis(1, 10, "toomanyrequests"),
        _diagnosis(2, 2, "toomanyrequests"),
        _diagnosis(3, 30, "Tests: 3 failed"),
        _diagnosis(4, 6, "nothing we know"),
    ))
    assert recurrences(report) == {"rate-limit": 2, "tests-failed": 1}
    view = scan_view(report)
    assert dict(view.builds[0].findings[0].details)["transient"] == (
        "a re-run may pass; it recurred in 2 builds. Wait for the window to reset."
    )


def test_scan_separates_transient_from_deterministic_causes() -> None:
    report = ScanReport(diagnoses=(
        _diagnosis(1, 10, "toomanyrequests"),
        _diagnosis(2, 2, "toomanyrequests"),
        _diagnosis(3, 30, "Tests: 3 failed"),
        _diagnosis(4, 6, "nothing we know"),
    ))
    summary = summarise(report)
    assert (summary.diagnosed, summary.transient, summary.deterministic, summary.transient_minutes) == (3, 2, 1, 12.0)
    assert [(c.rule_id, c.transient) for c in summary.causes] == [("rate-limit", True), ("tests-failed", False), ("unknown", False)]
    data = scan_to_dict(report)["summary"]
    assert (data["transient"], data["deterministic"], data["transient_minutes"]) == (2, 1, 12.0)
    assert [c["transient"] for c in data["causes"]] == [True, False, False]
