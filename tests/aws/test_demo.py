"""``codebuild-doctor demo``: its own moto server, the four sample builds, one JSON report each."""

from __future__ import annotations

import json
import re

import pytest
from awshelp import run_cli

pytestmark = pytest.mark.aws

COMMAND_LINE = re.compile(
    r"^\$ codebuild-doctor diagnose --build-id (\S+) --region us-east-1 --endpoint-url http://127\.0\.0\.1:\d+$", re.M
)


def test_demo_diagnoses_the_four_samples_in_order_and_writes_the_scan_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    html = tmp_path / "team.html"
    run = run_cli("demo", "--format", "json", "--html", str(html))

    assert run.status == 0, run.stderr
    assert re.match(r"codebuild-doctor demo: moto server at http://127\.0\.0\.1:\d+, 4 sample failed builds\n", run.stderr)
    assert run.stderr.endswith(f"codebuild-doctor demo: wrote the scan's HTML report to {html}\n")
    build_ids = COMMAND_LINE.findall(run.stderr)  # with --format json the commands go to stderr
    reports = json.loads(run.stdout)  # one JSON array
    assert [r["build"]["build_id"] for r in reports] == build_ids
    page = html.read_text(encoding="utf-8")
    assert all(build_id in page for build_id in build_ids)
    assert [r["build"]["project"] for r in reports] == ["storefront-api", "payments-worker", "docs-site", "storefront-web"]
    assert [r["root_cause"] for r in reports] == [
        "docker-hub-rate-limit",
        "ssm-parameter-access-denied",
        "docker-hub-rate-limit",
        "jest-failures",
    ]
    # The third sample died in PROVISIONING: no log stream, diagnosed from the record.
    assert [r["log"] is None for r in reports] == [False, False, True, False]
    assert reports[0]["findings"][0]["line_numbers"] == [34, 44]  # the token request and the manifest request
    assert reports[1]["findings"][0]["captures"]["parameter_name"] == "/payments/dockerhub-token"
