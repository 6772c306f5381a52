"""A FAILED build whose CloudWatch log spans several ``GetLogEvents`` pages."""

from __future__ import annotations

import pytest
from awshelp import diagnose, failed_record, recorded_api_calls

from analyzer.demo import seed_build

pytestmark = pytest.mark.aws

LINES = 25_000
RATE_LIMIT_LINE = 24_990
"""1-based line number of the Docker Hub refusal: near the end, on the third page."""
RATE_LIMIT = (
    "ERROR: failed to solve: python:3.12-slim: failed to resolve source metadata for "
    "docker.io/library/python:3.12-slim: failed to copy: httpReadSeeker: failed open: unexpected "
    "status code https://registry-1.docker.io/v2/library/python/manifests/3.12-slim: 429 Too Many "
    "Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may "
    "increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"
)


def long_log() -> list[str]:
    lines = [f"#{i} [builder 2/9] RUN pip install -r requirements.txt  # step {i} ok" for i in range(1, LINES + 1)]
    lines[RATE_LIMIT_LINE - 1] = RATE_LIMIT
    return lines


def test_log_of_25000_events_is_read_across_pages(moto_endpoint: str) -> None:
    record = failed_record(
        "paging-api",
        "BUILD",
        "COMMAND_EXECUTION_ERROR",
        "Error while executing command: docker build -t paging-api .. Reason: exit status 1",
    )
    build_id = seed_build(moto_endpoint, record, long_log())
    uuid = build_id.split(":", 1)[1]

    with recorded_api_calls() as calls:
        run = diagnose(build_id)

    assert run.status == 1, run.stderr
    assert run.stderr == ""
    report = run.report
    assert report["log"]["source"] == f"cloudwatch:/aws/codebuild/paging-api/{uuid}"
    assert report["log"]["lines"] == LINES
    assert report["notes"] == []
    assert report["root_cause"] == "docker-hub-rate-limit"
    finding = report["findings"][0]
    assert finding["rule_id"] == "docker-hub-rate-limit"
    assert finding["line_numbers"] == [RATE_LIMIT_LINE]
    assert finding["evidence"][0]["line_number"] == RATE_LIMIT_LINE
    assert finding["evidence"][0]["text"] == RATE_LIMIT
    assert [c["line_number"] for c in finding["evidence"][0]["before"]] == [24_987, 24_988, 24_989]
    assert [c["line_number"] for c in finding["evidence"][0]["after"]] == [24_991, 24_992, 24_993]
    assert finding["captures"] == {"image": "docker.io/library/python:3.12-slim"}
    assert "public.ecr.aws/docker/library/python:3.12-slim" in finding["remediation"]
    # moto, like CloudWatch Logs, pages 10,000 + 10,000 + 5,000 events, then returns the
    # token it was given with no events: that repeated token is the end of the stream.
    assert calls == [("codebuild", "BatchGetBuilds")] + [("logs", "GetLogEvents")] * 4
