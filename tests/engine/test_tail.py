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


def test_codebuilds_own_lines_are_not_the_tail() -> None:
    """The tail is where the failing tool complained ("the tool's own error is likely among the
    lines below"): CodeBuild's lines that only report the failure are not shown as such."""
    from analyzer.engine import diagnose
    from analyzer.rules import load_rules

    log = "\n".join([
        "[Container] 2022/05/09 09:26:20 Running command ./check.sh",
        "checking the release notes",
        "[Container] 2022/05/09 09:26:20 Command did not exit successfully ./check.sh exit status 2",
        "[Container] 2022/05/09 09:26:20 Phase complete: BUILD State: FAILED",
        "[Container] 2022/05/09 09:26:20 Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: ./check.sh. Reason: exit status 2",
    ]) + "\n"  # fmt: skip
    unlocated = EngineOptions(locate=False)  # the tail is shown when nothing is a cause
    assert diagnose(load_rules().rules, [log.encode()], options=unlocated).tail == ()
    failing = log.replace("checking the release notes", "error: release notes missing for 2.1.0")
    assert [c.line_number for c in diagnose(load_rules().rules, [failing.encode()], options=unlocated).tail] == [2]


def test_the_tail_is_the_first_failed_commands_not_a_later_phases() -> None:
    """aws-samples/serverless-full-stack-webapp-starter-kit#26: after the failed BUILD command, a
    POST_BUILD command echoes its script (``STATUS='FAILED'``, ``REASON="... failed ..."``): those
    lines only look like errors. The tail is the failed command's own complaints."""
    from analyzer.rules import load_rules

    log = "\n".join([
        "[Container] 2023/12/28 07:27:40.100000 Running command npm run build",  # 1
        "error TS2304: Cannot find name 'Foo'.",  # 2
        "[Container] 2023/12/28 07:27:53.678464 Command did not exit successfully npm run build exit status 1",  # 3
        "[Container] 2023/12/28 07:27:53.681780 Phase complete: BUILD State: FAILED",  # 4
        "[Container] 2023/12/28 07:27:53.717323 Entering phase POST_BUILD",  # 5
        "[Container] 2023/12/28 07:27:53.723089 Running command",  # 6
        "STATUS='FAILED'",  # 7
        'REASON="NodejsBuild failed. See CloudWatch Log stream for the detailed reason"',  # 8
    ]) + "\n"  # fmt: skip
    tail = diagnose(load_rules().rules, [log.encode()], options=EngineOptions(locate=False)).tail
    assert [c.line_number for c in tail] == [2]


def test_the_agents_own_error_stays_in_the_tail() -> None:
    """When CodeBuild's agent states the failure itself (a GitHub Actions runner token it could
    not fetch, in DOWNLOAD_SOURCE), that line is the only evidence and is kept."""
    from analyzer.rules import load_rules

    log = "\n".join([
        "[Container] 2025/09/05 06:49:10.100000 Waiting for DOWNLOAD_SOURCE",
        "[Container] 2025/09/05 06:49:10.480905 Error while fetching runner token: error code 400: GitHub runner JIT configuration unavailable",
        "[Container] 2025/09/05 06:49:10.480950 Phase complete: DOWNLOAD_SOURCE State: FAILED",
        "[Container] 2025/09/05 06:49:10.480960 Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: runner. Reason: exit status 1",
    ]) + "\n"  # fmt: skip
    tail = diagnose(load_rules().rules, [log.encode()], options=EngineOptions(locate=False)).tail
    assert [c.line_number for c in tail] == [2]
