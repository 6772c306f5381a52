"""The error tail: the last error-looking lines of a log no rule explained."""

from __future__ import annotations

from analyzer.engine import EngineOptions, diagnose
from analyzer.models import ContextLine
from tests.helpers import log_bytes, make_rule, rule_findings

NEVER = make_rule("id: never\nmatch:\n  any: ['this text is not in the log']\n")
ALWAYS = make_rule("id: always\nmatch:\n  any: ['npm ERR!']\n")

LOG = log_bytes(
    "npm ERR! code E404",  # 1: ERR is not a whole word of the pattern
    "resolving packages",  # 2
    "fatal: could not read Username",  # 3
    "errors=0 terror",  # 4: neither 'error' nor 'fail' as whole words
    "Permission denied (publickey)",  # 5
    "ls: cannot access 'dist': No such file",  # 6
    "done",  # 7
)


def test_unexplained_failure_keeps_its_last_error_looking_lines() -> None:
    result = diagnose([NEVER], [LOG], options=EngineOptions(tail_lines=3))
    assert rule_findings(result) == ()
    # The failure locator shows the first error it reads (no CI says which command failed).
    (located,) = result.findings
    assert (located.rule_id, [e.line_number for e in located.evidence]) == ("unrecognised-failure", [1])
    # With the locator off (no structure to read), the tail keeps the last complaints.
    result = diagnose([NEVER], [LOG], options=EngineOptions(tail_lines=3, locate=False))
    assert result.findings == ()
    assert result.tail == (
        ContextLine(3, "fatal: could not read Username"),
        ContextLine(5, "Permission denied (publickey)"),
        ContextLine(6, "ls: cannot access 'dist': No such file"),
    )


def test_tail_is_empty_when_a_rule_fired_or_when_switched_off() -> None:
    assert diagnose([ALWAYS], [LOG]).tail == ()
    assert diagnose([NEVER], [LOG], options=EngineOptions(tail_lines=0)).tail == ()
    assert diagnose([NEVER], None).tail == ()
    assert [c.line_number for c in diagnose([NEVER], [LOG], options=EngineOptions(locate=False)).tail] == [3, 5, 6]
    assert diagnose([NEVER], [LOG]).tail == ()  # the located block is shown instead
