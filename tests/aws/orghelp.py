"""Helpers for the organisation service's tests: a central account and member accounts in moto.

The central account is moto's default (123456789012, the ``testing`` credentials). A member
account is reached as AWS does it, by assuming a role there: moto gives the assumed-role
credentials the role's account, so every call made with them lands in that account's
backends. moto does not run Lambda: the tests call the handler with the SQS messages the
event source mapping would pass (``sqs_event``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import boto3

from analyzer.demo import REGION
from analyzer.service.config import ServiceConfig
from analyzer.service.events import EVENT_PATTERN
from analyzer.service.handler import Service

CENTRAL = "123456789012"
BUCKET = "org-diagnoses"
TABLE = "codebuild-doctor-builds"
ROLE_NAME = "codebuild-doctor-read-only"
EXTERNAL_ID = "o-example-codebuild-doctor"


@dataclass
class Central:
    """The central account's resources, created in moto."""

    session: Any
    queue_url: str
    queue_arn: str
    topic_arn: str
    notifications_url: str
    bus_arn: str

    def client(self, service: str) -> Any:
        """A client of the central account."""
        return self.session.client(service)

    def received(self, queue_url: str | None = None, *, max_batches: int = 200) -> list[dict[str, Any]]:
        """Every message on a queue (default: the central event queue), deleted as read."""
        sqs = self.client("sqs")
        out: list[dict[str, Any]] = []
        for _ in range(max_batches):
            got = sqs.receive_message(
                QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                break
            out += got
            sqs.delete_message_batch(
                QueueUrl=queue_url or self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
            )
        return out

    def objects(self) -> dict[str, bytes]:
        """Every object of the diagnoses bucket, by key."""
        s3 = self.client("s3")
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
                for o in page.get("Contents", [])]  # fmt: skip
        return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}

    def rows(self) -> list[dict[str, Any]]:
        """Every item of the table, as plain values."""
        from boto3.dynamodb.types import TypeDeserializer

        load = TypeDeserializer().deserialize
        items = []
        for page in self.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE):
            items += [{k: load(v) for k, v in item.items()} for item in page["Items"]]
        return items


def central_account(endpoint: str) -> Central:
    """Bucket, table (TTL), topic with a queue subscribed, event bus open to the org, rule -> queue."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)  # fmt: skip
    s3, ddb, sns, sqs, events = (session.client(s) for s in ("s3", "dynamodb", "sns", "sqs", "events"))
    s3.create_bucket(Bucket=BUCKET)
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "build_arn", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "build_arn", "KeyType": "HASH"}])  # fmt: skip
    ddb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    queue_url = sqs.create_queue(QueueName="codebuild-doctor-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = sns.create_topic(Name="codebuild-doctor")["TopicArn"]
    notifications_url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
    notifications_arn = sqs.get_queue_attributes(QueueUrl=notifications_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]  # fmt: skip
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=notifications_arn,
                  Attributes={"RawMessageDelivery": "false"})  # fmt: skip
    bus_arn = events.create_event_bus(Name="codebuild-doctor")["EventBusArn"]
    events.put_permission(EventBusName="codebuild-doctor", Action="events:PutEvents", Principal="*",
                          StatementId="organisation")  # fmt: skip
    events.put_rule(Name="failed-builds-to-queue", EventBusName="codebuild-doctor", EventPattern=json.dumps(EVENT_PATTERN))
    events.put_targets(Rule="failed-builds-to-queue", EventBusName="codebuild-doctor",
                       Targets=[{"Id": "queue", "Arn": queue_arn}])  # fmt: skip
    return Central(session, queue_url, queue_arn, topic_arn, notifications_url, bus_arn)


def member_session(account: str) -> Any:
    """A boto3 session acting in ``account`` (an assumed role there)."""
    sts = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name=REGION).client("sts")  # fmt: skip
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                            RoleSessionName="test-admin")["Credentials"]  # fmt: skip
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name=REGION)  # fmt: skip


def member_forwarding_rule(account: str, bus_arn: str) -> Any:
    """The member account's rule: failed builds on its default bus go to the central bus."""
    events = member_session(account).client("events")
    events.put_rule(Name="codebuild-doctor-forward", EventPattern=json.dumps(EVENT_PATTERN))
    events.put_targets(Rule="codebuild-doctor-forward", Targets=[
        {"Id": "central-bus", "Arn": bus_arn, "RoleArn": f"arn:aws:iam::{account}:role/codebuild-doctor-forward"}])  # fmt: skip
    return events


def config(**changes: Any) -> ServiceConfig:
    """The function's settings as the template sets them (fast retries for tests)."""
    values: dict[str, Any] = dict(bucket=BUCKET, table=TABLE, topic_arn=None, role_name=ROLE_NAME,
                                  external_id=EXTERNAL_ID, max_attempts=1, reserve_seconds=5.0)  # fmt: skip
    values.update(changes)
    return ServiceConfig(**values)


def service(central: Central, rules: Any = None, *, clock: Any = time.monotonic, sleep: Any = None,
            **changes: Any) -> Service:  # fmt: skip
    """A handler instance (a cold start) of the central account."""
    changes.setdefault("topic_arn", central.topic_arn)
    return Service.create(config(**changes), session=central.session, rules=rules, clock=clock, sleep=sleep)


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The Lambda event of an SQS batch, as the event source mapping builds it from received messages."""
    return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                         "attributes": m.get("Attributes", {}), "messageAttributes": {}, "eventSource": "aws:sqs",
                         "awsRegion": REGION} for m in messages]}  # fmt: skip


def record(body: Any, message_id: str) -> dict[str, Any]:
    """One SQS record with ``body`` (a dict is JSON-encoded)."""
    text = body if isinstance(body, str) else json.dumps(body)
    return {"messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": text, "eventSource": "aws:sqs"}


class Context:
    """The Lambda context's only method the handler uses."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left in the invocation."""
        return int(self.seconds * 1000)
