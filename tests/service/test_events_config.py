"""Parsing of state-change events and of the function's settings (no AWS)."""

from __future__ import annotations

import json

import pytest

from analyzer.errors import ConfigError
from analyzer.service.config import ServiceConfig
from analyzer.service.events import MalformedMessage, parse_event, state_change_event

ARN = "arn:aws:codebuild:eu-west-1:210987654321:build/api-tests:0f6c1a2b-1111-2222-3333-444455556666"


def test_the_account_and_region_come_from_the_build_arn_not_the_envelope() -> None:
    event = state_change_event(ARN, "TIMED_OUT")
    event.pop("account")  # a forwarded event may lose it
    del event["detail-type"]
    event["detailType"] = "CodeBuild Build State Change"  # CodeStar Notifications' spelling
    parsed = parse_event(json.dumps(event))
    assert (parsed.account, parsed.region, parsed.partition) == ("210987654321", "eu-west-1", "aws")
    assert (parsed.build_id, parsed.project, parsed.status) == (
        "api-tests:0f6c1a2b-1111-2222-3333-444455556666", "api-tests", "TIMED_OUT")


@pytest.mark.parametrize(
    ("detail", "message"),
    [
        ({}, "event detail has no 'build-id' (the build ARN)"),
        ({"build-id": ARN}, "event detail has no 'build-status' (build api-tests:0f6c1a2b-1111-2222-3333-444455556666)"),
        ({"build-id": ARN.replace("eu-west-1", "Europe"), "build-status": "FAILED"},
         f"invalid build ARN {ARN.replace('eu-west-1', 'Europe')!r}: expected "
         "arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>"),
    ],
)
def test_a_bad_detail_names_what_is_wrong(detail: dict, message: str) -> None:
    event = {"source": "aws.codebuild", "detail-type": "CodeBuild Build State Change", "detail": detail}
    with pytest.raises(MalformedMessage) as caught:
        parse_event(json.dumps(event))
    assert str(caught.value) == message


def test_settings_come_from_the_environment() -> None:
    config = ServiceConfig.from_env({
        "CODEBUILD_DOCTOR_BUCKET": "b", "CODEBUILD_DOCTOR_TABLE": "t",
        "CODEBUILD_DOCTOR_ROLE_NAME": "codebuild-doctor-read-only", "CODEBUILD_DOCTOR_STATUSES": "failed, stopped",
        "CODEBUILD_DOCTOR_LOGS_RPS": "9", "CODEBUILD_DOCTOR_MAX_CONCURRENCY": "3",
    })  # fmt: skip
    assert (config.bucket, config.table, config.topic_arn, config.role_name) == ("b", "t", None, "codebuild-doctor-read-only")
    assert config.statuses == ("FAILED", "STOPPED")
    assert config.instance_logs_rps == 3.0
    assert config.baseline is True  # as diagnose --build-id
    assert ServiceConfig.from_env({"CODEBUILD_DOCTOR_BUCKET": "b", "CODEBUILD_DOCTOR_TABLE": "t",
                                   "CODEBUILD_DOCTOR_BASELINE": "False"}).baseline is False  # fmt: skip


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "CODEBUILD_DOCTOR_BUCKET is not set: the function's template sets it"),
        ({"CODEBUILD_DOCTOR_BUCKET": "b", "CODEBUILD_DOCTOR_TABLE": "t", "CODEBUILD_DOCTOR_LOGS_RPS": "ten"},
         "invalid CODEBUILD_DOCTOR_LOGS_RPS 'ten': expected a number"),
        ({"CODEBUILD_DOCTOR_BUCKET": "b", "CODEBUILD_DOCTOR_TABLE": "t", "CODEBUILD_DOCTOR_STATUSES": "FAILED,SUCCEEDED"},
         "invalid CODEBUILD_DOCTOR_STATUSES 'FAILED,SUCCEEDED': expected a comma-separated list of FAILED, FAULT, "
         "STOPPED, TIMED_OUT"),
        ({"CODEBUILD_DOCTOR_BUCKET": "b", "CODEBUILD_DOCTOR_TABLE": "t", "CODEBUILD_DOCTOR_MAX_CONCURRENCY": "0"},
         "invalid CODEBUILD_DOCTOR_MAX_CONCURRENCY '0': expected more than 0"),
        ({"CODEBUILD_DOCTOR_BUCKET": "b", "CODEBUILD_DOCTOR_TABLE": "t", "CODEBUILD_DOCTOR_BASELINE": "no"},
         "invalid CODEBUILD_DOCTOR_BASELINE 'no': expected true or false"),
    ],
)
def test_a_bad_setting_is_a_clear_error(env: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ServiceConfig.from_env(env)
    assert str(caught.value) == message
