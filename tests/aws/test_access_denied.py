"""Access denials, enforced by moto's own IAM checks over HTTP.

moto checks signatures and IAM policies once ``INITIAL_NO_AUTH_ACTION_COUNT`` is reached;
:func:`awshelp.iam_enforced` sets it to 0 inside the server through ``/moto-api/reset-auth``.
The CLI then runs as an IAM user whose inline policy lacks one action.

moto quirk: for JSON-protocol APIs (CodeBuild, CloudWatch Logs) moto renders the denial as
an XML ``ErrorResponse`` with HTTP 403, which botocore cannot parse as JSON: the error code
becomes ``"403"`` and the message the raw XML (real AWS answers JSON ``{"__type":
"AccessDeniedException", "Message": "User: ... is not authorized to perform: ..."}``). So the
first stderr line is checked up to the message, then for the denied action, and the tip line
exactly.
"""

from __future__ import annotations

import gzip

import pytest
from awshelp import clients, create_user, diagnose, failed_record, iam_enforced, recorded_api_calls

from analyzer.demo import seed_build

pytestmark = pytest.mark.aws

LOG = ["[Container] 2026/11/27 09:14:01.200000 Running command make", "make: *** [all] Error 2"]


def _seed(endpoint: str, project: str, s3_bucket: str | None = None) -> str:
    """A failed build with a CloudWatch log, or (with ``s3_bucket``) an S3 log only."""
    logs = {"cloudWatchLogs": {"status": "DISABLED"}} if s3_bucket else None
    record = failed_record(
        project, "BUILD", "COMMAND_EXECUTION_ERROR", "Error while executing command: make. Reason: exit status 2", logs=logs
    )
    return seed_build(endpoint, record, None if s3_bucket else LOG, s3_bucket=s3_bucket)


def _assert_record_diagnosis(run_report: dict, denied_what: str) -> None:
    assert run_report["log"] is None
    assert run_report["root_cause"] == "command-execution-error"
    assert run_report["findings"][0]["captures"] == {"command": "make", "exit_status": "2"}
    assert len(run_report["notes"]) == 1
    assert run_report["notes"][0].startswith(f"log not read: access denied reading {denied_what}: ")


def test_denied_get_log_events_still_diagnoses_from_record(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_id = _seed(moto_endpoint, "locked-logs")
    uuid = build_id.split(":", 1)[1]
    for name, value in create_user(moto_endpoint, "builds-only", ["codebuild:BatchGetBuilds"]).items():
        monkeypatch.setenv(name, value)

    with iam_enforced(moto_endpoint), recorded_api_calls() as calls:
        run = diagnose(build_id)

    assert run.status == 3
    assert calls == [("codebuild", "BatchGetBuilds"), ("logs", "GetLogEvents")]
    stream = f"/aws/codebuild/locked-logs/{uuid}"
    _assert_record_diagnosis(run.report, f"log stream {stream}")
    first, *_, tip, end = run.stderr.split("\n")
    assert first.startswith(f"codebuild-doctor: error: access denied reading log stream {stream}: ")
    assert "User: arn:aws:iam::123456789012:user/builds-only is not authorized to perform: logs:GetLogEvents" in run.stderr
    assert tip == "tip: allow logs:GetLogEvents for the identity you run codebuild-doctor as (see the README's IAM policy)"
    assert end == ""


def test_denied_s3_get_object_still_diagnoses_from_record(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_id = _seed(moto_endpoint, "locked-s3", s3_bucket="locked-build-logs")
    uuid = build_id.split(":", 1)[1]
    s3 = clients(moto_endpoint)[2]
    s3.create_bucket(Bucket="locked-build-logs")
    s3.put_object(Bucket="locked-build-logs", Key=f"logs/{uuid}.gz", Body=gzip.compress(b"make: *** Error 2\n"))
    for name, value in create_user(moto_endpoint, "no-s3", ["codebuild:BatchGetBuilds", "logs:GetLogEvents"]).items():
        monkeypatch.setenv(name, value)

    with iam_enforced(moto_endpoint), recorded_api_calls() as calls:
        run = diagnose(build_id)

    assert run.status == 3
    assert calls == [("codebuild", "BatchGetBuilds"), ("s3", "GetObject")]
    what = f"s3://locked-build-logs/logs/{uuid}.gz"
    _assert_record_diagnosis(run.report, what)
    # S3 is a REST-XML API, so moto's denial parses normally here: the message is exact.
    assert run.stderr == (
        f"codebuild-doctor: error: access denied reading {what}: Access Denied\n"
        "tip: allow s3:GetObject for the identity you run codebuild-doctor as (see the README's IAM policy)\n"
    )


def test_denied_batch_get_builds_exits_3_naming_the_action(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_id = _seed(moto_endpoint, "locked-builds")
    for name, value in create_user(moto_endpoint, "logs-only", ["logs:GetLogEvents"]).items():
        monkeypatch.setenv(name, value)

    with iam_enforced(moto_endpoint), recorded_api_calls() as calls:
        run = diagnose(build_id)

    assert run.status == 3
    assert run.stdout == ""  # no record, so no diagnosis
    assert calls == [("codebuild", "BatchGetBuilds")]
    first, *_, tip, end = run.stderr.split("\n")
    assert first.startswith(f"codebuild-doctor: error: access denied reading build {build_id}: ")
    assert "User: arn:aws:iam::123456789012:user/logs-only is not authorized to perform: codebuild:BatchGetBuilds" in run.stderr
    assert tip == (
        "tip: allow codebuild:BatchGetBuilds for the identity you run codebuild-doctor as (see the README's IAM policy)"
    )
    assert end == ""
