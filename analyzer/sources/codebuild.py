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


_VALIDATOR: Any = None


def record_problem(record: Any, where: str = "build record") -> str | None:
    """What is wrong with one ``BatchGetBuilds`` element, naming the member; ``None`` if nothing.

    Checked against ``build_record.schema.json`` (the members the tool reads, with their
    types and sane ranges); boto3's ``datetime`` values are read as epoch seconds.
    """
    global _VALIDATOR
    if _VALIDATOR is None:
        import json
        from importlib import resources

        import jsonschema

        schema = json.loads(resources.files("analyzer.sources").joinpath("build_record.schema.json").read_text("utf-8"))
        _VALIDATOR = jsonschema.Draft202012Validator(schema)
    from analyzer.cache import _jsonable

    errors = sorted(_VALIDATOR.iter_errors(_jsonable(record)), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    member = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    # The member is named, its value is not quoted (it may be long, hostile or a secret).
    kind = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(error.instance), "a number"
    )
    detail = error.message if error.validator == "required" else f"{_expected(error)}, got {kind}"
    return f"{where}: {member or 'the record'}: {detail}"


def _expected(error: Any) -> str:
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return "expected " + " or ".join(k for k in kinds if k != "null")
    if error.validator == "anyOf":
        return "expected epoch seconds or an ISO 8601 time"
    if error.validator in ("maximum", "minimum", "maxLength", "maxItems", "minLength"):
        return f"{error.validator} {error.validator_value}"
    return error.validator


def fetch_build_records(client: Any, build_ids: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """``BatchGetBuilds`` in chunks of 100; returns ``(records in request order, ids not found)``.

    A response without its ``builds`` list (a cut or garbled body) is retried, then a
    :class:`~analyzer.errors.TransportError`; never "not found". A record of the wrong
    shape is a :class:`~analyzer.errors.SourceError` naming the member.
    """
    from botocore.exceptions import ClientError

    from analyzer.errors import SourceError
    from analyzer.sources.base import verified_call

    found: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for start in range(0, len(build_ids), 100):
        chunk = build_ids[start : start + 100]
        try:
            response = verified_call(
                lambda chunk=chunk: client.batch_get_builds(ids=chunk),
                action="codebuild:BatchGetBuilds",
                what=f"build {chunk[0]}" + (f" and {len(chunk) - 1} more" if len(chunk) > 1 else ""),
                required={"builds": list},
            )
        except ClientError as exc:
            raise translate_client_error(exc, "codebuild:BatchGetBuilds", f"build {chunk[0]}") from None
        for record in response["builds"]:
            problem = record_problem(record, "BatchGetBuilds record" + (f" {record.get('id')}" if isinstance(record, dict) else ""))
            if problem is None and not isinstance(record.get("id"), str):
                problem = "BatchGetBuilds record: id: absent"
            if problem:
                raise SourceError(problem)
            found[record["id"]] = record
        not_found = response.get("buildsNotFound") or []
        missing.extend(i for i in not_found if isinstance(i, str))
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


def log_sources_for(build: Build, logs_client: Any, s3_client: Any) -> tuple[list[LogSource], str | None]:
    """The places to read ``build``'s log from, best first, and why there is none (``None``: some).

    CloudWatch Logs first (``logs.groupName``/``logs.streamName``), then S3
    (``logs.s3LogsArn``). An empty list means the record is all there is.
    """
    from analyzer.sources.cloudwatch import CloudWatchSource
    from analyzer.sources.s3 import S3Source, parse_s3_arn

    sources: list[LogSource] = []
    location = build.logs
    if location.group_name and location.stream_name and location.cloudwatch_enabled:
        sources.append(CloudWatchSource(logs_client, location.group_name, location.stream_name, build.end_time))
    if location.s3_logs_arn and s3_client is not None:
        sources.append(S3Source(s3_client, *parse_s3_arn(location.s3_logs_arn)))
    if sources:
        return sources, None
    if not location.cloudwatch_enabled and not location.s3_logs_arn:
        return sources, "no log: the project has CloudWatch Logs and S3 logs disabled"
    return sources, (
        "no log stream: the build has no log (it may have failed before its log stream was "
        "created, in SUBMITTED, QUEUED or PROVISIONING)"
    )


BASELINE_CANDIDATES = 100
"""Builds of a project looked at for a baseline: the newest, one ``ListBuildsForProject`` page."""


def last_succeeded_build(client: Any, project: str, *, exclude: str | None = None) -> Build | None:
    """The newest build of ``project`` that ``SUCCEEDED`` among its :data:`BASELINE_CANDIDATES`
    newest (``ListBuildsForProject``, then ``BatchGetBuilds``), other than ``exclude``; ``None``
    when none did. Newest by ``startTime``, not by the listing's order (moto lists oldest first).

    Raises the :class:`~analyzer.errors.SourceError` subclasses of either call.
    """
    from botocore.exceptions import ClientError

    from analyzer.models import _parse_time
    from analyzer.sources.base import verified_call

    what = f"project {project}"
    try:
        page = verified_call(
            lambda: client.list_builds_for_project(projectName=project, sortOrder="DESCENDING"),
            action="codebuild:ListBuildsForProject",
            what=what,
            required={"ids": list},
        )
    except ClientError as exc:
        raise translate_client_error(exc, "codebuild:ListBuildsForProject", what) from None
    ids = [i for i in dict.fromkeys(page["ids"]) if isinstance(i, str) and i != exclude][:BASELINE_CANDIDATES]
    records, _missing = fetch_build_records(client, ids) if ids else ([], [])
    succeeded = [r for r in records if r.get("buildStatus") == "SUCCEEDED" and _parse_time(r.get("startTime"))]
    if not succeeded:
        return None
    return Build.from_api(max(succeeded, key=lambda r: _parse_time(r.get("startTime"))))
