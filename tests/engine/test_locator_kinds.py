"""Kinds of real failed logs the failure locator must point into precisely (issue 13: precision).

Each test is a small synthetic log in the shape of a kind seen in several real logs: what the
locator shows (the top finding's evidence lines) must be the lines that say why, not a header
above them, a file name that reads as an error word, or the tool's last progress line.
"""

from __future__ import annotations

from analyzer.engine import diagnose
from analyzer.engine.lines import iter_lines
from analyzer.engine.locator import _text, _triggered, classify
from analyzer.rules import load_rules
from tests.helpers import agent, log_bytes

RULES = load_rules().rules


def _top(data: bytes):  # type: ignore[no-untyped-def]
    return diagnose(RULES, [data]).findings[0]


def _kind(text: str) -> str:
    line = next(iter_lines([text.encode()]))
    return classify(_text(line)) if _triggered(_text(line)) else "other"


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
