"""The time budget per build (``--time-budget``): past it, a log is read no further, and the report says so.

Tested on a fake clock (one tick per look at it), never with sleeps.
"""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

from analyzer.cli import main
from analyzer.sources.base import BoundedLog, Deadline


def _ticking() -> object:
    ticks = itertools.count()
    return lambda: float(next(ticks))


def test_a_log_is_read_no_further_once_the_deadline_passes() -> None:
    closed: list[bool] = []

    def chunks():  # type: ignore[no-untyped-def]
        try:
            for _ in range(5):
                yield b"line\n" * 4
        finally:
            closed.append(True)

    deadline = Deadline(2.5, _ticking())  # made at tick 0; chunks arrive at ticks 1, 2, 3...
    bounded = BoundedLog(chunks(), deadline=deadline)
    assert b"".join(bounded) == b"line\n" * 8
    assert bounded.timed_out and closed == [True]
    assert bounded.notes() == [
        "the time budget of 2.5 s per build ran out: only the first 40 bytes of the log were read "
        "(--time-budget sets it)"
    ]
    unbounded = BoundedLog(chunks(), deadline=Deadline(100, _ticking()))
    assert len(b"".join(unbounded)) == 100 and not unbounded.timed_out and unbounded.notes() == []


def test_diagnose_notes_a_log_cut_by_its_time_budget(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_text("toomanyrequests: You have reached your unauthenticated pull rate limit\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    # A budget of a nanosecond has run out by the time the first chunk arrives.
    assert main(["diagnose", "--log-file", str(log), "--time-budget", "1e-9", "--format", "json"], stdout=out, stderr=err) == 0
    report = json.loads(out.getvalue())
    assert report["notes"] == [
        "the time budget of 1e-09 s per build ran out: only the first 0 bytes of the log were read "
        "(--time-budget sets it)"
    ]
    assert report["findings"] == [] and report["log"]["lines"] == 0
    out = io.StringIO()
    assert main(["diagnose", "--log-file", str(log), "--time-budget", "0", "--format", "json"], stdout=out, stderr=err) == 1
    assert json.loads(out.getvalue())["root_cause"] == "docker-hub-rate-limit"


def test_a_negative_time_budget_is_a_usage_error(capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["diagnose", "--log-file", "x", "--time-budget", "-1"])
    assert exc.value.code == 2
    assert "argument --time-budget: expected a number of seconds (0: no limit), got -1" in capsys.readouterr().err
