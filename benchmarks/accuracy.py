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

A repository's logs are one kind of log, not ten: a pattern of the locator that only one
repository's logs fire was most likely written for them, and says nothing of logs nobody here has
seen. So a **held-out** figure is printed beside the main one (leave one repository out): each
top-level alternative of the locator's patterns (:func:`locator_alternatives`) is matched against
the lines the locator read in every log; those that fire in one repository's logs only are taken
out for that repository's logs, which are diagnosed again without them (:func:`held_out`).

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
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


Alternative = tuple[str, int]
"""One top-level alternative of a locator pattern: (the pattern's name in
``analyzer.engine.locator``, its index among the pattern's alternatives)."""

SEARCHED = frozenset({"NOT_AN_ERROR", "ERROR_WORDS"})
"""The locator's patterns it searches a line for (the others it matches at the line's start)."""

_GLOBAL_FLAGS = re.compile(r"\(\?[a-zA-Z0-9]+\)")


def split_alternatives(source: str, verbose: bool) -> tuple[str, list[str], str]:
    """A pattern's source as ``(head, alternatives, tail)``, ``head + "|".join(alternatives) + tail
    == source``: its alternatives at the top (``a|b``), else those of its first group at the top
    (``^(?:a|b)$``), else the whole pattern as the one alternative. Escapes, character classes
    and (``verbose``) comments are skipped, so a ``|`` in them splits nothing."""
    flags = _GLOBAL_FLAGS.match(source)
    start = flags.end() if flags else 0
    bars: dict[int, list[int]] = defaultdict(list)  # depth -> positions of '|'
    groups: list[tuple[int, int]] = []  # groups at the top: (open, close)
    depth_of_open: list[int] = []
    i, size, in_class = start, len(source), False
    while i < size:
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 1 + (source.startswith("^", i + 1))
            i += source.startswith("]", i)  # a ']' first in a class is a literal
            continue
        elif verbose and char == "#":
            end = source.find("\n", i)
            i = size if end < 0 else end
            continue
        elif char == "(":
            depth_of_open.append(i)
        elif char == ")":
            opened = depth_of_open.pop()
            if not depth_of_open:
                groups.append((opened, i))
        elif char == "|":
            bars[len(depth_of_open)].append(i)
        i += 1

    def cut(low: int, high: int, positions: list[int]) -> list[str]:
        edges = [low - 1, *positions, high]
        return [source[a + 1 : b] for a, b in zip(edges, edges[1:])]

    if bars[0]:
        return source[:start], cut(start, size, bars[0]), ""
    if groups and (source.startswith("(?:", groups[0][0]) or source[groups[0][0] + 1] != "?"):
        opened, closed = groups[0]
        inner = opened + (3 if source.startswith("(?:", opened) else 1)
        positions = [p for p in bars[1] if opened < p < closed]
        if positions:
            return source[:inner], cut(inner, closed, positions), source[closed:]
    return source[:start], [source[start:]], ""


def locator_alternatives() -> dict[str, tuple[Any, str, list[str], str]]:
    """Every public pattern of ``analyzer.engine.locator``: name -> (the compiled pattern, head,
    alternatives, tail) (:func:`split_alternatives`)."""
    import regex

    from analyzer.engine import locator

    found = {}
    for name, value in vars(locator).items():
        if isinstance(value, (regex.Pattern, re.Pattern)) and not name.startswith("_"):
            head, alternatives, tail = split_alternatives(value.pattern, bool(value.flags & regex.VERBOSE))
            found[name] = (value, head, alternatives, tail)
    return found


_ALTERNATIVES: dict[str, tuple[Any, str, list[str], str]] = {}
_SINGLE: dict[Alternative, Any] = {}


def _fired(texts: set[str]) -> set[Alternative]:
    """The alternatives of the locator's patterns that match one of ``texts`` (or its stripped form)."""
    import regex

    if not _ALTERNATIVES:
        _ALTERNATIVES.update(locator_alternatives())
        for name, (pattern, head, alternatives, tail) in _ALTERNATIVES.items():
            for index, alternative in enumerate(alternatives):
                _SINGLE[(name, index)] = regex.compile(head + alternative + tail, pattern.flags)
    fired: set[Alternative] = set()
    forms = texts | {text.strip() for text in texts}
    for name, (pattern, _, alternatives, _) in _ALTERNATIVES.items():
        find = pattern.search if name in SEARCHED else pattern.match
        hits = [text for text in forms if find(text)]
        if not hits:
            continue
        for index in range(len(alternatives)):
            single = _SINGLE[(name, index)]
            one = single.search if name in SEARCHED else single.match
            if any(one(text) for text in hits):
                fired.add((name, index))
    return fired


@contextmanager
def _recording(texts: set[str]) -> Iterator[None]:
    """Within it, every line the locator decodes is added to ``texts`` (its text as classified,
    and as logged, before a step prefix is taken off)."""
    from analyzer.engine import locator
    from analyzer.engine.lines import visible

    original = locator._text

    def recorded(line: Any) -> str:
        text = original(line)
        texts.add(text)
        texts.add(visible(line.text)[: locator.CLASSIFY_CHARS])
        return text

    locator._text = recorded
    try:
        yield
    finally:
        locator._text = original


@contextmanager
def _without(removed: frozenset[Alternative]) -> Iterator[None]:
    """Within it, the locator's patterns lack the ``removed`` alternatives (a pattern left with
    none matches nothing)."""
    import regex

    from analyzer.engine import locator

    patterns = locator_alternatives()
    saved = {}
    for name in {name for name, _ in removed}:
        pattern, head, alternatives, tail = patterns[name]
        kept = [a for index, a in enumerate(alternatives) if (name, index) not in removed]
        saved[name] = pattern
        setattr(locator, name, regex.compile(head + "|".join(kept) + tail if kept else "(?!)", pattern.flags))
    try:
        yield
    finally:
        for name, pattern in saved.items():
            setattr(locator, name, pattern)


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


def _one(job: tuple[str, str]) -> tuple[str, dict, set[Alternative]]:
    """Diagnose one log; with the alternatives that fired on the lines the locator read."""
    log, path = job
    texts: set[str] = set()
    with _recording(texts):
        report = _diagnose(path)
    return log, report, _fired(texts)


def _one_held_out(job: tuple[str, str, frozenset[Alternative]]) -> tuple[str, dict]:
    log, path, removed = job
    with _without(removed):
        return log, _diagnose(path)


def one_repository_alternatives(fired: dict[str, set[Alternative]], repo_of: dict[str, str]) -> dict[Alternative, str]:
    """The alternatives that fire in one repository's logs only (``fired``: log -> alternatives;
    ``repo_of``: log -> repository), with that repository."""
    repos: dict[Alternative, set[str]] = defaultdict(set)
    for log, alternatives in fired.items():
        for alternative in alternatives:
            repos[alternative].add(repo_of[log])
    return {alternative: next(iter(found)) for alternative, found in repos.items() if len(found) == 1}


@dataclass(frozen=True)
class HeldOut:
    """The leave-one-repository-out run."""

    results: list[tuple[Label, dict]]
    """Each log's report without its repository's one-repository alternatives."""
    alternatives: dict[Alternative, str]
    """The alternatives that fire in one repository's logs only, with that repository."""
    fired_in: dict[Alternative, int]
    """How many logs each of them fired in."""


def run_corpus(corpus: Path, jobs: int, held_out: bool = True) -> tuple[list[tuple[Label, dict]], float, HeldOut | None]:
    """Diagnose every labelled log; returns each label with its report, the seconds taken, and
    (``held_out``) the leave-one-repository-out run."""
    labels = read_labels(corpus)
    with tempfile.TemporaryDirectory(prefix="accuracy-") as tmp:
        with tarfile.open(corpus / "logs.tar.gz") as tar:
            tar.extractall(tmp, filter="data")
        paths = {label.log: os.path.join(tmp, "logs", label.log) for label in labels}
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            reports, fired = {}, {}
            for log, report, alternatives in pool.map(_one, [(label.log, paths[label.log]) for label in labels], chunksize=4):
                reports[log], fired[log] = report, alternatives
            results = [(label, reports[label.log]) for label in labels]
            if not held_out:
                return results, time.perf_counter() - started, None
            repo_of = {label.log: label.repo for label in labels}
            alone = one_repository_alternatives(fired, repo_of)
            by_repo: dict[str, frozenset[Alternative]] = defaultdict(frozenset)
            for alternative, repo in alone.items():
                by_repo[repo] |= {alternative}
            # A log none of its repository's alternatives fired in reads the same lines without them.
            again = [(label.log, paths[label.log], by_repo[label.repo]) for label in labels if fired[label.log] & by_repo[label.repo]]
            held = dict(reports)
            held.update(pool.map(_one_held_out, again, chunksize=2))
        took = time.perf_counter() - started
    fired_in = {alternative: sum(1 for found in fired.values() if alternative in found) for alternative in alone}
    return results, took, HeldOut([(label, held[label.log]) for label in labels], alone, fired_in)


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


def _half_lines(figures: dict, indent: str = "") -> list[str]:
    return [
        f"{indent}- Repositories {half['first']} .. {half['last']} ({half['repos']}): {half['located']} of {half['logs']} "
        f"located ({half['located'] / max(1, half['logs']):.1%}), precision {half['precision']:.2f}"
        for half in figures["halves"]
    ]


def render(
    figures: dict, took: float, fixtures: tuple[int, list[str]] | None, held_out: HeldOut | None = None
) -> str:
    """The figures as Markdown (with ``held_out``, the leave-one-repository-out figures beside them)."""
    lines = [
        f"Commit `{_commit()}`, {time.strftime('%Y-%m-%d')}, {figures['logs']} logs in {took:.0f} s.",
        "",
        f"- **Located: {figures['located_share']:.1%}** ({figures['located']} of {figures['logs']})",
    ]
    held = summarise(held_out.results) if held_out is not None else None
    if held_out is not None and held is not None:
        lines.append(
            f"- **Held out: {held['located_share']:.1%}** ({held['located']} of {held['logs']}), precision "
            f"{held['precision']:.2f}: each repository's logs without the {len(held_out.alternatives)} pattern "
            "alternatives that fire in that repository's logs only"
        )
    lines += [
        f"- **Precision: {figures['precision']:.2f}** (share of shown lines inside the chunk, mean over logs)",
        f"- Top finding a specific rule's cause: {figures['specific_rule_top']} logs",
        f"- Logs the CLI could not diagnose: {figures['errors']}",
        *_half_lines(figures),
    ]
    if held is not None:
        lines += ["- Held out, by half:", *_half_lines(held, "  ")]
    if fixtures is not None:
        checked, misses = fixtures
        lines.append(f"- Fixture cases keeping their expected root cause: {checked - len(misses)} of {checked}")
    lines += ["", "| language | logs | located | precision |", "|---|---|---|---|"]
    for language, row in figures["languages"].items():
        lines.append(f"| {language} | {row['logs']} | {row['located']} | {row['precision']:.2f} |")
    if held_out is not None and held_out.alternatives:
        lines += [
            "",
            "Pattern alternatives of `analyzer/engine/locator.py` that fire in one repository's logs only",
            "(not credited to them in the held-out figure):",
            "",
            "| pattern | alternative | repository | logs it fires in |",
            "|---|---|---|---|",
        ]
        patterns = locator_alternatives()
        for (name, index), repo in sorted(held_out.alternatives.items()):
            source = " ".join(patterns[name][2][index].split()).replace("|", "\\|").replace("`", "'")
            lines.append(f"| {name}[{index}] | `{source[:60]}` | {repo} | {held_out.fired_in[(name, index)]} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"the corpus folder (default: {DEFAULT_CORPUS})")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPU count)")
    parser.add_argument("--show-misses", type=int, default=0, metavar="N", help="print N logs that were not located")
    parser.add_argument("--no-fixtures", action="store_true", help="skip the fixture-case check")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every log's shown lines and score here")
    parser.add_argument("--write", action="store_true", help="record the figures in benchmarks/ACCURACY.md")
    parser.add_argument("--no-held-out", action="store_true", help="skip the leave-one-repository-out figure")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if not (args.corpus / "labels.tsv").is_file():
        print(f"accuracy: no corpus at {args.corpus} (labels.tsv missing): nothing to measure", file=sys.stderr)
        return 0
    results, took, held_out = run_corpus(args.corpus, args.jobs, held_out=not args.no_held_out)
    figures = summarise(results)
    fixtures = None if args.no_fixtures else fixture_check()
    text = render(figures, took, fixtures, held_out)
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
        if held_out is not None:
            for (label, report), (_, held) in zip(results, held_out.results):
                if score(label, shown_lines(report))[0] and not score(label, shown_lines(held))[0]:
                    print(f"HELD-OUT MISS {label.log} chunk={label.ranges} shown={shown_lines(held)[:8]}")
    if args.json:
        held_reports = [report for _, report in held_out.results] if held_out is not None else [None] * len(results)
        rows = [
            {
                "log": label.log,
                "ranges": label.ranges,
                "shown": shown_lines(report),
                "top": (report.get("findings") or [{}])[0].get("rule_id"),
                "located": score(label, shown_lines(report))[0],
                "held_out_located": score(label, shown_lines(held))[0] if held is not None else None,
            }
            for (label, report), held in zip(results, held_reports)
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
            "repository's logs count as one kind, not ten. The **held-out** figure leaves one repository out\n"
            "at a time: each top-level alternative of the locator's patterns is matched against the lines the\n"
            "locator read in every log, and those that fire in one repository's logs only (listed below) are\n"
            "taken out for that repository's logs, which are diagnosed again without them. It is the figure\n"
            "to expect on logs of tools the locator was never shown (the audit at `7a60c0d`, leaving each\n"
            "pattern out in turn, found 76.1%; this measure at `9e1f778`, before the generic signals of\n"
            "`tests/engine/test_locator_generic.py`: 73.4%, 292 of 398, precision 0.68).\n"
            "`tests/engine/test_locator_ecosystems.py` adds kinds of\n"
            "ecosystems this half lacks, from public failed logs.\n\n"
        )
        path.write_text(head + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
