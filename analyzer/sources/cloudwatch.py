"""Build logs from CloudWatch Logs (``GetLogEvents``, read from the head)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from analyzer.errors import LogsNotFound, TransportError
from analyzer.sources.base import MAX_PAGES, LogSource, PageGuard, translate_client_error, verified_call

END_MARGIN_MS = 5 * 60 * 1000
"""Read this far past the build's end time: the agent's last events arrive after it."""
MAX_EMPTY_PAGES = 100
"""Empty pages in a row, each with a new token, after which a stream is taken as endless (a
finished build's stream has a gap of a few at most)."""


class CloudWatchSource(LogSource):
    """One log stream, paged with ``GetLogEvents(startFromHead=True)`` until the token repeats.

    Each event becomes one line: its ``message`` plus ``\\n`` unless it already ends
    with one, so line numbers match the CloudWatch console's event order. ``client``
    is a boto3 ``logs`` client; ``end_time`` (the build's end) bounds the read, since
    with no end time paging may not end while a stream is still being written.
    """

    def __init__(
        self, client: Any, group: str, stream: str, end_time: datetime | None = None
    ) -> None:
        self.client = client
        self.group = group
        self.stream = stream
        self.end_time = end_time
        self.description = f"cloudwatch:{group}/{stream}"
        self.pages = 0
        """``GetLogEvents`` calls made so far (for tests and benchmarks)."""
        self.max_pages = MAX_PAGES * 10
        """A 10 GB log at 1 MB a page is 10,000 pages; ten times that is a stream that never ends."""
        self.max_empty_pages = MAX_EMPTY_PAGES

    def chunks(self) -> Iterator[bytes]:
        """Yield one chunk per page of events. Raises :class:`LogsNotFound` or another SourceError."""
        from botocore.exceptions import ClientError

        params: dict[str, Any] = {
            "logGroupName": self.group,
            "logStreamName": self.stream,
            "startFromHead": True,
        }
        if self.end_time is not None:
            params["endTime"] = int(self.end_time.timestamp() * 1000) + END_MARGIN_MS
        token: str | None = None
        guard = PageGuard("logs:GetLogEvents", f"log stream {self.group}/{self.stream}", self.max_pages)
        empty = 0
        last_time = -1
        while True:
            try:
                page = verified_call(
                    lambda token=token: self.client.get_log_events(**params, **({"nextToken": token} if token else {})),
                    action="logs:GetLogEvents",
                    what=f"log stream {self.group}/{self.stream}",
                    required={"events": list, "nextForwardToken": str},
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code == "ResourceNotFoundException":
                    raise LogsNotFound(
                        f"log stream {self.stream} not found in log group {self.group}",
                        tip="the log may have expired (the group's retention), been deleted, or never "
                        "been written (builds that fail in PROVISIONING have no log)",
                    ) from None
                raise translate_client_error(
                    exc, "logs:GetLogEvents", f"log stream {self.group}/{self.stream}"
                ) from None
            self.pages += 1
            events = page["events"]
            if events:
                empty = 0
                first = events[0].get("timestamp")
                if isinstance(first, int) and first < last_time:
                    # Read from the head, a stream's events only move forward in time: a page
                    # from the past is a stream replayed (a proxy or endpoint looping), not more log.
                    raise TransportError(
                        f"logs:GetLogEvents for log stream {self.group}/{self.stream}: page {self.pages} "
                        "went back in time (its events were read already): stopped, as it would never end"
                    )
                stamps = [e["timestamp"] for e in events if isinstance(e.get("timestamp"), int)]
                last_time = max([last_time, *stamps])
                yield b"".join(_event_bytes(event.get("message", "")) for event in events)
            else:
                empty += 1
            next_token = page["nextForwardToken"]
            # The end of the stream returns the token it was given; an empty page alone is not the end.
            if not next_token or next_token == token:
                return
            if empty >= self.max_empty_pages:
                raise TransportError(
                    f"logs:GetLogEvents for log stream {self.group}/{self.stream}: {empty} empty pages "
                    "in a row, each with a new token: stopped, as the stream would never end"
                )
            token = guard.next(next_token)


def _event_bytes(message: str) -> bytes:
    data = message.encode("utf-8", "surrogateescape")
    return data if data.endswith(b"\n") else data + b"\n"
