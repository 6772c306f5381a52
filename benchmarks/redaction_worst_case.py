"""Redaction on long lines built to make a secret pattern backtrack (its worst case).

Every line a report shows is redacted with each secret pattern whose literal it holds. A pattern
that may start at every character of a long run and scan to the run's end is quadratic: before
this benchmark an 80 KB line of words holding "PRIVATE KEY" took 20 s, and a log with one
160 KB line of a host name and such words took over four minutes to diagnose. This measures,
for each shape of line and two lengths (n and 4n), the slowest pattern of the catalogue and how
its time grows: about 4x is linear, 16x quadratic.

    python3 benchmarks/redaction_worst_case.py [--chars 40000] [--write]

Exits 1 when a pattern grows more than 8x from n to 4n characters (and takes over 250 ms), so a
quadratic pattern added to the catalogue shows here. ``--write`` appends the table to
benchmarks/RESULTS.md's redaction section (replacing it).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHAPES: dict[str, Callable[[int], str]] = {
    "words after PRIVATE KEY": lambda n: "PRIVATE KEY " + "abcd efgh " * (n // 10),
    "words, then END after a full stop": lambda n: "abcd efgh " * (n // 10) + ". -----END PRIVATE KEY",
    "one base64 word": lambda n: "Ab1" * (n // 3),
    "a long host name after ://": lambda n: "https://" + "a." * (n // 2),
    "dashes": lambda n: "-" * n,
    "dotted name before PASSWORD": lambda n: "a." * (n // 2) + "PASSWORD",
    "key=value pairs": lambda n: "a=" * (n // 2),
    "password= repeated": lambda n: "password=" * (n // 9),
    "token words": lambda n: "token " * (n // 6),
    "hex": lambda n: "0123456789abcdef" * (n // 16),
    "Authorization: Bearer and words": lambda n: "Authorization: Bearer " + "a " * (n // 2),
    "docker words": lambda n: " ".join(f"docker-{i}" for i in range(n // 10)),
    "image names": lambda n: " ".join(f"docker.io/library/img{i}:latest" for i in range(n // 30)),
    "URLs after curl": lambda n: "curl " + "https://a.example.com/x " * (n // 24),
    "mysql words": lambda n: "mysql " * (n // 6),
}

SECTION = "## Redaction worst case"


def _slowest(line: str) -> tuple[float, str]:
    from analyzer.redact import catalogue

    worst, name = 0.0, ""
    for pattern in catalogue():
        took = float("inf")
        for _ in range(3):  # the least of three: one run on a busy machine is noise
            started = time.perf_counter()
            for _ in pattern.regex.finditer(line):
                pass
            took = min(took, time.perf_counter() - started)
        if took > worst:
            worst, name = took, f"{pattern.kind}: {pattern.regex.pattern[:48]}"
    return worst, name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=40_000, help="the short length n (default 40,000)")
    parser.add_argument("--write", action="store_true", help="write the table into benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    from analyzer.redact import redact_text

    rows, failed = [], False
    for shape, make in SHAPES.items():
        short, long = make(args.chars), make(4 * args.chars)
        small, _ = _slowest(short)
        large, name = _slowest(long)
        started = time.perf_counter()
        redact_text(long)
        whole = time.perf_counter() - started
        growth = large / small if small > 0 else 0.0
        bad = growth > 8 and large > 0.25  # a quadratic pattern takes seconds at 4n; below, timer noise
        failed |= bad
        rows.append(f"| {shape} | {len(long):,} | {whole:.3f} | {large:.3f} | {growth:.1f}x{' (super-linear)' if bad else ''} | `{name}` |")
    table = [
        f"{SECTION}",
        "",
        f"`python3 benchmarks/redaction_worst_case.py --chars {args.chars}`: each shape at n and 4n characters;",
        "the time to redact the 4n line, its slowest pattern and how that pattern's time grew from n to 4n",
        "(about 4x is linear). Before the PEM-tail, URL-credential and secret-name patterns started only",
        "where their run starts (commit after 2542eb9), an 80 KB line of words after PRIVATE KEY took 20 s,",
        "a 40 KB run of dashes 269 s in one pattern, and a log with one 160 KB such line over 4 minutes.",
        "",
        "| line | chars | redact s | slowest pattern s | growth | slowest pattern |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    print("\n".join(table))
    if args.write:
        results = ROOT / "benchmarks" / "RESULTS.md"
        text = results.read_text(encoding="utf-8")
        head = text.split(SECTION)[0].rstrip("\n")
        tail = text.split(SECTION, 1)[1].split("\n## ", 1)[1] if SECTION in text and "\n## " in text.split(SECTION, 1)[1] else ""
        results.write_text(head + "\n\n" + "\n".join(table) + ("\n## " + tail if tail else ""), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
