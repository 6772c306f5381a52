"""Every pattern of a rule, ``exclude:`` ones included, runs under the timeout; a rule whose
pattern timed out is reported and really switched off for the log (issue 13: an ``exclude:``
pattern ran > 300 s on 40 lines, its timeout swallowed; a switched-off pattern still ran on
each candidate line, 41 s on 40 lines)."""

from __future__ import annotations

import time

import pytest

from analyzer.engine import EngineOptions, MatchOptions, diagnose
from tests.helpers import log_bytes, make_rule

SLOW_LINE = "a" * 40 + "!"


@pytest.mark.parametrize("engine", ["auto", "python", "reference"])
def test_a_backtracking_exclude_pattern_is_reported_and_switched_off(engine: str) -> None:
    rule = make_rule(
        r"""
        id: excluded-slowly
        match:
          any: ['a!']
          exclude:
            - pattern: '(a|aa)+$'
              window: 3
        """
    )
    data = log_bytes(*[SLOW_LINE] * 40)
    started = time.monotonic()
    result = diagnose([rule], [data], options=EngineOptions(MatchOptions(regex_timeout=0.2), engine=engine))
    elapsed = time.monotonic() - started
    assert elapsed < 4, elapsed  # 40 lines x a window of 4 x 0.2 s would be 32 s
    (problem,) = result.problems
    assert problem.rule_id == "excluded-slowly"
    assert "exclude pattern '(a|aa)+$' took over 0.2s" in problem.message
    assert "switched off" in problem.message


@pytest.mark.parametrize("engine", ["auto", "python", "reference"])
def test_a_timed_out_match_pattern_is_not_run_again(engine: str) -> None:
    slow = make_rule(
        r"""
        id: slow
        match:
          any: ['a(a|aa)+$']
        """
    )
    data = log_bytes(*[SLOW_LINE] * 40)
    started = time.monotonic()
    result = diagnose([slow], [data], options=EngineOptions(MatchOptions(regex_timeout=0.2), engine=engine))
    elapsed = time.monotonic() - started
    assert elapsed < 4, elapsed  # 40 candidate lines x 0.2 s (twice each) would be 16 s
    assert [p.rule_id for p in result.problems] == ["slow"]
