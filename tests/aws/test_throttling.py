"""GetLogEvents throttled on every attempt: boto3 retries over HTTP, then the CLI exits 3.

The throttle is produced by the moto server itself: its ``GetLogEvents`` handler (same
process, so patchable) raises moto's ``JsonRESTError("ThrottlingException", ...)``, which the
server sends as a real HTTP 400 with a JSON ``__type``, as CloudWatch Logs does. botocore
parses and retries it like any throttle; ``AWS_MAX_ATTEMPTS=2`` keeps that to one retry.
(A botocore Stubber error would not be retried and would prove nothing about retries.)
"""

from __future__ import annotations

import json

import pytest
from awshelp import diagnose, failed_record
from moto.core.exceptions import JsonRESTError
from moto.logs.responses import LogsResponse

from analyzer.demo import seed_build

pytestmark = pytest.mark.aws


def _always_throttled(self: LogsResponse) -> str:
    raise JsonRESTError("ThrottlingException", "Rate exceeded")


def test_throttled_get_log_events_exits_3_after_retries(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, aws_env
) -> None:
    record = failed_record(
        "busy-account", "BUILD", "COMMAND_EXECUTION_ERROR", "Error while executing command: make. Reason: exit status 2"
    )
    build_id = seed_build(moto_endpoint, record, ["make: *** [all] Error 2"])
    uuid = build_id.split(":", 1)[1]
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setattr(LogsResponse, "get_log_events", _always_throttled)
    aws_env.clear()

    run = diagnose(build_id)

    assert run.status == 3
    assert aws_env.operations() == ["BatchGetBuilds", "GetLogEvents", "GetLogEvents"]  # 2 HTTP attempts
    stream = f"/aws/codebuild/busy-account/{uuid}"
    assert run.stderr == (
        f"codebuild-doctor: error: AWS kept throttling logs:GetLogEvents for log stream {stream} "
        "after retries: Rate exceeded\n"
        "tip: try again later, or lower the request rate (AWS_MAX_ATTEMPTS raises the retries)\n"
    )
    report = run.report  # the record still gives a diagnosis
    assert report["root_cause"] == "command-execution-error"
    assert report["notes"] == [
        f"log not read: AWS kept throttling logs:GetLogEvents for log stream {stream} after retries: Rate exceeded"
    ]


_real_get_log_events = LogsResponse.get_log_events


def _throttled_after_first_page(self: LogsResponse) -> str:
    if "nextToken" in json.loads(self.body):
        raise JsonRESTError("ThrottlingException", "Rate exceeded")
    return _real_get_log_events(self)


def test_throttled_on_a_later_page_still_reports_from_the_record(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, aws_env
) -> None:
    """Regression: a failure after the first page used to lose the whole diagnosis (no report)."""
    record = failed_record(
        "busy-later", "BUILD", "COMMAND_EXECUTION_ERROR", "Error while executing command: make. Reason: exit status 2"
    )
    build_id = seed_build(moto_endpoint, record, ["make: *** [all] Error 2"])
    stream = f"/aws/codebuild/busy-later/{build_id.split(':', 1)[1]}"
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setattr(LogsResponse, "get_log_events", _throttled_after_first_page)
    aws_env.clear()

    run = diagnose(build_id)

    assert run.status == 3
    # Page 1 (with the one event) is served; the call with its nextForwardToken is throttled.
    assert aws_env.operations() == ["BatchGetBuilds", "GetLogEvents", "GetLogEvents"]
    message = f"AWS kept throttling logs:GetLogEvents for log stream {stream} after retries: Rate exceeded"
    assert run.stderr == (
        f"codebuild-doctor: error: {message}\n"
        "tip: try again later, or lower the request rate (AWS_MAX_ATTEMPTS raises the retries)\n"
    )
    report = run.report
    assert report["log"] is None
    assert report["notes"] == [f"log not read: {message}"]
    assert report["root_cause"] == "command-execution-error"
