"""The engine end to end on inline data: captures, phases, folding, ranking, exclusions, limits."""

from __future__ import annotations

import regex

from analyzer.engine import EngineOptions, MatchOptions, diagnose
from analyzer.models import Build, BuildId, BuildPhase, PhaseContext, Severity, TextSource
from tests.helpers import agent, log_bytes, make_rule, rule_findings

RATE_LIMIT = make_rule(
    r"""
    id: rate-limit
    priority: 90
    match:
      any:
        - 'toomanyrequests: You have reached your (?P<kind>\w+ )?pull rate limit'
    summary: "limit {{ kind | default('') }}in {{ phase }}"
    """
)
FALLBACK = make_rule(
    r"""
    id: fallback
    priority: 5
    match:
      any:
        - 'COMMAND_EXECUTION_ERROR Message: Error while executing command: (?P<command>.*)\. Reason: exit status (?P<status>\d+)'
    summary: "{{ command }} exited {{ status }}"
    """
)

FAILED_DOCKER_BUILD = log_bytes(
    agent("Entering phase BUILD"),
    agent("Running command docker build ."),
    "Step 1/3 : FROM node:20",
    "toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit",
    agent("Command did not exit successfully docker build . exit status 1"),
    agent("Phase complete: BUILD State: FAILED"),
    agent("Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: docker build .. Reason: exit status 1"),
)


def test_root_cause_outranks_the_symptom_it_causes() -> None:
    # Listed symptom-first: ranking, not rule order, decides.
    result = diagnose([FALLBACK, RATE_LIMIT], [FAILED_DOCKER_BUILD])
    assert [f.rule_id for f in result.findings] == ["rate-limit", "fallback"]
    root = result.root_cause
    assert root is not None
    assert root.first_line == 4 and root.phase == "BUILD"
    assert root.captures == {"kind": "unauthenticated "}
    assert root.summary == "limit unauthenticated in BUILD"
    assert result.findings[1].captures == {"command": "docker build .", "status": "1"}
    assert result.findings[1].summary == "docker build . exited 1"
    assert result.log is not None and (result.log.lines, result.log.bytes) == (7, len(FAILED_DOCKER_BUILD))


def test_evidence_has_text_match_offsets_and_context() -> None:
    result = diagnose([RATE_LIMIT], [FAILED_DOCKER_BUILD], options=EngineOptions(MatchOptions(context_lines=2)))
    (evidence,) = result.findings[0].evidence
    assert evidence.source is TextSource.LOG
    assert evidence.line_number == 4
    assert evidence.matched == "toomanyrequests: You have reached your unauthenticated pull rate limit"
    assert evidence.match_start == 0
    assert [(c.line_number, c.text) for c in evidence.before] == [
        (2, agent("Running command docker build .")),
        (3, "Step 1/3 : FROM node:20"),
    ]
    assert [c.line_number for c in evidence.after] == [5, 6]


def test_agent_line_match_offsets_include_the_prefix() -> None:
    result = diagnose([FALLBACK], [FAILED_DOCKER_BUILD])
    (evidence,) = result.findings[0].evidence
    assert evidence.text.startswith("[Container] 2025/03/08")
    assert evidence.matched.startswith("COMMAND_EXECUTION_ERROR Message:")
    assert evidence.text[evidence.match_end :] == ""


def test_repeated_hits_fold_into_one_finding_with_a_count() -> None:
    line = "toomanyrequests: You have reached your pull rate limit"
    data = log_bytes(*([line, "retrying"] * 10))
    result = diagnose([RATE_LIMIT], [data], options=EngineOptions(MatchOptions(max_evidence=3)))
    (finding,) = result.findings
    assert finding.count == 10
    assert [e.line_number for e in finding.evidence] == [1, 3, 5]


def test_ansi_crlf_and_invalid_utf8_do_not_hide_a_match() -> None:
    data = b"\x1b[31mtoomanyrequests:\x1b[0m You have reached your pull rate limit\r\n\xff\xfe garbage\r\n"
    result = diagnose([RATE_LIMIT], [data])
    (finding,) = result.findings
    assert finding.evidence[0].text == "toomanyrequests: You have reached your pull rate limit"
    assert finding.evidence[0].after[0].text == "\ufffd\ufffd garbage"


def test_progress_redraws_are_matched_per_segment() -> None:
    rule = make_rule(
        r"""
        id: anchored
        match:
          any: ['^ERROR: disk full$']
        """
    )
    data = b"downloading 10%\rdownloading 100%\rERROR: disk full\n"
    (finding,) = diagnose([rule], [data]).findings
    assert finding.evidence[0].line_number == 1
    assert finding.evidence[0].text == "ERROR: disk full"


def test_empty_log() -> None:
    result = diagnose([RATE_LIMIT, FALLBACK], [b""])
    assert result.findings == ()
    assert result.log is not None and result.log.lines == 0 and result.log.bytes == 0


def test_five_megabyte_line() -> None:
    huge = b"x" * (5 * 1024 * 1024)
    data = huge + b" toomanyrequests: You have reached your pull rate limit\nnext\n"
    (finding,) = diagnose([RATE_LIMIT], [data[i : i + 65536] for i in range(0, len(data), 65536)]).findings
    evidence = finding.evidence[0]
    assert evidence.line_number == 1
    assert evidence.matched == "toomanyrequests: You have reached your pull rate limit"
    assert len(evidence.text) < 1100 and evidence.text.startswith("…")  # shortened around the match


def test_phase_scope_skips_lines_of_other_phases_but_not_unknown_ones() -> None:
    rule = make_rule(
        r"""
        id: scoped
        match:
          phases: [INSTALL]
          any: ['npm ERR! code (?P<code>E\w+)']
        """
    )
    build_only = log_bytes(agent("Entering phase BUILD"), "npm ERR! code E404")
    install = log_bytes(agent("Entering phase INSTALL"), "npm ERR! code ERESOLVE")
    no_agent_lines = log_bytes("npm ERR! code ETARGET")
    assert rule_findings(diagnose([rule], [build_only])) == ()
    assert diagnose([rule], [install]).findings[0].captures == {"code": "ERESOLVE"}
    assert diagnose([rule], [no_agent_lines]).findings[0].captures == {"code": "ETARGET"}


def test_echoed_commands_are_not_matched_unless_asked() -> None:
    rule = make_rule(
        r"""
        id: echo
        match:
          any: ['FATAL: out of cheese']
        """
    )
    data = log_bytes(agent("Running command echo 'FATAL: out of cheese'"), "FATAL: out of cheese")
    (finding,) = diagnose([rule], [data]).findings
    assert [e.line_number for e in finding.evidence] == [2]


def test_exclusion_vetoes_hits_within_its_window_only() -> None:
    rule = make_rule(
        r"""
        id: flaky
        match:
          any: ['connection reset by peer']
          exclude:
            - pattern: 'retry \d+/\d+ succeeded'
              window: 2
        """
    )
    data = log_bytes(
        "connection reset by peer",  # 1: vetoed by line 3
        "retrying",
        "retry 1/3 succeeded",
        "ok",
        "ok",
        "ok",
        "connection reset by peer",  # 7: line 3 is 4 away, kept
        "fatal",
    )
    (finding,) = diagnose([rule], [data]).findings
    assert finding.count == 1
    assert [e.line_number for e in finding.evidence] == [7]


def test_all_mode_needs_every_pattern() -> None:
    rule = make_rule(
        r"""
        id: both
        match:
          all: ['Killed', 'exit status (?P<status>137)']
        """
    )
    assert rule_findings(diagnose([rule], [log_bytes("Killed")])) == ()
    (finding,) = diagnose([rule], [log_bytes("Killed", "exit status 137")]).findings
    assert finding.count == 2 and finding.captures == {"status": "137"}


def test_captures_merge_from_every_pattern_matching_the_hit_line() -> None:
    rule = make_rule(
        r"""
        id: merged
        match:
          any:
            - 'toomanyrequests'
            - 'metadata for (?P<image>\S+):'
        """
    )
    data = log_bytes("failed to resolve source metadata for docker.io/library/node:20: 429 toomanyrequests")
    (finding,) = diagnose([rule], [data]).findings
    assert finding.captures == {"image": "docker.io/library/node:20"}
    assert finding.count == 1


def test_a_pathological_pattern_times_out_and_the_others_go_on() -> None:
    slow = make_rule(
        r"""
        id: slow
        match:
          any: ['(a|aa)+$']
        """
    )
    data = log_bytes("a" * 40 + "!", "toomanyrequests: You have reached your pull rate limit")
    options = EngineOptions(MatchOptions(regex_timeout=0.05))
    result = diagnose([slow, RATE_LIMIT], [data], options=options)
    assert [f.rule_id for f in result.findings] == ["rate-limit"]
    (problem,) = result.problems
    assert problem.rule_id == "slow"
    assert "took over 0.05s" in problem.message and "'(a|aa)+$'" in problem.message


def test_phase_contexts_of_the_record_are_evidence() -> None:
    build = Build(
        build_id=BuildId("app:1"),
        phases=(
            BuildPhase("PROVISIONING", "FAILED", 30, (PhaseContext(
                "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE",
                "Unable to pull customer's container image. CannotPullContainerError: toomanyrequests: "
                "You have reached your pull rate limit",
            ),)),
            BuildPhase("DOWNLOAD_SOURCE", "SUCCEEDED", 1, (PhaseContext("", ""),)),
        ),
    )  # fmt: skip
    result = diagnose([RATE_LIMIT], None, build)
    assert result.log is None
    (finding,) = result.findings
    (evidence,) = finding.evidence
    assert evidence.source is TextSource.PHASE_CONTEXT
    assert evidence.line_number is None and evidence.phase == "PROVISIONING"
    assert evidence.text.startswith("Phase context status code: BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE Message: ")


def test_a_record_context_already_in_the_log_is_not_counted_twice() -> None:
    message = "Error while executing command: docker build .. Reason: exit status 1"
    build = Build(
        build_id=BuildId("app:1"),
        phases=(BuildPhase("BUILD", "FAILED", 5, (PhaseContext("COMMAND_EXECUTION_ERROR", message),)),),
    )
    (finding,) = diagnose([FALLBACK], [FAILED_DOCKER_BUILD], build).findings
    assert finding.count == 1
    assert finding.evidence[0].line_number == 7


def test_source_scope() -> None:
    record_only = make_rule(
        r"""
        id: record-only
        match:
          source: phase-context
          any: ['COMMAND_EXECUTION_ERROR']
        """
    )
    build = Build(build_id=BuildId("app:1"), phases=(BuildPhase("BUILD", "FAILED", 1, (PhaseContext("COMMAND_EXECUTION_ERROR", "x"),)),))
    assert diagnose([record_only], [log_bytes("COMMAND_EXECUTION_ERROR")]).findings == ()
    assert diagnose([record_only], None, build).findings[0].evidence[0].phase == "BUILD"


def test_ranking_by_priority_then_severity_then_first_line() -> None:
    def rule(rule_id: str, priority: int, severity: str, word: str):  # type: ignore[no-untyped-def]
        return make_rule(f"""
        id: {rule_id}
        priority: {priority}
        severity: {severity}
        match:
          any: ['{word}']
        """)

    rules = [
        rule("late-error", 50, "error", "beta"),
        rule("early-error", 50, "error", "alpha"),
        rule("critical", 50, "critical", "gamma"),
        rule("top", 60, "info", "delta"),
    ]
    data = log_bytes("alpha", "beta", "gamma", "delta")
    assert [f.rule_id for f in diagnose(rules, [data]).findings] == ["top", "critical", "early-error", "late-error"]
    assert [f.rule_id for f in diagnose(list(reversed(rules)), [data]).findings] == [
        "top", "critical", "early-error", "late-error"
    ]  # fmt: skip


def test_finding_ids_are_deterministic() -> None:
    first = diagnose([RATE_LIMIT], [FAILED_DOCKER_BUILD]).findings[0].finding_id
    again = diagnose([RATE_LIMIT], [FAILED_DOCKER_BUILD]).findings[0].finding_id
    assert first == again and regex.fullmatch(r"[0-9a-f]{16}", first)


def test_severity_order_and_parse() -> None:
    assert Severity.INFO < Severity.WARNING < Severity.ERROR < Severity.CRITICAL
    assert Severity.parse(" Error ") is Severity.ERROR
    try:
        Severity.parse("fatal")
    except ValueError as exc:
        assert str(exc) == "unknown severity 'fatal' (expected one of: info, warning, error, critical)"
    else:  # pragma: no cover
        raise AssertionError("no error")


def test_engine_imports_neither_boto3_nor_jinja2() -> None:
    import subprocess
    import sys

    code = (
        "import sys, analyzer.engine, analyzer.engine.matcher, analyzer.engine.lines, analyzer.engine.ranking;"
        "print(sorted(m for m in ('boto3', 'botocore', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_capture_named_region_is_not_overwritten_by_the_build() -> None:
    rule = make_rule(
        r"""
        id: regional
        match:
          any: ['bucket in (?P<region>[a-z]{2}-[a-z]+-\d)']
        summary: "{{ region }}/{{ account | default('no account') }}"
        """
    )
    build = Build(build_id=BuildId("app:1"), arn="arn:aws:codebuild:us-east-1:123456789012:build/app:1")
    (with_build,) = diagnose([rule], [log_bytes("bucket in eu-west-3")], build).findings
    (without,) = diagnose([rule], [log_bytes("bucket in eu-west-3")]).findings
    assert with_build.summary == "eu-west-3/123456789012"
    assert without.summary == "eu-west-3/no account"
