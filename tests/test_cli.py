"""The command line: exact exit codes, stdout/stderr shape, --output, --fail-on, colour."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli import build_parser, main
from tests.helpers import REPO

DOCKER_LOG = REPO / "fixtures/builds/01-docker-hub-rate-limit/log.txt"
SSM_BUILD = REPO / "fixtures/builds/02-ssm-parameter-denied"


class Run:
    """The result of one in-process CLI run."""

    def __init__(self, argv: list[str], stdin: bytes | None = None, tty: bool = False) -> None:
        out = _TtyIO() if tty else io.StringIO()
        err = io.StringIO()
        saved = sys.stdin
        if stdin is not None:
            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
        try:
            self.code = main(argv, stdout=out, stderr=err)
        finally:
            sys.stdin = saved
        self.out = out.getvalue()
        self.err = err.getvalue()


class _TtyIO(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_diagnose_log_file_text_report() -> None:
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG)])
    assert run.code == 1
    assert run.err == ""
    lines = run.out.splitlines()
    assert lines[0] == f"Log: {DOCKER_LOG} (51 lines)"
    assert lines[2] == "ROOT CAUSE: Docker Hub pull rate limit reached  [ERROR] (docker-hub-rate-limit in BUILD, 2 times)"
    # A pipe gets the stable width (100): a long evidence line is cut around its match.
    assert "\n    44 > …sage: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www…\n" in run.out
    assert "public.ecr.aws/docker/library/node:20-alpine" in run.out
    assert "ALSO FOUND #1: A buildspec command exited with a non-zero status" in run.out
    assert "\x1b[" not in run.out  # not a TTY: no colour
    wide = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--wide"]).out
    assert "\n    44 > ERROR: failed to solve: node:20-alpine: failed to resolve source metadata" in wide


def test_diagnose_json_report_has_line_numbers_and_captures() -> None:
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--format", "json"])
    assert run.code == 1
    report = json.loads(run.out)
    assert report["root_cause"] == "docker-hub-rate-limit"
    assert report["log"] == {"source": str(DOCKER_LOG), "lines": 51, "bytes": DOCKER_LOG.stat().st_size, "failed_phase": "BUILD"}
    first, second = report["findings"]
    assert first["line_numbers"] == [34, 44]  # the token request and the manifest request
    assert first["captures"]["image"] == "docker.io/library/node:20-alpine"
    assert second["rule_id"] == "command-execution-error"
    assert second["captures"] == {
        "command": "docker build -t storefront-api:$CODEBUILD_RESOLVED_SOURCE_VERSION .",
        "exit_status": "1",
    }
    assert second["line_numbers"] == [48]


def test_diagnose_with_a_build_record(tmp_path: Path) -> None:
    record = json.loads((SSM_BUILD / "build.json").read_text())
    record.update(id="payments-worker:7d3f9a52-1c4b-4e8a-9b6d-2f0e1a3c5b7d",
                  arn="arn:aws:codebuild:us-east-1:123456789012:build/payments-worker:7d3f9a52-1c4b-4e8a-9b6d-2f0e1a3c5b7d")  # fmt: skip
    record_file = tmp_path / "record.json"
    record_file.write_text(json.dumps({"builds": [record], "buildsNotFound": []}))
    run = Run(["diagnose", "--log-file", str(SSM_BUILD / "log.txt"), "--build-record", str(record_file), "--format", "json"])
    assert run.code == 1
    report = json.loads(run.out)
    assert report["build"]["failed_phase"] == "DOWNLOAD_SOURCE"
    assert report["build"]["region"] == "us-east-1" and report["build"]["account"] == "123456789012"
    finding = report["findings"][0]
    assert finding["rule_id"] == "ssm-parameter-access-denied"
    assert finding["severity"] == "critical"
    assert finding["line_numbers"] == [10]  # the log line, not the record copy of it
    assert finding["count"] == 1
    assert '"Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/payments/dockerhub-token"' in finding["remediation"]
    assert "arn:aws:iam::123456789012:role/service-role/codebuild-payments-worker-service-role" in finding["remediation"]
    assert "--role-name codebuild-payments-worker-service-role" in finding["remediation"]


def test_stdin_and_gzip() -> None:
    data = DOCKER_LOG.read_bytes()
    plain = Run(["diagnose", "--log-file", "-", "--format", "json"], stdin=data)
    zipped = Run(["diagnose", "--log-file", "-", "--format", "json"], stdin=gzip.compress(data))
    assert plain.code == zipped.code == 1
    assert json.loads(plain.out)["log"]["source"] == "stdin"
    assert json.loads(plain.out)["findings"] == json.loads(zipped.out)["findings"]


def test_gz_file(tmp_path: Path) -> None:
    path = tmp_path / "build.log.gz"
    path.write_bytes(gzip.compress(DOCKER_LOG.read_bytes()))
    run = Run(["diagnose", "--log-file", str(path), "--format", "json"])
    assert json.loads(run.out)["findings"][0]["line_numbers"] == [34, 44]


@pytest.mark.parametrize(("fail_on", "code"), [("warning", 1), ("error", 1), ("critical", 0)])
def test_fail_on(fail_on: str, code: int) -> None:
    assert Run(["diagnose", "--log-file", str(DOCKER_LOG), "--fail-on", fail_on]).code == code


def test_no_finding_exits_0(tmp_path: Path) -> None:
    log = tmp_path / "ok.log"
    log.write_text("[Container] 2025/03/08 23:03:46.050806 Phase complete: BUILD State: SUCCEEDED\n")
    run = Run(["diagnose", "--log-file", str(log)])
    assert run.code == 0
    assert "Nothing failed: the build succeeded." in run.out  # its one phase succeeded
    log.write_text("compiling\nlinking\n")
    run = Run(["diagnose", "--log-file", str(log)])
    assert run.code == 0
    assert "No known failure matched." in run.out  # a log that does not say whether it passed


def test_an_unknown_failure_still_gets_line_numbered_evidence(tmp_path: Path) -> None:
    log = tmp_path / "unknown.log"
    log.write_text("compiling\nfrobnicator: fatal: the widget is inside out\nsome output\ndone\n")
    run = Run(["diagnose", "--log-file", str(log), "--format", "json"])
    assert run.code == 1  # the located failure is an error
    report = json.loads(run.out)
    (located,) = report["findings"]
    assert (located["rule_id"], located["role"], located["line_numbers"]) == ("unrecognised-failure", "cause", [2])
    assert report["tail"] == []  # the located block is shown instead
    text = Run(["diagnose", "--log-file", str(log)]).out
    assert "ROOT CAUSE: Unrecognised failure" in text
    assert "    2 > frobnicator: fatal: the widget is inside out" in text


def test_output_file_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--format", "json", "--output", str(target)])
    assert run.code == 1
    assert run.out == ""
    assert run.err == f"codebuild-doctor: root cause: docker-hub-rate-limit; report written to {target}\n"
    assert json.loads(target.read_text())["root_cause"] == "docker-hub-rate-limit"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_a_refused_write_exits_4_and_leaves_the_target_as_it_was(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import errno

    target = tmp_path / "report.txt"
    target.write_text("the old report\n")

    def refuse(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--output", str(target)])
    assert run.code == 4
    assert run.err == f"codebuild-doctor: error: --output: cannot write {target}: No space left on device; nothing was written\n"
    assert target.read_text() == "the old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # the temporary file is gone


def test_output_into_a_missing_directory(tmp_path: Path) -> None:
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--output", str(tmp_path / "nope" / "r.txt")])
    assert run.code == 2
    assert run.err == f"codebuild-doctor: error: --output: directory does not exist: {tmp_path / 'nope'}\n"


def test_a_failed_source_leaves_an_existing_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous report")
    run = Run(["diagnose", "--log-file", str(tmp_path / "missing.log"), "--output", str(target)])
    assert run.code == 3
    assert run.err == f"codebuild-doctor: error: log file not found: {tmp_path / 'missing.log'}\n"
    assert target.read_text() == "previous report"


def test_colour_only_on_a_tty_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[1m" in Run(["diagnose", "--log-file", str(DOCKER_LOG)], tty=True).out
    assert "\x1b[" not in Run(["diagnose", "--log-file", str(DOCKER_LOG), "--no-color"], tty=True).out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in Run(["diagnose", "--log-file", str(DOCKER_LOG)], tty=True).out


def test_log_text_cannot_drive_the_terminal(tmp_path: Path) -> None:
    log = tmp_path / "evil.log"
    log.write_bytes(b"toomanyrequests: You have reached your pull rate limit \x1b]0;pwned\x07 \x1b[2J\x07bell\n")
    run = Run(["diagnose", "--log-file", str(log)])
    assert "\x1b" not in run.out and "\x07" not in run.out


def test_secrets_are_redacted_unless_asked(tmp_path: Path) -> None:
    log = tmp_path / "secret.log"
    log.write_text(
        "+ docker login -u ci -p hunter2hunter2 registry.example.com\n"
        "toomanyrequests: You have reached your pull rate limit AKIAIOSFODNN7EXAMPLE\n"
    )
    redacted = Run(["diagnose", "--log-file", str(log), "--format", "json"]).out
    assert "AKIAIOSFODNN7EXAMPLE" not in redacted and "hunter2hunter2" not in redacted
    assert "[REDACTED:aws-access-key-id]" in redacted and "[REDACTED:password]" in redacted
    shown = Run(["diagnose", "--log-file", str(log), "--format", "json", "--no-redact"]).out
    assert "AKIAIOSFODNN7EXAMPLE" in shown


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    run = Run(["diagnose"])
    assert run.code == 2
    assert run.err == "codebuild-doctor: error: diagnose needs --build-id, --log-file or --build-record (see --help)\n"
    with pytest.raises(SystemExit) as exc:
        main(["diagnose", "--log-file", "x", "--fail-on", "fatal"])
    assert exc.value.code == 2
    assert "unknown severity 'fatal' (expected one of: info, warning, error, critical)" in capsys.readouterr().err


def test_build_id_and_a_log_file_need_the_record_file() -> None:
    run = Run(["diagnose", "--build-id", "app:0f6c1a2b-1111", "--log-file", "x.log"])
    assert run.code == 2
    assert run.err == (
        "codebuild-doctor: error: --build-id fetches the build's log from AWS: give --log-file with "
        "--build-record instead (--build-id then picks the build in that file)\n"
    )


def test_diagnose_from_the_build_record_alone() -> None:
    """A build that failed in PROVISIONING has no log: its record is enough."""
    record = REPO / "fixtures/builds/03-image-pull-rate-limit-no-log/build.json"
    run = Run(["diagnose", "--build-record", str(record), "--format", "json"])
    assert run.code == 1, run.err
    report = json.loads(run.out)
    assert report["log"] is None
    assert report["build"]["failed_phase"] == "PROVISIONING"
    assert report["findings"][0]["evidence"][0]["source"] == "phase-context"
    assert report["notes"] == ["no log given: diagnosed from the build record only"]
    text = Run(["diagnose", "--build-record", str(record)]).out
    assert text.splitlines()[0] == "Build (no build id in the record)  FAILED"  # a saved record without 'id'
    assert "note: no log given: diagnosed from the build record only" in text


def test_an_empty_log_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "build.log"
    empty.write_bytes(b"")
    run = Run(["diagnose", "--log-file", str(empty)])
    assert run.code == 0
    assert run.err == f"codebuild-doctor: warning: {empty}: the log is empty\n"
    assert "note: the log is empty" in run.out
    assert json.loads(Run(["diagnose", "--log-file", str(empty), "--format", "json"]).out)["notes"] == ["the log is empty"]


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    binary = tmp_path / "build.log"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    run = Run(["diagnose", "--log-file", str(binary)])
    assert run.code == 2
    assert run.out == ""
    assert run.err == (
        f"codebuild-doctor: error: {binary}: a binary file, not a build log (a NUL byte at offset 7); "
        "give the build's text log, plain or gzip\n"
    )
    packed = tmp_path / "build.log.gz"
    packed.write_bytes(gzip.compress(b"fine\n\x00\x00"))  # gzip is undone first: its content decides
    assert "a NUL byte at offset 5" in Run(["diagnose", "--log-file", str(packed)]).err


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_log_is_read_as_text(tmp_path: Path, codec: str) -> None:
    """Windows PowerShell 5.1's ``>`` writes UTF-16 (with a byte order mark); without one it is
    known by a NUL beside every ASCII character. It is diagnosed as its UTF-8 twin, not refused."""
    text = "\n".join([
        "[Container] 2024/01/01 10:00:00.123456 Running command docker pull node:20 ✓",
        "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating",
        "[Container] 2024/01/01 10:00:01.123456 Command did not exit successfully docker pull node:20 exit status 1",
        "[Container] 2024/01/01 10:00:01.123456 Phase complete: PRE_BUILD State: FAILED",
    ]) + "\n"  # fmt: skip
    plain, wide = tmp_path / "plain.log", tmp_path / "wide.log"
    plain.write_text(text, encoding="utf-8")
    wide.write_bytes(text.encode(codec))
    report = json.loads(Run(["diagnose", "--log-file", str(wide), "--format", "json"]).out)
    twin = json.loads(Run(["diagnose", "--log-file", str(plain), "--format", "json"]).out)
    assert report["root_cause"] == "docker-hub-rate-limit"
    assert report["findings"] == twin["findings"]


def test_invalid_build_id_exits_2_before_any_aws_call() -> None:
    run = Run(["diagnose", "--build-id", "not a build id", "--region", "us-east-1"])
    assert run.code == 2
    assert run.err.startswith("codebuild-doctor: error: invalid build id 'not a build id': expected <project>:<uuid>")


def test_bad_rules_dir_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: bad\ntitle: a bad rule\nseverity: fatal\n")
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--rules-dir", str(tmp_path)])
    assert run.code == 2
    assert run.err.startswith(f"codebuild-doctor: error: {tmp_path / 'bad.yaml'}:")
    assert "(rule bad): invalid rule:" in run.err


def test_team_rule_replaces_shipped_rule(tmp_path: Path) -> None:
    (tmp_path / "docker-hub-rate-limit.yaml").write_text(
        "id: docker-hub-rate-limit\ntitle: Our own rate limit rule\nseverity: warning\ncategory: docker\n"
        "priority: 99\nmatch:\n  any: ['toomanyrequests']\nsummary: use our mirror\nremediation: pull from mirror.example.com\n"
    )
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--rules-dir", str(tmp_path), "--format", "json"])
    finding = json.loads(run.out)["findings"][0]
    assert (finding["title"], finding["remediation"]) == ("Our own rate limit rule", "pull from mirror.example.com")


def test_rules_list() -> None:
    run = Run(["rules", "list", "--format", "json"])
    assert run.code == 0
    ids = {r["id"] for r in json.loads(run.out)}
    assert {"docker-hub-rate-limit", "ssm-parameter-access-denied", "command-execution-error"} <= ids


def test_module_entry_point_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "analyzer", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "codebuild-doctor 0.1.0"


def test_diagnose_log_file_does_not_import_boto3() -> None:
    code = (
        "import sys, io; from analyzer.cli import main;"
        f"main(['diagnose', '--log-file', {str(DOCKER_LOG)!r}], stdout=io.StringIO());"
        "print('boto3' in sys.modules, 'botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ})
    assert out.stdout.strip() == "False False"


def test_format_choices_are_the_output_formats() -> None:
    from analyzer.report import Format

    diagnose = next(a for a in build_parser()._subparsers._group_actions[0].choices["diagnose"]._actions if a.dest == "format")  # type: ignore[union-attr]
    assert diagnose.choices == [f.value for f in Format]


def test_markdown_and_html_formats_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--format", "html", "--output", str(out)])
    assert run.code == 1 and run.out == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    markdown = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--format", "markdown"]).out
    assert markdown.startswith("### codebuild-doctor: Docker Hub pull rate limit reached\n")


TERRAFORM_LOG = """\
[Container] 2025/03/08 23:03:46.790021 Entering phase BUILD
[Container] 2025/03/08 23:03:46.910210 Running command terraform apply -auto-approve
aws_s3_bucket.assets: Creating...
\u2502 Error: creating S3 Bucket (acme-shop-assets): BucketAlreadyExists
\u2502
[Container] 2025/03/08 23:03:50.000001 Command did not exit successfully terraform apply -auto-approve exit status 1
[Container] 2025/03/08 23:03:50.000002 Phase complete: BUILD State: FAILED
[Container] 2025/03/08 23:03:50.000003 Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: terraform apply -auto-approve. Reason: exit status 1
"""


def test_when_only_the_fallback_matches_the_tools_own_error_is_shown(tmp_path: Path) -> None:
    log = tmp_path / "terraform.log"
    log.write_text(TERRAFORM_LOG, encoding="utf-8")
    report = json.loads(Run(["diagnose", "--log-file", str(log), "--format", "json"]).out)
    # The generic rule only reports the failure (a wrapper); terraform's own error, located, is the cause.
    assert [(f["rule_id"], f["role"]) for f in report["findings"]] == [
        ("unrecognised-failure", "cause"),
        ("command-execution-error", "wrapper"),
    ]
    assert report["findings"][0]["line_numbers"] == [4]
    assert report["findings"][0]["evidence"][0]["text"] == "\u2502 Error: creating S3 Bucket (acme-shop-assets): BucketAlreadyExists"
    text = Run(["diagnose", "--log-file", str(log)]).out
    assert text.index("ROOT CAUSE: Unrecognised failure of a build command") < text.index("command-execution-error")
    assert "    4 > \u2502 Error: creating S3 Bucket (acme-shop-assets): BucketAlreadyExists" in text


RECOVERED_LOG = """\
[Container] 2025/03/08 23:03:46.790021 Entering phase PRE_BUILD
[Container] 2025/03/08 23:03:46.910210 Running command ./pull-with-retry.sh node:20
toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit
retrying in 30s
20: Pulling from library/node
Status: Downloaded newer image for node:20
[Container] 2025/03/08 23:04:20.000002 Phase complete: PRE_BUILD State: SUCCEEDED
[Container] 2025/03/08 23:04:20.000003 Phase context status code:  Message: 
"""


def test_a_match_only_in_phases_that_succeeded_is_info_and_does_not_fail(tmp_path: Path) -> None:
    log = tmp_path / "recovered.log"
    log.write_text(RECOVERED_LOG, encoding="utf-8")
    run = Run(["diagnose", "--log-file", str(log), "--format", "json"])
    assert run.code == 0  # --fail-on warning: an info finding does not fail
    report = json.loads(run.out)
    (finding,) = report["findings"]
    assert (finding["rule_id"], finding["severity"]) == ("docker-hub-rate-limit", "info")
    assert report["notes"] == [
        "the build succeeded: findings, if any, did not fail it",  # every phase of the log did
        "docker-hub-rate-limit matched only in phases that succeeded (PRE_BUILD): "
        "it did not fail the build, so it is reported as info"
    ]
    assert Run(["diagnose", "--log-file", str(log), "--fail-on", "info"]).code == 1


def test_output_gets_the_umask_mode_and_follows_a_symlink(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.txt"
        Run(["diagnose", "--log-file", str(DOCKER_LOG), "--output", str(fresh)])
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        kept.chmod(0o640)
        Run(["diagnose", "--log-file", str(DOCKER_LOG), "--output", str(kept)])
        assert kept.stat().st_mode & 0o777 == 0o640 and "ROOT CAUSE" in kept.read_text()
        link = tmp_path / "link.txt"
        link.symlink_to(fresh)
        Run(["diagnose", "--log-file", str(DOCKER_LOG), "--format", "json", "--output", str(link)])
        assert link.is_symlink() and json.loads(fresh.read_text())["root_cause"] == "docker-hub-rate-limit"
    finally:
        os.umask(old)


def test_output_dash_is_stdout_and_a_directory_is_refused(tmp_path: Path) -> None:
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--format", "json", "--output", "-"])
    assert json.loads(run.out)["root_cause"] == "docker-hub-rate-limit"
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--output", str(tmp_path)])
    assert (run.code, run.err) == (2, f"codebuild-doctor: error: --output: {tmp_path} is a directory\n")


def _parsers(parser, path=()):  # type: ignore[no-untyped-def]
    """Every (command path, parser) of the CLI, the top level first."""
    import argparse

    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_every_command_has_a_description_and_its_help_fits_80_columns(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "80")
    seen = []
    for path, parser in _parsers(build_parser()):
        seen.append(" ".join(path))
        text = parser.format_help()
        assert parser.description, f"{' '.join(path) or 'codebuild-doctor'} has no description"
        assert " ".join(parser.description.split()) in " ".join(text.split())  # shown, wrapped
        wide = [line for line in text.splitlines() if len(line) > 80 and len(line.split()) > 1]
        assert wide == [], f"codebuild-doctor {' '.join(path)} --help"
    assert {"diagnose", "scan", "demo", "rules", "rules list", "rules show", "rules lint", "rules test", "rules docs", "rules draft"} <= set(seen)


BASELINE_OK = """\
[Container] 2025/03/08 23:03:46.790021 Entering phase BUILD
[Container] 2025/03/08 23:03:46.910210 Running command ./build.sh
error: the legacy config key 'cache_dir' is deprecated (seen 12 times)
compiling 120 files
[Container] 2025/03/08 23:03:50.000002 Phase complete: BUILD State: SUCCEEDED
"""

BASELINE_FAILED = """\
[Container] 2025/03/09 10:00:00.790021 Entering phase BUILD
[Container] 2025/03/09 10:00:00.910210 Running command ./build.sh
error: the legacy config key 'cache_dir' is deprecated (seen 14 times)
compiling 121 files
linker: cannot open output file dist/app: Permission denied
[Container] 2025/03/09 10:00:05.000001 Command did not exit successfully ./build.sh exit status 1
[Container] 2025/03/09 10:00:05.000002 Phase complete: BUILD State: FAILED
"""


def test_a_baseline_log_keeps_the_locator_off_lines_a_passing_build_printed_too(tmp_path: Path) -> None:
    ok, failed = tmp_path / "ok.log", tmp_path / "failed.log"
    ok.write_text(BASELINE_OK, encoding="utf-8")
    failed.write_text(BASELINE_FAILED, encoding="utf-8")
    alone = json.loads(Run(["diagnose", "--log-file", str(failed), "--format", "json"]).out)["findings"][0]
    assert (alone["rule_id"], alone["line_numbers"]) == ("unrecognised-failure", [3])  # the deprecation 'error'
    run = Run(["diagnose", "--log-file", str(failed), "--baseline-log", str(ok), "--format", "json"])
    located = json.loads(run.out)["findings"][0]
    assert (located["rule_id"], located["line_numbers"]) == ("unrecognised-failure", [5])
    assert "with the log of a build that succeeded as a baseline" in located["summary"]
    missing = Run(["diagnose", "--log-file", str(failed), "--baseline-log", str(tmp_path / "nope.log")])
    assert missing.code == 3 and "nope.log" in missing.err  # as a missing --log-file


def test_output_to_a_fifo_writes_into_it_and_leaves_it_a_fifo(tmp_path: Path) -> None:
    import os
    import stat
    import threading

    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    run = Run(["diagnose", "--log-file", str(DOCKER_LOG), "--format", "json", "--output", str(fifo)])
    reader.join(timeout=30)
    assert run.code == 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # not replaced by a regular file
    assert json.loads(received[0])["root_cause"] == "docker-hub-rate-limit"


def test_a_log_of_a_build_that_passed_says_so_and_lists_no_error_looking_lines(tmp_path: Path) -> None:
    ok = tmp_path / "ok.log"
    ok.write_text(BASELINE_OK, encoding="utf-8")
    run = Run(["diagnose", "--log-file", str(ok)])
    assert run.code == 0
    assert "Last error-looking lines" not in run.out and "No known failure matched" not in run.out
    assert "Nothing failed: the build succeeded." in run.out
