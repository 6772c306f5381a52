"""Causal roles: cause, wrapper, consequence and noise, and the stopped build (issue: the real error)."""

from __future__ import annotations

from analyzer.engine import EngineOptions, diagnose
from analyzer.models import Role, Severity
from analyzer.rules import load_rules
from tests.helpers import agent, log_bytes

RULES = load_rules().rules


def _roles(data: bytes) -> list[tuple[str, str, list[int | None]]]:
    return [(f.rule_id, f.role.value, [e.line_number for e in f.evidence]) for f in diagnose(RULES, [data]).findings]


def test_a_cause_in_build_outranks_its_consequence_in_upload_artifacts() -> None:
    data = log_bytes(
        agent("Entering phase BUILD"),  # 1
        agent("Running command npm run build"),  # 2
        "sh: 1: webpack: not found",  # 3
        agent("Command did not exit successfully npm run build exit status 127"),  # 4
        agent("Phase complete: BUILD State: FAILED"),  # 5
        agent("Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: npm run build. Reason: exit status 127"),  # 6
        agent("Entering phase UPLOAD_ARTIFACTS"),  # 7
        agent("Phase complete: UPLOAD_ARTIFACTS State: FAILED"),  # 8
        agent("Phase context status code: CLIENT_ERROR Message: no matching artifact paths found"),  # 9
    )
    roles = _roles(data)
    assert roles[0][:2] == ("command-not-found", "cause") and roles[0][2][0] == 3
    by_rule = {rule: role for rule, role, _ in roles}
    assert by_rule["no-matching-artifact-paths"] == "consequence"
    assert by_rule["command-execution-error"] == "wrapper"


def test_the_tools_own_error_outranks_the_wrapper_that_reports_it() -> None:
    data = log_bytes(
        agent("Entering phase BUILD"),  # 1
        agent("Running command npm test"),  # 2
        "> web@1.0.0 test",  # 3
        "> mocha",  # 4
        "  1) Cart",  # 5
        "       applies the discount:",  # 6
        "     AssertionError: expected 100 to equal 90",  # 7
        "npm ERR! code ELIFECYCLE",  # 8
        "npm ERR! errno 1",  # 9
        "npm ERR! web@1.0.0 test: `mocha`",  # 10
        "npm ERR! Failed at the web@1.0.0 test script.",  # 11
        agent("Command did not exit successfully npm test exit status 1"),  # 12
        agent("Phase complete: BUILD State: FAILED"),  # 13
    )
    roles = _roles(data)
    assert roles[0] == ("unrecognised-failure", "cause", [5, 6, 7])
    assert ("npm-lifecycle-script-failed", "wrapper") in {(rule, role) for rule, role, _ in roles}


def test_an_error_quoted_in_a_failing_tests_source_is_noise() -> None:
    data = log_bytes(
        agent("Entering phase BUILD"),  # 1
        agent("Running command python -m pytest"),  # 2
        "=================================== FAILURES ===================================",  # 3
        "_________________________________ test_login __________________________________",  # 4
        "",  # 5
        "    def test_login():",  # 6
        '        # the API answers "toomanyrequests: You have reached your pull rate limit" when throttled',  # 7
        ">       assert login() == 200",  # 8
        "E       assert 401 == 200",  # 9
        "",  # 10
        "tests/test_login.py:9: AssertionError",  # 11
        "=========================== short test summary info ============================",  # 12
        "FAILED tests/test_login.py::test_login - assert 401 == 200",  # 13
        "============================== 1 failed in 0.12s ===============================",  # 14
        agent("Command did not exit successfully python -m pytest exit status 1"),  # 15
        agent("Phase complete: BUILD State: FAILED"),  # 16
    )
    findings = diagnose(RULES, [data]).findings
    assert (findings[0].rule_id, findings[0].role) == ("pytest-failures", Role.CAUSE)
    # The failure report, not the summary line, is the evidence.
    assert [e.line_number for e in findings[0].evidence][0] == 4
    quoted = next(f for f in findings if f.rule_id == "docker-hub-rate-limit")
    assert quoted.role is Role.NOISE and [e.line_number for e in quoted.evidence] == [7]


def test_a_log_that_stops_mid_command_is_a_stopped_or_timed_out_build() -> None:
    data = log_bytes(
        agent("Entering phase BUILD"),
        agent("Running command ./gradlew integrationTest"),
        "> Task :integrationTest",
        "Waiting for database on localhost:5432 ...",
        "Waiting for database on localhost:5432 ...",
    )
    (finding,) = diagnose(RULES, [data]).findings
    assert (finding.rule_id, finding.role) == ("build-stopped-mid-command", Role.CAUSE)
    assert [e.line_number for e in finding.evidence] == [3, 4, 5]
    assert "stops in the middle of the BUILD phase" in finding.summary


def test_a_log_cut_after_an_error_shows_the_error_first_and_the_stop_beside_it() -> None:
    """A report's excerpt ends inside a phase (as aws-samples/lambda-go-samples#4's does after
    `go get ./...`'s `cannot find package` lines, which go-package-not-found-gopath now names; here
    compile errors no rule names): without a record that says the build was stopped, the error the
    tool printed is the cause, and the stop is only said beside it."""
    from analyzer.models import Build

    lines = [
        agent("Entering phase PRE_BUILD"),  # 1
        agent("Running command go build ./..."),  # 2
        "./handler/main.go:20:2: undefined: charset.NewReaderLabel",  # 3
        "./handler/main.go:21:9: undefined: charset.Lookup",  # 4
        "./handler/main.go:22:5: too many errors",  # 5
    ]
    findings = diagnose(RULES, [log_bytes(*lines)]).findings
    assert [(f.rule_id, f.role) for f in findings] == [
        ("unrecognised-failure", Role.CAUSE),
        ("build-stopped-mid-command", Role.CAUSE),
    ]
    assert findings[0].evidence[0].line_number == 3
    assert "The log ends inside the command `go build ./...` in the PRE_BUILD phase" in findings[0].summary
    # A record that says the build timed out is the authority: the stop is the cause.
    record = Build.from_api({"id": "p:1", "buildStatus": "TIMED_OUT", "phases": []})
    timed_out = diagnose(RULES, [log_bytes(*lines)], record).findings
    assert [f.rule_id for f in timed_out] == ["build-stopped-mid-command"]


def test_an_error_the_build_went_on_from_is_not_why_a_cut_log_stopped() -> None:
    """A retried download's error, then tens of lines of work, then the log ends: the stop is the
    finding, not the recovered error (it is not among the log's last lines)."""
    lines = [
        agent("Entering phase BUILD"),
        agent("Running command ./gradlew build --no-daemon"),
        "> Task :app:downloadDeps",
        "Could not GET 'https://repo.example.com/x.pom'. Received status code 502 from server: Bad Gateway",
        "Retrying download ... done",
        *[f"> Task :app:step{i}" for i in range(40)],
        "<=========----> 75% EXECUTING [59m 40s]",
    ]
    assert [f.rule_id for f in diagnose(RULES, [log_bytes(*lines)]).findings] == ["build-stopped-mid-command"]


def test_phase_details_a_script_prints_in_a_codebuild_log_are_not_its_failure() -> None:
    """A deploy script prints a child build's phase details; CodeBuild's own lines say which
    command of this build failed (the marker is only for a report quoting phase details alone)."""
    data = log_bytes(
        agent("Entering phase BUILD"),  # 1
        agent("Running command ./ci/deploy.sh"),  # 2
        "child build 42: COMMAND_EXECUTION_ERROR: Error while executing command: npm run test:integration. Reason: exit status 1",  # 3
        "retrying child build ... SUCCEEDED",  # 4
        "ERROR: canary alarm api-5xx is in ALARM",  # 5
        agent("Command did not exit successfully ./ci/deploy.sh exit status 3"),  # 6
        agent("Phase complete: BUILD State: FAILED"),  # 7
    )
    (root, *_) = diagnose(RULES, [data]).findings
    assert root.captures.get("command") == "./ci/deploy.sh"
    assert [e.line_number for e in root.evidence][-1] == 5


def test_saved_copies_of_a_log_give_the_same_diagnosis() -> None:
    lines = [
        agent("Entering phase BUILD"),
        agent("Running command npm ci"),
        "npm ERR! code EUSAGE",
        "npm ERR! The `npm ci` command can only install with an existing package-lock.json",
        agent("Command did not exit successfully npm ci exit status 1"),
        agent("Phase complete: BUILD State: FAILED"),
    ]
    plain = _roles(log_bytes(*lines))
    tail = _roles(log_bytes(*(f"2024-05-14T10:00:41.905000+00:00 0f6c1a2b-1111-2222-3333-444455556666 {x}" for x in lines)))
    console = _roles(log_bytes(*(f"2024-05-14T10:00:41.905+02:00\t{x}" for x in lines)))
    events = _roles(log_bytes(*(f"EVENTS\t1715680841905\t{x}\t1715680841900" for x in lines)))
    assert plain == tail == console == events
    assert plain[0][1] == "cause"


def test_a_travis_log_gets_its_failing_commands_error() -> None:
    data = log_bytes(
        "$ bundle exec rake",  # 1
        "rake aborted!",  # 2
        "No Rakefile found (looking for: rakefile, Rakefile, rakefile.rb, Rakefile.rb)",  # 3
        "(See full trace by running task with --trace)",  # 4
        "",  # 5
        'The command "bundle exec rake" exited with 1.',  # 6
        "",  # 7
        "Done. Your build exited with 1.",  # 8
    )
    (finding,) = diagnose(RULES, [data]).findings
    assert (finding.rule_id, finding.captures) == ("unrecognised-failure", {"command": "bundle exec rake"})
    # rake's reason, under its bare "rake aborted!" header (which stays as context).
    assert [e.line_number for e in finding.evidence] == [3]


def test_a_phase_without_an_entering_line_keeps_its_own_failure_and_context() -> None:
    data = log_bytes(
        agent("Entering phase INSTALL"),  # 1
        agent("Running command npm ci"),  # 2
        "added 120 packages",  # 3
        agent("Phase complete: INSTALL State: SUCCEEDED"),  # 4
        agent("Phase context status code:  Message: "),  # 5
        agent("Running command npm run build"),  # 6  (BUILD's 'Entering phase' line is missing)
        "ERROR in src/app.ts:12:5 Type 'string' is not assignable to type 'number'.",  # 7 (no rule names it: the locator does)
        agent("Command did not exit successfully npm run build exit status 2"),  # 8
        agent("Phase complete: BUILD State: FAILED"),  # 9
        agent("Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: npm run build. Reason: exit status 2"),  # 10
    )
    for engine in ("reference", "python"):
        diagnosis = diagnose(RULES, [data], options=EngineOptions(engine=engine))
        top = diagnosis.findings[0]
        assert (top.rule_id, top.role.value, top.first_line) == ("unrecognised-failure", "cause", 7)
        assert "in the BUILD phase" in top.summary, top.summary
        wrapper = next(f for f in diagnosis.findings if f.rule_id == "command-execution-error")
        assert wrapper.phase == "BUILD"  # the context line is BUILD's, not the INSTALL phase's before it


def test_a_baseline_is_fetched_only_when_the_locator_runs_and_its_note_is_kept() -> None:
    from analyzer.engine import Baseline
    from analyzer.engine.locator import shape

    deprecation = "error: the legacy config key 'cache_dir' is deprecated (seen 12 times)"
    unexplained = log_bytes(
        agent("Entering phase BUILD"),  # 1
        agent("Running command ./build.sh"),  # 2
        "error: the legacy config key 'cache_dir' is deprecated (seen 14 times)",  # 3
        "linker: cannot open output file dist/app: Permission denied",  # 4
        agent("Command did not exit successfully ./build.sh exit status 1"),  # 5
        agent("Phase complete: BUILD State: FAILED"),  # 6
    )
    explained = log_bytes(
        agent("Entering phase BUILD"),
        agent("Running command npm run build"),
        "sh: 1: webpack: not found",
        agent("Command did not exit successfully npm run build exit status 127"),
        agent("Phase complete: BUILD State: FAILED"),
    )
    calls: list[str] = []

    def fetch() -> Baseline:
        calls.append("fetched")
        return Baseline(frozenset({shape(deprecation)}), "build web:1234", "baseline: build web:1234")

    options = EngineOptions(fetch_baseline=fetch)
    diagnosis = diagnose(RULES, [explained], options=options)
    assert diagnosis.root_cause.rule_id == "command-not-found" and calls == []  # a rule named it: no fetch
    assert "baseline: build web:1234" not in diagnosis.notes
    diagnosis = diagnose(RULES, [unexplained], options=options)
    top = diagnosis.findings[0]
    assert (top.rule_id, top.first_line, calls) == ("unrecognised-failure", 4, ["fetched"])
    assert "found with the log of build web:1234, which succeeded, as a baseline" in top.summary
    assert diagnosis.notes[-1] == "baseline: build web:1234"
    alone = diagnose(RULES, [unexplained]).findings[0]
    assert alone.first_line == 3 and "baseline" not in alone.summary


PASSED = log_bytes(
    agent("Entering phase BUILD"),  # 1
    agent("Running command ./build.sh"),  # 2
    "error: the legacy config key 'cache_dir' is deprecated (seen 12 times)",  # 3
    "compiling 120 files",  # 4
    agent("Phase complete: BUILD State: SUCCEEDED"),  # 5
    agent("Phase context status code:  Message: "),  # 6
)


def test_a_build_that_passed_shows_no_error_looking_lines_and_says_it_passed() -> None:
    diagnosis = diagnose(RULES, [PASSED])
    assert diagnosis.findings == () and diagnosis.tail == ()
    assert "the build succeeded: findings, if any, did not fail it" in diagnosis.notes


def test_noise_in_a_command_that_passed_is_not_error_level() -> None:
    data = log_bytes(
        agent("Entering phase BUILD"),  # 1
        agent("Running command docker pull node:20"),  # 2
        "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",  # 3
        agent("Running command npm test"),  # 4
        "  1) Cart",  # 5
        "       applies the discount:",  # 6
        "     AssertionError: expected 100 to equal 90",  # 7
        agent("Command did not exit successfully npm test exit status 1"),  # 8
        agent("Phase complete: BUILD State: FAILED"),  # 9
    )
    diagnosis = diagnose(RULES, [data])
    noise = next(f for f in diagnosis.findings if f.rule_id == "docker-hub-rate-limit")
    assert (noise.role, noise.severity) == (Role.NOISE, Severity.INFO), noise.role_reason
    assert diagnosis.findings[0].rule_id == "unrecognised-failure"
