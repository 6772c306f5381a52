"""Helpers for the end-to-end AWS tests (seeding, IAM users, running the CLI, recording calls)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.client
import requests

from analyzer.cli import main
from analyzer.demo import ACCOUNT, REGION


@contextlib.contextmanager
def recorded_api_calls() -> Iterator[list[tuple[str, str]]]:
    """Record ``(service, operation)`` of every boto3 API call made in the block, by any client."""
    calls: list[tuple[str, str]] = []
    real = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: Any) -> Any:
        calls.append((self.meta.service_model.service_name, operation_name))
        return real(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = real  # type: ignore[method-assign]


@dataclass(frozen=True)
class Run:
    """One run of the CLI: exit status, standard output and standard error."""

    status: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        """The JSON report on stdout."""
        return json.loads(self.stdout)  # type: ignore[no-any-return]


def run_cli(*argv: str) -> Run:
    """``codebuild-doctor *argv`` in this process, with captured streams."""
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return Run(status, out.getvalue(), err.getvalue())


def diagnose(build_id: str, *extra: str) -> Run:
    """``codebuild-doctor diagnose --build-id ID --format json``; endpoint and Region come from the env."""
    return run_cli("diagnose", "--build-id", build_id, "--format", "json", *extra)


def clients(endpoint: str) -> tuple[Any, Any, Any, Any]:
    """boto3 clients for seeding moto: codebuild, logs, s3, iam (as the default fake user)."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return tuple(session.client(s, endpoint_url=endpoint) for s in ("codebuild", "logs", "s3", "iam"))  # type: ignore[return-value]


@contextlib.contextmanager
def iam_enforced(endpoint: str) -> Iterator[None]:
    """Make moto check signatures and IAM policies for every request in the block.

    ``/moto-api/reset-auth`` sets ``moto.settings.INITIAL_NO_AUTH_ACTION_COUNT`` inside the
    server (0: authorise from the first request on) and is put back to infinity after.
    """
    requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    try:
        yield
    finally:
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()


def failed_record(
    project: str,
    failed_phase: str,
    status_code: str,
    message: str,
    *,
    logs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``BatchGetBuilds``-shaped FAILED build of ``project`` that stopped in ``failed_phase``.

    Phases before it succeeded (with CodeBuild's empty contexts), the failed one carries
    ``status_code``/``message``, then FINALIZING and COMPLETED, as CodeBuild reports them.
    """
    order = ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD"]
    phases: list[dict[str, Any]] = []
    for phase in order[: order.index(failed_phase)]:
        phases.append({"phaseType": phase, "phaseStatus": "SUCCEEDED", "durationInSeconds": 1,
                       "contexts": [{"statusCode": "", "message": ""}]})  # fmt: skip
    phases.append({"phaseType": failed_phase, "phaseStatus": "FAILED", "durationInSeconds": 2,
                   "contexts": [{"statusCode": status_code, "message": message}]})  # fmt: skip
    phases.append({"phaseType": "FINALIZING", "phaseStatus": "SUCCEEDED", "durationInSeconds": 1})
    phases.append({"phaseType": "COMPLETED"})
    record: dict[str, Any] = {
        "projectName": project,
        "buildStatus": "FAILED",
        "initiator": "tester",
        "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/service-role/codebuild-{project}-role",
        "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                        "computeType": "BUILD_GENERAL1_SMALL", "privilegedMode": True},  # fmt: skip
        "phases": phases,
    }
    if logs is not None:
        record["logs"] = logs
    return record


def create_user(endpoint: str, name: str, allowed_actions: list[str]) -> dict[str, str]:
    """An IAM user allowed only ``allowed_actions`` on ``*``; returns its access key."""
    iam = clients(endpoint)[3]
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="codebuild-doctor-test",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": allowed_actions, "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


__all__ = [
    "ACCOUNT",
    "BASELINE_FAILED_LOG",
    "BASELINE_PASSED_LOG",
    "REGION",
    "failed_record",
    "Run",
    "clients",
    "create_user",
    "diagnose",
    "iam_enforced",
    "passed_record",
    "recorded_api_calls",
    "run_cli",
]


# The baseline's two builds (tests/aws/test_baseline.py, tests/aws/test_service.py): a failure no
# rule names, and the project's success that printed one of its 'error' lines too.
BASELINE_PASSED_LOG = [
    "[Container] 2025/03/08 23:03:47.974700 Entering phase BUILD",
    "[Container] 2025/03/08 23:03:48.112121 Running command ./build.sh",
    "error: the legacy config key 'cache_dir' is deprecated (seen 12 times)",
    "compiling 120 files",
    "[Container] 2025/03/08 23:03:50.000002 Phase complete: BUILD State: SUCCEEDED",
    "[Container] 2025/03/08 23:03:50.000003 Phase context status code:  Message: ",
]

BASELINE_FAILED_LOG = [
    "[Container] 2025/03/09 10:00:00.790021 Entering phase BUILD",  # 1
    "[Container] 2025/03/09 10:00:00.910210 Running command ./build.sh",  # 2
    "error: the legacy config key 'cache_dir' is deprecated (seen 14 times)",  # 3: printed when it passed too
    "compiling 121 files",  # 4
    "linker: cannot open output file dist/app: Permission denied",  # 5: the error
    "[Container] 2025/03/09 10:00:05.000001 Command did not exit successfully ./build.sh exit status 1",  # 6
    "[Container] 2025/03/09 10:00:05.000002 Phase complete: BUILD State: FAILED",  # 7
]


def passed_record(project: str) -> dict[str, Any]:
    """A ``BatchGetBuilds``-shaped SUCCEEDED build of ``project``."""
    phases = [
        {"phaseType": phase, "phaseStatus": "SUCCEEDED", "durationInSeconds": 1,
         "contexts": [{"statusCode": "", "message": ""}]}
        for phase in ("SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD",
                      "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING")
    ]  # fmt: skip
    record = failed_record(project, "BUILD", "", "")
    record.update(buildStatus="SUCCEEDED", phases=[*phases, {"phaseType": "COMPLETED"}])
    return record
