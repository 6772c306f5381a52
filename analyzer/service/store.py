"""The service's own writes: the DynamoDB claim and summary row, the S3 objects, the SNS message.

These are the only writes the organisation service makes, all in the central account
with the function's own credentials (the member roles are read-only).

DynamoDB (partition key ``build_arn``). EventBridge delivers at least once, so a build is
*claimed* with a conditional ``PutItem`` before any work: the condition holds when no item
exists, or when an earlier claim was abandoned (``state = claimed`` and its lease, the
function's timeout, has run out: the instance died). A failed attempt deletes its own
claim, so the retried message can claim again; a finished one replaces the claim with the
summary row (``state = done``), and any later duplicate fails the condition and is a no-op.

S3 keys: ``diagnoses/account=<id>/region=<r>/date=<YYYY-MM-DD>/<build-id>.json`` (the
``diagnose --format json`` document) and ``.../<build-id>.log.gz`` (the log as read,
gzipped). ``date`` is the build's start day in UTC, so a reader can skip old partitions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from analyzer.models import Diagnosis

PREFIX = "diagnoses/"


def object_key(account: str, region: str, started: datetime, build_id: str, suffix: str = ".json") -> str:
    """Where a build's diagnosis (``.json``) or log (``.log.gz``) is stored."""
    return f"{PREFIX}account={account}/region={region}/date={started.strftime('%Y-%m-%d')}/{build_id}{suffix}"


@dataclass(frozen=True)
class Summary:
    """The DynamoDB row of a diagnosed build (what a dashboard or a query needs without S3)."""

    build_arn: str
    build_id: str
    account: str
    region: str
    project: str
    status: str | None
    root_cause: str | None
    """The root cause's rule id; ``None`` when no rule explained the failure."""
    title: str | None
    role: str | None
    """The root cause finding's role (cause, wrapper, consequence, noise) when the engine gives one."""
    severity: str | None
    transient: bool | None
    """Whether the root cause is transient (a retry may pass), when the rule says."""
    minutes_lost: float
    started: str | None
    diagnosis_key: str
    log_key: str | None

    @classmethod
    def of(cls, diagnosis: Diagnosis, *, build_arn: str, account: str, region: str, project: str,
           diagnosis_key: str, log_key: str | None) -> Summary:  # fmt: skip
        """The summary of ``diagnosis`` (``role`` and ``transient`` read only if the Finding has them)."""
        root = diagnosis.root_cause
        build = diagnosis.build
        seconds = build.duration_seconds if build is not None else None
        role = getattr(root, "role", None) if root is not None else None
        transient = getattr(root, "transient", None) if root is not None else None
        return cls(
            build_arn=build_arn,
            build_id=build.build_id if build is not None else build_arn.split(":build/", 1)[-1],
            account=account,
            region=region,
            project=(build.project if build is not None else None) or project,
            status=build.status if build is not None else None,
            root_cause=root.rule_id if root else None,
            title=root.title if root else None,
            role=getattr(role, "value", role),
            severity=root.severity.label if root else None,
            transient=bool(transient) if transient is not None else None,
            minutes_lost=round((seconds or 0.0) / 60.0, 2),
            started=build.start_time.isoformat() if build is not None and build.start_time else None,
            diagnosis_key=diagnosis_key,
            log_key=log_key,
        )


def s3_console_url(bucket: str, key: str, region: str) -> str:
    """The S3 console page of one stored object (the notification links the diagnosis)."""
    from urllib.parse import quote

    return f"https://s3.console.aws.amazon.com/s3/object/{bucket}?region={region}&prefix={quote(key, safe='')}"


class Store:
    """The central account's S3 bucket, DynamoDB table and SNS topic (boto3 clients passed in)."""

    def __init__(self, s3: Any, dynamodb: Any, sns: Any, bucket: str, table: str, topic_arn: str | None) -> None:
        self.s3 = s3
        self.dynamodb = dynamodb
        self.sns = sns
        self.bucket = bucket
        self.table = table
        self.topic_arn = topic_arn

    def claim(self, build_arn: str, token: str, now: float, lease_seconds: float) -> bool:
        """Claim ``build_arn`` for this attempt; ``False`` when it is done or claimed by a live attempt."""
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    "build_arn": {"S": build_arn},
                    "state": {"S": "claimed"},
                    "claim_token": {"S": token},
                    "lease_until": {"N": str(int(now + lease_seconds))},
                    # A claim left behind by a dead instance still expires from the table.
                    "expires_at": {"N": str(int(now + 86_400))},
                },
                ConditionExpression="attribute_not_exists(build_arn) OR (#state = :claimed AND lease_until < :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":claimed": {"S": "claimed"}, ":now": {"N": str(int(now))}},
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, build_arn: str, token: str) -> None:
        """Delete this attempt's claim so a retry of the message can claim the build again."""
        try:
            self.dynamodb.delete_item(
                TableName=self.table,
                Key={"build_arn": {"S": build_arn}},
                ConditionExpression="claim_token = :token",
                ExpressionAttributeValues={":token": {"S": token}},
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            pass  # someone else's claim by now: leave it

    def put(self, key: str, body: bytes, content_type: str, content_encoding: str | None = None) -> None:
        """Write one object (server-side encryption is the bucket's default)."""
        extra = {"ContentEncoding": content_encoding} if content_encoding else {}
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, **extra)

    def complete(self, summary: Summary, token: str, now: float, ttl_days: int) -> None:
        """Replace this attempt's claim with the summary row (``state = done``, TTL ``expires_at``)."""
        from boto3.dynamodb.types import TypeSerializer

        serialise = TypeSerializer().serialize
        row: dict[str, Any] = {
            k: (Decimal(str(v)) if isinstance(v, float) else v) for k, v in summary.__dict__.items() if v is not None
        }
        row.update(state="done", diagnosed_at=int(now), expires_at=int(now + ttl_days * 86_400), claim_token=token)
        self.dynamodb.put_item(
            TableName=self.table,
            Item={k: serialise(v) for k, v in row.items()},
            ConditionExpression="claim_token = :token",
            ExpressionAttributeValues={":token": {"S": token}},
        )

    def notify(self, subject: str, messages: dict[str, str]) -> None:
        """Publish one notification: ``messages`` per protocol (``default``, ``email``, ``https``...)."""
        if self.topic_arn is None:
            return
        self.sns.publish(
            TopicArn=self.topic_arn, Subject=subject, Message=json.dumps(messages), MessageStructure="json"
        )
