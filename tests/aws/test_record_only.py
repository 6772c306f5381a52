"""Builds diagnosed from their record alone: no log stream, or a log that no longer exists."""

from __future__ import annotations

import pytest
from awshelp import ACCOUNT, clients, diagnose, failed_record, recorded_api_calls

from analyzer.demo import seed_build

pytestmark = pytest.mark.aws

PARAMETER_ARN = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/billing/npm-token"
SSM_DENIED = (
    f"AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/codebuild-billing-api-role/"
    "AWSCodeBuild-0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f is not authorized to perform: "
    f"ssm:GetParameters on resource: {PARAMETER_ARN} because no identity-based policy allows "
    "the ssm:GetParameters action"
)
NO_STREAM_NOTE = (
    "no log stream: the build has no log (it may have failed before its log stream was created, "
    "in SUBMITTED, QUEUED or PROVISIONING); diagnosed from the build record"
)


def test_no_log_stream_diagnosed_from_phase_context(moto_endpoint: str) -> None:
    record = failed_record("billing-api", "DOWNLOAD_SOURCE", "Decrypted Variables Error", SSM_DENIED)
    record["serviceRole"] = f"arn:aws:iam::{ACCOUNT}:role/codebuild-billing-api-role"
    build_id = seed_build(moto_endpoint, record, None)

    with recorded_api_calls() as calls:
        run = diagnose(build_id)

    assert run.status == 1, run.stderr
    assert run.stderr == ""
    assert calls == [("codebuild", "BatchGetBuilds")]  # nothing to read: no GetLogEvents
    report = run.report
    assert report["log"] is None
    assert report["notes"] == [NO_STREAM_NOTE]
    assert report["build"]["failed_phase"] == "DOWNLOAD_SOURCE"
    assert report["root_cause"] == "ssm-parameter-access-denied"
    finding = report["findings"][0]
    assert finding["rule_id"] == "ssm-parameter-access-denied"
    assert finding["severity"] == "critical"
    assert finding["line_numbers"] == []
    evidence = finding["evidence"][0]
    assert (evidence["source"], evidence["line_number"], evidence["phase"]) == ("phase-context", None, "DOWNLOAD_SOURCE")
    assert evidence["text"] == f"Phase context status code: Decrypted Variables Error Message: {SSM_DENIED}"
    assert finding["captures"]["parameter_arn"] == PARAMETER_ARN
    assert finding["captures"]["parameter_name"] == "/billing/npm-token"
    assert finding["captures"]["role_name"] == "codebuild-billing-api-role"
    assert finding["captures"]["action"] == "ssm:GetParameters"
    remediation = finding["remediation"]
    assert f'"Resource": "{PARAMETER_ARN}"' in remediation
    assert '"Action": "ssm:GetParameters"' in remediation
    assert f"`arn:aws:iam::{ACCOUNT}:role/codebuild-billing-api-role`" in remediation
    assert "aws iam put-role-policy --role-name codebuild-billing-api-role" in remediation


@pytest.mark.parametrize("group_exists", [False, True], ids=["group-gone", "stream-gone"])
def test_expired_log_is_a_note_not_an_error(moto_endpoint: str, group_exists: bool) -> None:
    group, stream = "/aws/codebuild/old-service", "5f0c4a8e-9d3b-4c2a-8e7f-1a2b3c4d5e6f"
    if group_exists:
        clients(moto_endpoint)[1].create_log_group(logGroupName=group)
    record = failed_record(
        "old-service",
        "BUILD",
        "COMMAND_EXECUTION_ERROR",
        "Error while executing command: ./gradlew test. Reason: exit status 1",
        logs={"groupName": group, "streamName": stream},
    )
    build_id = seed_build(moto_endpoint, record, None)

    with recorded_api_calls() as calls:
        run = diagnose(build_id)

    assert run.status == 1, run.stderr  # findings from the record; a missing log is not exit 3
    assert run.stderr == ""
    assert calls == [("codebuild", "BatchGetBuilds"), ("logs", "GetLogEvents")]
    report = run.report
    assert report["log"] is None
    assert report["notes"] == [
        f"no log: log stream {stream} not found in log group {group}; the log may have expired "
        "(the group's retention), been deleted, or never been written (builds that fail in "
        "PROVISIONING have no log)",
        "diagnosed from the build record only",
    ]
    assert report["root_cause"] == "command-execution-error"
    assert report["findings"][0]["captures"] == {"command": "./gradlew test", "exit_status": "1"}
