#!/usr/bin/env python3
"""Regenerate every ``fixtures/logs/<rule-id>/expected.json`` from the current rule pack.

Usage: ``python3 scripts/update_expected.py [--check]``. Review the diff by eye
before committing: the files are the test suite's truth. ``--check`` writes
nothing and exits 1 when a file would change (for CI).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.rules import load_rules  # noqa: E402
from analyzer.rules.fixtures import EXPECTED_FILE, dump_expected, iter_cases, run_case  # noqa: E402

FIXTURES = ROOT / "fixtures" / "logs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale files, write nothing")
    args = parser.parse_args(argv)
    pack = load_rules()
    results: dict[Path, dict[str, list]] = defaultdict(dict)
    for case in iter_cases(FIXTURES):
        results[case.directory][case.name] = run_case(pack.rules, case)
    stale = 0
    for directory, cases in sorted(results.items()):
        path = directory / EXPECTED_FILE
        text = dump_expected(cases)
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if old == text:
            continue
        stale += 1
        print(f"{'stale' if args.check else 'updated'}: {path.relative_to(ROOT)}")
        if not args.check:
            path.write_text(text, encoding="utf-8")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
