"""``scan --from``: the team page from the stored diagnoses equals the direct scan of the same builds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from awshelp import recorded_api_calls, run_cli
from orghelp import BUCKET, Context, central_account, member_session, record, service

from analyzer.demo import REGION, load_samples, seed_builds_in_process
from analyzer.rules import load_rules
from analyzer.service.events import state_change_event

pytestmark = pytest.mark.aws

MEMBER = "222222222222"


def _without_end_of_window(report: dict) -> dict:
    """The report minus the time it was made (``until``: now, different for each run)."""
    return {**report, "window": {**report["window"], "until": None}}


def test_scan_from_stored_diagnoses_equals_the_direct_scan(moto_endpoint: str, aws_env, monkeypatch, tmp_path: Path) -> None:
    central = central_account(moto_endpoint)
    samples = [s for s in load_samples()]
    ids = seed_builds_in_process([{"record": s.record, "log_lines": s.log_lines} for s in samples], account=MEMBER)
    arns = [f"arn:aws:codebuild:{REGION}:{MEMBER}:build/{i}" for i in ids]
    handler = service(central, load_rules().rules)
    batch = [record(state_change_event(arn, "FAILED"), str(n)) for n, arn in enumerate(arns)]
    assert handler.handle({"Records": batch}, Context(60)) == {"batchItemFailures": []}
    since = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    projects = sorted({s.record["projectName"] for s in samples})
    selection = ["--since", since, "--format", "json", *[a for p in projects for a in ("--project", p)]]

    with recorded_api_calls() as calls:
        from_s3 = run_cli("scan", "--from", f"s3://{BUCKET}/diagnoses/", *selection)
    assert from_s3.status == 1, from_s3.stderr  # findings at or above warning
    assert set(calls) == {("s3", "ListObjectsV2"), ("s3", "GetObject")}  # no CodeBuild, no CloudWatch Logs

    for key, body in central.objects().items():  # a local copy, as `aws s3 sync` makes it
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    from_folder = run_cli("scan", "--from", str(tmp_path / "diagnoses"), *selection)

    member = member_session(MEMBER).get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", member.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", member.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", member.token)
    direct = run_cli("scan", "--no-cache", *selection)
    assert direct.status == 1, direct.stderr

    expected = _without_end_of_window(direct.report)
    assert len(expected["builds"]) == len(samples) and expected["summary"]["diagnosed"] == len(samples)
    assert _without_end_of_window(from_s3.report) == expected
    assert _without_end_of_window(from_folder.report) == expected


def test_scan_from_names_a_bad_source_and_skips_a_bad_document(tmp_path: Path, aws_env) -> None:
    run = run_cli("scan", "--from", str(tmp_path / "nowhere"), "--format", "json")
    assert (run.status, run.stderr) == (
        2, f"codebuild-doctor: error: invalid --from {str(tmp_path / 'nowhere')!r}: not a directory "
        "(and not s3://BUCKET/PREFIX/)\n")  # fmt: skip
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    bad = tmp_path / f"account=1/region=us-east-1/date={day}/x:1.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"schema_version": "1.2", "findings": [{"rule_id": 1}]}', encoding="utf-8")
    run = run_cli("scan", "--from", str(tmp_path), "--format", "json")
    assert run.status == 3  # skipped: exit 3, with the reason in the report
    [skipped] = run.report["skipped"]
    assert skipped["build_id"] == f"account=1/region=us-east-1/date={day}/x:1.json"
    assert skipped["reason"] == "stored diagnosis not understood: KeyError: 'finding_id'"
