#!/usr/bin/env python3
"""How well the report points at the real error in logs nobody here wrote.

Scores ``codebuild-doctor diagnose --log-file LOG --format json`` on the LogChunks development
half (``../shared/corpora/logchunks-dev``: real failed Travis CI logs with hand-labelled failure
chunks), exactly as that corpus's README says:

- a log is **located** when the first thing the report shows (the top finding's evidence lines,
  or, with no finding, the ``tail`` lines) has a line within the chunk (or one of its
  ``alt_ranges``), widened by 2 lines each side;
- its **precision** is the share of those shown lines that lie inside the chunk (not widened),
  averaged over the logs that show any.

It also checks the fixture cases: every rule fixture's expected root cause is still the top
finding (``fixtures/logs/*/expected.json``).

The logs are read from the corpus at run time (never copied into this repository). Without the
corpus the benchmark says so and exits 0. Run::

    python3 benchmarks/accuracy.py [--corpus DIR] [--jobs N] [--show-misses N] [--write]

``--write`` records the figures, with the commit, in ``benchmarks/ACCURACY.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = next(
    (p / "shared" / "corpora" / "logchunks-dev" for p in ROOT.parents if (p / "shared" / "corpora").is_dir()),
    ROOT.parent / "shared" / "corpora" / "logchunks-dev",
)
"""``../shared/corpora/logchunks-dev`` of the checkout (or of a folder above it)."""
WIDEN = 2


@dataclass(frozen=True)
class Label:
    """One labelled log of the corpus."""

    log: str
    language: str
    repo: str
    ranges: tuple[tuple[int, int], ...]
    """The chunk's range first, then its ``alt_ranges``."""


def read_labels(corpus: Path) -> list[Label]:
    """The corpus's ``labels.tsv``."""
    labels = []
    with open(corpus / "labels.tsv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            ranges = [(int(row["chunk_start"]), int(row["chunk_end"]))]
            for alt in filter(None, (row.get("alt_ranges") or "").split(";")):
                start, _, end = alt.partition("-")
                ranges.append((int(start), int(end or start)))
            labels.append(Label(row["log"], row["language"], row["repo"], tuple(ranges)))
    return labels


def shown_lines(report: dict) -> list[int]:
    """The log line numbers the report shows first: the top finding's evidence, else the tail."""
    findings = report.get("findings") or []
    if findings:
        return [e["line_number"] for e in findings[0]["evidence"] if e.get("line_number")]
    return [t["line_number"] for t in report.get("tail") or []]


def score(label: Label, lines: list[int]) -> tuple[bool, float | None]:
    """``(located, precision)`` of the shown ``lines`` for ``label`` (precision ``None``: none shown)."""
    if not lines:
        return False, None
    located = any(a - WIDEN <= n <= b + WIDEN for n in lines for a, b in label.ranges)
    inside = sum(1 for n in lines if any(a <= n <= b for a, b in label.ranges))
    return located, inside / len(lines)


def _diagnose(path: str) -> dict:
    """Run the CLI in this process, exactly as a user would run it, and read its JSON."""
    from analyzer.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.json")
        err = io.StringIO()
        code = main(["diagnose", "--log-file", path, "--format", "json", "--output", out], stdout=io.StringIO(), stderr=err)
        if code not in (0, 1):
            return {"error": f"exit {code}: {err.getvalue().strip()}"}
        with open(out, encoding="utf-8") as handle:
            return json.load(handle)


def _one(job: tuple[str, str]) -> tuple[str, dict, float]:
    log, path = job
    started = time.perf_counter()
    report = _diagnose(path)
    return log, report, time.perf_counter() - started


def run_corpus(corpus: Path, jobs: int) -> tuple[list[tuple[Label, dict]], float]:
    """Diagnose every labelled log; returns each label with its report, and the seconds taken."""
    labels = read_labels(corpus)
    with tempfile.TemporaryDirectory(prefix="accuracy-") as tmp:
        with tarfile.open(corpus / "logs.tar.gz") as tar:
            tar.extractall(tmp, filter="data")
        work = [(label.log, os.path.join(tmp, "logs", label.log)) for label in labels]
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            reports = {log: report for log, report, _ in pool.map(_one, work, chunksize=4)}
        took = time.perf_counter() - started
    return [(label, reports[label.log]) for label in labels], took


def fixture_check() -> tuple[int, list[str]]:
    """Every fixture case keeps the root cause its ``expected.json`` names; returns (checked, misses)."""
    from analyzer.rules.fixtures import diagnose_case, iter_cases, load_expected
    from analyzer.rules.loader import load_rules

    rules = load_rules().rules
    fixtures = ROOT / "fixtures" / "logs"
    checked, misses = 0, []
    expected: dict[str, dict] = {}
    for case in iter_cases(fixtures):
        folder = expected.setdefault(case.rule_id, load_expected(fixtures / case.rule_id))
        if case.name not in folder:
            continue
        want = folder[case.name]
        diagnosis = diagnose_case(rules, case)
        got = diagnosis.root_cause.rule_id if diagnosis.root_cause else None
        wanted = want[0]["rule_id"] if want else None
        checked += 1
        if got != wanted:
            misses.append(f"{case.rule_id}/{case.name}: expected {wanted}, got {got}")
    return checked, misses


def summarise(results: list[tuple[Label, dict]]) -> dict:
    """The figures: located share, mean precision, rule share, per language."""
    per_language: dict[str, list[tuple[bool, float | None]]] = defaultdict(list)
    per_repo: dict[str, list[tuple[bool, float | None]]] = defaultdict(list)
    located = 0
    precisions: list[float] = []
    fired = 0
    errors = 0
    for label, report in results:
        if "error" in report:
            errors += 1
        lines = shown_lines(report)
        hit, precision = score(label, lines)
        located += hit
        if precision is not None:
            precisions.append(precision)
        top = (report.get("findings") or [{}])[0]
        if top.get("rule_id") and top.get("role", "cause") == "cause" and "locator" not in (top.get("tags") or []):
            fired += 1
        per_language[label.language].append((hit, precision))
        per_repo[label.repo].append((hit, precision))
    n = len(results)
    return {
        "logs": n,
        "located": located,
        "located_share": located / n if n else 0.0,
        "precision": sum(precisions) / len(precisions) if precisions else 0.0,
        "specific_rule_top": fired,
        "errors": errors,
        "languages": {language: _figures(rows) for language, rows in sorted(per_language.items())},
        "halves": _halves(per_repo),
    }


def _figures(rows: list[tuple[bool, float | None]]) -> dict:
    shown = [p for _, p in rows if p is not None]
    return {"logs": len(rows), "located": sum(1 for hit, _ in rows if hit), "precision": sum(shown) / max(1, len(shown))}


def _halves(per_repo: dict[str, list[tuple[bool, float | None]]]) -> list[dict]:
    """The repositories in two halves by name (case ignored), with each half's figures: a
    heuristic that works on one half only (because its logs motivated it) shows as a gap."""
    repos = sorted(per_repo, key=str.lower)
    middle = len(repos) // 2
    return [
        {"first": part[0], "last": part[-1], "repos": len(part), **_figures([row for repo in part for row in per_repo[repo]])}
        for part in (repos[:middle], repos[middle:])
        if part
    ]


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "analyzer", "rules"], capture_output=True, text=True)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def render(figures: dict, took: float, fixtures: tuple[int, list[str]] | None) -> str:
    """The figures as Markdown."""
    lines = [
        f"Commit `{_commit()}`, {time.strftime('%Y-%m-%d')}, {figures['logs']} logs in {took:.0f} s.",
        "",
        f"- **Located: {figures['located_share']:.1%}** ({figures['located']} of {figures['logs']})",
        f"- **Precision: {figures['precision']:.2f}** (share of shown lines inside the chunk, mean over logs)",
        f"- Top finding a specific rule's cause: {figures['specific_rule_top']} logs",
        f"- Logs the CLI could not diagnose: {figures['errors']}",
    ]
    for half in figures["halves"]:
        lines.append(
            f"- Repositories {half['first']} .. {half['last']} ({half['repos']}): {half['located']} of {half['logs']} "
            f"located ({half['located'] / max(1, half['logs']):.1%}), precision {half['precision']:.2f}"
        )
    if fixtures is not None:
        checked, misses = fixtures
        lines.append(f"- Fixture cases keeping their expected root cause: {checked - len(misses)} of {checked}")
    lines += ["", "| language | logs | located | precision |", "|---|---|---|---|"]
    for language, row in figures["languages"].items():
        lines.append(f"| {language} | {row['logs']} | {row['located']} | {row['precision']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"the corpus folder (default: {DEFAULT_CORPUS})")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPU count)")
    parser.add_argument("--show-misses", type=int, default=0, metavar="N", help="print N logs that were not located")
    parser.add_argument("--no-fixtures", action="store_true", help="skip the fixture-case check")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every log's shown lines and score here")
    parser.add_argument("--write", action="store_true", help="record the figures in benchmarks/ACCURACY.md")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if not (args.corpus / "labels.tsv").is_file():
        print(f"accuracy: no corpus at {args.corpus} (labels.tsv missing): nothing to measure", file=sys.stderr)
        return 0
    results, took = run_corpus(args.corpus, args.jobs)
    figures = summarise(results)
    fixtures = None if args.no_fixtures else fixture_check()
    text = render(figures, took, fixtures)
    print(text)
    if fixtures and fixtures[1]:
        print("Fixture misses:\n  " + "\n  ".join(fixtures[1]))
    if args.show_misses:
        shown = 0
        for label, report in results:
            lines = shown_lines(report)
            hit, _ = score(label, lines)
            if hit:
                continue
            top = (report.get("findings") or [{}])[0]
            print(f"MISS {label.log} chunk={label.ranges} shown={lines[:8]} top={top.get('rule_id')} {report.get('error', '')}")
            shown += 1
            if shown >= args.show_misses:
                break
    if args.json:
        rows = [
            {"log": label.log, "ranges": label.ranges, "shown": shown_lines(report), "top": (report.get("findings") or [{}])[0].get("rule_id"), "located": score(label, shown_lines(report))[0]}
            for label, report in results
        ]
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if args.write:
        path = ROOT / "benchmarks" / "ACCURACY.md"
        head = (
            "# Accuracy on real failed logs\n\n"
            "Measured by `python3 benchmarks/accuracy.py --write` on `../shared/corpora/logchunks-dev` (398 real\n"
            "failed Travis CI logs, hand-labelled failure chunks; scored as its README says). The logs are\n"
            "read at run time and never copied here.\n\n"
            "Before the log model, causal ranking and failure locator (commit `0361f61`): 51.0% located,\n"
            "precision 0.21. Target: 85% located with precision >= 0.5. The locator reads the failing\n"
            "command's last 50,000 lines (`FAILURE_WINDOW`), decoding only the lines that may matter\n"
            "(a test suite's first failure may sit 20,000 lines above the runner's exit); most of what\n"
            "it misses here are labels that name a later failure than the build's first.\n\n"
            "Generalisation: the 40 repositories are also split in two halves by name (a rule or pattern\n"
            "tuned to one half's logs shows as a gap). The dev half has 10-20 logs per repository, so a\n"
            "repository's logs count as one kind, not ten: in the audit at `7a60c0d` (each pattern of the\n"
            "locator left out in turn), 42 of the 345 located logs were located only through a pattern no\n"
            "other repository's logs use (minitest, Pester, testthat, TAP, prove, Erlang Common Test,\n"
            "QUnit, npm-run-all, xcodebuild): 303 of 398 (76.1%; halves 79.8% and 72.5%) is the figure to\n"
            "expect on repositories whose tools the locator was never shown. `tests/engine/test_locator_ecosystems.py`\n"
            "adds kinds of ecosystems this half lacks, from public failed logs.\n\n"
        )
        path.write_text(head + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
