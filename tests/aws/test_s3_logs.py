"""A build whose log is only in S3 (CloudWatch Logs disabled): read and gunzipped from moto's S3."""

from __future__ import annotations

import gzip

import pytest
from awshelp import clients, diagnose, failed_record, recorded_api_calls

from analyzer.demo import seed_build

pytestmark = pytest.mark.aws

BUCKET = "team-build-logs"
LOG = [
    "[Container] 2026/11/27 09:14:01.100000 Entering phase BUILD",
    "[Container] 2026/11/27 09:14:01.200000 Running command docker pull redis:7",
    "7: Pulling from library/redis",
    "Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may "
    "increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
    "[Container] 2026/11/27 09:14:03.000000 Command did not exit successfully docker pull redis:7 exit status 1",
    "[Container] 2026/11/27 09:14:03.010000 Phase complete: BUILD State: FAILED",
    "[Container] 2026/11/27 09:14:03.020000 Phase context status code: COMMAND_EXECUTION_ERROR "
    "Message: Error while executing command: docker pull redis:7. Reason: exit status 1",
]


def test_log_read_from_s3_when_cloudwatch_is_disabled(moto_endpoint: str) -> None:
    record = failed_record(
        "s3-logged",
        "BUILD",
        "COMMAND_EXECUTION_ERROR",
        "Error while executing command: docker pull redis:7. Reason: exit status 1",
        logs={"cloudWatchLogs": {"status": "DISABLED"}, "s3Logs": {"status": "ENABLED", "location": f"{BUCKET}/logs"}},
    )
    # No CloudWatch stream; seed_build points logs.s3LogsArn at <bucket>/logs/<uuid>.gz.
    build_id = seed_build(moto_endpoint, record, None, s3_bucket=BUCKET)
    uuid = build_id.split(":", 1)[1]
    s3 = clients(moto_endpoint)[2]
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=f"logs/{uuid}.gz", Body=gzip.compress(("\n".join(LOG) + "\n").encode()))

    with recorded_api_calls() as calls:
        run = diagnose(build_id)

    assert run.status == 1, run.stderr
    assert run.stderr == ""
    assert calls == [("codebuild", "BatchGetBuilds"), ("s3", "GetObject")]
    report = run.report
    assert report["build"]["s3_logs_arn"] == f"arn:aws:s3:::{BUCKET}/logs/{uuid}.gz"
    assert report["build"]["log_group"] is None
    assert report["log"]["source"] == f"s3://{BUCKET}/logs/{uuid}.gz"
    assert report["log"]["lines"] == len(LOG)
    assert report["notes"] == []
    assert report["root_cause"] == "docker-hub-rate-limit"
    assert report["findings"][0]["line_numbers"] == [4]
    assert report["findings"][0]["evidence"][0]["text"] == LOG[3]
    command = next(f for f in report["findings"] if f["rule_id"] == "command-execution-error")
    assert command["captures"] == {"command": "docker pull redis:7", "exit_status": "1"}
    assert 7 in command["line_numbers"]


def test_s3_copy_used_when_the_cloudwatch_stream_is_gone(moto_endpoint: str) -> None:
    record = failed_record(
        "both-logged",
        "BUILD",
        "COMMAND_EXECUTION_ERROR",
        "Error while executing command: docker pull redis:7. Reason: exit status 1",
    )
    build_id = seed_build(moto_endpoint, record, LOG, s3_bucket=BUCKET)  # CloudWatch and S3
    uuid = build_id.split(":", 1)[1]
    group = "/aws/codebuild/both-logged"
    clients(moto_endpoint)[1].delete_log_stream(logGroupName=group, logStreamName=uuid)

    with recorded_api_calls() as calls:
        run = diagnose(build_id)

    assert run.status == 1, run.stderr
    assert run.stderr == ""
    assert calls == [("codebuild", "BatchGetBuilds"), ("logs", "GetLogEvents"), ("s3", "GetObject")]
    report = run.report
    assert report["log"]["source"] == f"s3://{BUCKET}/logs/{uuid}.gz"
    assert report["log"]["lines"] == len(LOG)
    assert report["notes"] == [
        f"no log: log stream {uuid} not found in log group {group}; the log may have expired "
        "(the group's retention), been deleted, or never been written (builds that fail in "
        "PROVISIONING have no log)"
    ]
    assert report["root_cause"] == "docker-hub-rate-limit"
    assert report["findings"][0]["line_numbers"] == [4]
