"""``diagnose --build-id``: the project's last successful build's log as the locator's baseline.

End to end over real HTTP against moto: a line the successful build printed too (a deprecation
'error' every build prints) is not chosen as the error block, while without the baseline it is.
"""

from __future__ import annotations

from typing import Any

import pytest
from awshelp import (
    BASELINE_FAILED_LOG,
    BASELINE_PASSED_LOG,
    create_user,
    diagnose,
    failed_record,
    iam_enforced,
    passed_record,
    recorded_api_calls,
)

from analyzer.demo import seed_build

pytestmark = pytest.mark.aws

PROJECT = "web"

def _failed(project: str = PROJECT) -> str:
    record = failed_record(
        project, "BUILD", "COMMAND_EXECUTION_ERROR", "Error while executing command: ./build.sh. Reason: exit status 1"
    )
    return seed_build_with(record, BASELINE_FAILED_LOG)


def seed_build_with(record: dict[str, Any], lines: list[str] | None) -> str:
    """Seed a build in the moto server the CLI talks to (``AWS_ENDPOINT_URL``)."""
    import os

    return seed_build(os.environ["AWS_ENDPOINT_URL"], record, lines)


def _located(run: Any) -> dict[str, Any]:
    assert run.status == 1, run.stderr
    top = run.report["findings"][0]
    assert top["rule_id"] == "unrecognised-failure", top
    return top  # type: ignore[no-any-return]


def test_the_last_successful_build_keeps_the_locator_off_a_line_it_printed_too() -> None:
    # seed_build starts each later build of a project earlier: the first seeded is the newest.
    passed = seed_build_with(passed_record(PROJECT), BASELINE_PASSED_LOG)
    seed_build_with(passed_record(PROJECT), ["[Container] 2025/03/01 10:00:00.000001 Entering phase BUILD", "old"])
    seed_build_with(passed_record("other-project"), ["error: the legacy config key 'cache_dir' is deprecated (seen 1 times)"])
    failed = _failed()

    alone = diagnose(failed, "--no-baseline")
    assert _located(alone)["line_numbers"] == [3]  # without a baseline, the deprecation 'error' is taken
    assert not any("baseline" in note for note in alone.report["notes"])

    with recorded_api_calls() as calls:
        run = diagnose(failed)
    located = _located(run)
    assert located["line_numbers"] == [5]
    assert f"found with the log of build {passed}, which succeeded, as a baseline" in located["summary"]
    assert run.report["notes"][-1] == (
        f"baseline: the log of build {passed}, the project's last build that succeeded: "
        "lines it also printed are not taken for the error of a failure no rule names"
    )
    assert ("codebuild", "ListBuildsForProject") in calls
    assert all(op.startswith(("BatchGet", "Get", "List")) for _, op in calls)  # read-only


def test_the_newest_successful_build_is_the_baseline() -> None:
    import os

    from moto.codebuild.models import codebuild_backends

    from analyzer.demo import ACCOUNT, REGION

    older = seed_build_with(passed_record(PROJECT), ["[Container] 2025/03/01 10:00:00.000001 Entering phase BUILD"])
    newer = seed_build_with(passed_record(PROJECT), BASELINE_PASSED_LOG)
    # Listed oldest first (as moto does) but started later: the newest is chosen by its start time.
    stored = {b["id"]: b for b in codebuild_backends[ACCOUNT][REGION].build_metadata_history[PROJECT]}
    stored[newer]["startTime"] = stored[older]["startTime"] + 60
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1")
    run = diagnose(_failed())
    assert run.report["notes"][-1].startswith(f"baseline: the log of build {newer}, ")
    assert _located(run)["line_numbers"] == [5]


def test_no_successful_build_is_a_note_not_an_error() -> None:
    failed = _failed()
    _failed()  # another failure of the same project: not a baseline
    run = diagnose(failed)
    assert _located(run)["line_numbers"] == [3]
    assert run.report["notes"][-1] == f"no baseline: none of the last builds of project {PROJECT} succeeded"


def test_a_successful_build_without_a_log_is_a_note() -> None:
    passed = seed_build_with(passed_record(PROJECT), None)
    run = diagnose(_failed())
    assert _located(run)["line_numbers"] == [3]
    assert run.report["notes"][-1] == f"no baseline: build {passed} succeeded, but it has no log"


def test_a_denied_baseline_fetch_is_a_note_never_a_failed_diagnosis(moto_endpoint: str, monkeypatch: Any) -> None:
    seed_build_with(passed_record(PROJECT), BASELINE_PASSED_LOG)
    failed = _failed()
    user = create_user(moto_endpoint, "no-listing", ["codebuild:BatchGetBuilds", "logs:GetLogEvents"])
    for key, value in user.items():
        monkeypatch.setenv(key, value)
    with iam_enforced(moto_endpoint):
        run = diagnose(failed)
    assert _located(run)["line_numbers"] == [3]
    note = run.report["notes"][-1]
    assert note == "no baseline: access denied to codebuild:ListBuildsForProject (allow it, or pass --no-baseline)"


def test_a_rule_that_names_the_cause_fetches_no_baseline() -> None:
    seed_build_with(passed_record(PROJECT), BASELINE_PASSED_LOG)
    record = failed_record(PROJECT, "BUILD", "COMMAND_EXECUTION_ERROR", "Error while executing command: docker build")
    failed = seed_build_with(
        record,
        [
            "[Container] 2025/03/09 10:00:00.790021 Entering phase BUILD",
            "[Container] 2025/03/09 10:00:00.910210 Running command docker build .",
            "toomanyrequests: You have reached your pull rate limit. You may increase the limit by "
            "authenticating and upgrading: https://www.docker.com/increase-rate-limit",
            "[Container] 2025/03/09 10:00:05.000001 Command did not exit successfully docker build . exit status 1",
            "[Container] 2025/03/09 10:00:05.000002 Phase complete: BUILD State: FAILED",
        ],
    )
    with recorded_api_calls() as calls:
        run = diagnose(failed)
    assert run.report["root_cause"] == "docker-hub-rate-limit"
    assert ("codebuild", "ListBuildsForProject") not in calls  # the baseline is fetched only when used
    assert not any("baseline" in note for note in run.report["notes"])


def _scan(tmp_path: Any, *extra: str) -> Any:
    from awshelp import run_cli

    return run_cli("scan", "--project", PROJECT, "--since", "3650d", "--format", "json",
                   "--cache-dir", str(tmp_path / "cache"), *extra)  # fmt: skip


def _scanned(run: Any) -> dict[str, dict[str, Any]]:
    assert run.status == 1, run.stderr
    return {d["build"]["build_id"]: d for d in run.report["builds"]}


def test_scan_reads_each_projects_baseline_once_and_through_its_cache(tmp_path: Any) -> None:
    passed = seed_build_with(passed_record(PROJECT), BASELINE_PASSED_LOG)
    failed = [_failed(), _failed(), _failed()]

    with recorded_api_calls() as calls:
        alone = _scanned(_scan(tmp_path, "--no-baseline", "--no-cache"))
    per_log = calls.count(("logs", "GetLogEvents")) / len(failed)
    assert per_log >= 1
    assert {b: d["findings"][0]["line_numbers"] for b, d in alone.items()} == {b: [3] for b in failed}

    with recorded_api_calls() as calls:
        first = _scanned(_scan(tmp_path, "--max-concurrency", "3"))
    assert sorted(first) == sorted(failed)
    for diagnosis in first.values():
        assert diagnosis["findings"][0]["rule_id"] == "unrecognised-failure"
        assert diagnosis["findings"][0]["line_numbers"] == [5]
        assert f"baseline: the log of build {passed}, the project's last build that succeeded: " in " ".join(
            diagnosis["notes"]
        )
    # The scan's own listing found the succeeded build; its log was read once, for all three.
    assert calls.count(("codebuild", "ListBuildsForProject")) == 1
    assert calls.count(("codebuild", "BatchGetBuilds")) == 1
    assert calls.count(("logs", "GetLogEvents")) == per_log * (len(failed) + 1)
    assert all(op.startswith(("BatchGet", "Get", "List", "Describe", "Filter")) for _, op in calls)  # read-only

    with recorded_api_calls() as calls:
        again = _scanned(_scan(tmp_path))
    assert {b: d["findings"][0]["line_numbers"] for b, d in again.items()} == {b: [5] for b in failed}
    assert ("logs", "GetLogEvents") not in calls  # every log, the baseline's too, came from the cache


def test_scan_looks_up_a_baseline_its_listing_did_not_reach(tmp_path: Any, monkeypatch: Any) -> None:
    # AWS pages newest first and the scan stops paging past its window, so the project's last
    # success may be older than anything listed. (moto never pages: the listing is made to see none.)
    from analyzer import scan

    monkeypatch.setattr(scan._Lister, "_succeeded", lambda self, project, records, complete: None)
    passed = seed_build_with(passed_record(PROJECT), BASELINE_PASSED_LOG)
    failed = _failed()
    with recorded_api_calls() as calls:
        run = _scanned(_scan(tmp_path, "--no-cache"))
    assert run[failed]["findings"][0]["line_numbers"] == [5]
    assert f"baseline: the log of build {passed}, " in " ".join(run[failed]["notes"])
    assert calls.count(("codebuild", "ListBuildsForProject")) == 2  # the scan's, then the look-up's


def test_scan_of_a_project_with_no_successful_build_says_so_without_another_listing(tmp_path: Any) -> None:
    failed = [_failed(), _failed()]
    with recorded_api_calls() as calls:
        run = _scanned(_scan(tmp_path, "--no-cache"))
    for build_id in failed:
        assert run[build_id]["findings"][0]["line_numbers"] == [3]
        assert f"no baseline: none of the last builds of project {PROJECT} succeeded" in run[build_id]["notes"]
    assert calls.count(("codebuild", "ListBuildsForProject")) == 1


def test_scan_caches_the_head_of_a_baseline_log_it_cuts(tmp_path: Any, monkeypatch: Any) -> None:
    # A baseline is read up to BASELINE_MAX_BYTES: that head is cached as a log of its own, so a
    # warm re-scan does not download a big succeeded build's log again (a cut read of the whole
    # log is never stored as the whole log).
    from analyzer import pipeline

    monkeypatch.setattr(pipeline, "BASELINE_MAX_BYTES", 300)
    passed = seed_build_with(passed_record(PROJECT), BASELINE_PASSED_LOG + ["compiling"] * 40)
    failed = _failed()
    first = _scanned(_scan(tmp_path))
    assert first[failed]["findings"][0]["line_numbers"] == [5]
    assert any(note.startswith(f"baseline: the log (its first 0 MiB) of build {passed}") for note in first[failed]["notes"])
    with recorded_api_calls() as calls:
        again = _scanned(_scan(tmp_path))
    assert again[failed]["findings"][0]["line_numbers"] == [5]
    assert ("logs", "GetLogEvents") not in calls


def _worker_with(fetch: Any, monkeypatch: Any) -> Any:
    from analyzer import pipeline, scan

    monkeypatch.setattr(pipeline, "fetch_baseline", fetch)
    options = scan.ScanOptions(since=__import__("datetime").datetime(2020, 1, 1, tzinfo=__import__("datetime").timezone.utc))
    return scan._Worker([], None, None, None, options, codebuild=object())


def test_a_baseline_that_may_not_last_is_tried_again_by_the_projects_next_build(monkeypatch: Any) -> None:
    from analyzer.engine import Baseline
    from analyzer.models import Build

    answers = [
        Baseline(frozenset(), note="no baseline: throttled", lasting=False),
        Baseline(frozenset({"compiling N files"}), "build web:2", "baseline: the log of build web:2"),
    ]
    asked: list[str] = []

    def fetch(build: Any, *_args: Any, **_kwargs: Any) -> Baseline:
        asked.append(build.build_id)
        return answers[len(asked) - 1]

    worker = _worker_with(fetch, monkeypatch)
    builds = [Build.from_api({**failed_record(PROJECT, "BUILD", "", ""), "id": f"{PROJECT}:f{n}"}) for n in range(3)]
    assert worker.baseline(builds[0], None).note == "no baseline: throttled"
    assert worker.baseline(builds[1], None).shapes == frozenset({"compiling N files"})
    assert worker.baseline(builds[2], None).source == "build web:2"  # kept: not asked again
    assert asked == [f"{PROJECT}:f0", f"{PROJECT}:f1"]


def test_a_listing_with_a_record_it_could_not_fetch_does_not_say_no_build_succeeded() -> None:
    from datetime import datetime, timezone

    from analyzer import scan

    records = {
        f"{PROJECT}:s1": {**passed_record(PROJECT), "id": f"{PROJECT}:s1", "startTime": 1_700_000_000.0},
        f"{PROJECT}:f1": {**failed_record(PROJECT, "BUILD", "", ""), "id": f"{PROJECT}:f1", "startTime": 1_700_000_100.0},
        f"{PROJECT}:f2": {**failed_record(PROJECT, "BUILD", "", ""), "id": f"{PROJECT}:f2", "startTime": 1_600_000_000.0},
    }

    class Listing:
        def list_builds_for_project(self, projectName: str, nextToken: str | None = None) -> dict[str, Any]:
            if nextToken is None:
                return {"ids": [f"{PROJECT}:f1", f"{PROJECT}:s1"], "nextToken": "page-2"}
            return {"ids": [f"{PROJECT}:f2"]}

        def batch_get_builds(self, ids: list[str]) -> dict[str, Any]:
            if f"{PROJECT}:s1" in ids:
                raise RuntimeError("connection reset")  # the succeeded build's record is not read
            return {"builds": [records[i] for i in ids], "buildsNotFound": []}

    successes: dict[str, Any] = {}
    options = scan.ScanOptions(since=datetime(2001, 1, 1, tzinfo=timezone.utc))
    lister = scan._Lister(Listing(), None, options, datetime(2030, 1, 1, tzinfo=timezone.utc), successes)
    selected, skipped = lister.project(PROJECT)
    assert [s.build_id for s in skipped] == [f"{PROJECT}:s1"]
    assert PROJECT not in successes  # unknown: the baseline is looked up, not said to be missing
