#!/usr/bin/env python3
"""Cold start and warm time per build of the organisation service's handler.

Cold start: a fresh interpreter imports ``analyzer.service.handler`` and loads the rule
pack and its prefilter (what the first invocation of a new Lambda instance does), with an
empty compiled-pack cache (a new instance's /tmp is empty) and with a filled one. Warm,
per build: one handler instance processes events against a local moto server over HTTP
(record, log, two S3 writes, two DynamoDB writes, one SNS publish), and, separately, the
in-process part of that work (diagnose, redact, render the JSON, gzip the log). Prints a
Markdown table; ``benchmarks/LAMBDA_RESULTS.md`` keeps the figures.

    python benchmarks/lambda_bench.py [--builds 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLD = """
import time
t0 = time.perf_counter()
import analyzer.service.handler
t1 = time.perf_counter()
from analyzer.engine import EngineOptions
from analyzer.rules import load_rules
from analyzer.rules.compiled import load_prefilter
rules = load_rules().rules
options = EngineOptions(prefilter=load_prefilter(rules))
t2 = time.perf_counter()
import boto3
session = boto3.session.Session(region_name="us-east-1")
clients = [session.client(name) for name in ("s3", "dynamodb", "sns", "sts")]
t3 = time.perf_counter()
print(f"{t1 - t0:.4f} {t2 - t1:.4f} {t3 - t2:.4f}")
"""


def cold_start(runs: int) -> dict[str, tuple[float, float, float]]:
    """Median (import, pack load, boto3 clients) seconds with an empty and with a filled cache directory."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "CODEBUILD_DOCTOR_CACHE_DIR": cache}
        for label, clear in (("empty /tmp cache (new instance)", True), ("filled cache", False)):
            samples = []
            for _ in range(runs):
                if clear:
                    for path in Path(cache).rglob("*"):
                        if path.is_file():
                            path.unlink()
                result = subprocess.run([sys.executable, "-c", COLD], env=env, capture_output=True, text=True,
                                        check=True, cwd=ROOT)  # fmt: skip
                samples.append(tuple(float(x) for x in result.stdout.split()))
            out[label] = tuple(statistics.median(s[i] for s in samples) for i in range(3))  # type: ignore[assignment]
    return out


def warm(builds: int) -> tuple[float, float]:
    """(seconds per build through the handler against moto, seconds per build in process)."""
    import gzip
    import json

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                      AWS_REGION="us-east-1")  # fmt: skip
    sys.path.insert(0, str(ROOT / "tests" / "aws"))
    from orghelp import central_account, service

    from analyzer import pipeline
    from analyzer.demo import load_samples, moto_server, seed_builds_in_process
    from analyzer.redact import redact_diagnosis
    from analyzer.report import Format, render_diagnosis
    from analyzer.rules import load_rules
    from analyzer.service.events import state_change_event
    from analyzer.sources.file import FileSource

    samples = [s for s in load_samples() if s.log_lines]
    rules = load_rules().rules
    with moto_server() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        central = central_account(endpoint)
        handler = service(central, rules, logs_rps=1000.0)
        items = [{"record": samples[i % len(samples)].record, "log_lines": samples[i % len(samples)].log_lines}
                 for i in range(builds)]  # fmt: skip
        ids = seed_builds_in_process(items, account="210987654321")
        events = [{"messageId": str(i), "body": json.dumps(state_change_event(
            f"arn:aws:codebuild:us-east-1:210987654321:build/{b}", "FAILED"))} for i, b in enumerate(ids)]  # fmt: skip
        handler.handle({"Records": events[:1]})  # the first assumes the role and builds the clients
        started = time.perf_counter()
        for start in range(1, len(events), 10):
            handler.handle({"Records": events[start : start + 10]})
        through_moto = (time.perf_counter() - started) / (len(events) - 1)
        assert all(o.result == "stored" for o in handler.outcomes)
    with tempfile.TemporaryDirectory() as temp:
        paths = []
        for i, sample in enumerate(samples):
            path = Path(temp) / f"{i}.log"
            path.write_text("".join(sample.log_lines), encoding="utf-8")
            paths.append(path)
        started = time.perf_counter()
        for i in range(builds):
            path = paths[i % len(paths)]
            diagnosis = redact_diagnosis(pipeline.diagnose_log(rules, FileSource(str(path)), None, handler.options))
            render_diagnosis(diagnosis, Format.JSON)
            gzip.compress(path.read_bytes())
        in_process = (time.perf_counter() - started) / builds
    return through_moto, in_process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builds", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("| measure | seconds |")
    print("|---|---|")
    for label, (imports, load, clients) in cold_start(args.runs).items():
        print(f"| cold start, {label}: import handler | {imports:.3f} |")
        print(f"| cold start, {label}: load rule pack + prefilter | {load:.3f} |")
        print(f"| cold start, {label}: import boto3, build the 4 central clients | {clients:.3f} |")
    through_moto, in_process = warm(args.builds)
    print(f"| warm, per build, handler against moto over HTTP (7 AWS calls) | {through_moto:.3f} |")
    print(f"| warm, per build, in process (diagnose, redact, JSON, gzip) | {in_process:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
