"""Scan aggregation: counts, minutes lost, ranking, per project, per day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from analyzer.aggregate import UNKNOWN, summarise
from analyzer.engine import diagnose
from analyzer.models import Build, BuildId, ScanReport, SkippedBuild
from tests.helpers import log_bytes, make_rule

LIMIT = make_rule("""
id: rate-limit
priority: 90
match:
  any: ['toomanyrequests']
""")
TESTS = make_rule("""
id: tests-failed
priority: 60
match:
  any: ['Tests: \\d+ failed']
""")


def _diagnosis(project: str, number: int, minutes: float, day: int, line: str):  # type: ignore[no-untyped-def]
    start = datetime(2026, 11, day, 9, 0, tzinfo=timezone.utc)
    build = Build(
        build_id=BuildId(f"{project}:{number:08d}-0000-0000-0000-000000000000"),
        project=project,
        status="FAILED",
        start_time=start,
        end_time=start + timedelta(minutes=minutes),
    )
    return diagnose([LIMIT, TESTS], [log_bytes(line)], build)


def test_summary_ranks_causes_and_projects() -> None:
    report = ScanReport(
        diagnoses=(
            _diagnosis("api", 1, 10, 27, "toomanyrequests"),
            _diagnosis("api", 2, 2, 28, "toomanyrequests"),
            _diagnosis("web", 3, 30, 28, "Tests: 3 failed"),
            _diagnosis("web", 4, 6, 28, "nothing we know"),
        ),
        skipped=(SkippedBuild(BuildId("web:5"), "access denied"),),
    )
    summary = summarise(report)
    assert (summary.builds, summary.diagnosed, summary.unknown, summary.skipped) == (4, 3, 1, 1)
    assert summary.minutes_lost == 48
    assert summary.diagnosed_share == 0.75
    assert [(c.rule_id, c.builds, c.minutes_lost) for c in summary.causes] == [
        ("rate-limit", 2, 12.0),
        ("tests-failed", 1, 30.0),
        (UNKNOWN, 1, 6.0),
    ]
    assert [c.rule_id for c in summary.causes_by_minutes()] == ["tests-failed", "rate-limit", UNKNOWN]
    assert summary.causes[0].projects == ("api",)
    assert summary.causes[2].title == "No rule explained these failures" and summary.causes[2].severity is None
    assert [(p.project, p.builds, p.diagnosed, p.minutes_lost, p.top_cause) for p in summary.projects] == [
        ("web", 2, 1, 36.0, "tests-failed"),
        ("api", 2, 2, 12.0, "rate-limit"),
    ]
    assert summary.daily == {
        "2026-11-27": {"rate-limit": 1},
        "2026-11-28": {"rate-limit": 1, "tests-failed": 1, UNKNOWN: 1},
    }


def test_empty_scan() -> None:
    summary = summarise(ScanReport(diagnoses=()))
    assert (summary.builds, summary.diagnosed_share, summary.causes, summary.daily) == (0, 0.0, (), {})
