"""Logs saved by pasting: the prefix a paste puts on every line is taken off before matching.

Reports of CodeBuild failures in GitHub issues show the log as a table copied from the CodeBuild
console, which GitHub renders ``N | line`` under a ``--`` rule (awslabs/aws-deployment-framework#471,
prowler-cloud/prowler#804, aws/aws-codebuild-docker-images#385); CodeBuild's local agent runs
under docker compose, which puts ``agent_1  | `` before each line
(aws/aws-codebuild-docker-images#102). The rows below are in those reports' layouts.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from analyzer.cli import main
from analyzer.engine.lines import PASTED_ROW_PREFIX, pasted_shape, strip_pasted


def _diagnose(path: Path) -> dict:  # type: ignore[type-arg]
    out = io.StringIO()
    main(["diagnose", "--log-file", str(path), "--format", "json"], stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


# https://github.com/awslabs/aws-deployment-framework/issues/471 (its layout; the first row is
# the rendered table's header, so it has no number).
CONSOLE_ROWS = [
    "[Container] 2022/05/09 09:36:05 Running command grep -Fq \"Congratulations\" index.html",
    "--",
    "46 |  ",
    "47 | [Container] 2022/05/09 09:36:05 Command did not exit successfully grep -Fq \"Congratulations\" index.html exit status 1",
    "48 | [Container] 2022/05/09 09:36:05 Phase complete: BUILD State: FAILED",
    "49 | [Container] 2022/05/09 09:36:05 Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: grep -Fq \"Congratulations\" index.html. Reason: exit status 1",
]  # fmt: skip

# https://github.com/aws/aws-codebuild-docker-images/issues/102 (a local build, its layout).
COMPOSE_ROWS = [
    "agent_1  | [Container] 2018/07/29 23:51:23 Entering phase INSTALL",
    "agent_1  | [Container] 2018/07/29 23:51:23 Running command juawefhkejfhekj",
    "agent_1  | /codebuild/output/tmp/script.sh: 4: /codebuild/output/tmp/script.sh: juawefhkejfhekj: not found",
    "agent_1  |",
    "agent_1  | [Container] 2018/07/29 23:51:23 Command did not exit successfully juawefhkejfhekj exit status 127",
    "agent_1  | [Container] 2018/07/29 23:51:23 Phase complete: INSTALL Success: false",
    "agent_1  | [Container] 2018/07/29 23:51:23 Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: juawefhkejfhekj. Reason: exit status 127",
]  # fmt: skip


def test_a_console_table_pasted_into_an_issue_is_read_as_the_log(tmp_path: Path) -> None:
    path = tmp_path / "pasted.log"
    path.write_text("\n".join(CONSOLE_ROWS) + "\n", encoding="utf-8")
    report = _diagnose(path)
    root = report["findings"][0]
    assert (root["rule_id"], root["phase"]) == ("command-execution-error", "BUILD")
    assert report["log"]["failed_phase"] == "BUILD"
    # Line numbers are the file's; the evidence is the line without its row number.
    assert [(e["line_number"], e["text"][:36]) for e in root["evidence"]] == [(6, "[Container] 2022/05/09 09:36:05 Phas")]
    assert report["notes"][0].startswith("the log is a table pasted from the CodeBuild console ('N | ' before each line)")


def test_docker_compose_output_of_a_local_build_is_read_as_the_log(tmp_path: Path) -> None:
    path = tmp_path / "local.log"
    path.write_text("\n".join(COMPOSE_ROWS) + "\n", encoding="utf-8")
    report = _diagnose(path)
    root = report["findings"][0]
    assert (root["rule_id"], root["phase"], root["line_numbers"]) == ("command-not-found", "INSTALL", [3, 7])
    assert root["captures"]["command"] == "juawefhkejfhekj"
    assert "docker compose output ('agent_1 | ' before each line)" in report["notes"][0]


def test_a_compiler_frame_or_a_table_inside_a_log_is_not_a_paste() -> None:
    rust = b"\n".join([
        b"   Compiling demo v0.1.0 (/codebuild/output/src1/src)",
        b"error[E0308]: mismatched types",
        b" --> src/main.rs:2:18",
        b"  |",
        b"2 |     let x: i32 = \"a\";",
        b"  |                  ^^^ expected `i32`, found `&str`",
        b"error: could not compile `demo` due to previous error",
    ])  # fmt: skip
    coverage = b"\n".join([
        b"> jest --coverage",
        b"File      | % Stmts | % Branch | % Funcs | % Lines |",
        b"----------|---------|----------|---------|---------|",
        b"All files |   85.71 |      100 |      50 |   85.71 |",
        b" index.js |   85.71 |      100 |      50 |   85.71 |",
        b"Tests: 1 failed, 3 passed, 4 total",
        b"npm ERR! Test failed.  See above for more details.",
    ])  # fmt: skip
    # Numbered rows that do not rise are no console copy; neither is one number alone.
    falling = b"3 | [Container] c\n2 | [Container] b\n1 | [Container] a\n"
    single = b"build output\n12 | one row\nmore output\n"
    # cargo's multi-line frame: rising, consecutive numbers, but no agent line in them.
    frames = b"error[E0308]: `if` and `else` have incompatible types\n12 | /   if x {\n13 | |       1\n14 | |   } else {\n15 | |       \"a\"\n16 | |   }\n"
    # CDK's deploy events (`Stack | 0/12 | time | status | ...`), and a build that runs
    # `docker compose up`: the agent writes its own lines outside the services' prefixes.
    cdk = b"\n".join([b"ApiStack | 0/12 | 10:01:02 AM | CREATE_IN_PROGRESS | AWS::CloudFormation::Stack | ApiStack"] * 6)
    compose_in_build = b"\n".join([
        b"[Container] 2024/01/01 10:00:00.100000 Running command docker compose up --abort-on-container-exit",
        b"db-1   | [Container] is not printed by a service, but this name looks like one",
        b"db-1   | database system is ready to accept connections",
        b"web-1  | listening on :8080",
        b"web-1  | [Container] 2024/01/01 10:00:01.000000 a service echoing agent-like text",
    ])  # fmt: skip
    shapes = [pasted_shape(head) for head in (rust, coverage, falling, single, frames, cdk, compose_in_build)]
    assert shapes == [None] * 7


def test_stripping_keeps_every_line_and_its_number() -> None:
    chunks = [b"[Container] head\n--\n46 |  \n47 | [Cont", b"ainer] x\n48\n49 | last"]
    stripped = b"".join(strip_pasted(chunks, PASTED_ROW_PREFIX))
    assert stripped == b"[Container] head\n--\n \n[Container] x\n\nlast\n"


def test_agent_rows_amid_a_reporters_prose_are_a_paste(tmp_path: Path) -> None:
    """aws-samples/aws-saas-factory-ref-solution-serverless-saas#3: the reporter's own lines, then
    the console's rows (the last one empty, its number alone), then the console's phase details:
    fewer than half the lines are rows, but the rows are CodeBuild's own lines."""
    path = tmp_path / "issue.log"
    path.write_text("\n".join([
        "Error in the action's execution",
        "Build terminated with state: FAILED",
        "",
        "[Container] 2021/05/29 17:57:06 Waiting for agent ping",
        "2 | [Container] 2021/05/29 17:57:09 Waiting for DOWNLOAD_SOURCE",
        "3 | [Container] 2021/05/29 17:57:10 Phase is DOWNLOAD_SOURCE",
        "4 | [Container] 2021/05/29 17:57:10 CODEBUILD_SRC_DIR=/codebuild/output/src568487777/src",
        "5 | [Container] 2021/05/29 17:57:10 Phase complete: DOWNLOAD_SOURCE State: FAILED",
        "6 | [Container] 2021/05/29 17:57:10 Phase context status code: YAML_FILE_ERROR Message: stat /codebuild/output/src568487777/src/server/tenant-buildspec.yml: no such file or directory",
        "7",
        "",
        "Phase details:",
        "",
        "DOWNLOAD_SOURCE | Error | YAML_FILE_ERROR: stat /codebuild/output/src568487777/src/server/tenant-buildspec.yml: no such file or directory",
        "-- | -- | --",
        "",
        "Thanks for your attention",
    ]) + "\n", encoding="utf-8")  # fmt: skip
    report = _diagnose(path)
    root = report["findings"][0]
    assert (root["rule_id"], root["phase"], root["line_numbers"][0]) == ("buildspec-not-found", "DOWNLOAD_SOURCE", 9)
    assert report["log"]["failed_phase"] == "DOWNLOAD_SOURCE"


def test_the_consoles_phase_details_quoted_alone_name_the_command(tmp_path: Path) -> None:
    """getcft/aws-serverless-code-pipeline-cf-template#6 quotes only the console's phase details:
    the command and its status are named (as the agent's phase context line would), the report
    does not say the log names no command, and the line is not repeated as an 'error-looking' tail."""
    path = tmp_path / "details.log"
    path.write_text(
        "COMMAND_EXECUTION_ERROR: Error while executing command: serverless deploy --stage prod -v. Reason: exit status 1\n",
        encoding="utf-8",
    )
    report = _diagnose(path)
    assert [(f["rule_id"], f["role"], f["captures"]) for f in report["findings"]] == [
        ("command-execution-error", "wrapper", {"command": "serverless deploy --stage prod -v", "exit_status": "1"})
    ]
    assert report["tail"] == []


def test_a_pasted_row_keeps_githubs_escaped_pipes_and_crlf_rows_are_emptied() -> None:
    chunks = [b"[Container] head\n--\n4 | [Container] x\n5 | echo a \\| docker login\r\n6\r\n7 | end\r\n"]
    assert b"".join(strip_pasted(chunks, PASTED_ROW_PREFIX)) == (
        b"[Container] head\n--\n[Container] x\necho a | docker login\r\n\nend\r\n"
    )


def test_a_long_line_under_a_pasted_prefix_is_cut_like_any_other(tmp_path: Path) -> None:
    """Stripping runs on the bounded reader's lines: a 3 MiB pasted line is cut at 1 MiB, not held whole."""
    path = tmp_path / "long.log"
    head = "".join(f"agent_1  | [Container] 2024/01/01 10:00:0{i}.000000 Running command step{i}\n" for i in range(3))
    path.write_text(head + "agent_1  | " + "x" * (3 << 20) + "\n", encoding="utf-8")
    report = _diagnose(path)
    assert report["log"]["lines"] == 4
    assert any("longer than 1024 KiB" in note for note in report["notes"])
