"""Benchmark clustering a scan's unknown failures: 10,000 error blocks, as ``scan`` clusters them.

    python benchmarks/cluster_bench.py                      # 10,000 blocks, 5 runs
    python benchmarks/cluster_bench.py --blocks 50000 --runs 3

Each block is an unexplained build's diagnosis (the failure locator's finding, 1-8 lines
with context), made from the five kinds of ``tests/unknown_failures.py`` (real wording,
varying names, paths, numbers and ids) and from 400 synthetic tools' messages
(``<tool>: error: <words> '<value>' at <path>:<line>``), so Drain holds a few hundred
templates, as a large organisation's scan would. What is timed is what a scan report does:
:func:`analyzer.clusters.cluster_report` over the report (picking each block's telling
line, masking it, Drain, templates, ranking), and, apart, Drain alone
(:func:`analyzer.clusters.cluster_texts` on the telling lines). Target: under 2 s for
10,000 blocks on 2 cores (it runs on one). Medians of ``--runs``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.clusters import cluster_report, cluster_texts, error_block  # noqa: E402
from analyzer.engine.ranking import LOCATOR_RULE, LOCATOR_TAG  # noqa: E402
from analyzer.models import (  # noqa: E402
    Build,
    BuildId,
    ContextLine,
    Diagnosis,
    Evidence,
    Finding,
    ScanReport,
    Severity,
    TextSource,
)
from tests.unknown_failures import KINDS  # noqa: E402

WORDS = ("cannot", "resolve", "symbol", "missing", "timeout", "refused", "invalid", "config", "schema",
         "bundle", "target", "module", "plugin", "version", "token", "manifest", "checksum", "quota")  # fmt: skip


def _synthetic(rng: random.Random, tool: int) -> list[str]:
    """A made-up tool's error: fixed words per tool, varying value, path and line."""
    words = random.Random(tool).sample(WORDS, 4)
    value = rng.choice(["alpha", "beta", "gamma", "delta", "omega"]) + str(rng.randint(1, 999))
    return [
        f"tool{tool}: error: {' '.join(words)} '{value}' at src/pkg{rng.randint(1, 40)}/file.go:{rng.randint(1, 900)}",
        f"    at tool{tool}.main (/usr/lib/tool{tool}/index.js:{rng.randint(1, 99)}:{rng.randint(1, 40)})",
    ]


def make_report(blocks: int, seed: int = 10) -> ScanReport:
    """A scan report of ``blocks`` unexplained builds (see the module docstring)."""
    rng = random.Random(seed)
    t0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
    diagnoses = []
    for n in range(blocks):
        if n % 2:
            kind = KINDS[n % len(KINDS)]
            lines = [line for line in kind.output(rng, n) if line.strip()][-4:]
        else:
            lines = _synthetic(rng, rng.randint(1, 400))
        start = t0 + timedelta(minutes=n)
        build = Build(BuildId(f"p{n % 50}:{n:08d}-0000-0000-0000-000000000000"), project=f"p{n % 50}",
                      start_time=start, end_time=start + timedelta(minutes=1 + n % 9))  # fmt: skip
        evidence = tuple(
            Evidence(TextSource.LOG, text, 0, len(text), line_number=100 + i, phase="BUILD",
                     before=(ContextLine(99, "> running the command"),) if i == 0 else ())
            for i, text in enumerate(lines)
        )  # fmt: skip
        finding = Finding(f"f{n}", LOCATOR_RULE, "Unrecognised failure", Severity.ERROR, "unknown", 0, 1, evidence,
                          {}, "", "", tags=(LOCATOR_TAG,))  # fmt: skip
        diagnoses.append(Diagnosis((finding,), build=build))
    return ScanReport(tuple(diagnoses))


def _time(function, runs: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Median wall-clock and CPU seconds of ``runs`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    report = make_report(args.blocks)
    lines = [error_block(d).line.text for d in report.diagnoses]
    whole, whole_cpu, clusters = _time(lambda: cluster_report(report), args.runs)
    drain, drain_cpu, _ = _time(lambda: cluster_texts(lines), args.runs)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs (load average {load:.1f}), {args.blocks:,} error blocks, median of {args.runs} runs")  # fmt: skip
    print(f"cluster_report (telling line, mask, Drain, templates, rank): {whole:.3f} s wall, {whole_cpu:.3f} s CPU "
          f"({args.blocks / whole:,.0f} blocks/s), {len(clusters):,} clusters")  # type: ignore[arg-type]  # fmt: skip
    print(f"Drain alone on the telling lines (cluster_texts):            {drain:.3f} s wall, {drain_cpu:.3f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
