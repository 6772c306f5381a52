"""The ``codebuild-doctor`` command line.

``main(argv)`` builds the objects, calls the pipeline and is the only place
that maps errors to exit statuses (see :class:`analyzer.errors.ExitStatus`).
Reports go to stdout or ``--output``; messages go to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from analyzer import __version__
from analyzer.errors import AnalyzerError, ConfigError, ExitStatus
from analyzer.models import Diagnosis, Severity

PROG = "codebuild-doctor"

EXIT_CODES_HELP = """\
exit codes:
  0  no finding at or above --fail-on
  1  at least one finding at or above --fail-on
  2  usage error, bad rule file or bad configuration
  3  AWS or source error (build not found, access denied, unreadable log)
"""


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
        "  aws logs get-log-events ... | codebuild-doctor diagnose --log-file -\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = diagnose.add_mutually_exclusive_group(required=True)
    source.add_argument("--build-id", metavar="ID", help="build id (project:uuid) or build ARN")
    source.add_argument(
        "--log-file", metavar="PATH", help="a saved build log, plain or .gz; '-' reads standard input"
    )
    diagnose.add_argument(
        "--build-record",
        metavar="FILE",
        type=Path,
        help="with --log-file: the build's record as JSON (aws codebuild batch-get-builds output)",
    )
    _add_report_options(diagnose)
    _add_rules_options(diagnose)
    _add_aws_options(diagnose)

    rules = commands.add_parser("rules", help="list and inspect rules (for rule authors)")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    rules_commands.required = True
    rules_list = rules_commands.add_parser("list", help="list the loaded rules")
    rules_list.add_argument("--format", choices=["text", "json"], default="text")
    _add_rules_options(rules_list)

    demo = commands.add_parser(
        "demo",
        help="diagnose sample failed builds served by a local moto server (no AWS account needed)",
        description="Starts a local moto server on 127.0.0.1, seeds it with sample failed builds, "
        "and runs 'diagnose --build-id' against it over HTTP. Needs: pip install 'codebuild-doctor[demo]'.",
    )
    demo.add_argument("--format", choices=["text", "json"], default="text")
    return parser


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("report options")
    group.add_argument("--format", choices=["text", "json"], default="text", help="report format (default: text)")
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
    group.add_argument("--no-color", action="store_true", help="no colours (also: NO_COLOR set, or not a TTY)")
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
            return _rules(args, stdout)
        if args.command == "demo":
            from analyzer.demo import run_demo

            return run_demo(output_format=args.format, stdout=stdout, stderr=stderr)
    except AnalyzerError as exc:
        _error(stderr, exc)
        return exc.exit_status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=stderr)
        return 130
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
    return load_rules(args.rules_dir, include_default=not args.no_default_rules)


def _diagnose(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from analyzer import pipeline
    from analyzer.engine import EngineOptions, MatchOptions

    if args.build_record is not None and args.log_file is None:
        raise ConfigError("--build-record goes with --log-file (with --build-id the record is fetched)")
    from analyzer.rules.compiled import load_prefilter

    pack = _load_pack(args)
    options = EngineOptions(match=MatchOptions(context_lines=args.context), prefilter=load_prefilter(pack.rules))
    failure = None
    if args.log_file is not None:
        from analyzer.sources.file import FileSource

        build = pipeline.load_build_record(args.build_record) if args.build_record else None
        diagnosis = pipeline.diagnose_log(pack.rules, FileSource(args.log_file), build, options)
    else:
        from analyzer.aws import AwsClients, AwsOptions
        from analyzer.sources.codebuild import fetch_build, normalise_build_id

        build_id = normalise_build_id(args.build_id)
        clients = AwsClients(AwsOptions(args.profile, args.region, args.endpoint_url))
        build, _record = fetch_build(clients.client("codebuild"), build_id)
        diagnosis, failure = pipeline.diagnose_build(
            pack.rules, build, clients.client("logs"), clients.client("s3"), options
        )
    report = _render(diagnosis, args, stdout)
    _write(report, args.output, stdout)
    if not args.quiet and args.output is not None:
        root = diagnosis.root_cause
        cause = f"root cause: {root.rule_id}" if root else "no known failure matched"
        print(f"{PROG}: {cause}; report written to {args.output}", file=stderr)
    if failure is not None:
        _error(stderr, failure)
        return failure.exit_status
    worst = diagnosis.worst_severity()
    return ExitStatus.FINDINGS if worst is not None and worst >= args.fail_on else ExitStatus.OK


def _render(diagnosis: Diagnosis, args: argparse.Namespace, stdout: TextIO) -> str:
    from analyzer.report import OutputFormat, render

    if not args.no_redact:
        from analyzer.redact import redact_diagnosis

        diagnosis = redact_diagnosis(diagnosis)
    color = (
        args.format == "text"
        and args.output is None
        and not args.no_color
        and not os.environ.get("NO_COLOR")
        and hasattr(stdout, "isatty")
        and stdout.isatty()
    )
    return render(diagnosis, OutputFormat(args.format), color=color)


def _write(report: str, output: Path | None, stdout: TextIO) -> None:
    """Write the report whole or not at all: a temporary file beside the target, then a rename."""
    if output is None:
        stdout.write(report)
        stdout.flush()
        return
    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise ConfigError(f"--output: directory does not exist: {directory}")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(report)
            os.replace(temp, output)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"--output: cannot write {output}: {exc.strerror or exc}") from None


def _rules(args: argparse.Namespace, stdout: TextIO) -> int:
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
        stdout.write(f"{r.id:<{width}}  {r.severity.label:<8}  {r.category:<10}  {r.title}\n")
    return ExitStatus.OK
