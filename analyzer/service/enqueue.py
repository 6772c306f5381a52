"""``scan --enqueue QUEUE_URL``: queue the selected builds' events for the organisation service.

After a rule change, the fleet re-diagnoses past failures from the same queue a live
failure goes through, so each account's ``GetLogEvents`` rate is held by the function as
usual. Each build becomes the "Build State Change" event EventBridge would have delivered
(:func:`analyzer.service.events.state_change_event`), sent with ``SendMessageBatch``.
Builds already stored are claimed in DynamoDB and so are not diagnosed twice: delete their
rows first to re-diagnose them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from analyzer.errors import SourceError
from analyzer.models import Build
from analyzer.service.events import state_change_event

BATCH = 10
"""``SendMessageBatch`` takes at most 10 entries."""


def enqueue(sqs: Any, queue_url: str, builds: Sequence[Build]) -> list[str]:
    """Send one event per build that has an ARN; returns the ARNs queued, in order.

    Raises :class:`SourceError` naming the queue and the first entry SQS refused.
    """
    from botocore.exceptions import ClientError

    from analyzer.sources.base import translate_client_error

    arns = [b.arn for b in builds if b.arn]
    statuses = {b.arn: b.status or "FAILED" for b in builds if b.arn}
    for start in range(0, len(arns), BATCH):
        chunk = arns[start : start + BATCH]
        entries = [
            {"Id": str(i), "MessageBody": json.dumps(state_change_event(arn, statuses[arn]))}
            for i, arn in enumerate(chunk)
        ]
        try:
            response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except ClientError as exc:
            raise translate_client_error(exc, "sqs:SendMessage", f"queue {queue_url}") from None
        failed = response.get("Failed") or []
        if failed:
            first = failed[0]
            raise SourceError(
                f"queue {queue_url} refused {len(failed)} of {len(chunk)} events, e.g. "
                f"{chunk[int(first['Id'])]}: {first.get('Code')}: {first.get('Message', '')}"
            )
    return arns
