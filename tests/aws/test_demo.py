"""``codebuild-doctor demo``: its own moto server, the four sample builds, one JSON report each."""

from __future__ import annotations

import json
import re

import pytest
from awshelp import run_cli

pytestmark = pytest.mark.aws

COMMAND_LINE = re.compile(
    r"^\$ codebuild-doctor diagnose --build-id (\S+) --region us-east-1 --endpoint-url http://127\.0\.0\.1:\d+$", re.M
)


def test_demo_diagnoses_the_four_samples_in_order_and_writes_the_scan_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    html = tmp_path / "team.html"
    run = run_cli("demo", "--format", "json", "--html", str(html))

    assert run.status == 0, run.stderr
    assert re.match(r"codebuild-doctor demo: moto server at http://127\.0\.0\.1:\d+, 4 sample failed builds\n", run.stderr)
    assert run.stderr.endswith(f"codebuild-doctor demo: wrote the scan's HTML report to {html}\n")
    build_ids = COMMAND_LINE.findall(run.stderr)  # with --format json the commands go to stderr
    reports = json.loads(run.stdout)  # one JSON array
    assert [r["build"]["build_id"] for r in reports] == build_ids
    page = html.read_text(encoding="utf-8")
    assert all(build_id in page for build_id in build_ids)
    assert [r["build"]["project"] for r in reports] == ["storefront-api", "payments-worker", "docs-site", "storefront-web"]
    assert [r["root_cause"] for r in reports] == [
        "docker-hub-rate-limit",
        "ssm-parameter-access-denied",
        "docker-hub-rate-limit",
        "jest-failures",
    ]
    # The third sample died in PROVISIONING: no log stream, diagnosed from the record.
    assert [r["log"] is None for r in reports] == [False, False, True, False]
    assert reports[0]["findings"][0]["line_numbers"] == [34, 44]  # the token request and the manifest request
    assert reports[1]["findings"][0]["captures"]["parameter_name"] == "/payments/dockerhub-token"


def test_demo_serve_keeps_the_server_running_for_commands_by_hand(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``demo --serve`` prints the exact lines to try; they work; Ctrl-C stops it cleanly."""
    import os
    import queue
    import signal
    import subprocess
    import sys
    import threading

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "demo", "--no-html", "--format", "json", "--serve"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
    try:
        seen: list[str] = []
        while not seen or seen[-1] != "Press Ctrl-C to stop the server.":
            seen.append(lines.get(timeout=120).rstrip("\n"))
        export = next(line for line in seen if line.startswith("  export "))
        assert export == "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing AWS_REGION=us-east-1"
        scan = next(line for line in seen if line.startswith("  codebuild-doctor scan "))
        diagnose = [line for line in seen if line.startswith("  codebuild-doctor diagnose ")]
        assert len(diagnose) == 4
        for assignment in export.split()[1:]:
            key, value = assignment.split("=", 1)
            monkeypatch.setenv(key, value)
        argv = diagnose[0].split()[1:]
        run = run_cli(*argv, "--format", "json")
        assert run.status == 1, run.stderr
        assert json.loads(run.stdout)["root_cause"] == "docker-hub-rate-limit"
        run = run_cli(*scan.split()[1:], "--format", "json")
        assert run.status == 1, run.stderr
        assert json.loads(run.stdout)["summary"]["builds"] == 4
        assert proc.poll() is None  # still serving
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
