"""Generic signals of the failure locator: what holds across tools, not one tool's wording.

The locator is judged on logs of tools it has never seen (``benchmarks/accuracy.py``'s held-out
figure). Each test below is a small synthetic log of a *kind* of output (a list of test
statuses, a section banner...), written in made-up tool wording on purpose: what it checks must
hold whatever the tool is called.
"""

from __future__ import annotations

from analyzer.engine.lines import iter_lines
from analyzer.engine.locator import locate
from tests.helpers import located_lines as _shown, locator_kind as _kind, travis_log as _travis


def _located(*output: str) -> list[int]:
    """The block the locator alone picks in ``output`` (lines numbered from 1), whatever rule
    would name the tool."""
    located = locate(list(iter_lines([("\n".join(output) + "\n").encode()])))
    assert located is not None
    return [line.number for line in located.lines]


def test_a_failed_line_in_a_list_of_test_statuses_is_progress_and_the_report_is_shown() -> None:
    data = _travis(
        "./run-checks",
        "checkout flow  FAILED",  # 2: a line of the list: the next is another test's status
        "login flow  PASSED",  # 3
        "search flow  xfail",  # 4
        "",  # 5
        "======== details ========",  # 6
        "checkout flow  FAILED",  # 7: the report: an explanation under it
        "    expected status 200, got 502",  # 8
        "    at flows/checkout.flow:14",  # 9
    )
    assert _shown(data) == [7, 8, 9]


def test_the_last_failed_line_of_a_list_above_a_section_banner_is_progress() -> None:
    data = _travis(
        "./run-checks",
        "suite one > alpha FAILED",  # 2
        "suite one > beta FAILED",  # 3: last of the list; a banner opens the next section
        "",  # 4
        "================ FAILURES ================",  # 5
        "________________ alpha ________________",  # 6
        "",  # 7
        "E   wanted 3 rows, found 2",  # 8
    )
    assert _shown(data)[0] == 6


def test_a_parent_tests_failure_above_its_subtests_statuses_is_progress() -> None:
    # go test's layout: the parent's "--- FAIL" line, then its subtests' own status lines;
    # the failing subtest's line has the reason under it.
    shown = _located(
        "--- FAIL: TestList (0.02s)",  # 1
        "    --- PASS: TestList/first (0.00s)",  # 2
        "    --- FAIL: TestList/second (0.00s)",  # 3
        "        list_test.go:31: expected 'a' but actual is 'b'",  # 4
        "FAIL",  # 5
    )
    assert shown[:2] == [3, 4]


def test_a_failure_header_with_its_underline_and_explanation_stays_the_report() -> None:
    data = _travis(
        "./run-checks",
        "FAIL: test_totals (shop.tests)",  # 2
        "----------------------------------------------------------------",  # 3: its underline
        "AssertionError: 3 != 4",  # 4
    )
    assert _shown(data)[0] == 2


def test_a_bare_status_word_under_a_header_is_a_summary_not_another_tests_line() -> None:
    # The reason may be printed above the header (go test -v streams a test's log first).
    shown = _located(
        "=== RUN   TestRetry",  # 1
        "    retry_test.go:41: want exit code 5, got 0",  # 2
        "--- FAIL: TestRetry (0.01s)",  # 3: a report: what follows is no other test's line
        "FAIL",  # 4
    )
    assert shown[0] == 3


def test_an_assertions_expected_and_actual_values_are_the_block_with_what_failed_above() -> None:
    data = _travis(
        "./run-checks",
        "Describing totals",  # 2
        "  [x] sums the basket -> values differ",  # 3: what failed, in no wording the locator knows
        "  Expected: 110",  # 4
        "  Actual:   100",  # 5
        "  at checks/totals.check:16",  # 6
        "3 checks, 2 passed",  # 7
    )
    assert _shown(data) == [3, 4, 5]


def test_an_assertion_is_only_expected_with_actual_on_the_next_line() -> None:
    # A test named after what it expects is no assertion; nor is an "Actual:" two lines on.
    data = _travis(
        "./run-checks",
        "  [+] expected: id +id, message +mess 46ms",  # 2
        "  [+] next check",  # 3
        "  actual: id -id",  # 4
        "error: connection refused by db:5432",  # 5
    )
    assert _shown(data) == [5]


def test_the_first_decisive_line_wins_over_a_later_assertion() -> None:
    # A tool's error above an assertion printed later: the earlier error is the block.
    data = _travis(
        "./get-models.sh",
        "ERROR: no certificate subject alternative name matches",  # 2
        "Verifying checksums.",  # 3
        "  + Expected: 199a2c0d32fd0f22f14ad2d248280475",  # 4
        "  + Actual: ",  # 5
    )
    assert _shown(data)[0] == 2


def test_exec_maven_plugins_report_of_a_failed_process_is_a_wrapper() -> None:
    """aws-cloudformation/cloudformation-cli#676: `cfn generate` crashed (`=== Unhandled exception
    ===`), then exec-maven-plugin said so through Apache Commons Exec; its lines are not the error."""
    for text in (
        "[ERROR] Command execution failed.",
        "org.apache.commons.exec.ExecuteException: Process exited with an error: 127 (Exit value: 127)",
    ):
        assert _kind(text) == "wrapper", text
    data = _travis(
        "mvn -B generate-sources",
        "[INFO] --- exec-maven-plugin:1.6.0:exec (generate) @ handler ---",  # 2
        "=== Unhandled exception ===",  # 3
        "Please report this issue to the team.",  # 4
        "[ERROR] Command execution failed.",  # 5
        "org.apache.commons.exec.ExecuteException: Process exited with an error: 127 (Exit value: 127)",  # 6
    )
    assert _shown(data)[0] == 3


def test_an_expected_value_that_was_got_is_no_failure() -> None:
    # A checksum check printing equal values ("Checksum OK"), then the tool's real error.
    data = _travis(
        "./ci/build.sh",
        "Verifying the chart's checksum",  # 2
        "Expected: 2694b91c3e501cff57caf650e639604a274645f61af2ea4d601677b746b44fe2",  # 3
        "Got:      2694b91c3e501cff57caf650e639604a274645f61af2ea4d601677b746b44fe2",  # 4
        "Checksum OK",  # 5
        "Error: INSTALLATION FAILED: cannot re-use a name that is still in use",  # 6
    )
    assert _shown(data) == [6]


def test_a_line_that_only_says_a_command_exited_non_zero_is_a_wrapper_not_the_error() -> None:
    for text in (
        "ERROR: step lint-vars exited with status 1",
        "error Command failed with exit code 1.",
        "Process finished with exit code 2",
        "subprocess.CalledProcessError: Command '['apt-get', 'update']' returned non-zero exit status 100",
        "exit status 1",
    ):
        assert _kind(text) == "wrapper", text
    # What the command printed is the error, not the runner's line that it exited.
    data = _travis(
        "./lint-all",
        "checking variables",  # 2
        "✖ Variable $accent is not being used!",  # 3
        "ERROR: step lint-vars exited with status 1",  # 4
    )
    assert _shown(data) == [3]
