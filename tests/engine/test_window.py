"""The failure window read on demand, and the locator's kinds of line (issue: the real error).

The window before the first failure holds tens of thousands of lines; only its candidate lines
(found in the raw bytes) and their neighbours are decoded. These tests hold the candidates to
being a superset of what the readers look for, both engine paths to the same answer on a window
far larger than the old one, and the line kinds added for real logs.
"""

from __future__ import annotations

import pytest

from analyzer.engine import EngineOptions, diagnose
from analyzer.engine.lines import iter_lines, normalise
from analyzer.engine.locator import CANDIDATE_GROUPS, _text, _triggered, candidate_scanner, classify
from analyzer.models import Role
from analyzer.rules import load_rules
from tests.helpers import agent, log_bytes

RULES = load_rules().rules


def _top(data: bytes) -> tuple[str, str, list[int | None]]:
    finding = diagnose(RULES, [data]).findings[0]
    return finding.rule_id, finding.role.value, [e.line_number for e in finding.evidence]


def _long_pytest_log(passing_lines: int) -> tuple[bytes, int]:
    """A CodeBuild log whose pytest run prints ``passing_lines`` lines between its first failure
    report and the failure marker (a long test suite), and the header's line number."""
    head = [
        agent("Entering phase BUILD"),  # 1
        agent("Running command python -m pytest -v"),  # 2
        "=================================== FAILURES ===================================",  # 3
        "________________________________ test_checkout ________________________________",  # 4
        "",  # 5
        "    def test_checkout():",  # 6
        ">       assert total(cart) == 90",  # 7
        "E       assert 100 == 90",  # 8
        "tests/test_cart.py:12: AssertionError",  # 9
    ]
    body = [f"tests/test_catalog.py::test_item_{n} PASSED [ {n % 100:2d}%]" for n in range(passing_lines)]
    tail = [
        "========================= 1 failed, 40000 passed in 812.00s =========================",
        agent("Command did not exit successfully python -m pytest -v exit status 1"),
        agent("Phase complete: BUILD State: FAILED"),
    ]
    return log_bytes(*head, *body, *tail), 4


def test_a_first_failure_12000_lines_above_the_runners_exit_is_found() -> None:
    data, header = _long_pytest_log(12_000)
    rule, role, lines = _top(data)
    assert role == "cause"
    assert lines[0] == header, (rule, lines)
    assert header + 4 in lines  # pytest's E line is in the block


def test_both_engine_paths_give_the_same_window_answer_on_a_long_log() -> None:
    # The reference path tries every rule on every line: a few rules keep it quick (the
    # window and the locator do not depend on the rules).
    data, _ = _long_pytest_log(12_000)
    rules = [rule for rule in RULES if rule.id in ("pytest-failures", "command-execution-error")]
    fast = diagnose(rules, [data], options=EngineOptions(engine="auto"))
    reference = diagnose(rules, [data], options=EngineOptions(engine="reference"))
    assert fast.findings[0].rule_id == "pytest-failures"
    assert [(f.rule_id, f.role, [e.line_number for e in f.evidence]) for f in fast.findings] == [
        (f.rule_id, f.role, [e.line_number for e in f.evidence]) for f in reference.findings
    ]


LINES = [
    "\x1b[31mFAIL\x1b[0m src/app.test.js",
    "2024-05-14T10:00:41.905000+00:00 b7c1e9a2-1111-2222-3333-444455556666 error: pathspec 'x' did not match",
    "  1) Cart applies the discount:",
    "________________ test_x ________________",
    "src/main.c:12:5: warning: unused variable",
    "Foo.cs(20,40): something",
    "E       assert 1 == 2",
    "tests/test_a.py:3: AssertionError",
    "** (RuntimeError) boom",
    "=================== 1 failed in 0.1s ===================",
    "----------------------------- Captured stdout call -----------------------------",
    "[Container] 2024/05/14 10:00:41.905 Running command make",
    "$ bundle exec rake",
    "##[group]Run npm test",
    "Pending: (Failures listed here are expected)",
    "\u25cf Cart \u203a applies the discount",
    "t/t9502.sh ........ Dubious, test returned 1 (wstat 256, 0x100)",
    "progress 10%\rprogress 100%\rERROR: it broke",
    "\x1b[?1h\x1b=\x1b[31m    [-] Should validate\x1b[0m",
]


def test_candidates_found_in_raw_bytes_hold_every_line_a_reader_decodes() -> None:
    data = "\n".join(LINES).encode()
    scanner = candidate_scanner()
    hits = scanner.offsets(data)
    by_group: dict[str, set[int]] = {group: set() for group in scanner.groups}
    for offset, group in hits:
        by_group[scanner.groups[group]].add(data.count(b"\n", 0, offset) + 1)
    for line in iter_lines([data]):
        if _triggered(_text(line)):
            assert line.number in by_group["trigger"], LINES[line.number - 1]
    assert by_group["command"] == {12, 13, 14}
    assert by_group["pytest-header"] == {4}
    assert {7, 8, 10, 11} <= by_group["pytest"]


def test_the_python_scanner_finds_what_hyperscan_finds() -> None:
    data = "\n".join(LINES * 3).encode()
    scanner = candidate_scanner()
    if scanner._database is None:
        pytest.skip("hyperscan is not installed: only the python scanner exists")
    python = type(scanner).__new__(type(scanner))
    python.__dict__.update(scanner.__dict__)
    python._database = None

    def lines(found: list[tuple[int, int]]) -> set[tuple[int, int]]:
        return {(data.count(b"\n", 0, offset), group) for offset, group in found}

    assert lines(python.offsets(data)) == lines(scanner.offsets(data))
    assert set(CANDIDATE_GROUPS) == set(scanner.groups)


def test_a_two_byte_escape_such_as_keypad_mode_is_stripped() -> None:
    assert normalise(b"\x1b[?1h\x1b=\x1b[31m    [-] x\x1b7y\x1b8") == "    [-] xy"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("suite:send_recv failed on line 593", "test-failure"),  # Erlang Common Test
        ("ejabberd_SUITE:init_per_group failed", "test-failure"),
        ("Module Failed: date-time-input-range", "test-failure"),  # QUnit
        ("  Test Failed: prevents toDate to be before fromDate", "error-words"),  # inside the report: a complaint
        ("    [-] Should validate test results 43ms", "test-failure"),  # Pester, indented in a Describe
        ("    --- FAIL: TestInvoiceTotal/with_discount (0.00s)", "test-failure"),  # go subtest
        ('ERROR: "css-lint-vars" exited with 1.', "wrapper"),  # npm-run-all
        ("Some test suites failed", "summary"),
        ("  1) Failure:", "test-failure"),  # minitest, whose summary then says "1 failures, 0 errors"
        ("[16:40:38] E/launcher - Error: TSError: Unable to compile TypeScript", "diagnostic"),  # protractor
    ],
)
def test_kinds_of_line_from_real_logs(text: str, kind: str) -> None:
    line = next(iter_lines([text.encode()]))
    found = classify(_text(line)) if _triggered(_text(line)) else "other"
    assert found == kind


def _tls_warning_log() -> bytes:
    return log_bytes(
        agent("Entering phase BUILD"),  # 1
        agent("Running command rebar3 ct"),  # 2
        "08:18:45.909 [warning] (tls|<0.2686.0>) Failed inbound s2s EXTERNAL authentication: unable to verify the first certificate",  # 3
        "Testing ejabberd: Starting test, 1470 test cases",  # 4
        "suite:send_recv failed on line 593",  # 5
        "Reason: timetrap_timeout",  # 6
        "Testing ejabberd: TEST COMPLETE, 1083 ok, 1 failed, 386 skipped of 1470 test cases",  # 7
        agent("Command did not exit successfully rebar3 ct exit status 1"),  # 8
        agent("Phase complete: BUILD State: FAILED"),  # 9
    )


def test_a_rule_match_on_a_line_logged_at_warning_level_is_noise() -> None:
    findings = diagnose(RULES, [_tls_warning_log()]).findings
    tls = next(f for f in findings if f.rule_id == "network-tls-certificate-untrusted")
    assert tls.role is Role.NOISE and "warning" in tls.role_reason and "test" in tls.role_reason
    assert (findings[0].rule_id, [e.line_number for e in findings[0].evidence]) == ("unrecognised-failure", [5])


def test_a_warning_with_no_test_failure_after_it_stays_the_cause() -> None:
    # pip -q shows its TLS failure only in its retry warnings (reviewer's reproducer).
    retry = (
        "WARNING: Retrying (Retry(total={n}, connect=None, read=None, redirect=None, status=None)) after connection "
        "broken by 'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "self signed certificate in certificate chain (_ssl.c:1007)'))': /simple/requests/"
    )
    data = log_bytes(
        agent("Entering phase INSTALL"),
        agent("Running command pip install -q -r requirements.txt"),
        *(retry.format(n=n) for n in (4, 3, 2, 1, 0)),
        "ERROR: Could not find a version that satisfies the requirement requests (from versions: none)",
        "ERROR: No matching distribution found for requests",
        agent("Command did not exit successfully pip install -q -r requirements.txt exit status 1"),
        agent("Phase complete: INSTALL State: FAILED"),
    )
    assert _top(data)[:2] == ("network-tls-certificate-untrusted", "cause")


def test_a_rule_written_for_the_warning_form_keeps_it_as_the_cause() -> None:
    data = log_bytes(
        agent("Entering phase INSTALL"),  # 1
        agent("Running command pip install -r requirements.txt"),  # 2
        "WARNING: 401 Error, Credentials not correct for https://example.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/x/",  # 3
        "ERROR: Could not find a version that satisfies the requirement x==1.0 (from versions: none)",  # 4
        agent("Command did not exit successfully pip install -r requirements.txt exit status 1"),  # 5
        agent("Phase complete: INSTALL State: FAILED"),  # 6
    )
    assert _top(data)[:2] == ("pip-index-unauthorized", "cause")
