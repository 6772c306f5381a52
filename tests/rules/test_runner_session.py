"""A GitHub Actions runner in a build whose session GitHub refused (github-actions-runner-session-conflict).

The runner gives up after 240 seconds and ``run.sh`` exits 0 (actions/runner's
run-helper.sh.template), so the build can pass while the workflow job stays queued:
the finding must still say so, as info, and be marked transient.
"""

from __future__ import annotations

from analyzer.engine import diagnose
from analyzer.models import Role, Severity
from tests.helpers import REPO

FOLDER = REPO / "fixtures" / "logs" / "github-actions-runner-session-conflict"


def test_a_runner_that_gave_up_in_a_passing_build_is_reported_as_info_with_the_queued_job(pack) -> None:  # type: ignore[no-untyped-def]
    diagnosis = diagnose(pack.rules, [(FOLDER / "positive-run-sh-gives-up.log").read_bytes()])
    [finding] = [f for f in diagnosis.findings if f.rule_id == "github-actions-runner-session-conflict"]
    assert finding.severity is Severity.INFO and finding.role is Role.NOISE
    assert finding.captures == {"retry_seconds": "240"}
    assert "stays queued on GitHub (\"Waiting for a runner to pick up this job...\")" in " ".join(finding.summary.split())
    assert finding.transient
    assert "re-run the job: the new attempt has a new label" in " ".join(finding.remediation.split())
    assert "runs-on: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}" in finding.remediation


def test_a_buildspec_that_fails_when_no_job_ran_makes_the_conflict_the_cause(pack) -> None:  # type: ignore[no-untyped-def]
    root = diagnose(pack.rules, [(FOLDER / "positive-diag-log-dumped.log").read_bytes()]).root_cause
    assert root is not None and root.rule_id == "github-actions-runner-session-conflict"
    assert root.severity is Severity.ERROR and root.role is Role.CAUSE
    # The runner's own context (`√ Connected to GitHub`, line 3) is evidence beside its message.
    assert [e.line_number for e in root.evidence] == [3, 5, 6]


def test_a_test_that_prints_the_runners_lines_bare_is_not_a_runner(pack) -> None:  # type: ignore[no-untyped-def]
    diagnosis = diagnose(pack.rules, [(FOLDER / "negative-test-prints-message-bare.log").read_bytes()])
    assert [f.rule_id for f in diagnosis.findings if f.rule_id == "github-actions-runner-session-conflict"] == []
    assert diagnosis.root_cause is not None and diagnosis.root_cause.rule_id == "go-test-failures"
