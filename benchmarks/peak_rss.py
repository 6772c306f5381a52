"""Peak memory (RSS) of ``diagnose`` and ``scan`` on logs that used to blow it up (issue 13).

1. ``diagnose --log-file`` on a gzip that expands to 5 GB with no newline (a 23 MB gzip
   peaked at 10.5 GB RSS): the line cap keeps 1 MiB of the line, the log cap stops at 2 GiB.
2. ``scan`` of a build whose only log is a 1 GB gzip object in S3, with the cache on (it
   held the whole log in memory to cache it: 2.28 GB), then again from the cache.

Each command runs in its own process (``python -m analyzer``), and its peak RSS is that
child's ``ru_maxrss``. The S3 case serves the object from a moto server on 127.0.0.1 in
this (the benchmark's) process, so the 1 GB object does not count against the scan.

    python3 benchmarks/peak_rss.py [--log-gb 1] [--write]

``--write`` replaces benchmarks/RSS_RESULTS.md with the figures.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _child_peak_mb(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run ``argv``; return (peak RSS of it in MB, seconds, exit status)."""
    started = time.monotonic()
    code = f"""
import resource, subprocess, sys
proc = subprocess.run({argv!r}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, proc.returncode)
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    kb, status = out.stdout.split()
    if out.stderr.strip():
        print(out.stderr.strip()[-600:], file=sys.stderr)
    return int(kb) / 1024, time.monotonic() - started, int(status)


def _bomb(path: Path, gigabytes: float) -> int:
    """A gzip of ``gigabytes`` GB of 'x' with no newline; returns its size."""
    block = b"x" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as out:
        for _ in range(int(gigabytes * 1024)):
            out.write(compressor.compress(block))
        out.write(compressor.compress(b"\ntoomanyrequests: You have reached your unauthenticated pull rate limit\n"))
        out.write(compressor.flush())
    return path.stat().st_size


def _s3_log(path: Path, gigabytes: float) -> int:
    """A gzip build log of ``gigabytes`` GB of varied lines, the cause at its end."""
    lines = [f"step {i}: compiling module_{i % 997}.c with -O2 -Wall (cache miss {i * 7919 % 10007})\n" for i in range(5000)]
    chunk = "".join(lines).encode()
    with gzip.open(path, "wb", compresslevel=1) as out:
        written = 0
        while written < gigabytes * (1 << 30):
            out.write(chunk)
            written += len(chunk)
        out.write(b"toomanyrequests: You have reached your unauthenticated pull rate limit\n")
    return path.stat().st_size


def bench_diagnose_bomb(tmp: Path) -> dict[str, str]:
    bomb = tmp / "bomb.log.gz"
    size = _bomb(bomb, 5)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    peak, seconds, status = _child_peak_mb([sys.executable, "-m", "analyzer", "diagnose", "--log-file", str(bomb), "--format", "json"], env)
    return {"case": f"diagnose --log-file: {size / 1e6:.0f} MB gzip expanding to 5 GB, no newline", "peak": f"{peak:.0f}", "seconds": f"{seconds:.1f}", "status": str(status)}


def bench_scan_s3(tmp: Path, gigabytes: float) -> list[dict[str, str]]:
    import boto3

    from analyzer.demo import moto_server, seed_build

    with moto_server() as endpoint:  # in this process: the 1 GB object is not the scan's memory
        env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        record = {"projectName": "big-logs", "buildStatus": "FAILED", "logs": {"cloudWatchLogs": {"status": "DISABLED"}},
                  "phases": [{"phaseType": "BUILD", "phaseStatus": "FAILED", "contexts": [{"statusCode": "COMMAND_EXECUTION_ERROR", "message": "Error while executing command: make. Reason: exit status 2"}]}]}  # fmt: skip
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        build_id = seed_build(endpoint, record, ["placeholder"], s3_bucket="build-logs")
        uuid = build_id.split(":", 1)[1]
        log = tmp / "big.log.gz"
        size = _s3_log(log, gigabytes)
        s3.upload_file(str(log), "build-logs", f"logs/{uuid}.gz")
        log.unlink()
        cache = tmp / "cache"
        argv = [sys.executable, "-m", "analyzer", "scan", "--since", "1d", "--format", "json", "--cache-dir", str(cache)]
        rows = []
        for label in ("cold cache (the log fetched, diagnosed and cached)", "warm cache (the log read from the cache)"):
            peak, seconds, status = _child_peak_mb(argv, env)
            rows.append({"case": f"scan, one build with a {gigabytes:g} GB S3 log ({size / 1e6:.0f} MB gzip), {label}",
                         "peak": f"{peak:.0f}", "seconds": f"{seconds:.1f}", "status": str(status)})  # fmt: skip
        return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log-gb", type=float, default=1.0, help="size of the S3 log for the scan case (GB)")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RSS_RESULTS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        rows = [bench_diagnose_bomb(tmp), *bench_scan_s3(tmp, args.log_gb)]
    table = ["| case | peak RSS (MB) | seconds | exit status |", "| --- | --- | --- | --- |"]
    table += [f"| {r['case']} | {r['peak']} | {r['seconds']} | {r['status']} |" for r in rows]
    print("\n".join(table))
    if args.write:
        text = (
            "# Peak memory (benchmarks/peak_rss.py)\n\n"
            "Each command in its own process; peak RSS is its `ru_maxrss`. 2 CPUs, Python "
            f"{sys.version.split()[0]}, the full rule pack.\n\n" + "\n".join(table) + "\n"
        )
        (ROOT / "benchmarks" / "RSS_RESULTS.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
