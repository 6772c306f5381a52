"""The embedded default: a local moto server seeded with sample failed builds.

``codebuild-doctor demo`` (the README's first command) starts moto's
``ThreadedMotoServer`` on 127.0.0.1, seeds it with the sample builds in
``fixtures/builds/`` (each a ``build.json`` in the ``BatchGetBuilds`` shape, and
a ``log.txt`` unless the build died before its log stream was created), then
runs ``codebuild-doctor diagnose --build-id`` against it over real HTTP. The
tests reuse :func:`moto_server` and :func:`seed_build`.

moto cannot produce a FAILED build through the API (its ``BatchGetBuilds``
rewrites every build to SUCCEEDED and invents no log stream), so the server
runs in this process with that one method patched to return the stored
records as they are, and the records are edited after ``StartBuild``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

ACCOUNT = "123456789012"
"""moto's default account id."""
REGION = "us-east-1"
PROJECT_SOURCE = {"type": "NO_SOURCE", "location": "buildspec.yml"}
PROJECT_ARTIFACTS = {"type": "NO_ARTIFACTS"}
PROJECT_ENVIRONMENT = {
    "type": "LINUX_CONTAINER",
    "image": "aws/codebuild/standard:7.0",
    "computeType": "BUILD_GENERAL1_SMALL",
}
"""The sample projects' settings (moto requires a source location even for NO_SOURCE)."""


def _service_role(account: str, project: str) -> str:
    return f"arn:aws:iam::{account}:role/service-role/codebuild-{project}-service-role"


FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def default_samples_dir() -> Path:
    """The sample builds: ``fixtures/builds`` of a checkout, or the copy inside the package."""
    packaged = Path(str(resources.files("analyzer"))) / "data" / "demo"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[1] / "fixtures" / "builds"
    if checkout.is_dir():
        return checkout
    from analyzer.errors import ConfigError

    raise ConfigError(f"the demo's sample builds were not found (looked in {packaged} and {checkout})")


def _stable_batch_get_builds(self: Any, ids: list[str]) -> list[dict[str, Any]]:
    """Replaces moto's ``batch_get_builds``, which rewrites every build to SUCCEEDED."""
    stored = {b["id"]: b for builds in self.build_metadata_history.values() for b in builds}
    return [stored[i] for i in ids if i in stored]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Run a moto server on 127.0.0.1 (a free port) in this process; yields its endpoint URL."""
    try:
        from moto.codebuild.models import CodeBuildBackend
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        from analyzer.errors import ConfigError

        raise ConfigError(
            f"the demo needs moto's server ({exc.name} is missing): pip install 'codebuild-doctor[demo]'"
        ) from None
    from unittest import mock

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on the terminal
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    with mock.patch.object(CodeBuildBackend, "batch_get_builds", _stable_batch_get_builds):
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def _clients(endpoint_url: str, region: str) -> tuple[Any, Any, Any]:
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    return (
        session.client("codebuild", endpoint_url=endpoint_url),
        session.client("logs", endpoint_url=endpoint_url),
        session.client("s3", endpoint_url=endpoint_url),
    )


def seed_build(
    endpoint_url: str,
    record: dict[str, Any],
    log_lines: Sequence[str] | None,
    *,
    region: str = REGION,
    s3_bucket: str | None = None,
) -> str:
    """Create a build in moto that ``BatchGetBuilds`` returns as ``record`` describes; returns its id.

    ``record`` is ``BatchGetBuilds``-shaped (``projectName``, ``buildStatus``, ``phases`` with
    ``contexts``, ``environment``, ``serviceRole``...); ids, ARNs, times and log locations
    are filled in. ``log_lines`` become one CloudWatch event each, in a stream of the
    default group ``/aws/codebuild/<project>``; ``None`` means no log stream was ever
    created. With ``s3_bucket`` the log is also written to S3 as ``<uuid>.gz``.
    """
    import gzip

    from moto.codebuild.models import codebuild_backends

    codebuild, logs, s3 = _clients(endpoint_url, region)
    project = record.get("projectName") or "sample-project"
    with contextlib.suppress(codebuild.exceptions.ResourceAlreadyExistsException):
        codebuild.create_project(
            name=project,
            source=PROJECT_SOURCE,
            artifacts=PROJECT_ARTIFACTS,
            environment=PROJECT_ENVIRONMENT,
            serviceRole=_service_role(ACCOUNT, project),
        )
    build_id = codebuild.start_build(projectName=project)["build"]["id"]
    uuid = build_id.split(":", 1)[1]
    group = f"/aws/codebuild/{project}"
    # moto drops events older than 14 days: the build "ran" a few minutes ago.
    start = time.time() - 600 - 10 * len(codebuild.list_builds_for_project(projectName=project)["ids"])
    logs_location: dict[str, Any] = {"cloudWatchLogs": {"status": "ENABLED"}, "s3Logs": {"status": "DISABLED"}}
    if log_lines is not None:
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName=uuid)
        t0 = int(start * 1000)
        events = [{"timestamp": t0 + i, "message": line} for i, line in enumerate(log_lines)]
        for i in range(0, len(events), 10_000):
            logs.put_log_events(logGroupName=group, logStreamName=uuid, logEvents=events[i : i + 10_000])
        logs_location.update(
            groupName=group,
            streamName=uuid,
            deepLink=(
                f"https://console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/"
                f"log-group/{group.replace('/', '$252F')}/log-events/{uuid}"
            ),
            cloudWatchLogsArn=f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{group}:log-stream:{uuid}",
        )
        if s3_bucket:
            with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
                s3.create_bucket(Bucket=s3_bucket)
            body = gzip.compress("".join(line if line.endswith("\n") else line + "\n" for line in log_lines).encode())
            s3.put_object(Bucket=s3_bucket, Key=f"logs/{uuid}.gz", Body=body)
            logs_location["s3Logs"] = {"status": "ENABLED", "location": f"{s3_bucket}/logs"}
            logs_location["s3LogsArn"] = f"arn:aws:s3:::{s3_bucket}/logs/{uuid}.gz"
    elif s3_bucket:
        logs_location["s3LogsArn"] = f"arn:aws:s3:::{s3_bucket}/logs/{uuid}.gz"
    logs_location.update(record.get("logs", {}))

    stored = next(
        b for b in codebuild_backends[ACCOUNT][region].build_metadata_history[project] if b["id"] == build_id
    )
    _finish(stored, {k: v for k, v in record.items() if k not in ("id", "arn", "logs")}, start, logs_location)
    return str(build_id)


def _finish(stored: dict[str, Any], record: dict[str, Any], start: float, logs: dict[str, Any]) -> None:
    """Make moto's stored build the finished one ``record`` describes (times filled from ``start``)."""
    phases = _phases(record.pop("phases", []), start)
    stored.update(record)
    stored.update(
        buildStatus=record.get("buildStatus", "FAILED"),
        currentPhase="COMPLETED",
        buildComplete=True,
        startTime=start,
        endTime=start + sum(p.get("durationInSeconds", 0) for p in phases),
        phases=phases,
        logs=logs,
    )


def _phases(given: list[dict[str, Any]], start: float) -> list[dict[str, Any]]:
    """Fill in times and durations; phases after the failed one are left out, as CodeBuild does."""
    phases = []
    clock = start
    for phase in given:
        duration = phase.get("durationInSeconds", 5)
        filled = {"startTime": clock, "endTime": clock + duration, "durationInSeconds": duration, **phase}
        if phase.get("phaseType") == "COMPLETED":
            filled = {"phaseType": "COMPLETED", "startTime": clock}
        phases.append(filled)
        clock += duration
    return phases


@dataclass(frozen=True)
class Sample:
    """A sample build: its name (folder), record and log lines (``None``: no log stream)."""

    name: str
    record: dict[str, Any]
    log_lines: list[str] | None


def load_samples(directory: Path | None = None) -> list[Sample]:
    """Every ``<name>/build.json`` (+ ``log.txt``) under ``directory``, sorted by name."""
    directory = directory or default_samples_dir()
    samples = []
    for build_file in sorted(directory.glob("*/build.json")):
        log_file = build_file.with_name("log.txt")
        lines = log_file.read_text(encoding="utf-8").splitlines(keepends=True) if log_file.exists() else None
        samples.append(Sample(build_file.parent.name, json.loads(build_file.read_text("utf-8")), lines))
    return samples


SERVE_POLL_SECONDS = 0.5
"""How often ``demo --serve`` wakes to see whether it was asked to stop."""


def run_demo(
    output_format: str = "text",
    *,
    html: Path | None = None,
    serve: bool = False,
    run_command: Callable[[list[str], TextIO], int],
    stdout: TextIO,
    stderr: TextIO,
    stop: threading.Event | None = None,
) -> int:
    """Seed a local moto server, diagnose each sample build over HTTP, then scan them all.

    Text: each ``diagnose`` command and its report. JSON: one array of the reports (the
    commands go to stderr). ``html``: where the scan's HTML report is written (``None``:
    no scan). ``run_command(argv, stdout)`` runs one ``codebuild-doctor`` command (the CLI
    passes its own ``main``, so this module never imports the CLI). ``serve``: afterwards,
    keep the server running and print the lines to try ``scan`` and ``diagnose`` by hand,
    until Ctrl-C (or ``stop`` is set). Returns 0 when every build was diagnosed and the
    report written.
    """
    import io
    import json

    samples = load_samples()
    saved = {key: os.environ.get(key) for key in FAKE_CREDENTIALS}
    os.environ.update(FAKE_CREDENTIALS)  # moto accepts any credentials; no real account is touched
    try:
        with moto_server() as endpoint_url:
            print(f"codebuild-doctor demo: moto server at {endpoint_url}, {len(samples)} sample failed builds", file=stderr)
            status = 0
            reports: list[Any] = []
            build_ids: list[str] = []
            for sample in samples:
                build_id = seed_build(endpoint_url, sample.record, sample.log_lines)
                build_ids.append(build_id)
                argv = ["diagnose", "--build-id", build_id, "--region", REGION, "--endpoint-url", endpoint_url]
                command = f"\n$ codebuild-doctor {' '.join(argv)}"
                print(command, file=stdout if output_format == "text" else stderr)
                stdout.flush()
                out = io.StringIO() if output_format == "json" else stdout
                code = run_command([*argv, "--format", output_format], out)
                if output_format == "json":
                    reports.append(json.loads(out.getvalue()))  # type: ignore[attr-defined]
                if code not in (0, 1):
                    status = code
            if output_format == "json":
                stdout.write(json.dumps(reports, indent=2) + "\n")
            if html is not None:
                argv = ["scan", "--region", REGION, "--endpoint-url", endpoint_url, "--since", "1d",
                        "--no-cache", "--quiet", "--format", "html", "--output", str(html)]  # fmt: skip
                print(f"\n$ codebuild-doctor {' '.join(argv)}", file=stderr)
                code = run_command(argv, io.StringIO())
                if code in (0, 1):
                    print(f"codebuild-doctor demo: wrote the scan's HTML report to {html.resolve()}", file=stderr)
                else:
                    status = code
            if serve:
                _serve(endpoint_url, build_ids, stderr, stop or threading.Event())
            return status
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def serve_instructions(endpoint_url: str, build_ids: Sequence[str]) -> list[str]:
    """The lines ``demo --serve`` prints: the environment to export, then commands to try."""
    exports = " ".join(f"{key}={value}" for key, value in FAKE_CREDENTIALS.items())
    lines = [
        "codebuild-doctor demo: the moto server keeps running; in another terminal, try:",
        "",
        f"  export {exports} AWS_REGION={REGION}",
        f"  codebuild-doctor scan --endpoint-url {endpoint_url} --since 1d --no-cache",
    ]
    lines += [f"  codebuild-doctor diagnose --endpoint-url {endpoint_url} --build-id {build_id}" for build_id in build_ids]
    lines += ["", "Press Ctrl-C to stop the server."]
    return lines


def _serve(endpoint_url: str, build_ids: Sequence[str], stream: TextIO, stop: threading.Event) -> None:
    print("\n".join(["", *serve_instructions(endpoint_url, build_ids)]), file=stream, flush=True)
    try:
        while not stop.wait(SERVE_POLL_SECONDS):
            pass
    except KeyboardInterrupt:
        print("codebuild-doctor demo: stopped", file=stream)


def seed_builds_in_process(
    builds: Sequence[Mapping[str, Any]], *, region: str = REGION, account: str = ACCOUNT
) -> list[str]:
    """Seed many builds at once straight into the moto backends of this process; returns their ids.

    For tests and benchmarks that need hundreds of builds: no HTTP round trips. Each
    item is ``{"record": {...}, "log_lines": [...] | None, "start_time": epoch seconds,
    "stream_exists": True}``; ``record`` is ``BatchGetBuilds``-shaped as for
    :func:`seed_build` (``projectName`` required; the project is created if need be).
    ``stream_exists=False`` writes the log location into the record but no stream (an
    expired log). Log events are timestamped at the build's start, so they must be
    younger than 14 days (moto drops older ones); older builds should have no log.
    """
    from moto.codebuild.models import codebuild_backends
    from moto.logs.models import logs_backends

    codebuild = codebuild_backends[account][region]
    logs = logs_backends[account][region]
    ids = []
    for item in builds:
        record = dict(item["record"])
        project = record["projectName"]
        if project not in codebuild.codebuild_projects:
            codebuild.create_project(
                project_name=project,
                description=None,
                project_source=PROJECT_SOURCE,
                artifacts=PROJECT_ARTIFACTS,
                environment=PROJECT_ENVIRONMENT,
                service_role=_service_role(account, project),
                tags=None,
                cache=None,
                timeout=None,
                queued_timeout=None,
                source_version=None,
                logs_config=None,
                vpc_config=None,
            )
        stored = codebuild.start_build(project)
        build_id = str(stored["id"])
        uuid = build_id.split(":", 1)[1]
        start = float(item.get("start_time", time.time() - 600))
        group = f"/aws/codebuild/{project}"
        location: dict[str, Any] = {"cloudWatchLogs": {"status": "ENABLED"}, "s3Logs": {"status": "DISABLED"}}
        lines = item.get("log_lines")
        if lines is not None:
            location.update(groupName=group, streamName=uuid)
            if item.get("stream_exists", True):
                if group not in logs.groups:
                    logs.create_log_group(group, {})
                logs.create_log_stream(group, uuid)
                t0 = int(start * 1000)
                logs.put_log_events(
                    group, uuid, [{"timestamp": t0 + i, "message": line} for i, line in enumerate(lines)]
                )
        location.update(record.pop("logs", {}))
        _finish(stored, record, start, location)
        ids.append(build_id)
    return ids
