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

from analyzer import __version__
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tells you why an AWS CodeBuild build failed and exactly how to fix it.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    diagnose = commands.add_parser(
        "diagnose",
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
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = diagnose.add_mutually_exclusive_group()
    source.add_argument("--build-id", metavar="ID", help="build id (project:uuid) or build ARN")
    source.add_argument(
        "--log-file", metavar="PATH", help="a saved build log, plain or .gz; '-' reads standard input"
    )
    diagnose.add_argument(
        "--build-record",
        metavar="FILE",
        type=Path,
        help="the build's record as JSON (aws codebuild batch-get-builds output); with --log-file, or "
        "alone to diagnose from the record (a build that failed before it wrote a log)",
    )
    _add_report_options(diagnose)
    _add_rules_options(diagnose)
    _add_aws_options(diagnose)

    rules = commands.add_parser(
        "rules",
        help="list, inspect, lint and test rules (for rule authors)",
        epilog=RULES_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    rules_commands.required = True
    rules_list = rules_commands.add_parser("list", help="list the loaded rules")
    rules_list.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or json")
    _add_rules_options(rules_list)

    rules_show = rules_commands.add_parser(
        "show", help="one rule: metadata, patterns, templates, references and fixture cases"
    )
    rules_show.add_argument("rule_id", metavar="ID")
    _add_fixtures_option(rules_show)
    _add_rules_options(rules_show)

    rules_lint = rules_commands.add_parser(
        "lint",
        help="check rule files: schema, regex, ids, captures, references, backtracking shapes",
        description="Check rule files and report every problem as 'path:line: [check] rule-id: message' "
        "(the summary goes to stderr). Default: the shipped pack plus each --rules-dir.",
        epilog="exit codes:\n  0  no error (and, with --strict, no warning)\n  1  problems found\n  2  usage error\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rules_lint.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="rule files or directories")
    rules_lint.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    rules_lint.add_argument("--format", choices=["text", "json"], default="text")
    _add_rules_options(rules_lint)

    rules_test = rules_commands.add_parser(
        "test",
        help="run rules on their fixture cases (positive and negative logs, expected.json)",
        description="Run the pack on the fixture cases of the rules under test: PATHs (rule files or "
        "directories), else the --rules-dir rules, else the shipped pack. A rule needs a positive and a "
        "negative case. Per-case lines go to stdout, the summary to stderr.",
        epilog="exit codes:\n  0  every case passed\n  1  a case failed\n  2  usage error or bad rule file\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rules_test.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="rule files or directories")
    rules_test.add_argument("-k", dest="keyword", metavar="SUBSTRING", help="only cases whose id contains it")
    rules_test.add_argument(
        "--confusion",
        action="store_true",
        help="also print which rules fire on other rules' cases; an overlap not declared in "
        "<fixtures>/overlaps.yaml fails",
    )
    _add_fixtures_option(rules_test)
    _add_rules_options(rules_test)

    rules_docs = rules_commands.add_parser(
        "docs",
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

    demo = commands.add_parser(
        "demo",
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


def _at_least_one(text: str) -> int:
    value = _positive_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def _add_scan_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from analyzer.scan import DEFAULT_CONCURRENCY, DEFAULT_LOGS_RPS, DEFAULT_SINCE, DEFAULT_STATUSES

    scan = commands.add_parser(
        "scan",
        help="diagnose the recent failed builds of one or more projects, and rank their causes",
        description=(
            "List recent builds (ListProjects, ListBuildsForProject, BatchGetBuilds), diagnose each "
            "selected build as 'diagnose' does, and summarise: causes ranked by builds and by build "
            "minutes lost, per project, unknown failures, skipped builds. Finished builds' records "
            "and logs are cached locally, so a re-scan reads no log twice."
        ),
        epilog="examples:\n"
        "  codebuild-doctor scan --since 24h\n"
        "  codebuild-doctor scan --project api --project web --since 2026-11-01 --format json -o scan.json\n"
        "  codebuild-doctor scan --status FAILED,TIMED_OUT --limit 50 --format markdown\n\n"
        "cache: --no-cache, else --cache-dir, else $CODEBUILD_DOCTOR_CACHE_DIR, else the user cache\n"
        "directory (~/.cache/codebuild-doctor on Linux)\n\n" + SCAN_EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        "--cache-dir", type=Path, metavar="DIR",
        help="the cache directory (default: $CODEBUILD_DOCTOR_CACHE_DIR, else the user cache directory)",
    )  # fmt: skip
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
            return _rules(args, stdout, stderr)
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


def _load_pack(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from analyzer.rules import load_rules

    if args.no_default_rules and not args.rules_dir:
        raise ConfigError("--no-default-rules needs at least one --rules-dir")
    pack = load_rules(args.rules_dir, include_default=not args.no_default_rules)
    for conflict in pack.conflicts:  # two team directories define one id: say which one won
        print(f"{PROG}: warning: {conflict}", file=sys.stderr)
    return pack


def _diagnose(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from analyzer import pipeline
    from analyzer.engine import EngineOptions, MatchOptions

    if args.build_record is not None and args.build_id is not None:
        raise ConfigError("--build-record goes with --log-file or alone (with --build-id the record is fetched)")
    if args.build_id is None and args.log_file is None and args.build_record is None:
        raise ConfigError("diagnose needs --build-id, --log-file or --build-record (see --help)")
    from analyzer.rules.compiled import load_prefilter

    pack = _load_pack(args)
    options = EngineOptions(match=MatchOptions(context_lines=args.context), prefilter=load_prefilter(pack.rules))
    failure = None
    if args.log_file is not None:
        from analyzer.sources.file import FileSource

        build = pipeline.load_build_record(args.build_record) if args.build_record else None
        diagnosis = pipeline.diagnose_log(pack.rules, FileSource(args.log_file), build, options)
        if pipeline.EMPTY_LOG_NOTE in diagnosis.notes and not args.quiet:
            print(f"{PROG}: warning: {args.log_file}: {pipeline.EMPTY_LOG_NOTE}", file=stderr)
    elif args.build_id is None:
        diagnosis = pipeline.diagnose_record(pack.rules, pipeline.load_build_record(args.build_record), options)
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
        diagnosis, failure = pipeline.diagnose_build_id(
            pack.rules, build_id, clients.client("codebuild"), clients.client("logs"), clients.client("s3"), options
        )
    _present(diagnosis, args, stdout)
    if not args.quiet and to_file(args.output):
        root = diagnosis.root_cause
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
    from analyzer.scan import ScanObserver, ScanOptions, parse_since, parse_statuses, scan

    now = datetime.now(timezone.utc)
    options = ScanOptions(
        since=parse_since(args.since, now),
        until=now,
        projects=tuple(dict.fromkeys(_project_names(args.project))),
        statuses=parse_statuses(args.status),
        limit=args.limit,
        max_concurrency=args.max_concurrency,
        logs_rps=args.logs_rps,
        engine=EngineOptions(match=MatchOptions(context_lines=args.context)),
    )
    if options.since >= now:
        raise ConfigError(f"invalid --since {args.since!r}: it is not in the past")
    if args.from_location is not None:
        from analyzer.sources.stored import StoredLocation, scan_stored

        location = StoredLocation.parse(args.from_location)
        s3 = AwsClients(AwsOptions(args.profile, args.region, args.endpoint_url)).client("s3") if location.bucket else None
        stored = scan_stored(location, options.since, now, statuses=options.statuses, projects=options.projects,
                             limit=options.limit, s3=s3)  # fmt: skip
        return _finish_scan(stored, args, stdout, stderr)
    pack = _load_pack(args)
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
        report = scan(
            pack.rules,
            clients.client("codebuild"),
            clients.client("logs"),
            clients.client("s3"),
            options,
            cache=cache,
            observer=observer,
        )
    return _finish_scan(report, args, stdout, stderr)


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


def _rules(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    handler = {
        "list": _rules_list,
        "show": _rules_show,
        "lint": _rules_lint,
        "test": _rules_test,
        "docs": _rules_docs,
    }[args.rules_command]
    return handler(args, stdout, stderr)


def _display(path: str | Path) -> str:
    """``path`` relative to the working directory when it is inside it, else as it is."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _rules_list(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import json

    pack = _load_pack(args)
    rules = sorted(pack.rules, key=lambda r: (r.category, r.id))
    if args.format == "json":
        data = [
            {
                "id": r.id,
                "title": r.title,
                "severity": r.severity.label,
                "category": r.category,
                "priority": r.priority,
                "source": r.source_path,
            }
            for r in rules
        ]
        stdout.write(json.dumps(data, indent=2) + "\n")
        return ExitStatus.OK
    width = max((len(r.id) for r in rules), default=2)
    for r in rules:
        stdout.write(f"{r.id:<{width}}  {r.severity.label:<8}  {r.priority:>3}  {r.category:<10}  {r.title}\n")
    return ExitStatus.OK


def _find_rule(pack, rule_id: str):  # type: ignore[no-untyped-def]
    import difflib

    ids = [r.id for r in pack.rules]
    if rule_id in ids:
        return pack.get(rule_id)
    message = f"unknown rule id {rule_id!r} ({len(ids)} rules loaded; see '{PROG} rules list')"
    close = difflib.get_close_matches(rule_id, ids, n=3, cutoff=0.6)
    if close:
        message += "\ndid you mean: " + ", ".join(close) + "?"
    raise ConfigError(message)


def _fixtures_for(rule_path: str | Path) -> Path | None:
    """The fixture folders beside a rule's directory: ``fixtures/logs`` or ``fixtures`` of an ancestor.

    ``rules/docker/x.yaml`` of a checkout finds ``fixtures/logs``; a team's ``ci/rules`` finds
    ``ci/fixtures`` (``<rules-dir>/../fixtures``). Two levels up at most.
    """
    start = Path(rule_path)
    start = start if start.is_dir() else start.parent
    for ancestor in list(start.resolve().parents)[:2]:
        for candidate in (ancestor / "fixtures" / "logs", ancestor / "fixtures"):
            if candidate.is_dir():
                return candidate
    return None


def _rules_show(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from analyzer.rules.casecheck import format_finding
    from analyzer.rules.fixtures import iter_cases, load_expected

    pack = _load_pack(args)
    rule = _find_rule(pack, args.rule_id)
    raw = rule.raw
    out = [
        f"{rule.id}: {rule.title}",
        f"  file:      {_display(rule.source_path)}",
        f"  severity:  {rule.severity.label}",
        f"  category:  {rule.category}",
        f"  priority:  {rule.priority}",
        f"  tags:      {', '.join(rule.tags) or '-'}",
        "",
        f"match ({'all' if rule.match_all else 'any'} of {len(rule.patterns)}):",
    ]
    for index, pattern in enumerate(rule.patterns, 1):
        scope = []
        if pattern.phases:
            scope.append("phases " + ",".join(sorted(pattern.phases)))
        if pattern.source is not None:
            scope.append(f"source {pattern.source.value}")
        if pattern.echo:
            scope.append("echo")
        out.append(f"  {index}. {pattern.regex.pattern}" + (f"  ({'; '.join(scope)})" if scope else ""))
    if rule.exclusions:
        out.append("exclude:")
        out += [f"  - {e.regex.pattern}  (window {e.window})" for e in rule.exclusions]
    for name in ("description", "summary", "remediation"):
        text = str(raw.get(name, "")).rstrip()
        label = name if name == "description" else f"{name} (template)"
        out += ["", f"{label}:"] + [f"  {line}".rstrip() for line in (text or "-").splitlines()]
    out += ["", "references:"]
    out += [f"  - {ref.title}: {ref.url}" for ref in rule.references] or ["  -"]
    fixtures = args.fixtures or _fixtures_for(rule.source_path)
    out.append("")
    if fixtures is None or not (Path(fixtures) / rule.id).is_dir():
        where = f"{_display(fixtures)}/{rule.id}/" if fixtures else "(no fixtures directory found; use --fixtures DIR)"
        out.append(f"fixture cases: none in {where}")
    else:
        directory = Path(fixtures) / rule.id
        expected = load_expected(directory)
        out.append(f"fixture cases ({_display(directory)}/):")
        for case in iter_cases(fixtures):
            if case.rule_id != rule.id:
                continue
            files = " + ".join(p.name for p in (case.log_path, case.record_path) if p is not None)
            out.append(f"  {case.name}  [{files}]")
            if case.name not in expected:
                out.append("    expected: (no entry in expected.json)")
            else:
                findings = expected[case.name]
                out += [f"    expected: {format_finding(f)}" for f in findings] or ["    expected: (no finding)"]
    stdout.write("\n".join(out) + "\n")
    return ExitStatus.OK


def _lint_targets(args: argparse.Namespace) -> list[Path]:
    from analyzer.rules import default_rules_dir

    if args.paths:
        missing = [p for p in args.paths if not p.exists()]
        if missing:
            raise ConfigError(f"no such file or directory: {missing[0]}")
        return list(args.paths)
    if args.no_default_rules and not args.rules_dir:
        raise ConfigError("--no-default-rules needs at least one --rules-dir or PATH")
    return ([] if args.no_default_rules else [default_rules_dir()]) + list(args.rules_dir)


def _rules_lint(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import json
    from dataclasses import replace

    from analyzer.rules.lint import WARNING, lint_paths

    problems, files = lint_paths(_lint_targets(args))
    problems = [replace(p, path=_display(p.path)) for p in problems]
    errors = sum(p.severity != WARNING for p in problems)
    warnings = len(problems) - errors
    if args.format == "json":
        data = {
            "problems": [p.to_dict() for p in problems],
            "summary": {"files": files, "errors": errors, "warnings": warnings},
        }
        stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        stdout.write("".join(p.format() + "\n" for p in problems))
    print(
        f"{files} rule file{'s' if files != 1 else ''} checked: "
        f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}",
        file=stderr,
    )
    return ExitStatus.FINDINGS if errors or (warnings and args.strict) else ExitStatus.OK


def _load_paths(paths: Sequence[Path]):  # type: ignore[no-untyped-def]
    """Rules from files and directories (a bad file raises, naming it: 'rules lint' shows them all)."""
    from analyzer.rules import load_rule_file, load_rules

    rules = []
    for path in paths:
        if path.is_dir():
            rules += load_rules([path], include_default=False).rules
        elif path.is_file():
            rules.append(load_rule_file(path))
        else:
            raise ConfigError(f"no such file or directory: {path}")
    return rules


def _rules_test(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from dataclasses import replace

    from analyzer.rules import default_rules_dir, load_rules
    from analyzer.rules.casecheck import (
        check_case,
        cross_check,
        format_confusion,
        Overlaps,
        load_overlaps,
        missing_cases,
    )
    from analyzer.rules.fixtures import iter_cases, load_expected, run_case

    if args.no_default_rules and not (args.rules_dir or args.paths):
        raise ConfigError("--no-default-rules needs at least one --rules-dir or PATH")
    base = load_rules(args.rules_dir, include_default=not args.no_default_rules).rules
    extra = _load_paths(args.paths)
    by_id = {r.id: r for r in base}
    by_id.update((r.id, r) for r in extra)
    rules = tuple(by_id.values())
    if args.paths:
        tested, origins = {r.id for r in extra}, list(args.paths)
    elif args.rules_dir:
        dirs = [d.resolve() for d in args.rules_dir]
        tested = {r.id for r in rules if any(Path(r.source_path).resolve().is_relative_to(d) for d in dirs)}
        origins = list(args.rules_dir)
    else:
        tested, origins = {r.id for r in base}, [default_rules_dir()]
    if args.fixtures is not None:
        if not args.fixtures.is_dir():
            raise ConfigError(f"--fixtures: not a directory: {args.fixtures}")
        fixture_dirs = [args.fixtures]
    else:
        fixture_dirs = []
        for origin in origins:
            found = _fixtures_for(origin)
            if found is None:
                raise ConfigError(
                    f"no fixtures directory for {origin} (looked for fixtures/logs and fixtures beside it); "
                    "pass --fixtures DIR"
                )
            if found not in fixture_dirs:
                fixture_dirs.append(found)
    cases = [c for d in fixture_dirs for c in iter_cases(d) if c.rule_id in tested]
    where = ", ".join(_display(d) for d in fixture_dirs)
    results = missing_cases(tested, cases, where)
    if args.keyword:
        cases = [c for c in cases if args.keyword in c.case_id]
        results = [r for r in results if args.keyword in r.case_id]
        if not cases and not results:
            raise ConfigError(f"no fixture case matches -k {args.keyword!r}")
    fired = []
    for case in cases:
        actual = run_case(rules, case)
        fired.append((case, [f["rule_id"] for f in actual]))
        results.append(check_case(case, actual, load_expected(case.directory)))
    results.sort(key=lambda r: r.case_id)
    out = []
    for result in results:
        note = ""
        if result.passed and result.details:
            note = f" ({result.details[0]})"
        out.append(f"{'PASS' if result.passed else 'FAIL'} {result.case_id}{note}")
        if not result.passed:
            out += [f"    {line}" for line in result.details]
    failed = sum(not r.passed for r in results)
    summary = f"{len(results) - failed} passed, {failed} failed"
    confusion_failed = False
    if args.confusion:
        overlaps = Overlaps()
        for directory in fixture_dirs:
            overlaps = overlaps.merge(load_overlaps(directory))
        confusion = cross_check(fired, overlaps, by_id)
        if args.keyword:  # a filtered run cannot tell a stale declaration
            confusion = replace(confusion, unused=())
        out += [""] + format_confusion(confusion)
        problems = len(confusion.undeclared) + len(confusion.unused) + len(confusion.unknown)
        summary += f", {problems} overlap problem{'s' if problems != 1 else ''}"
        confusion_failed = problems > 0
    stdout.write("\n".join(out) + "\n")
    print(summary, file=stderr)
    return ExitStatus.FINDINGS if failed or confusion_failed else ExitStatus.OK


def _rules_docs(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from analyzer.rules.catalogue import render_catalogue

    if args.check and args.output is None:
        raise ConfigError("--check needs --output FILE (the catalogue to compare)")
    pack = _load_pack(args)
    text = render_catalogue(pack.rules)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
        if current == text:
            return ExitStatus.OK
        command = " ".join(
            [PROG, "rules", "docs", "--output", str(args.output)] + [f"--rules-dir {d}" for d in args.rules_dir]
            + (["--no-default-rules"] if args.no_default_rules else [])
        )
        state = "is out of date" if current is not None else "does not exist"
        print(f"{PROG}: {args.output} {state}: run '{command}'", file=stderr)
        return ExitStatus.FINDINGS
    from analyzer.report import write_whole

    write_whole(text, args.output, stdout)
    if args.output is not None:
        print(f"{PROG}: wrote {args.output} ({len(pack.rules)} rules)", file=stderr)
    return ExitStatus.OK
