"""codebuild-doctor only reads: every AWS call a diagnosis makes is on a short allowlist."""

from __future__ import annotations

import pytest
from awshelp import clients, diagnose, failed_record, recorded_api_calls

from analyzer.demo import seed_build

pytestmark = pytest.mark.aws

ALLOWED = {
    ("codebuild", "BatchGetBuilds"),
    ("codebuild", "ListBuildsForProject"),  # the baseline: the project's last successful build
    ("logs", "GetLogEvents"),
    ("s3", "GetObject"),
}


def test_every_aws_call_is_a_read_on_the_allowlist(moto_endpoint: str, aws_env) -> None:
    context = ("COMMAND_EXECUTION_ERROR", "Error while executing command: make. Reason: exit status 2")
    with_log = seed_build(moto_endpoint, failed_record("ro-cloudwatch", "BUILD", *context), ["make: *** Error 2"] * 12_000)
    no_log = seed_build(moto_endpoint, failed_record("ro-none", "PROVISIONING", *context), None)
    expired = seed_build(
        moto_endpoint,
        failed_record("ro-expired", "BUILD", *context, logs={"groupName": "/aws/codebuild/gone", "streamName": "x"}),
        None,
    )
    s3_only = seed_build(
        moto_endpoint,
        failed_record("ro-s3", "BUILD", *context, logs={"cloudWatchLogs": {"status": "DISABLED"}}),
        None,
        s3_bucket="ro-logs",
    )
    s3 = clients(moto_endpoint)[2]
    s3.create_bucket(Bucket="ro-logs")
    s3.put_object(Bucket="ro-logs", Key=f"logs/{s3_only.split(':', 1)[1]}.gz", Body=b"make: *** Error 2\n")
    aws_env.clear()

    with recorded_api_calls() as calls:
        statuses = [diagnose(build_id).status for build_id in (with_log, no_log, expired, s3_only)]
        statuses.append(diagnose("ro-missing:00000000-0000-0000-0000-000000000000").status)

    assert statuses == [1, 1, 1, 1, 3]
    assert set(calls) == ALLOWED  # each allowed call was exercised ...
    assert [c for c in calls if c not in ALLOWED] == []  # ... and nothing else was called
    # The same on the wire: JSON APIs name their operation in X-Amz-Target; S3 reads are GETs.
    assert set(aws_env.operations()) == {"BatchGetBuilds", "ListBuildsForProject", "GetLogEvents", "GET"}
    assert all(method == "GET" for method, url, _ in aws_env.requests if "/ro-logs/" in url)
