"""Kinds of real failed logs the failure locator must point into precisely (issue 13: precision).

Each test is a small synthetic log in the shape of a kind seen in several real logs: what the
locator shows (the top finding's evidence lines) must be the lines that say why, not a header
above them, a file name that reads as an error word, or the tool's last progress line.
"""

from __future__ import annotations

from analyzer.engine import diagnose
from analyzer.rules import load_rules
from tests.helpers import agent, locator_kind as _kind, log_bytes

RULES = load_rules().rules


def _top(data: bytes):  # type: ignore[no-untyped-def]
    return diagnose(RULES, [data]).findings[0]



def _build(command: str, *output: str) -> bytes:
    return log_bytes(
        agent("Entering phase BUILD"),  # 1
        agent(f"Running command {command}"),  # 2
        *output,  # 3...
        agent(f"Command did not exit successfully {command} exit status 1"),
        agent("Phase complete: BUILD State: FAILED"),
    )


def test_rake_aborted_shows_the_reason_under_it_not_the_bare_header() -> None:
    data = _build(
        "bundle exec rake",
        "rake aborted!",  # 3
        "No Rakefile found (looking for: rakefile, Rakefile, rakefile.rb, Rakefile.rb)",  # 4
        "/usr/local/bundle/bin/ruby_executable_hooks:15:in `eval'",  # 5
        "/usr/local/bundle/bin/ruby_executable_hooks:15:in `<main>'",  # 6
        "(See full trace by running task with --trace)",  # 7
    )
    top = _top(data)
    assert top.rule_id == "unrecognised-failure"
    assert [e.line_number for e in top.evidence] == [4]
    assert top.evidence[0].text.startswith("No Rakefile found")
    # The header is still on screen, as the block's context.
    assert "rake aborted!" in [c.text for c in top.evidence[0].before]


def test_rails_aborted_with_its_message_is_the_same_kind() -> None:
    data = _build(
        "bin/rails db:migrate",
        "rails aborted!",  # 3
        "ActiveRecord::NoDatabaseError: database \"shop_test\" does not exist",  # 4
        "bin/rails:4:in `<main>'",  # 5
    )
    assert [e.line_number for e in _top(data).evidence] == [4]


def test_an_aborted_header_over_a_wrapper_line_stays_the_block() -> None:
    # rake's reason is only that a command it ran failed: that line is a wrapper, not a reason.
    data = _build(
        "bundle exec rake qunit:test",
        "Tests timed out",  # 3
        "rake aborted!",  # 4
        "Command failed with status (124): [node test/run-qunit.js]",  # 5
        "/app/lib/tasks/qunit.rake:92:in `block in <main>'",  # 6
    )
    assert [e.line_number for e in _top(data).evidence][0] == 4


def test_a_file_name_holding_an_error_word_is_no_complaint() -> None:
    assert _kind("Linting 'Error.swift' (10/48)") == "other"
    assert _kind("Parsing FailureHandler.java (2/21)") == "other"
    # The words themselves still are.
    assert _kind("Build step failed. Stopping.") == "error-words"
    assert _kind("Sources/Error.swift:12:5: error: cannot find 'x' in scope") == "diagnostic"


def test_a_linter_that_failed_on_warnings_only_shows_its_first_warning() -> None:
    # swiftlint --strict: only warnings, then a non-zero exit; the progress lines name files
    # whose names hold an error word.
    data = _build(
        "swiftlint lint --strict",
        "Linting Swift files at paths ",  # 3
        "Linting 'Error.swift' (1/4)",  # 4
        "/src/App/Error.swift:43:1: warning: Trailing Whitespace Violation: Lines should not have trailing whitespace. (trailing_whitespace)",  # 5
        "/src/App/Error.swift:45:1: warning: Trailing Whitespace Violation: Lines should not have trailing whitespace. (trailing_whitespace)",  # 6
        "Linting 'Results.swift' (2/4)",  # 7
        "Linting 'ErrorTests.swift' (3/4)",  # 8
        "Linting 'List.swift' (4/4)",  # 9
        "Done linting! Found 2 violations, 0 serious in 4 files.",  # 10
    )
    top = _top(data)
    assert top.rule_id == "unrecognised-failure"
    assert [e.line_number for e in top.evidence] == [5, 6]
    assert "warning" in top.summary


def test_warnings_do_not_replace_an_error_line() -> None:
    data = _build(
        "make",
        "src/a.c:3:5: warning: unused variable 'x' [-Wunused-variable]",  # 3
        "ld: cannot find -lssl",  # 4
    )
    assert [e.line_number for e in _top(data).evidence] == [4]


def test_testthat_failure_headers_are_test_failures_and_its_closing_error_a_summary() -> None:
    assert _kind("── 1. Failure: totals add up (@test-cart.R#12)  ──────────────") == "test-failure"
    assert _kind("  2. Error: reads the config (@test-config.R#8) ") == "test-failure"
    assert _kind("── Failure (test-cart.R:12:3): totals add up ──────────") == "test-failure"  # testthat 3
    assert _kind("  Error: testthat unit tests failed") == "summary"


def test_r_cmd_check_shows_testthats_failure_not_its_closing_error() -> None:
    data = _build(
        "R CMD check cart_0.1.tar.gz",
        "* checking tests ...",  # 3
        "  Running 'testthat.R'",  # 4
        " ERROR",  # 5
        "Running the tests in 'tests/testthat.R' failed.",  # 6
        "Last 13 lines of output:",  # 7
        "  ── 1. Failure: totals add up (@test-cart.R#12)  ──────────────",  # 8
        "  total(cart) not equal to 90.",  # 9
        "  1/1 mismatches",  # 10
        "  [1] 100 - 90 == 10",  # 11
        "  ",  # 12
        "  ══ testthat results  ═══════════════════════════════",  # 13
        "  [ OK: 41 | SKIPPED: 0 | WARNINGS: 0 | FAILED: 1 ]",  # 14
        "  1. Failure: totals add up (@test-cart.R#12) ",  # 15
        "  ",  # 16
        "  Error: testthat unit tests failed",  # 17
        "  Execution halted",  # 18
    )
    # (The "[1] 100 - 90 == 10" line reads as a rule of digits and signs: the block stops there.)
    assert [e.line_number for e in _top(data).evidence] == [8, 9, 10]


def test_a_tap_failure_shows_its_yaml_diagnostics() -> None:
    # tape / node-tap (TAP 13): the reason is in the YAML block under "not ok".
    data = _build(
        "npm test",
        "TAP version 13",  # 3
        "# adds",  # 4
        "ok 1 should be equal",  # 5
        "not ok 2 no errors",  # 6
        "  ---",  # 7
        "    operator: notOk",  # 8
        "    expected: false",  # 9
        "    actual:   1",  # 10
        "    at: Test.<anonymous> (/app/test/lint.js:57:7)",  # 11
        "  ...",  # 12
        "",  # 13
        "1..2",  # 14
        "# tests 2",  # 15
        "# pass  1",  # 16
        "# fail  1",  # 17
    )
    assert [e.line_number for e in _top(data).evidence] == [6, 8, 9, 10]


def test_eslint_stylish_errors_are_shown_not_its_problem_count() -> None:
    assert _kind("  3:8  error  'showModal' is defined but never used  no-unused-vars") == "diagnostic"
    assert _kind("  12:1  warning  Unexpected console statement  no-console") == "warning"
    assert _kind("✖ 2 problems (2 errors, 0 warnings)") == "summary"
    data = _build(
        "npx eslint src",
        "",  # 3
        "/app/src/routes/about.js",  # 4
        "  3:8  error  'showModal' is defined but never used  no-unused-vars",  # 5
        "  4:8  error  'User' is defined but never used       no-unused-vars",  # 6
        "",  # 7
        "✖ 2 problems (2 errors, 0 warnings)",  # 8
        "",  # 9
    )
    assert [e.line_number for e in _top(data).evidence] == [5, 6]


def test_a_warning_on_a_long_path_is_still_a_warning() -> None:
    # An absolute path of 125 characters, as a conda environment's site-packages gives.
    header = "/codebuild/output/src1/src/miniconda/envs/testenv/lib/python3.11/site-packages/numpy/core/include/numpy/npy_1_7_deprecated_api.h"
    assert len(header) > 120
    warning = f'{header}:15:2: warning: #warning "Using deprecated NumPy API, disable it with NPY_NO_DEPRECATED_API" [-Wcpp]'
    assert _kind(warning) == "warning"
    data = _build(
        "python setup.py build_ext --inplace && pytest",
        warning,  # 3
        "Traceback (most recent call last):",  # 4
        '  File "/opt/conda/envs/test/bin/pytest", line 11, in <module>',  # 5
        "    sys.exit(main())",  # 6
        "pluggy.PluginValidationError: Plugin 'pytest_cov' could not be loaded",  # 7
    )
    assert [e.line_number for e in _top(data).evidence] == [4, 7]


def test_xcodebuilds_list_of_failed_commands_is_a_wrapper_and_xcprettys_error_the_block() -> None:
    assert _kind("The following build commands failed:") == "wrapper"
    assert _kind("❌  /src/App/Encoding.swift:269:57: value of type 'Int' has no member 'name'") == "diagnostic"
    data = _build(
        "set -o pipefail && xcodebuild -scheme App build | xcpretty",
        "▸ Compiling Encoding.swift",  # 3
        "❌  /src/App/Encoding.swift:269:57: value of type 'Int' has no member 'name'",  # 4
        "",  # 5
        "** BUILD FAILED **",  # 6
        "",  # 7
        "The following build commands failed:",  # 8
        "\tCompileSwift normal arm64 /src/App/Encoding.swift",  # 9
        "(1 failure)",  # 10
    )
    assert [e.line_number for e in _top(data).evidence] == [4]


def test_clojure_tests_failure_report_is_the_block_not_leiningens_closing_lines() -> None:
    # clojure.test's report, as lein test prints it (wording of public examples: "FAIL in
    # (test-adder) (form-init...clj:2)", "expected: ...", "  actual: ...").
    assert _kind("FAIL in (test-adder) (core_test.clj:7)") == "test-failure"
    assert _kind("ERROR in (test-parse) (core_test.clj:12)") == "test-failure"
    assert _kind("Tests failed.") == "summary"
    data = _build(
        "lein test",
        "",  # 3
        "lein test cart.core-test",  # 4
        "",  # 5
        "FAIL in (test-adder) (core_test.clj:7)",  # 6
        "expected: (= 24 (add2 2))",  # 7
        "  actual: (not (= 24 4))",  # 8
        "",  # 9
        "Ran 3 tests containing 5 assertions.",  # 10
        "1 failures, 0 errors.",  # 11
        "Tests failed.",  # 12
    )
    assert [e.line_number for e in _top(data).evidence] == [6, 7, 8]
