"""CodeBuild "Build State Change" events as the organisation service receives them (from SQS).

EventBridge puts the event on the central queue as the SQS message body, unchanged:
``{"source": "aws.codebuild", "detail-type": "CodeBuild Build State Change",
"detail": {"build-id": <build ARN>, "build-status": "FAILED", "project-name": ...}, ...}``
(https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html).
The account and Region are taken from the build ARN, not from the envelope: an event
forwarded from a member account's bus to the central bus may not keep ``account``.
CodeStar Notifications deliveries spell the type ``detailType``; both are accepted.

``scan --enqueue`` sends events of the same shape (:func:`state_change_event`), so a
backfill goes through exactly the path a live failure does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

DETAIL_TYPE = "CodeBuild Build State Change"
DEFAULT_STATUSES: tuple[str, ...] = ("FAILED", "FAULT", "TIMED_OUT")
"""Statuses diagnosed by default; ``STOPPED`` (someone stopped the build) is opt-in."""
OPTIONAL_STATUSES = frozenset({"STOPPED"})

EVENT_PATTERN: dict[str, Any] = {
    "source": ["aws.codebuild"],
    "detail-type": [DETAIL_TYPE],
    "detail": {"build-status": ["FAILED", "FAULT", "TIMED_OUT", "STOPPED"]},
}
"""The EventBridge pattern of the member and central rules (``deploy/`` uses the same one; a
test holds them equal). ``STOPPED`` travels so that it can be opted in centrally, without
redeploying the StackSet; the handler drops it unless ``STATUSES`` names it."""

BUILD_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):codebuild:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):(?P<account>\d{12}):"
    r"build/(?P<build_id>[A-Za-z0-9][A-Za-z0-9_-]{1,254}:[0-9a-fA-F-]{8,})$"
)
"""``arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>``."""


class MalformedMessage(ValueError):
    """An SQS message that is not a usable CodeBuild state-change event; says what is wrong."""


@dataclass(frozen=True)
class BuildEvent:
    """One failed build to diagnose, parsed from a state-change event."""

    build_arn: str
    partition: str
    account: str
    region: str
    build_id: str
    """``<project>:<uuid>`` (what ``BatchGetBuilds`` takes)."""
    project: str
    status: str
    """``detail.build-status``: ``FAILED``, ``FAULT``, ``TIMED_OUT`` or ``STOPPED``."""


def parse_build_arn(arn: str) -> tuple[str, str, str, str]:
    """``(partition, region, account, build id)`` of a build ARN; raises :class:`MalformedMessage`."""
    match = BUILD_ARN.match(arn.strip()) if isinstance(arn, str) else None
    if match is None:
        raise MalformedMessage(
            f"invalid build ARN {arn!r}: expected arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>"
        )
    return match["partition"], match["region"], match["account"], match["build_id"]


def parse_event(body: str | bytes) -> BuildEvent:
    """Parse one SQS message body; raises :class:`MalformedMessage` naming the problem."""
    try:
        event = json.loads(body)
    except (ValueError, TypeError) as exc:
        raise MalformedMessage(f"message body is not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise MalformedMessage(f"message body is a JSON {type(event).__name__}, expected an EventBridge event object")
    source = event.get("source")
    detail_type = event.get("detail-type", event.get("detailType"))
    if source != "aws.codebuild" or detail_type != DETAIL_TYPE:
        raise MalformedMessage(
            f"not a CodeBuild state-change event: source {source!r}, detail-type {detail_type!r} "
            f"(expected 'aws.codebuild', {DETAIL_TYPE!r})"
        )
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise MalformedMessage("event has no 'detail' object")
    arn = detail.get("build-id")
    if not isinstance(arn, str):
        raise MalformedMessage("event detail has no 'build-id' (the build ARN)")
    partition, region, account, build_id = parse_build_arn(arn)
    status = detail.get("build-status")
    if not isinstance(status, str) or not status:
        raise MalformedMessage(f"event detail has no 'build-status' (build {build_id})")
    project = detail.get("project-name") or build_id.split(":", 1)[0]
    return BuildEvent(arn.strip(), partition, account, region, build_id, str(project), status)


def state_change_event(build_arn: str, status: str, project: str | None = None) -> dict[str, Any]:
    """A "Build State Change" event for ``build_arn``, as EventBridge would deliver it (for ``scan --enqueue``)."""
    partition, region, account, build_id = parse_build_arn(build_arn)
    return {
        "version": "0",
        "id": f"codebuild-doctor-enqueue-{build_id}",
        "detail-type": DETAIL_TYPE,
        "source": "aws.codebuild",
        "account": account,
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [build_arn],
        "detail": {
            "build-status": status,
            "project-name": project or build_id.split(":", 1)[0],
            "build-id": build_arn,
        },
    }
