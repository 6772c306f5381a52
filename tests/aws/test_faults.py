"""Verified inputs: a cut, garbled, reset, stalled or endless AWS answer is never taken as truth.

Every case runs over real HTTP: botocore -> a fault-injecting proxy (faultproxy.py) -> moto.
Each is bounded in requests (the faults' ``times``, the page guards) and in time (short
read timeouts; the slowest case takes a few seconds).
"""

from __future__ import annotations

import gzip
import time
from typing import Any

import boto3
import pytest
from awshelp import REGION, clients, diagnose, failed_record, run_cli
from botocore.config import Config
from faultproxy import Fault, fault_proxy

from analyzer import pipeline
from analyzer.demo import seed_build
from analyzer.errors import TransportError
from analyzer.rules import load_rules

pytestmark = pytest.mark.aws

RATE_LIMIT = "toomanyrequests: You have reached your unauthenticated pull rate limit"
LOG = [
    "[Container] 2026/11/27 09:14:01.000001 Entering phase BUILD",
    "Step 1/4 : FROM node:20",
    RATE_LIMIT,
    "[Container] 2026/11/27 09:14:13.906117 Phase complete: BUILD State: FAILED",
]


def _build(moto_endpoint: str, *, s3_bucket: str | None = None) -> str:
    record = failed_record(
        "storefront-api", "BUILD", "COMMAND_EXECUTION_ERROR",
        "Error while executing command: docker build -t app . Reason: exit status 1",
    )  # fmt: skip
    return seed_build(moto_endpoint, record, LOG, s3_bucket=s3_bucket)


def _clients(url: str, read_timeout: float = 5) -> dict[str, Any]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    config = Config(retries={"mode": "standard", "total_max_attempts": 2}, read_timeout=read_timeout,
                    connect_timeout=2)  # fmt: skip
    return {s: session.client(s, endpoint_url=url, config=config) for s in ("codebuild", "logs", "s3")}


@pytest.mark.parametrize("action", ["truncate", "short", "reset"])
def test_a_bad_getlogevents_answer_is_a_record_only_diagnosis_with_a_note(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    """Half a JSON body was read as an empty log (wrong cause, exit 1); a reset gave no report."""
    build_id = _build(moto_endpoint)
    with fault_proxy(moto_endpoint, Fault("GetLogEvents", action)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
        run = diagnose(build_id)
    assert run.status == 3, run.stderr
    report = run.report
    assert report["log"] is None
    assert report["root_cause"] != "docker-hub-rate-limit"  # the log was not read: no guess from half of it
    note = next(n for n in report["notes"] if n.startswith("log not read:"))
    assert "logs:GetLogEvents" in note and "after 3 attempts" in note
    assert "logs:GetLogEvents" in run.stderr
    assert proxy.requests.count("GetLogEvents") >= 3  # retried, then given up


def test_one_cut_answer_is_retried_and_the_log_read(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    build_id = _build(moto_endpoint)
    with fault_proxy(moto_endpoint, Fault("GetLogEvents", "truncate", times=1)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        run = diagnose(build_id)
    assert run.status == 1, run.stderr
    assert run.report["root_cause"] == "docker-hub-rate-limit"
    assert run.report["log"]["lines"] == len(LOG)


def test_a_stalled_log_read_falls_back_to_the_record(moto_endpoint: str) -> None:
    build_id = _build(moto_endpoint)
    rules = load_rules().rules
    with fault_proxy(moto_endpoint, Fault("GetLogEvents", "stall", seconds=1.5)) as proxy:
        c = _clients(proxy.url, read_timeout=0.5)
        started = time.monotonic()
        diagnosis, failure, *_ = pipeline.diagnose_build_id(rules, build_id, c["codebuild"], c["logs"], c["s3"])
    assert time.monotonic() - started < 30
    assert isinstance(failure, TransportError)
    assert "ReadTimeoutError" in failure.message
    assert diagnosis.log is None
    assert any(n.startswith("log not read: logs:GetLogEvents") for n in diagnosis.notes)


@pytest.mark.parametrize("times", [1, 10])
def test_a_cut_batchgetbuilds_is_never_build_not_found(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, times: int
) -> None:
    build_id = _build(moto_endpoint)
    with fault_proxy(moto_endpoint, Fault("BatchGetBuilds", "truncate", times=times)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        run = diagnose(build_id)
    assert "not found" not in run.stderr
    if times == 1:  # retried once, then read
        assert run.status == 1, run.stderr
        assert run.report["root_cause"] == "docker-hub-rate-limit"
    else:
        assert run.status == 3
        assert "codebuild:BatchGetBuilds" in run.stderr and "after 3 attempts" in run.stderr
        assert proxy.requests.count("BatchGetBuilds") == 3


def test_an_endless_getlogevents_stream_ends_with_a_clear_message(moto_endpoint: str) -> None:
    build_id = _build(moto_endpoint)
    rules = load_rules().rules
    with fault_proxy(moto_endpoint, Fault("GetLogEvents", "endless-token", times=1000)) as proxy:
        c = _clients(proxy.url)
        started = time.monotonic()
        diagnosis, failure, *_ = pipeline.diagnose_build_id(rules, build_id, c["codebuild"], c["logs"], c["s3"])
    assert time.monotonic() - started < 60
    assert isinstance(failure, TransportError)
    assert "would never end" in failure.message
    assert proxy.requests.count("GetLogEvents") <= 110


@pytest.mark.parametrize("operation", ["ListProjects", "ListBuildsForProject"])
def test_endless_listing_in_scan_ends_with_a_clear_message(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    _build(moto_endpoint)
    with fault_proxy(moto_endpoint, Fault(operation, "endless-token", times=1000)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        started = time.monotonic()
        run = run_cli("scan", "--since", "30d", "--format", "json", "--no-cache")
    assert time.monotonic() - started < 60
    assert proxy.requests.count(operation) <= 25
    if operation == "ListProjects":
        assert run.status == 3
        assert "codebuild:ListProjects" in run.stderr and "would never end" in run.stderr
    else:
        assert run.status == 3
        skipped = run.report["skipped"]
        assert [s["build_id"] for s in skipped] == ["storefront-api:*"]
        assert "would never end" in skipped[0]["reason"]


def test_a_gzip_cut_in_half_is_not_a_short_log(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    codebuild, logs, s3, _iam = clients(moto_endpoint)
    s3.create_bucket(Bucket="build-logs")
    record = failed_record("storefront-api", "BUILD", "COMMAND_EXECUTION_ERROR", "Reason: exit status 1")
    record["logs"] = {"cloudWatchLogs": {"status": "DISABLED"}}
    build_id = seed_build(moto_endpoint, record, LOG * 200, s3_bucket="build-logs")
    uuid = build_id.split(":", 1)[1]
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket="build-logs")["Contents"] if uuid in o["Key"])
    whole = gzip.compress(("\n".join(LOG * 200) + "\n").encode())
    s3.put_object(Bucket="build-logs", Key=key, Body=whole[: len(whole) // 2])
    run = diagnose(build_id)
    assert run.status == 3, run.stderr
    assert run.report["log"] is None
    assert any("gzip stream is cut short" in n for n in run.report["notes"])


def test_a_cut_log_is_not_cached(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """scan cached the empty log read from half a body, and repeated the wrong cause from then on."""
    _build(moto_endpoint)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    with fault_proxy(moto_endpoint, Fault("GetLogEvents", "truncate")) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        first = run_cli("scan", "--since", "30d", "--format", "json", *cache)
    assert first.status == 3
    assert [s["build_id"].split(":")[0] for s in first.report["skipped"]] == ["storefront-api"]
    assert "GetLogEvents" in first.report["skipped"][0]["reason"]
    with fault_proxy(moto_endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        second = run_cli("scan", "--since", "30d", "--format", "json", *cache)
    assert proxy.requests.count("GetLogEvents") >= 1  # not served from the cache
    assert second.status == 1, second.stderr
    assert second.report["builds"][0]["root_cause"] == "docker-hub-rate-limit"


def test_503_on_every_second_call_loses_no_log(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        _build(moto_endpoint)
    with fault_proxy(moto_endpoint, Fault("GetLogEvents", "every-second-503")) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        run = run_cli("scan", "--since", "30d", "--format", "json", "--no-cache", "--max-concurrency", "1")
    assert run.report["skipped"] == []
    assert [d["root_cause"] for d in run.report["builds"]] == ["docker-hub-rate-limit"] * 2
