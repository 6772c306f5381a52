"""The ``codebuild-doctor`` command line.

``main(argv)`` builds the objects, calls the pipeline and is the only place
that maps errors to exit statuses (see :class:`analyzer.errors.ExitStatus`).
Reports go to stdout or ``--output``; messages go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from analyzer._version import __version__
from analyzer.errors import AnalyzerError, ConfigError, ExitStatus
from analyzer.models import Diagnosis, ScanReport, Severity
from analyzer.report.present import to_file

PROG = "codebuild-doctor"

EXIT_CODES_HELP = """\
exit codes:
  0  no finding at or above --fail-on
  1  at least one finding at or above --fail-on
  2  usage error, bad rule file or bad configuration
  3  AWS or source error (build not found, access denied, unreadable log)
  4  the report could not be written (permission denied, disk full): nothing was written
"""


RULES_EXIT_CODES_HELP = """\
exit codes of 'rules lint', 'rules test' and 'rules docs --check':
  0  clean: no problem, every case passed, the catalogue is up to date
  1  problems found, a case failed, or the catalogue is out of date
  2  usage error, unknown rule id or bad rule file
"""

DOCS_COMMAND = "codebuild-doctor rules docs --output docs/rules.md"


def _add_fixtures_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fixtures",
        type=Path,
        metavar="DIR",
        help="the fixture folders (<DIR>/<rule-id>/positive-*.log ...); default: fixtures/logs of a "
        "checkout for the shipped pack, <rules-dir>/../fixtures for a team's rules",
    )


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def _add_aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "AWS options", "as in the AWS CLI; unset options come from the standard chain and AWS_* variables"
    )
    group.add_argument("--profile", help="named profile from ~/.aws/config (default: AWS_PROFILE)")
    group.add_argument("--region", help="AWS Region (default: AWS_REGION or the profile's region)")
    group.add_argument(
        "--endpoint-url", metavar="URL", help="send every AWS call to this endpoint (e.g. a local moto server)"
    )


def _add_rules_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules-dir",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="also load the rules in DIR (repeatable); a rule with a shipped rule's id replaces it",
    )
    parser.add_argument(
        "--no-default-rules", action="store_true", help="do not load the shipped rule pack"
    )


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and epilogs (examples, exit codes), but wraps long lines.

    A prose line wraps at the width; an indented one (``  0  meaning``, ``  codebuild-doctor ...``)
    wraps under its second column. Words are never broken.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import re
        import textwrap

        out = []
        for line in text.splitlines():
            if len(indent + line) <= width or not line.strip():
                out.append(indent + line)
                continue
            column = re.match(r"^(\s+\S+\s+)", line)
            hanging = " " * len(column.group(1)) if column and line[:1] == " " else ""
            out.extend(textwrap.wrap(line, width, initial_indent=indent, subsequent_indent=indent + hanging,
                                     break_long_words=False, break_on_hyphens=False))  # fmt: skip
        return "\n".join(out)


def _command(commands: argparse._SubParsersAction, name: str, help: str, **kwargs) -> argparse.ArgumentParser:  # type: ignore[type-arg,no-untyped-def]
    """A sub-command whose ``--help`` opens with a description (its one-line help unless given)."""
    kwargs.setdefault("description", help[0].upper() + help[1:] + ".")
    kwargs.setdefault("formatter_class", _HelpFormatter)
    return commands.add_parser(name, help=help, **kwargs)  # type: ignore[no-any-return]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tells you why an AWS CodeBuild build failed and exactly how to fix it.",
        epilog=EXIT_CODES_HELP,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    diagnose = _command(
        commands, "diagnose",
        help="diagnose one failed build (from AWS, a log file or stdin)",
        description=(
            "Diagnose one failed build: its record (BatchGetBuilds) and log (CloudWatch Logs or S3) "
            "with --build-id, or a saved log with --log-file (offline)."
        ),
        epilog="examples:\n"
        "  codebuild-doctor diagnose --build-id my-project:0f6c1a2b-1111-2222-3333-444455556666\n"
        "  codebuild-doctor diagnose --log-file build.log --format json --output report.json\n"
        "  aws s3 cp s3://my-log-bucket/logs/<uuid>.gz - | codebuild-doctor diagnose --log-file -\n\n"
        + EXIT_CODES_HELP,
        formatter_class=_HelpFormatter,
    )
    diagnose.add_argument(
        "--build-id",
        metavar="ID",
        help="build id (project:uuid) or build ARN; with --build-record, the build to take from that file "
        "(nothing is fetched from AWS)",
    )
    diagnose.add_argument(
        "--log-file", metavar="PATH", help="a saved build log, plain or .gz; '-' reads standard input"
    )
    diagnose.add_argument(
        "--build-record",
        metavar="FILE",
        type=Path,
        help="the build's record as JSON (aws codebuild batch-get-builds output); with --log-file, or "
        "alone to diagnose from the record (a build that failed before it wrote a log); a file of "
        "several builds needs --build-id to pick one",
    )
    diagnose.add_argument(
        "--baseline-log",
        metavar="PATH",
        help="the log of a build of the same project that succeeded (plain or .gz): lines it also "
        "printed are not taken for the error of a failure no rule names (with --build-id the default "
        "is the project's last build that succeeded)",
    )
    diagnose.add_argument(
        "--no-baseline",
        action="store_true",
        help="with --build-id, do not read the log of the project's last build that succeeded "
        "(ListBuildsForProject, BatchGetBuilds and its log, at most 16 MiB) as a baseline",
    )
    _add_budget_option(diagnose)
    _add_report_options(diagnose)
    _add_rules_options(diagnose)
    _add_aws_options(diagnose)

    rules = _command(
        commands, "rules",
        help="list, inspect, lint and test rules (for rule authors)",
        epilog=RULES_EXIT_CODES_HELP,
        formatter_class=_HelpFormatter,
    )
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    rules_commands.required = True
    rules_list = _command(rules_commands, "list", "list the loaded rules: id, severity, priority, category, title")
    rules_list.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or json")
    _add_rules_options(rules_list)

    rules_show = _command(
        rules_commands, "show", help="one rule: metadata, patterns, templates, references and fixture cases"
    )
    rules_show.add_argument("rule_id", metavar="ID")
    _add_fixtures_option(rules_show)
    _add_rules_options(rules_show)

    rules_lint = _command(
        rules_commands, "lint",
        help="check rule files: schema, regex, ids, captures, references, backtracking shapes",
        description="Check rule files and report every problem of every file as "
        "'path:line: [check] rule-id: message' (the summary goes to stderr). Default: PATHs, else the "
        "--rules-dir directories only (add --include-default-rules for the shipped pack too), else the "
        "shipped pack.",
        epilog="exit codes:\n  0  no error (and, with --strict, no warning)\n  1  problems found\n  2  usage error\n",
        formatter_class=_HelpFormatter,
    )
    rules_lint.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="rule files or directories")
    rules_lint.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    rules_lint.add_argument("--format", choices=["text", "json"], default="text")
    rules_lint.add_argument(
        "--include-default-rules",
        action="store_true",
        help="with --rules-dir: lint the shipped rule pack too (by default only the team's files)",
    )
    _add_rules_options(rules_lint)

    rules_test = _command(
        rules_commands, "test",
        help="run rules on their fixture cases (positive and negative logs, expected.json)",
        description="Run the pack on the fixture cases of the rules under test: PATHs (rule files or "
        "directories), else the --rules-dir rules, else the shipped pack. A rule needs a positive and a "
        "negative case. Per-case lines go to stdout, the summary to stderr.",
        epilog="exit codes:\n  0  every case passed\n  1  a case failed\n  2  usage error or bad rule file\n",
        formatter_class=_HelpFormatter,
    )
    rules_test.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="rule files, directories or rule ids (of the loaded rules)")
    rules_test.add_argument("-k", dest="keyword", metavar="SUBSTRING", help="only cases whose id contains it")
    rules_test.add_argument(
        "--confusion",
        action="store_true",
        help="also print which rules fire on other rules' cases; an overlap not declared in "
        "<fixtures>/overlaps.yaml fails",
    )
    _add_fixtures_option(rules_test)
    _add_rules_options(rules_test)

    rules_draft = _command(
        rules_commands, "draft",
        help="draft a tested rule from a scan's recurring unknown failure, or from one log line",
        description="Write <id>.yaml into --output-dir and its fixture cases beside it (where 'rules test "
        "--rules-dir' finds them): a pattern generalised from the failure's template with named captures, "
        "severity, priority and phases filled in, a title and summary to edit. The draft is linted and its "
        "cases run before anything is written.",
        epilog="examples:\n"
        "  codebuild-doctor scan --format json --output scan.json\n"
        "  codebuild-doctor rules draft --from-scan scan.json --cluster 1 --id helm-release-locked\n"
        "  codebuild-doctor rules draft --from-log build.log --line 212 --id alembic-revision-missing\n"
        "  codebuild-doctor rules test --rules-dir rules && codebuild-doctor scan --rules-dir rules\n",
        formatter_class=_HelpFormatter,
    )
    origin = rules_draft.add_mutually_exclusive_group(required=True)
    origin.add_argument("--from-scan", type=Path, metavar="FILE", help="a scan's JSON report (scan --format json)")
    origin.add_argument("--from-log", type=Path, metavar="FILE", help="a saved build log (plain or .gz)")
    rules_draft.add_argument("--cluster", type=_at_least_one, metavar="N", help="with --from-scan: the cluster's rank")
    rules_draft.add_argument("--line", type=_at_least_one, metavar="N", help="with --from-log: the error line's number")
    rules_draft.add_argument("--id", required=True, metavar="ID", help="the new rule's id (kebab-case)")
    rules_draft.add_argument(
        "--output-dir", type=Path, default=Path("rules"), metavar="DIR",
        help="where the rule goes (default: ./rules); its cases go to DIR/../fixtures/<id>/",
    )  # fmt: skip
    rules_draft.add_argument("--force", action="store_true", help="replace the files of an earlier draft")
    rules_draft.add_argument(
        "--cache-dir", type=Path, metavar="DIR",
        help="the scan's cache, for a successful build's log as the negative case (default: scan's default)",
    )  # fmt: skip
    _add_rules_options(rules_draft)

    rules_docs = _command(
        rules_commands, "docs",
        help="generate the rule catalogue (Markdown), e.g. docs/rules.md",
        description=f"Write the rule catalogue to stdout or --output. Regenerate the shipped one with: "
        f"{DOCS_COMMAND}",
    )
    rules_docs.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the catalogue to FILE")
    rules_docs.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when --output FILE is out of date"
    )
    _add_rules_options(rules_docs)
    _add_scan_parser(commands)

    demo = _command(
        commands, "demo",
        help="diagnose sample failed builds served by a local moto server (no AWS account needed)",
        description="Starts a local moto server on 127.0.0.1, seeds it with sample failed builds, "
        "runs 'diagnose --build-id' against it over HTTP for each, then 'scan' over all of them, "
        "which writes an HTML report. Needs: pip install 'codebuild-doctor[demo]'.",
    )
    demo.add_argument(
        "--format", choices=["text", "json"], default="text",
        help="text: each command and its report; json: one array of the diagnose reports",
    )  # fmt: skip
    demo.add_argument(
        "--html", type=Path, default=Path("codebuild-doctor-demo.html"), metavar="FILE",
        help="where the scan's HTML report goes (default: ./codebuild-doctor-demo.html)",
    )  # fmt: skip
    demo.add_argument("--no-html", action="store_true", help="skip the scan and its HTML report")
    demo.add_argument(
        "--serve", action="store_true",
        help="then keep the moto server running and print the lines to try 'scan' and 'diagnose' by hand "
        "(Ctrl-C stops it)",
    )  # fmt: skip
    return parser


SCAN_EXIT_CODES_HELP = """\
exit codes:
  0  every selected build diagnosed; no finding at or above --fail-on
  1  at least one finding at or above --fail-on (and nothing skipped)
  2  usage error, bad rule file or bad configuration
  3  a build or project was skipped (its reason is in the report; the report is still
     written), or AWS could not be reached at all (no credentials, no endpoint: no report)
  4  the report could not be written (permission denied, disk full): nothing was written
"""


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number more than 0, got {text}")
    return value


def _time_budget(text: str) -> float | None:
    """``--time-budget``: seconds (more than 0), or 0 for no limit."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds (0: no limit), got {text}")
    return value or None


def _add_budget_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    from analyzer.sources.base import DEFAULT_BUDGET

    parser.add_argument(
        "--time-budget", type=_time_budget, default=DEFAULT_BUDGET, metavar="SECONDS",
        help=f"time one build may take, its log read and matched (default: {DEFAULT_BUDGET:g}; 0: no limit); "
        "past it the log is read no further and the report says so",
    )  # fmt: skip


def _at_least_one(text: str) -> int:
    value = _positive_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def _add_scan_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from analyzer.scan import DEFAULT_CONCURRENCY, DEFAULT_LOGS_RPS, DEFAULT_SINCE, DEFAULT_STATUSES

    scan = _command(
        commands, "scan",
        help="diagnose the recent failed builds of one or more projects, and rank their causes",
        description=(
            "List recent builds (ListProjects, ListBuildsForProject, BatchGetBuilds), diagnose each "
            "selected build as 'diagnose' does, and summarise: causes ranked by builds and by build "
            "minutes lost, per project, unknown failures, skipped builds. Finished builds' records "
            "and logs are cached locally, so a re-scan reads no log twice."
        ),
        epilog="examples:\n"
        "  codebuild-doctor scan --since 24h\n"
        "  codebuild-doctor scan --project api,web --since 2026-11-01 --format json -o scan.json\n"
        "  codebuild-doctor scan --status FAILED,TIMED_OUT --limit 50 --format markdown\n\n"
        "cache: --no-cache, else --cache-dir, else $CODEBUILD_DOCTOR_CACHE_DIR, else the user cache\n"
        "directory (~/.cache/codebuild-doctor on Linux)\n\n" + SCAN_EXIT_CODES_HELP,
        formatter_class=_HelpFormatter,
    )
    select = scan.add_argument_group("which builds")
    select.add_argument(
        "--project", action="append", default=[], metavar="NAME",
        help="scan this project (repeatable, or comma-separated); default: every project in the Region (ListProjects)",
    )  # fmt: skip
    select.add_argument(
        "--since", default=DEFAULT_SINCE, metavar="WHEN",
        help=f"builds started since: a duration (90m, 24h, 7d, 2w), a date (2026-11-01) or a UTC time (2026-11-01T08:00:00Z); default {DEFAULT_SINCE}",
    )  # fmt: skip
    select.add_argument(
        "--status", default=",".join(DEFAULT_STATUSES), metavar="LIST",
        help="build statuses to diagnose, comma-separated, of SUCCEEDED, FAILED, FAULT, TIMED_OUT, STOPPED, "
        f"IN_PROGRESS; default {','.join(DEFAULT_STATUSES)}",
    )  # fmt: skip
    select.add_argument(
        "--limit", type=_at_least_one, metavar="N", help="diagnose only the newest N selected builds"
    )
    report = scan.add_argument_group("report options")
    from analyzer.report import Format

    report.add_argument(
        "--format", choices=[f.value for f in Format], default="text",
        help="text (default): a summary; json: the versioned scan schema; markdown: summary tables; "
        "html: the team's self-contained page",
    )  # fmt: skip
    report.add_argument(
        "--output", "-o", metavar="FILE", type=Path, help="write the report to FILE (whole or not at all)"
    )
    report.add_argument(
        "--fail-on", type=_severity, default=Severity.WARNING, metavar="SEVERITY",
        help="exit 1 when a finding is at or above SEVERITY: info, warning, error, critical (default: warning)",
    )  # fmt: skip
    report.add_argument("--no-redact", action="store_true", help="show secrets found in logs as they are")
    report.add_argument(
        "--no-color", action="store_true",
        help="no colours in the text report (also: NO_COLOR set, or not a terminal; FORCE_COLOR forces them)",
    )  # fmt: skip
    report.add_argument(
        "--context", type=_positive_int, default=3, metavar="N", help="lines of context around evidence (default: 3)"
    )
    report.add_argument("--quiet", "-q", action="store_true", help="no progress and no messages on stderr, only errors")
    quotas = scan.add_argument_group("quotas and cache")
    quotas.add_argument(
        "--max-concurrency", type=_at_least_one, default=DEFAULT_CONCURRENCY, metavar="N",
        help=f"builds fetched and diagnosed at once (default: {DEFAULT_CONCURRENCY})",
    )  # fmt: skip
    quotas.add_argument(
        "--logs-rps", type=_positive_number, default=DEFAULT_LOGS_RPS, metavar="RATE",
        help=f"GetLogEvents requests per second, shared by all workers (default: {DEFAULT_LOGS_RPS:g}; "
        "CloudWatch Logs allows 10 per account and Region)",
    )  # fmt: skip
    quotas.add_argument(
        "--no-baseline", action="store_true",
        help="do not read each project's last build that succeeded as the baseline of its failures no rule "
        "names (one ListBuildsForProject, BatchGetBuilds and log, at most 16 MiB, per project; cached)",
    )  # fmt: skip
    quotas.add_argument(
        "--cache-dir", type=Path, metavar="DIR",
        help="the cache directory (default: $CODEBUILD_DOCTOR_CACHE_DIR, else the user cache directory)",
    )  # fmt: skip
    _add_budget_option(quotas)
    quotas.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    quotas.add_argument(
        "--cache-max-mb", type=_positive_number, default=500, metavar="MB",
        help="evict the least recently used logs beyond this size (default: 500)",
    )  # fmt: skip
    org = scan.add_argument_group("organisation service")
    org.add_argument(
        "--from", dest="from_location", metavar="SOURCE",
        help="build the report from stored diagnoses instead (the service's s3://BUCKET/diagnoses/, or a "
        "local copy of it): no CodeBuild or CloudWatch Logs call",
    )  # fmt: skip
    org.add_argument(
        "--role-arn", action="append", default=[], metavar="ARN",
        help="scan the account of this (read-only) role, assumed with sts:AssumeRole; repeatable; one report over all",
    )  # fmt: skip
    org.add_argument("--accounts", type=Path, metavar="FILE", help="role ARNs to scan, one a line ('#' starts a comment)")
    org.add_argument("--external-id", metavar="ID", help="the sts:ExternalId the roles require")
    org.add_argument(
        "--enqueue", metavar="QUEUE_URL",
        help="send the selected builds' failure events to the organisation service's queue instead of diagnosing "
        "them here (a backfill after a rule change; the service holds each account's GetLogEvents rate)",
    )  # fmt: skip
    _add_rules_options(scan)
    _add_aws_options(scan)


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("report options")
    from analyzer.report import Format

    group.add_argument(
        "--format",
        choices=[f.value for f in Format],
        default="text",
        help="report format: text (default), json, markdown (a pull-request comment), html (one self-contained file)",
    )
    group.add_argument(
        "--output", "-o", metavar="FILE", type=Path, help="write the report to FILE (whole or not at all)"
    )
    group.add_argument(
        "--fail-on",
        type=_severity,
        default=Severity.WARNING,
        metavar="SEVERITY",
        help="exit 1 when a finding is at or above SEVERITY: info, warning, error, critical (default: warning)",
    )
    group.add_argument("--no-redact", action="store_true", help="show secrets found in the log as they are")
    group.add_argument(
        "--no-color", action="store_true",
        help="no colours in the text report (also: NO_COLOR set, or not a terminal; FORCE_COLOR forces them)",
    )  # fmt: skip
    group.add_argument(
        "--wide", action="store_true",
        help="show long evidence lines whole (default: cut at the terminal's width, the match kept in view)",
    )  # fmt: skip
    group.add_argument(
        "--context", type=_positive_int, default=3, metavar="N", help="lines of context around evidence (default: 3)"
    )
    group.add_argument("--quiet", "-q", action="store_true", help="no messages on stderr, only errors")


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (see ``--help``)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "diagnose":
            return _diagnose(args, stdout, stderr)
        if args.command == "rules":
            from analyzer.rules.commands import run_rules_command

            return run_rules_command(args, stdout, stderr)
        if args.command == "scan":
            return _scan(args, stdout, stderr)
        if args.command == "demo":
            from analyzer.demo import run_demo

            html = None if args.no_html else args.html

            def run_command(argv: list[str], out: TextIO) -> int:
                return main(argv, stdout=out, stderr=stderr)

            return run_demo(
                output_format=args.format, html=html, serve=args.serve, run_command=run_command,
                stdout=stdout, stderr=stderr,
            )  # fmt: skip
    except AnalyzerError as exc:
        _error(stderr, exc)
        return exc.exit_status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): not an error; silence the flush at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitStatus.OK
    except Exception as exc:
        translated = _translate_aws(exc)
        if translated is None:
            raise
        _error(stderr, translated)
        return translated.exit_status
    parser.error(f"unknown command {args.command!r}")
    return ExitStatus.USAGE  # pragma: no cover - parser.error exits


def _translate_aws(exc: Exception) -> AnalyzerError | None:
    if "botocore" not in sys.modules:
        return None
    from analyzer.aws import translate_boto_error

    return translate_boto_error(exc)


def _error(stderr: TextIO, exc: AnalyzerError) -> None:
    print(f"{PROG}: error: {exc}", file=stderr)


def _diagnose(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from analyzer import pipeline
    from analyzer.engine import EngineOptions, MatchOptions

    if args.build_id is not None and args.log_file is not None and args.build_record is None:
        raise ConfigError(
            "--build-id fetches the build's log from AWS: give --log-file with --build-record instead "
            "(--build-id then picks the build in that file)"
        )
    # With --build-record, --build-id only picks a build in that file: nothing is fetched.
    offline_id = args.build_id if args.build_record is not None else None
    if args.build_id is None and args.log_file is None and args.build_record is None:
        raise ConfigError("diagnose needs --build-id, --log-file or --build-record (see --help)")
    from analyzer.rules.compiled import load_prefilter

    from analyzer.rules.commands import load_pack

    pack = load_pack(args)
    options = EngineOptions(
        match=MatchOptions(context_lines=args.context, redact=not args.no_redact),
        prefilter=load_prefilter(pack.rules),
    )
    if args.baseline_log is not None:
        import dataclasses

        from analyzer.engine.locator import baseline_shapes
        from analyzer.sources.file import FileSource

        baseline = baseline_shapes(pipeline.baseline_chunks(FileSource(args.baseline_log)))
        options = dataclasses.replace(options, baseline=baseline)
    failure = None
    from analyzer.sources.base import Deadline

    # The budget starts once the rules are loaded: it bounds the reading and matching of the log.
    deadline = Deadline(args.time_budget) if args.time_budget else None
    if args.log_file is not None:
        from analyzer.sources.file import FileSource

        build = pipeline.load_build_record(args.build_record, offline_id) if args.build_record else None
        diagnosis = pipeline.diagnose_log(pack.rules, FileSource(args.log_file), build, options, deadline)
        if pipeline.EMPTY_LOG_NOTE in diagnosis.notes and not args.quiet:
            print(f"{PROG}: warning: {args.log_file}: {pipeline.EMPTY_LOG_NOTE}", file=stderr)
    elif args.build_record is not None:
        record = pipeline.load_build_record(args.build_record, offline_id)
        diagnosis = pipeline.diagnose_record(pack.rules, record, options)
    else:
        from analyzer.aws import AwsClients, AwsOptions
        from analyzer.sources.codebuild import normalise_build_id

        from analyzer.aws import region_of_arn

        build_id = normalise_build_id(args.build_id)
        # A build ARN names its Region: it wins over the environment, and must agree with --region.
        arn_region = region_of_arn(args.build_id.strip())
        if arn_region and args.region and arn_region != args.region:
            raise ConfigError(
                f"--region {args.region} does not match the build ARN's Region {arn_region}"
            )
        clients = AwsClients(AwsOptions(args.profile, args.region or arn_region, args.endpoint_url))
        result = pipeline.diagnose_build_id(
            pack.rules, build_id, clients.client("codebuild"), clients.client("logs"), clients.client("s3"), options,
            deadline=deadline, baseline=not args.no_baseline,
        )  # fmt: skip
        diagnosis, failure = result.diagnosis, result.failure
    _present(diagnosis, args, stdout)
    if not args.quiet and to_file(args.output):
        from analyzer.engine import succeeded

        root = diagnosis.root_cause
        if succeeded(diagnosis):
            cause = "the build succeeded"
        else:
            cause = f"root cause: {root.rule_id}" if root else "no known failure matched"
        print(f"{PROG}: {cause}; report written to {args.output}", file=stderr)
    if failure is not None:
        _error(stderr, failure)
        return failure.exit_status
    worst = diagnosis.worst_severity()
    return ExitStatus.FINDINGS if worst is not None and worst >= args.fail_on else ExitStatus.OK


def _present(subject: Diagnosis | ScanReport, args: argparse.Namespace, stdout: TextIO) -> None:
    """Redact, render and write the report as the report options in ``args`` say."""
    from analyzer.report import Format, present, write_whole
    from analyzer.report.present import terminal_options

    options = terminal_options(stdout, args.output, no_color=args.no_color, wide=getattr(args, "wide", False))
    text = present(subject, Format(args.format), options, redact=not args.no_redact)
    write_whole(text, args.output, stdout)


def _project_names(values: list[str]) -> list[str]:
    """``--project`` values; each may also be a comma-separated list, as ``--status`` is."""
    names = [name.strip() for value in values for name in value.split(",")]
    if any(not name for name in names):
        raise ConfigError(f"invalid --project {','.join(values)!r}: an empty project name")
    return names


def _scan(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``scan``: build the clients, cache and observer, run :func:`analyzer.scan.scan`, render, exit."""
    import contextlib
    import dataclasses
    from datetime import datetime, timezone

    from analyzer.aws import AwsClients, AwsOptions
    from analyzer.engine import EngineOptions, MatchOptions
    from analyzer.rules.compiled import load_prefilter
    from analyzer.scan import ScanObserver, ScanOptions, merge_reports, parse_since, parse_statuses, scan

    now = datetime.now(timezone.utc)
    options = ScanOptions(
        since=parse_since(args.since, now),
        until=now,
        projects=tuple(dict.fromkeys(_project_names(args.project))),
        statuses=parse_statuses(args.status),
        limit=args.limit,
        max_concurrency=args.max_concurrency,
        logs_rps=args.logs_rps,
        time_budget=args.time_budget,
        engine=EngineOptions(match=MatchOptions(context_lines=args.context, redact=not args.no_redact)),
        baseline=not args.no_baseline,
    )
    if options.since >= now:
        raise ConfigError(f"invalid --since {args.since!r}: it is not in the past")
    roles = _role_arns(args)
    if args.from_location is not None and (roles or args.enqueue):
        raise ConfigError("--from reads stored diagnoses: it does not go with --role-arn, --accounts or --enqueue")
    if args.from_location is not None:
        from analyzer.sources.stored import StoredLocation, scan_stored

        location = StoredLocation.parse(args.from_location)
        s3 = AwsClients(AwsOptions(args.profile, args.region, args.endpoint_url)).client("s3") if location.bucket else None
        stored = scan_stored(location, options.since, now, statuses=options.statuses, projects=options.projects,
                             limit=options.limit, s3=s3)  # fmt: skip
        return _finish_scan(stored, args, stdout, stderr)
    if args.enqueue:
        return _enqueue(args, options, now, roles, stderr, stdout)
    from analyzer.rules.commands import load_pack

    pack = load_pack(args)
    # The compiled prefilter from the on-disk cache, shared by every worker.
    options = dataclasses.replace(
        options, engine=dataclasses.replace(options.engine, prefilter=load_prefilter(pack.rules))
    )
    clients = AwsClients(AwsOptions(args.profile, args.region, args.endpoint_url))

    def warn(message: str) -> None:
        if not args.quiet:
            print(f"{PROG}: warning: {message}", file=stderr)

    cache = None
    if not args.no_cache:
        from analyzer.cache import BuildCache, default_cache_dir

        cache = BuildCache(
            args.cache_dir or default_cache_dir(), max_bytes=int(args.cache_max_mb * 1024 * 1024), warn=warn
        )
    tty = hasattr(stderr, "isatty") and stderr.isatty()
    with contextlib.ExitStack() as stack:
        observer: ScanObserver = ScanObserver()
        if tty and not args.quiet:
            from analyzer.progress import RichProgress

            observer = stack.enter_context(RichProgress(stderr))
        if cache is not None:
            stack.callback(cache.close)
        reports = [
            scan(pack.rules, target.client("codebuild"), target.client("logs"), target.client("s3"), options,
                 cache=cache, observer=observer)  # fmt: skip
            for target in ([clients.assume(role, args.external_id) for role in roles] or [clients])
        ]
        report = merge_reports(reports) if len(reports) > 1 else reports[0]
    return _finish_scan(report, args, stdout, stderr)


def _role_arns(args: argparse.Namespace) -> list[str]:
    """``--role-arn`` values, then the ARNs of ``--accounts FILE`` (one a line, ``#`` comments)."""
    roles = [r.strip() for r in args.role_arn]
    if args.accounts is not None:
        try:
            text = args.accounts.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--accounts: cannot read {args.accounts}: {exc}") from None
        roles += [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]
        if not roles:
            raise ConfigError(f"--accounts: {args.accounts} lists no role ARN")
    return list(dict.fromkeys(roles))


def _enqueue(args: argparse.Namespace, options, now, roles: list[str], stderr: TextIO, stdout: TextIO) -> int:  # type: ignore[no-untyped-def]
    """``scan --enqueue``: select builds as ``scan`` does, send their events to the queue, list them."""
    from analyzer.aws import AwsClients, AwsOptions
    from analyzer.scan import select_builds
    from analyzer.service.enqueue import enqueue

    clients = AwsClients(AwsOptions(args.profile, args.region, args.endpoint_url))
    queued: list[str] = []
    skipped = 0
    for target in [clients.assume(role, args.external_id) for role in roles] or [clients]:
        builds, missed, _projects = select_builds(target.client("codebuild"), options, now)
        skipped += len(missed)
        for item in missed:
            print(f"{PROG}: warning: {item.build_id} not queued: {item.reason}", file=stderr)
        queued += enqueue(clients.client("sqs"), args.enqueue, builds)
    stdout.write("".join(f"{arn}\n" for arn in queued))
    if not args.quiet:
        print(f"{PROG}: {len(queued)} build{'' if len(queued) == 1 else 's'} queued to {args.enqueue}", file=stderr)
    return ExitStatus.SOURCE if skipped else ExitStatus.OK


def _finish_scan(report: ScanReport, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Present a scan report and return ``scan``'s exit status."""
    _present(report, args, stdout)
    findings = any(
        (worst := d.worst_severity()) is not None and worst >= args.fail_on for d in report.diagnoses
    )
    if not args.quiet and (to_file(args.output) or report.skipped):
        where = f"; report written to {args.output}" if to_file(args.output) else ""
        skipped = f"; {len(report.skipped)} skipped (exit status 3)" if report.skipped else ""
        count = len(report.diagnoses)
        print(f"{PROG}: {count} build{'' if count == 1 else 's'} diagnosed{skipped}{where}", file=stderr)
    if report.skipped:
        return ExitStatus.SOURCE
    return ExitStatus.FINDINGS if findings else ExitStatus.OK
