"""The harness itself: no test in this folder can reach a real AWS endpoint."""

from __future__ import annotations

import boto3
import pytest

pytestmark = pytest.mark.aws


def test_requests_to_real_aws_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # as if a test forgot the moto endpoint
    client = boto3.client("codebuild", region_name="us-east-1")
    with pytest.raises(AssertionError, match="non-local endpoint: https://codebuild.us-east-1.amazonaws.com/"):
        client.batch_get_builds(ids=["p:0000-0000"])
