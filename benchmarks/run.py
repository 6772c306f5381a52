"""Benchmark ``codebuild-doctor diagnose --log-file`` against ripgrep on the same patterns.

    pip install -e '.[bench]'
    python benchmarks/run.py                 # 10M and 100M, 3 runs each
    python benchmarks/run.py --sizes 10M 100M 1G --runs 3 --write benchmarks/RESULTS.md

Logs are generated into a temporary directory (never committed). For each size it runs,
in the same session, the tool with the full shipped pack (JSON report to /dev/null) and
``rg --no-unicode -c -f patterns`` with the same patterns converted to rg's syntax (named
groups made plain, since ``rg -f`` joins the lines into one regex and duplicate names fail;
patterns with lookarounds are skipped: rg's engine has none, and they are listed). Each
command runs under ``/usr/bin/time -v``-like accounting (``resource.getrusage`` of the
child) for wall time and peak RSS; the table shows medians. Start-up is measured as the
tool on a one-line log against ``python -c pass``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate, parse_size  # noqa: E402


def rg_patterns() -> tuple[list[str], list[tuple[str, str]]]:
    """The shipped pack's log patterns in rg syntax, and ``(rule id, pattern)`` of those skipped."""
    from analyzer.models import TextSource
    from analyzer.rules import load_rules

    kept, skipped = [], []
    for rule in load_rules().rules:
        for pattern in rule.patterns:
            if pattern.source is TextSource.PHASE_CONTEXT:
                continue
            text = re.sub(r"\(\?P?<([A-Za-z_]\w*)>", "(", pattern.regex.pattern)
            # A leading "not inside quotes" lookbehind only narrows: rg gets the pattern without it.
            text = re.sub(r"\(\?<!\[[^\]]*\]\)", "", text)
            if re.search(r"\(\?<?[=!]", text):
                skipped.append((rule.id, "lookaround"))
                continue
            if not text.isascii():
                # rg --no-unicode refuses a non-ASCII character in a class ("Unicode not allowed here").
                skipped.append((rule.id, "non-ASCII"))
                continue
            if pattern.regex.flags & re.IGNORECASE:
                text = "(?i)" + text
            kept.append(text)
    return kept, skipped


def measure(argv: list[str]) -> tuple[float, int]:
    """Run ``argv`` once; returns (wall seconds, peak RSS in MB) of that child alone."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "if done.returncode > 1: sys.exit(f'{sys.argv[1]} failed with exit status {done.returncode}')\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    # As installed by pip, the tool's modules have bytecode; a sandbox that sets
    # PYTHONDONTWRITEBYTECODE would make every start recompile them (~100 ms).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True, env=env)
    wall, rss_kb = out.stdout.split()
    return float(wall), int(rss_kb) // 1024


def median_run(argv: list[str], runs: int) -> tuple[float, int]:
    """Median wall time and the largest peak RSS over ``runs`` runs."""
    return median_runs([argv], runs)[0]


def median_runs(commands: list[list[str]], runs: int) -> list[tuple[float, int]]:
    """Median wall time and largest peak RSS of each command, over ``runs`` rounds that run
    every command once in turn, so that a machine getting busier or quieter during the
    benchmark weighs on all of them alike (their ratio is the figure that matters)."""
    results: list[list[tuple[float, int]]] = [[] for _ in commands]
    for _ in range(runs):
        for argv, found in zip(commands, results, strict=True):
            found.append(measure(argv))
    return [(statistics.median(r[0] for r in found), max(r[1] for r in found)) for found in results]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10M", "100M"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", type=Path, help="write the Markdown table here")
    parser.add_argument("--workdir", type=Path, help="where logs go (default: a temp dir, removed)")
    args = parser.parse_args()

    rg = shutil.which("rg")
    if rg is None:
        parser.error("rg not found: pip install 'codebuild-doctor[bench]'")
    tool = [sys.executable, "-m", "analyzer", "diagnose", "--format", "json", "--output", os.devnull, "--log-file"]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cbd-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    patterns, skipped = rg_patterns()
    pattern_file = workdir / "patterns.rg"
    pattern_file.write_text("\n".join(patterns) + "\n", encoding="utf-8")

    rows = []
    try:
        small = workdir / "small.log"
        small.write_bytes(b"[Container] 2025/03/08 23:03:00.050806 Entering phase BUILD\nok\n")
        subprocess.run(tool + [str(small)], stdout=subprocess.DEVNULL)  # warm the compiled-pack cache
        start_tool = median_run(tool + [str(small)], max(args.runs, 5))[0]
        start_python = median_run([sys.executable, "-c", "pass"], max(args.runs, 5))[0]
        for size_text in args.sizes:
            log = workdir / f"build-{size_text}.log"
            if not log.exists():
                t = time.perf_counter()
                generate(log, parse_size(size_text))
                print(f"generated {log} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
            megabytes = log.stat().st_size / 1e6
            (tool_time, tool_rss), (rg_time, rg_rss) = median_runs(
                [tool + [str(log)], [rg, "--no-unicode", "-c", "-f", str(pattern_file), str(log)]], args.runs
            )
            rows.append((size_text, megabytes, tool_time, tool_rss, rg_time, rg_rss))
            print(rows[-1], file=sys.stderr)
            if args.workdir is None:
                log.unlink()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text("utf-8").splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    lines = [
        f"Machine: {os.cpu_count()} CPUs (nproc), {cpu}; Python {platform.python_version()}; "
        f"ripgrep {subprocess.run([rg, '--version'], capture_output=True, text=True).stdout.split()[1]}; "
        f"median of {args.runs} runs, the tool and rg taking turns; wall time of the whole command (start-up included).",
        "",
        f"Patterns: {len(patterns)} log patterns given to both (a leading `(?<![...])` lookbehind dropped for rg); "
        f"{len(skipped)} more (with lookaheads or non-ASCII characters, which rg cannot take) only to codebuild-doctor: " + ", ".join(sorted({r for r, _ in skipped})) + ".",
        "",
        "| log | codebuild-doctor MB/s | peak RSS | rg --no-unicode MB/s | peak RSS | tool / rg |",
        "|---|---|---|---|---|---|",
    ]
    for size_text, megabytes, tool_time, tool_rss, rg_time, rg_rss in rows:
        lines.append(
            f"| {size_text} ({megabytes:,.0f} MB) | {megabytes / tool_time:,.0f} ({tool_time:.2f} s) | {tool_rss} MB "
            f"| {megabytes / rg_time:,.0f} ({rg_time:.2f} s) | {rg_rss} MB | {rg_time / tool_time:.2f}x |"
        )
    lines += [
        "",
        f"Start-up: `diagnose --log-file` on a 2-line log {start_tool * 1000:.0f} ms (cached compiled pack) "
        f"against `python -c pass` {start_python * 1000:.0f} ms.",
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.write:
        args.write.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
