"""``codebuild-doctor scan`` end to end: formats, the JSON schema, exit codes, read-only calls, the cache."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from tests.scan.conftest import REGION, SeededScan

pytestmark = pytest.mark.aws
READ_ONLY = {"ListProjects", "ListBuildsForProject", "BatchGetBuilds", "GetLogEvents", "GetObject"}


def _run(seeded: SeededScan, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["scan", "--region", REGION, "--endpoint-url", seeded.endpoint, "--since", "3d", "--logs-rps", "1000", *args], stdout=out, stderr=err
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS operation any boto3 client makes while the test runs."""
    from botocore.client import BaseClient

    calls: list[str] = []
    real = BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: Any) -> Any:
        calls.append(operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return calls


def test_json_report_matches_the_schema_and_the_scan_is_read_only(
    seeded: SeededScan, tmp_path: Path, aws_calls: list[str]
) -> None:
    from analyzer.report.json import schema_validator

    out = tmp_path / "scan.json"
    code, stdout, stderr = _run(seeded, "--format", "json", "-o", str(out), "--cache-dir", str(tmp_path / "c"))
    assert set(aws_calls) == READ_ONLY - {"GetObject"}  # no build writes its log to S3 here
    assert stdout == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    schema_validator("scan.schema.json").validate(data)
    assert code == 3  # builds were skipped
    assert stderr.endswith(f"codebuild-doctor: 95 builds diagnosed; 32 skipped (exit status 3); report written to {out}\n")
    assert {b["build"]["build_id"] for b in data["builds"]} | {s["build_id"] for s in data["skipped"]} == seeded.selected()
    summary = data["summary"]
    assert (summary["builds"], summary["diagnosed"], summary["unknown"], summary["skipped"]) == (95, 64, 31, 32)
    assert [c["rule_id"] for c in summary["causes"]][:1] == ["docker-hub-rate-limit"]
    assert data["region"] == REGION and data["account"] == "123456789012" and data["kind"] == "scan"
    assert data["statuses"] == ["FAILED", "FAULT", "TIMED_OUT"]

    aws_calls.clear()
    code, stdout, _ = _run(seeded, "--format", "json", "--cache-dir", str(tmp_path / "c"))
    assert "GetLogEvents" not in aws_calls and "BatchGetBuilds" not in aws_calls
    assert json.loads(stdout)["summary"] == summary


def test_text_summary(seeded: SeededScan, tmp_path: Path) -> None:
    code, stdout, stderr = _run(seeded, "--cache-dir", str(tmp_path), "--project", "api", "--project", "web")
    assert code == 3
    lines = stdout.splitlines()
    assert lines[0].startswith(f"Scan of {REGION}, account 123456789012: builds started ")
    assert lines[1:3] == ["  projects: api, web", "  statuses: FAILED, FAULT, TIMED_OUT"]
    assert "Causes by builds" in lines and "Causes by build minutes lost" in lines and "Per project" in lines
    assert any(line.startswith("Unknown failures (") for line in lines)
    skipped_head = next(line for line in lines if line.startswith("Skipped builds ("))
    assert skipped_head.endswith("the scan is incomplete (exit status 3)")
    assert "\x1b[" not in stdout  # not a TTY
    assert stderr.startswith("codebuild-doctor: ") and "skipped (exit status 3)" in stderr


def test_markdown_and_quiet(seeded: SeededScan, tmp_path: Path) -> None:
    code, stdout, stderr = _run(seeded, "--no-cache", "--project", "docs", "--format", "markdown", "--quiet")
    assert code == 3 and stderr == ""
    assert stdout.startswith(f"## CodeBuild failures in {REGION}, ")
    assert "| cause | severity | builds | minutes lost | projects |" in stdout
    assert "| project | builds | explained | minutes lost | top cause |" in stdout
    assert "skipped** (the scan is incomplete):" in stdout


def test_only_explained_builds_exit_1_and_fail_on(seeded: SeededScan) -> None:
    # STOPPED builds of 'docs' within 3 days: every kind cycles through, so take --limit 1, the newest.
    code, stdout, _ = _run(seeded, "--no-cache", "--project", "api", "--status", "SUCCEEDED", "--format", "json", "--limit", "1")
    data = json.loads(stdout)
    assert len(data["builds"]) + len(data["skipped"]) == 1
    if data["skipped"]:
        assert code == 3
    else:
        worst = {f["severity"] for f in data["builds"][0]["findings"]}
        assert code == (1 if worst & {"warning", "error", "critical"} else 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "invalid --since 'yesterday': expected a duration"),
        (["--status", "FAILED,BROKEN"], "invalid --status 'FAILED,BROKEN'"),
    ],
)
def test_usage_errors_exit_2_before_any_aws_call(args: list[str], message: str, aws_calls: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", "--region", REGION, "--endpoint-url", "http://127.0.0.1:9", "--no-cache", *args], stdout=out, stderr=err)
    assert code == 2 and message in err.getvalue() and aws_calls == []


def test_scan_html_report(seeded: SeededScan, tmp_path: Path) -> None:
    target = tmp_path / "scan.html"
    code, stdout, stderr = _run(seeded, "--no-cache", "--project", "web", "--limit", "3", "--format", "html", "--output", str(target))
    assert code in (1, 3) and stdout == ""
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    _, listed, _ = _run(seeded, "--no-cache", "--project", "web", "--limit", "3", "--format", "json")
    data = json.loads(listed)
    ids = [b["build"]["build_id"] for b in data["builds"]] + [s["build_id"] for s in data["skipped"]]
    assert len(ids) == 3
    assert all(build_id in page for build_id in ids)  # every selected build is on the page


def test_corrupt_cache_is_rebuilt_with_a_warning(seeded: SeededScan, tmp_path: Path) -> None:
    (tmp_path / "cache.sqlite3").write_bytes(b"this is not a database" * 100)
    code, stdout, stderr = _run(seeded, "--cache-dir", str(tmp_path), "--project", "web", "--limit", "2", "--format", "json")
    assert stderr.startswith(f"codebuild-doctor: warning: cache file {tmp_path / 'cache.sqlite3'} is unusable (")
    assert "rebuilding it empty" in stderr
    assert len(json.loads(stdout)["builds"]) + len(json.loads(stdout)["skipped"]) == 2
