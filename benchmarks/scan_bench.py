"""Benchmark of ``scan``: builds per second and AWS calls per build, cold and warm cache.

Runs against an in-process moto server seeded with N builds (the demo's sample
builds, cycled over 4 projects), directly and through a small local HTTP proxy
that adds latency to every request and answers a fraction of ``GetLogEvents``
with ``ThrottlingException`` (HTTP 400), as CloudWatch Logs does past its quota.

    python3 benchmarks/scan_bench.py [--builds 200] [--latency-ms 50] [--throttle 0.1] [--write]

``--write`` replaces benchmarks/SCAN_RESULTS.md with the figures.
"""

from __future__ import annotations

import argparse
import copy
import http.server
import os
import random
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzer.demo import FAKE_CREDENTIALS, load_samples, moto_server, seed_builds_in_process  # noqa: E402

REGION = "eu-west-1"


class _Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str, latency: float, throttle: float, seed: int = 7) -> None:
        self.target = target
        self.latency = latency
        self.throttle = throttle
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.throttled = 0
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = self.server
        time.sleep(server.latency)
        with server.lock:
            server.requests += 1
            throttle = (
                self.headers.get("X-Amz-Target", "").endswith(".GetLogEvents")
                and server.random.random() < server.throttle
            )
            server.throttled += int(throttle)
        if throttle:
            payload = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
            self.send_response(400)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(server.target + self.path, data=body or None, headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(request) as response:
                status, data, out_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, data, out_headers = exc.code, exc.read(), exc.headers
        self.send_response(status)
        for key, value in out_headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_HEAD = _forward


def _seed(builds: int) -> None:
    samples = load_samples()
    now = time.time()
    specs = []
    for i in range(builds):
        sample = samples[i % len(samples)]
        record = copy.deepcopy(sample.record)
        record["projectName"] = f"bench-{i % 4}"
        specs.append({"record": record, "log_lines": sample.log_lines, "start_time": now - 3600 - i * 60})
    seed_builds_in_process(specs, region=REGION)


def _run(endpoint: str, cache_dir: Path | None, *, rps: float, concurrency: int = 4) -> dict[str, Any]:
    from analyzer.aws import AwsClients, AwsOptions
    from analyzer.cache import BuildCache
    from analyzer.rules import load_rules
    from analyzer.scan import ScanOptions, scan

    clients = AwsClients(AwsOptions(region=REGION, endpoint_url=endpoint))
    codebuild, logs, s3 = (clients.client(n) for n in ("codebuild", "logs", "s3"))
    calls: list[str] = []
    for client in (codebuild, logs, s3):
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    rules = load_rules([]).rules
    cache = BuildCache(cache_dir) if cache_dir is not None else None
    options = ScanOptions(
        since=datetime.now(timezone.utc) - timedelta(days=7), logs_rps=rps, max_concurrency=concurrency
    )
    started = time.perf_counter()
    report = scan(rules, codebuild, logs, s3, options, cache=cache)
    elapsed = time.perf_counter() - started
    if cache is not None:
        cache.close()
    n = len(report.diagnoses) + len(report.skipped)
    return {
        "builds": n,
        "skipped": len(report.skipped),
        "seconds": elapsed,
        "builds_per_s": n / elapsed,
        "calls_per_build": len(calls) / n,
        "log_calls": calls.count("GetLogEvents"),
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--throttle", type=float, default=0.1, help="share of GetLogEvents answered 'throttled'")
    parser.add_argument("--write", action="store_true", help="write benchmarks/SCAN_RESULTS.md")
    args = parser.parse_args()
    os.environ.update(FAKE_CREDENTIALS)
    rows: list[tuple[str, dict[str, Any]]] = []
    with moto_server() as endpoint, tempfile.TemporaryDirectory() as tmp:
        _seed(args.builds)
        rows.append(("direct, no cache, unlimited rate", _run(endpoint, None, rps=0)))
        rows.append(("direct, cold cache, --logs-rps 8 (default)", _run(endpoint, Path(tmp, "a"), rps=8)))
        rows.append(("direct, warm cache", _run(endpoint, Path(tmp, "a"), rps=8)))
        proxy = _Proxy(endpoint, args.latency_ms / 1000, args.throttle)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        via = f"http://127.0.0.1:{proxy.server_address[1]}"
        label = f"{args.latency_ms:g} ms latency, {args.throttle:.0%} GetLogEvents throttled"
        for name, cache_dir in (("cold cache", Path(tmp, "b")), ("warm cache", Path(tmp, "b"))):
            before = (proxy.requests, proxy.throttled)
            result = _run(via, cache_dir, rps=8)
            result["http_per_build"] = (proxy.requests - before[0]) / result["builds"]
            result["throttled"] = proxy.throttled - before[1]
            rows.append((f"{label}, {name}", result))
        proxy.shutdown()
    lines = [
        "# scan benchmark",
        "",
        f"`python3 benchmarks/scan_bench.py --builds {args.builds} --latency-ms {args.latency_ms:g} "
        f"--throttle {args.throttle:g}` on {time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs; in-process moto server, 4 workers (`--max-concurrency 4`). Every build is "
        "one of the demo's sample builds (logs of 10-54 lines); a log read is 2 `GetLogEvents` calls "
        "(a page, then the end of the stream).",
        "",
        "| run | builds | skipped | seconds | builds/s | AWS calls/build | GetLogEvents | HTTP requests/build (retries incl.) | throttled answers |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['builds']} | {r['skipped']} | {r['seconds']:.2f} | {r['builds_per_s']:.1f} | "
            f"{r['calls_per_build']:.2f} | {r['log_calls']} | {_fmt(r.get('http_per_build'))} | "
            f"{r.get('throttled', '-')} |"
        )
    lines += [
        "",
        "Reading: the cold runs are bound by the `GetLogEvents` rate limit (8/s by default, under "
        "CloudWatch Logs' 10/s per account and Region); a warm cache makes no `GetLogEvents` and no "
        "`BatchGetBuilds` call (only `ListProjects` and one `ListBuildsForProject` page per project). "
        "Throttled answers are retried by boto3's adaptive mode; none made a build skipped.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        Path(__file__).with_name("SCAN_RESULTS.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
