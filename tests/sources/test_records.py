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
    assert "holds 2 builds (app:00000000-aaaa, app:00000001-aaaa)" in err.getvalue()
    assert out.getvalue() == ""


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
