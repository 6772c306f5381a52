"""``scan --role-arn`` / ``--accounts``: several accounts from one machine; ``scan --enqueue``: a backfill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from awshelp import recorded_api_calls, run_cli
from orghelp import Context, central_account, service, sqs_event

from analyzer.demo import REGION, load_samples, seed_builds_in_process
from analyzer.rules import load_rules

pytestmark = pytest.mark.aws

ACCOUNTS = ("333333333333", "444444444444")


def _seed(account: str, count: int) -> list[str]:
    samples = [s for s in load_samples() if s.log_lines][:count]
    ids = seed_builds_in_process([{"record": s.record, "log_lines": s.log_lines} for s in samples], account=account)
    return [f"arn:aws:codebuild:{REGION}:{account}:build/{i}" for i in ids]


def _role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/codebuild-doctor-read-only"


def test_scan_of_several_accounts_through_their_roles_gives_one_report(aws_env, tmp_path: Path) -> None:
    arns = _seed(ACCOUNTS[0], 2) + _seed(ACCOUNTS[1], 1)
    with recorded_api_calls() as calls:
        run = run_cli("scan", "--role-arn", _role(ACCOUNTS[0]), "--role-arn", _role(ACCOUNTS[1]),
                      "--external-id", "o-example", "--since", "1d", "--no-cache", "--format", "json")  # fmt: skip
    assert run.status == 1, run.stderr
    report = run.report
    assert sorted(b["build"]["build_arn"] for b in report["builds"]) == sorted(arns)
    assert report["account"] is None and report["region"] == REGION  # two accounts, one Region
    assert calls.count(("sts", "AssumeRole")) == 2
    assert {c for c in calls} <= {("sts", "AssumeRole"), ("codebuild", "ListProjects"),
                                  ("codebuild", "ListBuildsForProject"), ("codebuild", "BatchGetBuilds"),
                                  ("logs", "GetLogEvents")}  # fmt: skip

    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"# platform accounts\n{_role(ACCOUNTS[0])}\n\n{_role(ACCOUNTS[1])}  # payments\n", encoding="utf-8")
    from_file = run_cli("scan", "--accounts", str(accounts), "--since", "1d", "--no-cache", "--format", "json")
    assert [b["build"]["build_arn"] for b in from_file.report["builds"]] == [b["build"]["build_arn"] for b in report["builds"]]


def test_a_bad_role_arn_or_accounts_file_is_a_clear_error(aws_env, tmp_path: Path) -> None:
    run = run_cli("scan", "--role-arn", "codebuild-doctor-read-only", "--since", "1d", "--no-cache")
    assert (run.status, run.stderr) == (2, "codebuild-doctor: error: invalid role ARN 'codebuild-doctor-read-only': "
                                           "expected arn:aws:iam::<account>:role/<name>\n")  # fmt: skip
    empty = tmp_path / "accounts.txt"
    empty.write_text("# nobody yet\n", encoding="utf-8")
    run = run_cli("scan", "--accounts", str(empty), "--since", "1d")
    assert (run.status, run.stderr) == (2, f"codebuild-doctor: error: --accounts: {empty} lists no role ARN\n")


def test_scan_enqueue_backfills_through_the_service(moto_endpoint: str, aws_env) -> None:
    central = central_account(moto_endpoint)
    arns = _seed(ACCOUNTS[0], 3)

    run = run_cli("scan", "--role-arn", _role(ACCOUNTS[0]), "--since", "1d", "--enqueue", central.queue_url)

    assert run.status == 0, run.stderr
    assert sorted(run.stdout.split()) == sorted(arns)
    assert run.stderr == f"codebuild-doctor: 3 builds queued to {central.queue_url}\n"
    messages = central.received()
    assert sorted(json.loads(m["Body"])["detail"]["build-id"] for m in messages) == sorted(arns)
    handler = service(central, load_rules().rules)
    assert handler.handle(sqs_event(messages), Context(60)) == {"batchItemFailures": []}
    assert sorted(r["build_arn"] for r in central.rows()) == sorted(arns)
