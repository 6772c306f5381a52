"""Fixes that depend on Lambda compute (``build.lambda_compute``, or a script under ``/tmp/codebuild/``).

Lambda compute runs no tool that needs root and writes only under ``/tmp``
(https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html#lambda.limitations):
a fix that says ``yum install`` or ``runtime-versions`` there is wrong.
"""

from __future__ import annotations

import json

from analyzer.engine import diagnose
from analyzer.models import Build, Finding
from tests.helpers import REPO

FIXTURES = REPO / "fixtures" / "logs"


def _root(pack, rule_id: str, stem: str, *, record: str | None = None, log: str | None = None) -> Finding:  # type: ignore[no-untyped-def]
    folder = FIXTURES / rule_id
    build = None
    if record:
        build = Build.from_api(json.loads((folder / f"{record}.json").read_text(encoding="utf-8")))
    text = (folder / f"{log or stem}.log").read_bytes()
    root = diagnose(pack.rules, [text], build).root_cause
    assert root is not None and root.rule_id == rule_id
    return root


def test_command_not_found_on_lambda_compute_says_what_lambda_cannot_install(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "command-not-found", "positive-lambda-apt-get", record="positive-lambda-apt-get")
    assert root.captures["missing_command"] == "apt-get"
    assert "the build ran on Lambda compute, where OS package managers (`yum`, `apt-get`) cannot install" in root.summary
    assert root.remediation.startswith("The build ran on **AWS Lambda compute** (`BUILD_LAMBDA_2GB`).")
    assert "(and the Amazon Linux images have no\n`apt-get` at all)" in root.remediation
    assert "A custom image for Lambda compute" in root.remediation
    assert '"type": "LINUX_CONTAINER", "image": "aws/codebuild/amazonlinux2-x86_64-standard:5.0"' in root.remediation
    assert "curl -fsSL -o /tmp/bin/<tool>" in root.remediation  # not a download of apt-get itself
    # The EC2 advice (install it with apt-get / yum, runtime-versions) is not given on Lambda.
    assert "apt-get update && apt-get install" not in root.remediation
    assert "runtime-versions:\n" not in root.remediation


def test_command_not_found_knows_lambda_compute_from_the_script_path_without_a_record(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "command-not-found", "positive-lambda-apt-get")
    assert root.captures["script"] == "/tmp/codebuild/output/tmp/script.sh"
    assert "its\nbuildspec script runs from `/tmp/codebuild/output/tmp/script.sh`" in root.remediation
    assert "aws codebuild update-project --name <project>" in root.remediation


def test_command_not_found_on_ec2_compute_keeps_the_install_advice(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "command-not-found", "positive-bash")
    assert "Lambda" not in root.summary + root.remediation
    assert "- npm install -g yarn" in root.remediation and "runtime-versions:" in root.remediation


def test_read_only_file_system_on_lambda_compute_sends_writes_to_tmp(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "read-only-file-system", "positive-lambda-mkdir", record="positive-lambda-mkdir")
    assert root.captures == {"path": "/opt/tools", "command": "mkdir -p /opt/tools/bin"}
    assert " ".join(root.summary.split()).endswith(
        "The build ran on Lambda compute (`BUILD_LAMBDA_1GB`), where a build can write only under `/tmp`."
    )
    assert "- export HOME=/tmp" in root.remediation
    assert "not `/opt/tools`" in root.remediation
    assert "move the project `release-tools`" in " ".join(root.remediation.split())


def test_read_only_file_system_without_lambda_compute_names_lambda_only_as_a_possibility(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "read-only-file-system", "positive-npm-erofs")
    assert root.captures == {"path": "/app/node_modules", "command": "docker run --rm -v \"$PWD:/app:ro\" -w /app node:20 npm install"}
    assert "Lambda" not in root.summary
    assert root.remediation.startswith("The path `/app/node_modules` is on a file system mounted read-only.")
    assert "If the project runs on **AWS Lambda compute**" in root.remediation


def test_yum_refused_on_lambda_compute_gives_the_lambda_ways_not_sudo(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "package-manager-needs-root", "positive-lambda-yum", record="positive-lambda-yum")
    flat = " ".join(root.summary.split())
    assert flat.endswith("The build ran on Lambda compute (`BUILD_LAMBDA_4GB`), which runs no tool that needs root.")
    assert root.remediation.startswith("AWS Lambda compute does not run tools that need root")
    assert "aws codebuild update-project --name site-build" in root.remediation
    assert "sudo" not in root.remediation and "run-as" not in root.remediation


def test_dnf_refused_without_a_record_lists_lambda_run_as_and_a_non_root_image(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "package-manager-needs-root", "positive-dnf-run-as")
    assert "Lambda" not in root.summary
    assert root.remediation.startswith("- If the project runs on **AWS Lambda compute**")
    assert "drop `run-as` from `install`" in root.remediation and "before `USER`" in root.remediation


def test_a_timed_out_build_on_lambda_compute_is_not_fixed_by_a_longer_timeout(pack) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / "build-timed-out"
    build = Build.from_api(json.loads((folder / "positive-lambda-record-only.json").read_text(encoding="utf-8")))
    root = diagnose(pack.rules, None, build).root_cause
    assert root is not None and root.rule_id == "build-timed-out"
    assert " ".join(root.summary.split()).endswith(
        "after 15.2 minutes: the build ran on Lambda compute, which runs a build for at most 15 minutes."
    )
    assert "raising\n`timeoutInMinutes` does not help" in root.remediation
    assert "Lambda compute keeps no cache between builds" in " ".join(root.remediation.split())
    assert "'/root/.m2/**/*'" not in root.remediation  # no cache advice where there is no cache
    assert "--timeout-in-minutes 120 \\\n" in root.remediation  # only together with EC2 compute
    # On EC2 compute the advice stays: cache, larger type, a longer timeout.
    ec2 = Build.from_api(json.loads((folder / "positive-record-only.json").read_text(encoding="utf-8")))
    root = diagnose(pack.rules, None, ec2).root_cause
    assert "Lambda" not in root.summary + root.remediation
    assert "'/root/.m2/**/*'" in root.remediation and "--timeout-in-minutes 120\n" in root.remediation
