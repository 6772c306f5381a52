"""A scan built from the fixture builds and logs, shared by the report tests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from analyzer.engine import diagnose
from analyzer.models import Build, Diagnosis, ScanReport, SkippedBuild
from analyzer.rules import load_rules
from tests.helpers import REPO

ACCOUNT = "123456789012"
REGION = "eu-west-1"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)

XSS_LINES = (
    '<script>window.__pwned=1</script> fatal: could not read from remote repository',
    '<img src=x onerror="window.__pwned=1"> error: unable to resolve host',
)
"""Log lines that would run code if a report put log text into HTML unescaped."""


def record(project: str, number: int, *, day: int, minutes: float, base: dict | None = None,
           status: str = "FAILED", source_version: str = "main") -> dict:  # fmt: skip
    """A ``BatchGetBuilds`` record with id, ARN, times and a CloudWatch deep link."""
    uuid = f"{number:08d}-1111-2222-3333-444455556666"
    start = T0 + timedelta(days=day, hours=number)
    data = dict(base or {})
    data.update(
        id=f"{project}:{uuid}",
        arn=f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/{project}:{uuid}",
        projectName=project,
        buildNumber=number,
        buildStatus=status,
        sourceVersion=source_version,
        initiator=data.get("initiator", f"codepipeline/{project}-release"),
        startTime=start.isoformat(),
        endTime=(start + timedelta(minutes=minutes)).isoformat(),
        logs={
            "groupName": f"/aws/codebuild/{project}",
            "streamName": uuid,
            "deepLink": f"https://console.aws.amazon.com/cloudwatch/home?region={REGION}#logsV2:log-groups/log-group/"
            f"$252Faws$252Fcodebuild$252F{project}/log-events/{uuid}",
        },
    )
    return data


def _sample(name: str) -> tuple[dict, bytes | None]:
    folder = REPO / "fixtures" / "builds" / name
    log = folder / "log.txt"
    return json.loads((folder / "build.json").read_text()), (log.read_bytes() if log.exists() else None)


def make_scan(rules) -> ScanReport:  # type: ignore[no-untyped-def]
    """Six diagnosed builds over three days (two unknown, one with hostile log text) and one skip."""
    items: list[tuple[dict, bytes | None]] = []
    base, log = _sample("01-docker-hub-rate-limit")
    items.append((record("storefront-api", 1, day=0, minutes=4, base=base, source_version="pr/142"), log))
    items.append((record("storefront-api", 2, day=1, minutes=6, base=base, source_version="pr/143"), log))
    base, log = _sample("02-ssm-parameter-denied")
    items.append((record("payments-worker", 3, day=1, minutes=1.5, base=base), log))
    base, log = _sample("03-image-pull-rate-limit-no-log")
    items.append((record("image-builder", 4, day=2, minutes=2, base=base), log))
    unknown = "\n".join(["Running tests", *XSS_LINES, "done"]).encode() + b"\n"
    items.append((record("docs-site", 5, day=2, minutes=3, status="FAULT"), unknown))
    items.append((record("docs-site", 6, day=2, minutes=2), b"make: *** [all] Error 2\n"))
    diagnoses: list[Diagnosis] = []
    for data, log_bytes in items:
        build = Build.from_api(data)
        diagnoses.append(diagnose(rules, [log_bytes] if log_bytes is not None else None, build,
                                  log_source=f"cloudwatch:{build.logs.group_name}/{build.logs.stream_name}"))  # fmt: skip
    diagnoses.sort(key=lambda d: d.build.start_time, reverse=True)  # type: ignore[union-attr]
    skipped = SkippedBuild(
        build_id="legacy-app:00000009-1111-2222-3333-444455556666",  # type: ignore[arg-type]
        reason="access denied reading log stream: allow logs:GetLogEvents",
    )
    return ScanReport(
        diagnoses=tuple(diagnoses),
        skipped=(skipped,),
        region=REGION,
        account=ACCOUNT,
        since=T0,
        until=T0 + timedelta(days=3),
        projects=("storefront-api", "payments-worker", "image-builder", "docs-site", "legacy-app"),
        statuses=("FAILED", "FAULT", "TIMED_OUT"),
    )


def render_md(diagnosis: Diagnosis) -> str:
    """The Markdown report of a diagnosis, as given (no redaction)."""
    from analyzer.report import Format, render_diagnosis

    return render_diagnosis(diagnosis, Format.MARKDOWN)


def render_html(diagnosis: Diagnosis) -> str:
    """The HTML report of a diagnosis, as given (no redaction)."""
    from analyzer.report import Format, render_diagnosis

    return render_diagnosis(diagnosis, Format.HTML)


def render_scan_html(report: ScanReport) -> str:
    """The HTML report of a scan, as given (no redaction)."""
    from analyzer.report import Format, render_scan

    return render_scan(report, Format.HTML)


@pytest.fixture(scope="session")
def pack_rules():  # type: ignore[no-untyped-def]
    return load_rules().rules


@pytest.fixture(scope="session")
def scan_report(pack_rules) -> ScanReport:  # type: ignore[no-untyped-def]
    return make_scan(pack_rules)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """test-output/ at the repository root (gitignored): screenshots and reports to look at."""
    folder = REPO / "test-output"
    folder.mkdir(exist_ok=True)
    return folder
