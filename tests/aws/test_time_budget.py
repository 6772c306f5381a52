"""The time budget per build in ``scan`` and ``diagnose --build-id``, against moto over HTTP.

A build whose log is not read within its budget is skipped by ``scan`` with the reason (a part
of a log may not hold the cause), the scan goes on, and the cache keeps nothing of that log.
The clock is a fake one that ticks once per look (no sleeps).
"""

from __future__ import annotations

import gzip
import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from awshelp import clients, diagnose, failed_record

from analyzer.aws import AwsClients, AwsOptions
from analyzer.cache import BuildCache
from analyzer.demo import seed_build
from analyzer.rules import load_rules
from analyzer.scan import ScanOptions, scan

pytestmark = pytest.mark.aws

BUCKET = "budget-logs"
CAUSE = "toomanyrequests: You have reached your unauthenticated pull rate limit"


def _s3_build(endpoint: str, project: str, lines: int) -> str:
    """A FAILED build whose log (``lines`` lines, then the cause) is only in S3."""
    record = failed_record(
        project, "BUILD", "COMMAND_EXECUTION_ERROR", "Error while executing command: make. Reason: exit status 2",
        logs={"cloudWatchLogs": {"status": "DISABLED"}, "s3Logs": {"status": "ENABLED", "location": f"{BUCKET}/logs"}},
    )  # fmt: skip
    build_id = seed_build(endpoint, record, None, s3_bucket=BUCKET)
    s3 = clients(endpoint)[2]
    s3.create_bucket(Bucket=BUCKET)
    body = b"compiling module.c with -O2 -Wall, nothing wrong here\n" * lines + CAUSE.encode() + b"\n"
    s3.put_object(Bucket=BUCKET, Key=f"logs/{build_id.split(':', 1)[1]}.gz", Body=gzip.compress(body))
    return build_id


def test_scan_skips_a_build_past_its_budget_and_goes_on(moto_endpoint: str, tmp_path: Path) -> None:
    small = _s3_build(moto_endpoint, "small-log", 10)  # one chunk
    big = _s3_build(moto_endpoint, "big-log", 100_000)  # 5.4 MB: six 1 MiB chunks
    ticks = itertools.count()
    # Per build: the deadline is set (tick n), checked before the log is opened (n+1) and as
    # each chunk arrives (n+2, n+3, n+4...): a budget of 3.5 ticks reads two chunks.
    options = ScanOptions(
        since=datetime.now(timezone.utc) - timedelta(days=1), logs_rps=0, max_concurrency=1,
        time_budget=3.5, clock=lambda: float(next(ticks)),
    )  # fmt: skip
    aws = AwsClients(AwsOptions(region="us-east-1", endpoint_url=moto_endpoint))
    cache = BuildCache(tmp_path)
    report = scan(load_rules([]).rules, aws.client("codebuild"), aws.client("logs"), aws.client("s3"), options, cache=cache)
    assert [d.build.build_id for d in report.diagnoses] == [small]
    assert report.diagnoses[0].explained_by.rule_id == "docker-hub-rate-limit"
    assert [(s.build_id, s.reason) for s in report.skipped] == [
        (big, "the time budget of 3.5 s per build ran out: only the first 2 MiB of the log were read "
              "(--time-budget sets it); not diagnosed, as the part read may not hold the cause"),
    ]  # fmt: skip
    # Only the log read to its end was cached: the big one is fetched again next time.
    assert cache.stats()["logs"] == 1
    cache.close()


def test_diagnose_with_no_time_left_diagnoses_from_the_record(moto_endpoint: str) -> None:
    build_id = _s3_build(moto_endpoint, "late", 10)
    run = diagnose(build_id, "--time-budget", "1e-9")
    uuid = build_id.split(":", 1)[1]
    assert run.report["log"] is None
    assert run.report["notes"] == [
        f"log not read: the time budget of 1e-09 s per build ran out before s3://{BUCKET}/logs/{uuid}.gz was tried"
    ]
    assert run.report["root_cause"] == "command-execution-error"
    assert run.status == 1, run.stderr
