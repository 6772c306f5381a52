"""Build records from CodeBuild (``BatchGetBuilds``) and the choice of a build's log source."""

from __future__ import annotations

import re
from typing import Any

from analyzer.errors import BuildNotFound, ConfigError
from analyzer.models import Build
from analyzer.sources.base import LogSource, translate_client_error

BUILD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,254}:[0-9a-fA-F-]{8,}$")
"""``<project>:<uuid>``: a project name (2-255 chars) and the build's UUID."""


def normalise_build_id(value: str) -> str:
    """Accept a build id or build ARN and return the id (``BatchGetBuilds`` wants ids).

    Raises :class:`ConfigError` naming the value when it is neither.
    """
    text = value.strip()
    if text.startswith("arn:") and ":build/" in text:
        text = text.split(":build/", 1)[1]
    if not BUILD_ID.match(text):
        raise ConfigError(
            f"invalid build id {value!r}: expected <project>:<uuid> or a build ARN "
            "(arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>)"
        )
    return text


def fetch_build_records(client: Any, build_ids: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """``BatchGetBuilds`` in chunks of 100; returns ``(records in request order, ids not found)``."""
    from botocore.exceptions import ClientError

    found: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for start in range(0, len(build_ids), 100):
        chunk = build_ids[start : start + 100]
        try:
            response = client.batch_get_builds(ids=chunk)
        except ClientError as exc:
            raise translate_client_error(exc, "codebuild:BatchGetBuilds", f"build {chunk[0]}") from None
        for record in response.get("builds", []):
            found[record["id"]] = record
        missing.extend(response.get("buildsNotFound", []))
    missing.extend(i for i in build_ids if i not in found and i not in missing)
    return [found[i] for i in build_ids if i in found], missing


def fetch_build(client: Any, build_id: str) -> tuple[Build, dict[str, Any]]:
    """The record of one build as a :class:`Build` and as returned; raises :class:`BuildNotFound`."""
    build_id = normalise_build_id(build_id)
    records, _ = fetch_build_records(client, [build_id])
    if not records:
        region = getattr(getattr(client, "meta", None), "region_name", None)
        raise BuildNotFound(
            f"build not found: {build_id}" + (f" (Region {region})" if region else ""),
            tip="check the build id and the Region (--region or AWS_REGION); builds are kept for one year",
        )
    return Build.from_api(records[0]), records[0]


def log_sources_for(build: Build, logs_client: Any, s3_client: Any) -> tuple[list[LogSource], list[str]]:
    """The places to read ``build``'s log from, best first, and notes on what is not available.

    CloudWatch Logs first (``logs.groupName``/``logs.streamName``), then S3
    (``logs.s3LogsArn``). An empty list means the record is all there is.
    """
    from analyzer.sources.cloudwatch import CloudWatchSource
    from analyzer.sources.s3 import S3Source, parse_s3_arn

    sources: list[LogSource] = []
    notes: list[str] = []
    location = build.logs
    if location.group_name and location.stream_name and location.cloudwatch_enabled:
        sources.append(CloudWatchSource(logs_client, location.group_name, location.stream_name, build.end_time))
    if location.s3_logs_arn and s3_client is not None:
        sources.append(S3Source(s3_client, *parse_s3_arn(location.s3_logs_arn)))
    if not sources:
        if not location.cloudwatch_enabled and not location.s3_logs_arn:
            notes.append("no log: the project has CloudWatch Logs and S3 logs disabled; diagnosed from the build record")
        else:
            notes.append(
                "no log stream: the build has no log (it may have failed before its log stream was "
                "created, in SUBMITTED, QUEUED or PROVISIONING); diagnosed from the build record"
            )
    return sources, notes
