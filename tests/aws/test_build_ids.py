"""Build ids: unknown, malformed, and a build ARN in place of an id."""

from __future__ import annotations

import pytest
from awshelp import ACCOUNT, REGION, diagnose, failed_record, recorded_api_calls

from analyzer.demo import seed_build

pytestmark = pytest.mark.aws


def test_unknown_build_id_exits_3_with_region_and_tip() -> None:
    build_id = "ghost-project:00000000-1111-2222-3333-444444444444"
    with recorded_api_calls() as calls:
        run = diagnose(build_id)
    assert run.status == 3
    assert run.stdout == ""
    assert run.stderr == (
        f"codebuild-doctor: error: build not found: {build_id} (Region us-east-1)\n"
        "tip: check the build id and the Region (--region or AWS_REGION); builds are kept for one year\n"
    )
    assert calls == [("codebuild", "BatchGetBuilds")]


@pytest.mark.parametrize("value", ["not-a-build-id", "my-project:", "arn:aws:codebuild:us-east-1:1:project/x"])
def test_malformed_build_id_exits_2_naming_the_value(value: str) -> None:
    with recorded_api_calls() as calls:
        run = diagnose(value)
    assert run.status == 2
    assert run.stdout == ""
    assert run.stderr == (
        f"codebuild-doctor: error: invalid build id {value!r}: expected <project>:<uuid> or a build ARN "
        "(arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>)\n"
    )
    assert calls == []  # rejected before any AWS call


def test_build_arn_is_accepted_in_place_of_the_id(moto_endpoint: str) -> None:
    record = failed_record(
        "arn-project",
        "BUILD",
        "COMMAND_EXECUTION_ERROR",
        "Error while executing command: make lint. Reason: exit status 2",
    )
    build_id = seed_build(moto_endpoint, record, ["make: *** [lint] Error 2"])
    arn = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/{build_id}"

    with recorded_api_calls() as calls:
        run = diagnose(arn)

    assert run.status == 1, run.stderr
    assert run.report["build"]["build_id"] == build_id
    assert run.report["build"]["build_arn"] == arn
    assert run.report["root_cause"] == "command-execution-error"
    assert run.report["findings"][0]["captures"] == {"command": "make lint", "exit_status": "2"}
    assert calls[0] == ("codebuild", "BatchGetBuilds")
