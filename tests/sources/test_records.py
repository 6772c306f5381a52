"""Build records are checked against the BatchGetBuilds shape the tool reads; errors name the member.

A wrong-shaped member gave a traceback (in ``diagnose``, and from the cache in ``scan``);
``{"builds": [A, B]}`` silently used A.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.cli import main
from analyzer.sources.codebuild import record_problem

GOOD = {
    "id": "storefront-api:0f6c1a2b-1111-2222-3333-444455556666",
    "buildStatus": "FAILED",
    "startTime": 1764236041.0,
    "phases": [{"phaseType": "BUILD", "phaseStatus": "FAILED", "contexts": [{"statusCode": "X", "message": "m"}]}],
    "environment": {"image": "aws/codebuild/standard:7.0", "privilegedMode": False},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"environment": "x"}, "environment: expected object, got a string"),
        ({"phases": [None]}, "phases[0]: expected object, got null"),
        ({"phases": [{"phaseType": "BUILD", "contexts": "oops"}]}, "phases[0].contexts: expected array, got a string"),
        ({"startTime": "yesterday"}, "startTime: expected epoch seconds or an ISO 8601 time, got a string"),
        ({"startTime": 1e20}, "startTime: expected epoch seconds or an ISO 8601 time, got a number"),
        ({"endTime": True}, "endTime: expected epoch seconds or an ISO 8601 time, got a boolean"),
        ({"buildNumber": "7"}, "buildNumber: expected integer, got a string"),
        ({"logs": {"cloudWatchLogs": []}}, "logs.cloudWatchLogs: expected object, got a list"),
        ({"initiator": "x" * 20000}, "initiator: maxLength 10000, got a string"),
    ],
)
def test_a_wrong_shaped_member_is_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    assert record_problem({**GOOD, **change}) == f"build record: {message}"
    log = tmp_path / "build.log"
    log.write_text("hello\n", encoding="utf-8")
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"builds": [{**GOOD, **change}]}), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = main(["diagnose", "--log-file", str(log), "--build-record", str(record)], stdout=out, stderr=err)
    assert status == 3
    assert f"build record {record}: {message}" in err.getvalue()
    assert "Traceback" not in err.getvalue() and "x" * 100 not in err.getvalue()  # the value is not quoted


def test_the_good_record_passes() -> None:
    assert record_problem(GOOD) is None
    assert record_problem({**GOOD, "startTime": "2026-11-27T09:14:01.123+00:00"}) is None


def test_several_builds_in_a_record_file_is_an_error_listing_them(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_text("hello\n", encoding="utf-8")
    record = tmp_path / "record.json"
    builds = [{**GOOD, "id": f"app:{n:08d}-aaaa"} for n in range(2)]
    record.write_text(json.dumps({"builds": builds}), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = main(["diagnose", "--log-file", str(log), "--build-record", str(record)], stdout=out, stderr=err)
    assert status == 2
    assert err.getvalue() == (
        f"codebuild-doctor: error: build record {record} holds 2 builds (app:00000000-aaaa, "
        "app:00000001-aaaa): pick one with --build-id\n"
    )
    assert out.getvalue() == ""


def _two_builds(tmp_path: Path) -> Path:
    """A BatchGetBuilds response of two builds: the first failed in BUILD, the second in PROVISIONING."""
    first = {**GOOD, "id": "app:00000000-aaaa", "arn": "arn:aws:codebuild:us-east-1:123456789012:build/app:00000000-aaaa"}
    second = {
        **GOOD,
        "id": "app:00000001-aaaa",
        "phases": [
            {"phaseType": "PROVISIONING", "phaseStatus": "FAILED", "contexts": [{
                "statusCode": "CLIENT_ERROR",
                "message": "CannotPullContainerError: toomanyrequests: You have reached your unauthenticated pull rate limit",
            }]},
        ],  # fmt: skip
    }
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"builds": [first, second]}), encoding="utf-8")
    return record


@pytest.mark.parametrize("how", ["id", "arn"])
def test_build_id_picks_a_build_of_a_record_file(tmp_path: Path, how: str) -> None:
    record = _two_builds(tmp_path)
    picked = "app:00000001-aaaa" if how == "id" else "arn:aws:codebuild:us-east-1:123456789012:build/app:00000001-aaaa"
    out, err = io.StringIO(), io.StringIO()
    status = main(["diagnose", "--build-record", str(record), "--build-id", picked, "--format", "json"], stdout=out, stderr=err)
    report = json.loads(out.getvalue())
    assert report["build"]["build_id"] == "app:00000001-aaaa"
    assert report["root_cause"] == "docker-hub-rate-limit"
    assert status == 1 and err.getvalue() == ""
    # With a log file: the log is diagnosed with the picked build's record (its phases).
    log = tmp_path / "build.log"
    log.write_text("hello\n", encoding="utf-8")
    out = io.StringIO()
    main(["diagnose", "--log-file", str(log), "--build-record", str(record), "--build-id", "app:00000000-aaaa",
          "--format", "json"], stdout=out, stderr=io.StringIO())  # fmt: skip
    assert json.loads(out.getvalue())["build"]["build_id"] == "app:00000000-aaaa"


def test_a_build_id_the_record_file_does_not_hold_lists_the_builds(tmp_path: Path) -> None:
    record = _two_builds(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    status = main(["diagnose", "--build-record", str(record), "--build-id", "app:00000002-aaaa"], stdout=out, stderr=err)
    assert status == 2 and out.getvalue() == ""
    assert err.getvalue() == (
        f"codebuild-doctor: error: build record {record}: no build app:00000002-aaaa in it "
        "(it holds app:00000000-aaaa, app:00000001-aaaa)\n"
    )
    single = tmp_path / "one.json"
    single.write_text(json.dumps(GOOD), encoding="utf-8")
    err = io.StringIO()
    assert main(["diagnose", "--build-record", str(single), "--build-id", "app:00000002-aaaa"], stdout=out, stderr=err) == 2
    assert err.getvalue() == (
        f"codebuild-doctor: error: build record {single} is of build {GOOD['id']}, not app:00000002-aaaa\n"
    )


def test_an_empty_log_file_name_is_not_a_directory(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["diagnose", "--log-file", ""], stdout=out, stderr=err) == 3
    assert "log file name is empty" in err.getvalue()
    assert "directory" not in err.getvalue()


def test_a_wrong_shaped_cached_record_is_fetched_again(tmp_path: Path) -> None:
    from analyzer.cache import BuildCache

    warnings: list[str] = []
    cache = BuildCache(tmp_path, warn=warnings.append)
    assert cache.put_records([{**GOOD, "phases": [None]}]) == 0  # never stored
    assert cache.put_records([GOOD]) == 1
    # A record stored by an older version, or damaged: read back, refused, fetched again.
    import zlib

    assert cache._db is not None
    cache._db.execute(
        "UPDATE records SET record=? WHERE build_id=?",
        (zlib.compress(json.dumps({**GOOD, "environment": "x"}).encode()), GOOD["id"]),
    )
    assert cache.get_records([GOOD["id"]]) == {}
    assert warnings == [f"cache: the record of {GOOD['id']} has the wrong shape; fetching it again"]
    cache.close()
