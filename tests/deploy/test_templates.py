"""The deployment templates: both pass cfn-lint (with the SAM transform), and agree with the code."""

from __future__ import annotations

from pathlib import Path

import os

import pytest

from analyzer.service.config import PREFIX, ServiceConfig
from analyzer.service.events import EVENT_PATTERN

if os.environ.get("CI"):  # CI installs the test extras: a missing cfn-lint is a failure there
    import cfnlint.api as cfnlint_api
else:  # a venv made before cfn-lint joined the extras: ./scripts/test installs it
    cfnlint_api = pytest.importorskip("cfnlint.api", reason="pip install -e '.[test]' (cfn-lint)")
from cfnlint.decode import decode  # noqa: E402

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.mark.parametrize("name", ["central.yaml", "member.yaml"])
def test_the_template_passes_cfn_lint(name: str) -> None:
    matches = cfnlint_api.lint_file(DEPLOY / name)
    assert [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches] == []


def _template(name: str) -> dict:
    template, problems = decode(str(DEPLOY / name))
    assert not problems
    return template


def test_both_rules_use_the_pattern_the_handler_parses() -> None:
    central = _template("central.yaml")["Resources"]
    member = _template("member.yaml")["Resources"]
    assert central["FailedBuildsRule"]["Properties"]["EventPattern"] == EVENT_PATTERN
    assert member["ForwardFailedBuilds"]["Properties"]["EventPattern"] == EVENT_PATTERN


def test_the_member_role_can_only_read_builds_and_their_logs() -> None:
    role = _template("member.yaml")["Resources"]["ReadOnlyRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    plain = [s for s in statements if "Sid" in s]
    assert [(s["Sid"], s["Action"]) for s in plain] == [
        ("ReadBuilds", ["codebuild:BatchGetBuilds", "codebuild:ListBuildsForProject", "codebuild:BatchGetProjects"]),
        ("ReadBuildLogs", "logs:GetLogEvents"),
    ]
    s3 = statements[2]["Fn::If"]  # only when a build log bucket is given
    assert (s3[0], s3[1]["Action"], s3[2]) == ("HasLogBucket", "s3:GetObject", {"Ref": "AWS::NoValue"})
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"]
    assert sorted(trust) == ["aws:PrincipalOrgID", "sts:ExternalId"]


def test_the_function_gets_every_setting_the_handler_reads() -> None:
    resources = _template("central.yaml")["Resources"]
    function = resources["Function"]["Properties"]
    variables = set(function["Environment"]["Variables"])
    settings = {PREFIX + name.upper() for name in ServiceConfig.__dataclass_fields__}
    assert settings - variables == {PREFIX + "MAX_ATTEMPTS", PREFIX + "RESERVE_SECONDS"}  # defaults suit Lambda
    assert function["Handler"] == "analyzer.service.handler.lambda_handler"
    assert function["Architectures"] == ["arm64"] and function["Runtime"] == "python3.12"
    event = function["Events"]["FailedBuilds"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "MaximumConcurrency"}}
    assert resources["Queue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 3
