"""Region, endpoint and retry settings, as the AWS CLI reads them; bad values exit 2 with no traceback."""

from __future__ import annotations

import pytest
from awshelp import ACCOUNT, REGION, diagnose, failed_record

from analyzer.demo import seed_build

pytestmark = pytest.mark.aws


def _seed(endpoint: str) -> str:
    record = failed_record(
        "cfg", "BUILD", "COMMAND_EXECUTION_ERROR", "Error while executing command: docker build .. Reason: exit status 1"
    )
    return seed_build(endpoint, record, ["toomanyrequests: You have reached your pull rate limit\n"])


def test_aws_region_alone_is_honoured(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    build_id = _seed(moto_endpoint)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    run = diagnose(build_id)
    assert run.status == 1, run.stderr
    assert run.report["root_cause"] == "docker-hub-rate-limit"


def test_the_build_arn_gives_the_region(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    build_id = _seed(moto_endpoint)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION")
    arn = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/{build_id}"
    run = diagnose(arn)
    assert run.status == 1, run.stderr
    assert run.report["build"]["build_id"] == build_id


def test_a_region_that_contradicts_the_build_arn_exits_2() -> None:
    arn = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/app:0f6c1a2b-1111-2222-3333-444455556666"
    run = diagnose(arn, "--region", "eu-west-1")
    assert (run.status, run.stdout) == (2, "")
    assert run.stderr == "codebuild-doctor: error: --region eu-west-1 does not match the build ARN's Region us-east-1\n"


@pytest.mark.parametrize(
    ("extra", "env", "message"),
    [
        (["--endpoint-url", "not a url"], {}, "invalid --endpoint-url 'not a url': expected http(s)://host[:port]"),
        (["--region", "bad region!"], {}, "invalid AWS Region 'bad region!': expected a name such as eu-west-1"),
        ([], {"AWS_MAX_ATTEMPTS": "abc"}, "invalid AWS_MAX_ATTEMPTS 'abc': expected a whole number of 1 or more"),
        ([], {"AWS_MAX_ATTEMPTS": "0"}, "invalid AWS_MAX_ATTEMPTS '0': expected a whole number of 1 or more"),
    ],
)
def test_bad_settings_exit_2_naming_the_value(
    extra: list[str], env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run = diagnose("app:0f6c1a2b-1111-2222-3333-444455556666", *extra)
    assert (run.status, run.stdout) == (2, "")
    assert run.stderr == f"codebuild-doctor: error: {message}\n"
