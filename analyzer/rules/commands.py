"""The rule-author commands: ``rules list``, ``show``, ``lint``, ``test`` and ``docs``.

Next to the rule tools they drive (loader, lint, fixtures, casecheck, catalogue);
:mod:`analyzer.cli` only parses the arguments and dispatches here. Each command
takes the parsed arguments and the two streams and returns its exit status;
errors are raised as :class:`~analyzer.errors.AnalyzerError` for the CLI to map.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from analyzer.errors import ConfigError, ExitStatus

PROG = "codebuild-doctor"


def load_pack(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The shipped pack and each ``--rules-dir`` (as ``args`` say); a conflict between two directories is a warning."""
    from analyzer.rules import load_rules

    if args.no_default_rules and not args.rules_dir:
        raise ConfigError("--no-default-rules needs at least one --rules-dir")
    pack = load_rules(args.rules_dir, include_default=not args.no_default_rules)
    for conflict in pack.conflicts:  # two team directories define one id: say which one won
        print(f"{PROG}: warning: {conflict}", file=sys.stderr)
    return pack


def run_rules_command(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``rules <action>``; returns its exit status."""
    handler = {
        "list": _rules_list,
        "show": _rules_show,
        "lint": _rules_lint,
        "test": _rules_test,
        "docs": _rules_docs,
        "draft": _rules_draft,
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

    pack = load_pack(args)
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
    stdout.write(f"{'id':<{width}}  {'severity':<8}  {'priority':>8}  {'category':<10}  title\n")
    for r in rules:
        stdout.write(f"{r.id:<{width}}  {r.severity.label:<8}  {r.priority:>8}  {r.category:<10}  {r.title}\n")
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

    pack = load_pack(args)
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
    if args.include_default_rules and args.no_default_rules:
        raise ConfigError("--include-default-rules and --no-default-rules exclude each other")
    # A team linting its --rules-dir wants its own problems, not the shipped pack's (which may
    # warn where the team cannot act); the shipped pack only on request.
    shipped = not args.rules_dir or args.include_default_rules
    return ([default_rules_dir()] if shipped and not args.no_default_rules else []) + list(args.rules_dir)


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


def _rule_ids_as_paths(paths: Sequence[Path], rules: Sequence[Any]) -> list[Path]:
    """``paths`` with each one that is no file or directory but a loaded rule's id replaced by
    that rule's file (``rules test windows-path-too-long``); an unknown one is named."""
    by_id = {r.id: r for r in rules}
    out = []
    for path in paths:
        if not path.exists() and str(path) in by_id and by_id[str(path)].source_path:
            path = Path(by_id[str(path)].source_path)
        elif not path.exists():
            raise ConfigError(f"no such file, directory or rule id: {path}")
        out.append(path)
    return out


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
    args.paths = _rule_ids_as_paths(args.paths, base)
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
    pack = load_pack(args)
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


def _rules_draft(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from analyzer.rules.draft import load_scan, make_draft, source_from_log, source_from_scan, write_draft

    if args.from_scan is not None:
        if args.cluster is None or args.line is not None:
            raise ConfigError("--from-scan goes with --cluster N (the cluster's rank in the report)")
        cache = None
        cache_dir = args.cache_dir
        if cache_dir is None:
            from analyzer.cache import default_cache_dir

            cache_dir = default_cache_dir()
        if (Path(cache_dir) / "cache.sqlite3").is_file():
            from analyzer.cache import BuildCache

            cache = BuildCache(Path(cache_dir), warn=lambda message: print(f"{PROG}: warning: {message}", file=stderr))
        try:
            source = source_from_scan(load_scan(args.from_scan), args.cluster, path=str(args.from_scan), cache=cache)
        finally:
            if cache is not None:
                cache.close()
    else:
        if args.line is None or args.cluster is not None:
            raise ConfigError("--from-log goes with --line N (the error line's number)")
        if not args.from_log.is_file():
            raise ConfigError(f"--from-log: no such file: {args.from_log}")
        source = source_from_log(args.from_log, args.line)
    pack = load_pack(args)
    draft = make_draft(args.id, source)
    written = write_draft(draft, pack.rules, args.output_dir, force=args.force)
    stdout.write("".join(f"{_display(path)}\n" for path in written))
    print(
        f"{PROG}: drafted {args.id} ({len(draft.cases)} cases; negative from {source.negative_from.replace('-', ' ')}); "
        "edit what is marked EDIT, then run 'rules test' and 'rules lint --strict'",
        file=stderr,
    )
    return ExitStatus.OK
