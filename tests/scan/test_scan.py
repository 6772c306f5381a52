"""``scan`` against moto over HTTP: selection, root causes, summary, skips, the cache, read-only calls."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from analyzer.aggregate import summarise
from analyzer.cache import BuildCache
from analyzer.rules import load_rules
from analyzer.scan import ScanObserver, ScanOptions, scan
from tests.scan.conftest import REGION, SINCE_DAYS, CallLog, SeededScan, api_params, deny_streams, error_response

READ_ONLY = {"ListProjects", "ListBuildsForProject", "BatchGetBuilds", "GetLogEvents", "GetObject"}

pytestmark = pytest.mark.aws


@pytest.fixture(scope="module")
def rules() -> Any:
    return load_rules([]).rules


def _clients(endpoint: str) -> tuple[Any, Any, Any]:
    from analyzer.aws import AwsClients, AwsOptions

    clients = AwsClients(AwsOptions(region=REGION, endpoint_url=endpoint))
    return clients.client("codebuild"), clients.client("logs"), clients.client("s3")


def _options(**kw: Any) -> ScanOptions:
    since = datetime.now(timezone.utc) - timedelta(days=SINCE_DAYS)
    defaults: dict[str, Any] = {"since": since, "logs_rps": 0, "throttle_backoff": 0.01, "max_concurrency": 4}
    return ScanOptions(**{**defaults, **kw})


def _outcomes(report: Any) -> dict[str, str]:
    """build id -> the rule that explains it ('unknown': none does) or 'skipped: <reason>'."""
    out = {d.build.build_id: d.explained_by.rule_id if d.explained_by else "unknown" for d in report.diagnoses}
    out.update({s.build_id: f"skipped: {s.reason}" for s in report.skipped})
    return out


def _denied(seeded: SeededScan) -> set[str]:
    return {i.split(":", 1)[1] for i in seeded.of_kind("denied")}


class Cold:
    """A first (cold) and second (warm) scan with one cache, run once for the module."""

    report: Any
    warm: Any
    calls: CallLog
    warm_calls: CallLog
    cache_dir: Path


@pytest.fixture(scope="module")
def cold(seeded: SeededScan, rules: Any, tmp_path_factory: pytest.TempPathFactory) -> Cold:
    result = Cold()
    result.cache_dir = tmp_path_factory.mktemp("cache")
    for attr in ("report", "warm"):
        codebuild, logs, s3 = _clients(seeded.endpoint)
        calls = CallLog(codebuild, logs, s3)
        deny_streams(logs, _denied(seeded))
        cache = BuildCache(result.cache_dir)
        setattr(result, attr, scan(rules, codebuild, logs, s3, _options(), cache=cache))
        cache.close()
        setattr(result, "calls" if attr == "report" else "warm_calls", calls)
    return result


def test_selects_exactly_the_failed_builds_in_the_window(seeded: SeededScan, cold: Cold) -> None:
    expected = seeded.selected()
    assert len(seeded.ids) == 220 and len(expected) == 127
    assert set(_outcomes(cold.report)) == expected
    assert cold.report.projects == ("api", "web", "worker", "docs")
    assert cold.report.statuses == ("FAILED", "FAULT", "TIMED_OUT")
    assert (cold.report.region, cold.report.account) == (REGION, "123456789012")
    starts = [d.build.start_time for d in cold.report.diagnoses]
    assert starts == sorted(starts, reverse=True)  # newest first


def test_root_causes_and_skip_reasons(seeded: SeededScan, cold: Cold) -> None:
    outcomes = _outcomes(cold.report)
    for build_id in seeded.selected():
        kind = seeded.ids[build_id]["kind"]
        if kind.root_cause is not None:
            assert outcomes[build_id] == kind.root_cause, (build_id, kind.name)
        else:
            assert outcomes[build_id].startswith("skipped: "), (build_id, kind.name)
            assert kind.skip_reason in outcomes[build_id], outcomes[build_id]
    reasons = {s.build_id: s.reason for s in cold.report.skipped}
    denied = seeded.of_kind("denied")[0]
    assert reasons[denied].startswith("log not read: access denied reading log stream /aws/codebuild/")
    assert "allow logs:GetLogEvents" in reasons[denied]
    expired = seeded.of_kind("expired")[0]
    assert reasons[expired].startswith("no log: log stream ") and "the build record alone explains nothing" in reasons[expired]
    no_log = seeded.of_kind("no-log")[0]
    assert reasons[no_log].startswith("no log stream: the build has no log")
    pulled = next(d for d in cold.report.diagnoses if d.build.build_id == seeded.of_kind("pull-no-log")[0])
    assert pulled.log is None and any(n.startswith("no log stream") for n in pulled.notes)


def test_summary_counts(seeded: SeededScan, cold: Cold) -> None:
    kinds = Counter(seeded.ids[i]["kind"].name for i in seeded.selected())
    summary = summarise(cold.report)
    skipped = kinds["no-log"] + kinds["expired"] + kinds["denied"]
    assert summary.skipped == skipped == 48
    assert summary.builds == 127 - skipped
    assert summary.unknown == kinds["unknown"]
    assert {c.rule_id: c.builds for c in summary.causes} == {
        "docker-hub-rate-limit": kinds["docker"] + kinds["pull-no-log"],
        "ssm-parameter-access-denied": kinds["ssm"],
        "jest-failures": kinds["tests"],
        "unknown": kinds["unknown"],
    }
    assert sorted(p.project for p in summary.projects) == ["api", "docs", "web", "worker"]
    assert sum(p.builds for p in summary.projects) == summary.builds


def test_read_only_calls_and_batches_of_100(seeded: SeededScan, cold: Cold) -> None:
    assert set(cold.calls.calls) <= READ_ONLY
    assert set(cold.warm_calls.calls) <= READ_ONLY
    assert cold.calls.count("ListProjects") == 1
    assert cold.calls.count("ListBuildsForProject") == 4
    assert cold.calls.count("BatchGetBuilds") == 4  # 55 ids a project: one batch each
    # Two calls per log read (a page, then the end: the token comes back), one per expired stream;
    # the denied calls are answered by the test's hook before they are recorded.
    kinds = Counter(seeded.ids[i]["kind"].name for i in seeded.selected())
    read = kinds["docker"] + kinds["ssm"] + kinds["tests"] + kinds["unknown"]
    assert cold.calls.count("GetLogEvents") == 2 * read + kinds["expired"] == 140


def test_second_scan_reads_no_log_and_no_record(cold: Cold) -> None:
    assert cold.warm_calls.count("GetLogEvents") == 0
    assert cold.warm_calls.count("BatchGetBuilds") == 0
    assert cold.warm_calls.count("ListBuildsForProject") == 4
    assert _outcomes(cold.warm) == _outcomes(cold.report)
    assert summarise(cold.warm) == summarise(cold.report)


def test_rescan_after_a_rule_change_uses_the_cache(seeded: SeededScan, cold: Cold, tmp_path: Path) -> None:
    team = tmp_path / "rules"
    team.mkdir()
    (team / "plain-output.yaml").write_text(
        "id: plain-output\ntitle: Plain output\nseverity: error\ncategory: test\n"
        "match:\n  any: ['^all good\\?$']\nsummary: s\nremediation: r\n",
        encoding="utf-8",
    )
    codebuild, logs, s3 = _clients(seeded.endpoint)
    calls = CallLog(codebuild, logs, s3)
    deny_streams(logs, _denied(seeded))
    cache = BuildCache(cold.cache_dir)
    report = scan(load_rules([team]).rules, codebuild, logs, s3, _options(), cache=cache)
    cache.close()
    assert calls.count("GetLogEvents") == 0
    outcomes = _outcomes(report)
    assert {outcomes[i] for i in seeded.of_kind("unknown")} == {"plain-output"}


def test_limit_keeps_the_newest(seeded: SeededScan, rules: Any) -> None:
    codebuild, logs, s3 = _clients(seeded.endpoint)
    deny_streams(logs, _denied(seeded))
    report = scan(rules, codebuild, logs, s3, _options(limit=7, projects=("web",)))
    web = [i for i in seeded.selected() if seeded.ids[i]["project"] == "web"]
    newest = sorted(web, key=lambda i: seeded.ids[i]["age_hours"])[:7]
    assert set(_outcomes(report)) == set(newest)
    assert report.projects == ("web",)


def test_other_statuses(seeded: SeededScan, rules: Any) -> None:
    codebuild, logs, s3 = _clients(seeded.endpoint)
    report = scan(rules, codebuild, logs, s3, _options(statuses=("STOPPED",), projects=("docs",)))
    expected = {
        i for i, info in seeded.ids.items()
        if info["project"] == "docs" and info["status"] == "STOPPED" and info["age_hours"] < 72
    }  # fmt: skip
    assert set(_outcomes(report)) == expected and expected


def test_throttling_never_fails_a_scan(seeded: SeededScan, rules: Any) -> None:
    codebuild, logs, s3 = _clients(seeded.endpoint)
    docker, bland = seeded.of_kind("docker")[0], seeded.of_kind("unknown")[0]
    deny_streams(logs, {docker.split(":", 1)[1], bland.split(":", 1)[1]}, code="ThrottlingException")
    projects = tuple(sorted({seeded.ids[docker]["project"], seeded.ids[bland]["project"]}))
    report = scan(rules, codebuild, logs, s3, _options(projects=projects))
    outcomes = _outcomes(report)
    # Still throttled after the retries: skipped with the reason, as the README says, also the
    # docker build whose record alone gives a finding (issue 13: it was counted "diagnosed").
    assert outcomes[docker].startswith("skipped: log not read: AWS kept throttling logs:GetLogEvents for log stream")
    assert outcomes[bland].startswith("skipped: log not read: AWS kept throttling logs:GetLogEvents for log stream")
    assert len(outcomes) == len({i for i in seeded.selected() if seeded.ids[i]["project"] in projects})


def test_a_throttle_that_passes_is_retried(seeded: SeededScan, rules: Any) -> None:
    codebuild, logs, s3 = _clients(seeded.endpoint)
    target = seeded.of_kind("docker")[0]
    stream = target.split(":", 1)[1]
    seen: list[int] = []

    def once(params: dict[str, Any], **_: Any) -> Any:
        if api_params(params).get("logStreamName") == stream and not seen:
            seen.append(1)
            return error_response("ThrottlingException")
        return None

    logs.meta.events.register("before-call.cloudwatch-logs.GetLogEvents", once)
    report = scan(rules, codebuild, logs, s3, _options(projects=(seeded.ids[target]["project"],)))
    assert _outcomes(report)[target] == "docker-hub-rate-limit" and seen == [1]


def test_a_project_that_cannot_be_listed_is_skipped(seeded: SeededScan, rules: Any) -> None:
    codebuild, logs, s3 = _clients(seeded.endpoint)
    deny_streams(logs, _denied(seeded))
    report = scan(rules, codebuild, logs, s3, _options(projects=("docs", "no-such-project"), limit=3))
    gone = [s for s in report.skipped if s.build_id == "no-such-project:*"]
    assert gone and gone[0].reason.startswith("builds not listed: codebuild:ListBuildsForProject failed for project")
    assert len(report.diagnoses) + len(report.skipped) == 4

    def deny(params: dict[str, Any], **_: Any) -> Any:
        if api_params(params).get("projectName") == "docs":
            return error_response("AccessDeniedException")
        return None

    codebuild.meta.events.register("before-call.codebuild.ListBuildsForProject", deny)
    report = scan(rules, codebuild, logs, s3, _options(projects=("docs", "web"), limit=2))
    assert [s.build_id for s in report.skipped if s.build_id.endswith(":*")] == ["docs:*"]
    assert report.skipped[0].reason.startswith("builds not listed: access denied reading project docs")
    assert all(d.build.project == "web" for d in report.diagnoses)


def test_a_failing_record_batch_falls_back_to_single_builds(seeded: SeededScan, rules: Any) -> None:
    codebuild, logs, s3 = _clients(seeded.endpoint)
    deny_streams(logs, _denied(seeded))
    bad = seeded.of_kind("docker")[0]
    project = seeded.ids[bad]["project"]

    def deny(params: dict[str, Any], **_: Any) -> Any:
        if bad in api_params(params).get("ids", []):
            return error_response("AccessDeniedException")
        return None

    codebuild.meta.events.register("before-call.codebuild.BatchGetBuilds", deny)
    report = scan(rules, codebuild, logs, s3, _options(projects=(project,)))
    outcomes = _outcomes(report)
    assert outcomes[bad].startswith("skipped: record not fetched: access denied")
    expected = {i for i in seeded.selected() if seeded.ids[i]["project"] == project}
    assert set(outcomes) == expected


class _StopAfter(ScanObserver):
    def __init__(self, n: int) -> None:
        self.n = n

    def build_done(self, build_id: str, **_: Any) -> None:
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt


def test_a_scan_killed_half_way_leaves_a_usable_cache(seeded: SeededScan, rules: Any, tmp_path: Path) -> None:
    codebuild, logs, s3 = _clients(seeded.endpoint)
    deny_streams(logs, _denied(seeded))
    cache = BuildCache(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        scan(rules, codebuild, logs, s3, _options(projects=("api",), max_concurrency=1), cache=cache, observer=_StopAfter(3))
    cache.close()
    cache = BuildCache(tmp_path)
    stats = cache.stats()
    # The builds done before the stop (some have no log); the one running is stopped, not finished.
    assert stats["records"] == 55 and 1 <= stats["logs"] <= 5
    calls = CallLog(codebuild, logs, s3)
    report = scan(rules, codebuild, logs, s3, _options(projects=("api",)), cache=cache)
    wanted = {i for i in seeded.selected() if seeded.ids[i]["project"] == "api"}
    assert set(_outcomes(report)) == wanted
    assert calls.count("BatchGetBuilds") == 0
    kinds = Counter(seeded.ids[i]["kind"].name for i in wanted)
    cold_calls = 2 * (kinds["docker"] + kinds["ssm"] + kinds["tests"] + kinds["unknown"]) + kinds["expired"]
    assert 0 < calls.count("GetLogEvents") <= cold_calls - 3


def test_rate_limit_is_shared_and_held(seeded: SeededScan, rules: Any) -> None:
    codebuild, logs, s3 = _clients(seeded.endpoint)
    deny_streams(logs, _denied(seeded))
    calls = CallLog(logs)
    started = time.monotonic()
    scan(rules, codebuild, logs, s3, _options(projects=("worker",), logs_rps=30, max_concurrency=8))
    elapsed = time.monotonic() - started
    assert calls.count("GetLogEvents") == 38
    # The bucket starts with 30 tokens: the 8 calls beyond them wait at least 8/30 s in all.
    assert 8 / 30 <= elapsed < 5
